"""Attention in NumPy, forward and backward, equal to Keras's attention layers.

A query ``q_t`` (one row of ``Q (n, T_q, d)``) looks at the ``T_x`` source positions: it
scores each key ``K_j``, turns the scores into weights with a softmax over ``j`` and returns
the weighted mean of the values ``𝒱_j`` (``𝒱 (n, T_x, d_v)``; ``V`` alone is the vocabulary
size in this book), the context vector::

    e_{t,j} = γ · q_t·K_jᵀ                       dot product (Luong; keras.layers.Attention)
    e_{t,j} = Σ_d v_a[d] · tanh(q_t[d] + K_j[d])  additive (Bahdanau; AdditiveAttention)
    e_{t,j} = c · Σ_d tanh(γ (q_t[d] + K_j[d]))    concat (Attention(score_mode="concat"))
    α_{t,j} = softmax_j(e_{t,j} − 10⁹·(1 − m_j))  masked softmax over the source positions
    ctx_t   = Σ_j α_{t,j} 𝒱_j                     (n, T_q, d_v)

``γ`` is ``Attention(use_scale=True)``'s scalar (1 without it), ``v_a`` is
``AdditiveAttention(use_scale=True)``'s vector ``(d,)`` (all ones without it), ``c`` is
``Attention(score_mode="concat")``'s scalar ``concat_score_weight`` (always there, 1 at the
start), ``m (n, T_x)`` the source mask. Keras *subtracts* 10⁹ from a masked score rather
than setting it to −∞, and this module does the same, so that the numbers agree
everywhere; one consequence (tested, and shown in chapter 15): a row whose every source
position is masked is not refused. In float32, ``e − 10⁹`` rounds to ``−10⁹`` for every
``|e| < 32``, so the weights are uniform, ``1/T_x``; in float64 it keeps ``e`` to within
1.2·10⁻⁷ (the spacing of float64 near 10⁹), and the weights are nearly those of the
unmasked softmax.
``MultiHeadAttention`` instead *replaces* masked scores by ``−10⁹``: uniform weights in
both dtypes.

A query mask (``Attention``'s ``mask=[query_mask, value_mask]``) zeroes ``ctx_t`` for padded
queries.

Backward, given ``dctx = dL/dctx``::

    dα_{t,j} = dctx_t·𝒱_jᵀ          d𝒱_j = Σ_t α_{t,j} dctx_t
    de_{t,j} = α_{t,j} (dα_{t,j} − Σ_i α_{t,i} dα_{t,i})            softmax
    dot:      dQ = γ de·K,   dK = γ deᵀ·Q,   dγ = Σ de ⊙ (Q·Kᵀ)
    additive: τ = tanh(q_t + K_j),  dpre = de·v_a ⊙ (1 − τ²),
              dQ = Σ_j dpre,  dK = Σ_t dpre,  dv_a = Σ de·τ
    concat:   τ = tanh(γ (q_t + K_j)),  dpre = c·de ⊙ (1 − τ²),
              dQ = γ Σ_j dpre,  dK = γ Σ_t dpre,  dγ = Σ dpre ⊙ (q_t + K_j),  dc = Σ de·Σ_d τ

Scaled dot-product attention, ``softmax(Q Kᵀ/√d_k) 𝒱``, is the dot form with
``γ = 1/√d_k``; :func:`one_head_attention` adds the four projections of
``MultiHeadAttention(num_heads=1)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import as_float_array, check_shape
from ..cells.masking import check_mask
from ..cells.weights import softmax

SCORES = ("dot", "additive", "concat")
#: What Keras subtracts from (``Attention``) or puts in place of (``MultiHeadAttention``)
#: a masked score in float32 and float64.
MASK_PENALTY = 1.0e9


def masked_softmax(scores: Any, mask: Any = None, *, rule: str = "subtract") -> np.ndarray:
    """``α = softmax(e)`` over the last axis (source positions), masked positions pushed
    down by :data:`MASK_PENALTY`.

    ``scores`` is ``(n, T_q, T_x)``, ``mask`` ``(n, T_x)`` (``True`` on real positions) or
    ``None``. ``rule="subtract"`` is ``keras.layers.Attention``'s ``e − 10⁹`` and
    ``rule="replace"`` is ``MultiHeadAttention``'s ``−10⁹`` (see the module docstring for
    what each does to a row with no real position).
    """
    e = as_float_array("scores", scores, ndim=3, layout="(n, T_q, T_x)")
    if rule not in ("subtract", "replace"):
        raise ValueError(
            f"rule must be 'subtract' (Attention) or 'replace' (MultiHeadAttention); got {rule!r}"
        )
    if mask is None:
        return softmax(e)
    keep = check_mask(mask, e.shape[0], e.shape[2])[:, None, :]
    penalty = e.dtype.type(MASK_PENALTY)
    e = np.where(keep, e, e - penalty if rule == "subtract" else -penalty)
    return softmax(e)


def softmax_backward(weights: np.ndarray, d_weights: np.ndarray) -> np.ndarray:
    """``de = α ⊙ (dα − Σ_j α_j dα_j)``: the gradient through ``α = softmax(e)`` (last axis).

    Subtracting a constant from a masked score does not change this: ``de`` is also
    ``dL/d(raw score)``. Unchecked: callers pass arrays of one shape.
    """
    return weights * (d_weights - np.sum(weights * d_weights, axis=-1, keepdims=True))


def dot_scores(query: np.ndarray, key: np.ndarray, scale: Any = None) -> np.ndarray:
    """``e = γ · Q·Kᵀ``, ``(n, T_q, T_x)``; ``γ = 1`` when ``scale`` is ``None``."""
    e = query @ np.swapaxes(key, -1, -2)
    return e if scale is None else e * query.dtype.type(scale)


def additive_scores(query: np.ndarray, key: np.ndarray, scale: Any = None) -> np.ndarray:
    """``e_{t,j} = Σ_d v_a[d] tanh(q_t[d] + K_j[d])``, ``(n, T_q, T_x)``; ``v_a = 1`` if None."""
    tau = np.tanh(query[:, :, None, :] + key[:, None, :, :])
    return np.sum(tau if scale is None else scale * tau, axis=-1)


def _concat_tanh(query: np.ndarray, key: np.ndarray, scale: Any) -> np.ndarray:
    """``τ = tanh(γ (q_t + K_j))``, ``(n, T_q, T_x, d)``, in Keras's order of operations."""
    pre = query[:, :, None, :] + key[:, None, :, :]
    return np.tanh(pre if scale is None else scale * pre)


def concat_scores(
    query: np.ndarray, key: np.ndarray, scale: Any = None, weight: Any = 1.0
) -> np.ndarray:
    """``e_{t,j} = c · Σ_d tanh(γ (q_t[d] + K_j[d]))``, ``(n, T_q, T_x)``: Keras's
    ``Attention(score_mode="concat")``, ``c`` its ``concat_score_weight``, ``γ`` its
    ``scale`` (1 if None)."""
    return query.dtype.type(weight) * np.sum(_concat_tanh(query, key, scale), axis=-1)


@dataclass(frozen=True, eq=False)
class AttentionTrace:
    """What :func:`attention` computed: inputs (checked) and every intermediate."""

    query: np.ndarray  # Q (n, T_q, d)
    key: np.ndarray  # K (n, T_x, d)
    value: np.ndarray  # 𝒱 (n, T_x, d_v)
    mask: np.ndarray | None  # m (n, T_x)
    query_mask: np.ndarray | None  # (n, T_q)
    score: str  # "dot", "additive" or "concat"
    scale: np.ndarray | None  # γ (scalar) or v_a (d,)
    concat_score_weight: np.ndarray | None  # c (scalar), score="concat" only
    scores: np.ndarray  # e (n, T_q, T_x), before masking
    weights: np.ndarray  # α (n, T_q, T_x)
    context: np.ndarray  # ctx (n, T_q, d_v), zero on masked queries


@dataclass(frozen=True, eq=False)
class AttentionGradients:
    """``dL/dQ``, ``dL/dK``, ``dL/d𝒱`` and ``dL/dγ`` (or ``dL/dv_a``; ``None`` without a scale),
    and for ``score="concat"`` ``dL/dc``.

    When the keys are the values (``key=None``), the gradient on that one array is
    ``key + value``.
    """

    query: np.ndarray
    key: np.ndarray
    value: np.ndarray
    scale: np.ndarray | None
    concat_score_weight: np.ndarray | None = None


def _check_scale(score: str, scale: Any, d: int, dtype: np.dtype) -> np.ndarray | None:
    if scale is None:
        return None
    array = np.asarray(scale)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"scale must be a real number or array; got dtype {array.dtype}")
    array = array.astype(dtype)
    if score in ("dot", "concat") and array.shape != ():
        raise ValueError(f"scale for score={score!r} must be a scalar γ; got shape {array.shape}")
    if score == "additive" and array.shape != (d,):
        raise ValueError(
            f"scale for score='additive' must be v_a of shape (d,) = ({d},); got {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("scale must be finite")
    return array


def _query_value_key(
    query: Any, value: Any, key: Any, sizes: tuple[str, str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three inputs checked, in the query's dtype; the key is the value when ``None``.
    ``sizes`` names their last axes for the messages."""
    q = as_float_array("query", query, ndim=3, layout=f"(n, T_q, {sizes[0]})")
    v = as_float_array("value", value, ndim=3, layout=f"(n, T_x, {sizes[1]})", dtype=q.dtype)
    k = v
    if key is not None:
        k = as_float_array("key", key, ndim=3, layout=f"(n, T_x, {sizes[2]})", dtype=q.dtype)
    if v.shape[0] != q.shape[0]:
        raise ValueError(
            f"value must hold n = {q.shape[0]} samples like query; got shape {v.shape}"
        )
    if k.shape[:2] != v.shape[:2]:
        raise ValueError(
            f"key must have the values' (n, T_x) = {v.shape[:2]}, one key per source position; "
            f"got key of shape {k.shape}"
        )
    return q, v, k


def attention(
    query: Any,
    value: Any,
    key: Any = None,
    *,
    mask: Any = None,
    query_mask: Any = None,
    score: str = "dot",
    scale: Any = None,
    concat_score_weight: Any = None,
) -> AttentionTrace:
    """``ctx = softmax(e) 𝒱`` with dot-product or additive scores (module docstring).

    ``query (n, T_q, d)``, ``value (n, T_x, d_v)``, ``key (n, T_x, d)`` (the values when
    ``None``, as in Keras), ``mask (n, T_x)`` on the source, ``query_mask (n, T_q)``.
    ``score="dot"`` with ``scale=None`` is ``keras.layers.Attention()``, with a scalar
    ``scale`` ``Attention(use_scale=True)``; ``score="additive"`` is
    ``keras.layers.AdditiveAttention(use_scale=False)``, or ``use_scale=True`` with
    ``scale = v_a (d,)``; ``score="concat"`` is ``Attention(score_mode="concat")``, with
    ``concat_score_weight = c`` (1 when ``None``, Keras's starting value) and ``scale = γ``
    for ``use_scale=True``. Everything is computed in the query's dtype.
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}; got {score!r}")
    q, v, k = _query_value_key(query, value, key, ("d", "d_v", "d"))
    n, T_q, d = q.shape
    if k.shape[2] != d:
        raise ValueError(
            f"query and key must have the same size d to be compared; got query d = {d} "
            f"(shape {q.shape}) and key d = {k.shape[2]} (shape {k.shape})"
        )
    T_x = k.shape[1]
    keep = None if mask is None else check_mask(mask, n, T_x)
    q_keep = None if query_mask is None else _check_query_mask(query_mask, n, T_q)
    s = _check_scale(score, scale, d, q.dtype)
    c = None
    if score == "concat":
        c = np.asarray(1.0 if concat_score_weight is None else concat_score_weight)
        if c.dtype.kind not in "fiu" or c.shape != () or not np.isfinite(c):
            raise ValueError(
                "concat_score_weight must be a finite real scalar c; got "
                f"{c.dtype} of shape {c.shape}"
            )
        c = c.astype(q.dtype)
        e = concat_scores(q, k, s, c)
    elif concat_score_weight is not None:
        raise ValueError(f"concat_score_weight is for score='concat' only; got score={score!r}")
    else:
        e = dot_scores(q, k, s) if score == "dot" else additive_scores(q, k, s)
    alpha = masked_softmax(e, keep)
    context = alpha @ v
    if q_keep is not None:
        context = np.where(q_keep[:, :, None], context, 0).astype(q.dtype)
    return AttentionTrace(q, k, v, keep, q_keep, score, s, c, e, alpha, context)


def _check_query_mask(query_mask: Any, n: int, T_q: int) -> np.ndarray:
    try:
        return check_mask(query_mask, n, T_q)
    except (TypeError, ValueError) as error:
        raise type(error)(f"query_mask (n, T_q) = {(n, T_q)}: {error}") from None


def attention_backward(trace: AttentionTrace, d_context: Any) -> AttentionGradients:
    """Gradients of :func:`attention` given ``d_context = dL/dctx (n, T_q, d_v)``."""
    if not isinstance(trace, AttentionTrace):
        raise TypeError(
            f"trace must be an AttentionTrace (from attention()); got {type(trace).__name__}"
        )
    q, k, v, alpha = trace.query, trace.key, trace.value, trace.weights
    dctx = as_float_array("d_context", d_context, ndim=3, layout="(n, T_q, d_v)", dtype=q.dtype)
    check_shape("d_context", dctx, trace.context.shape, "(n, T_q, d_v)")
    if trace.query_mask is not None:
        dctx = np.where(trace.query_mask[:, :, None], dctx, 0).astype(q.dtype)
    d_value = np.swapaxes(alpha, -1, -2) @ dctx
    de = softmax_backward(alpha, dctx @ np.swapaxes(v, -1, -2))
    if trace.score == "dot":
        gamma = q.dtype.type(1) if trace.scale is None else trace.scale
        d_query = gamma * (de @ k)
        d_key = gamma * (np.swapaxes(de, -1, -2) @ q)
        d_scale = None if trace.scale is None else np.sum(de * (q @ np.swapaxes(k, -1, -2)))
    elif trace.score == "additive":
        tau = np.tanh(q[:, :, None, :] + k[:, None, :, :])
        va = np.ones(q.shape[-1], dtype=q.dtype) if trace.scale is None else trace.scale
        d_pre = de[..., None] * va * (1 - tau * tau)
        d_query, d_key = d_pre.sum(axis=2), d_pre.sum(axis=1)
        d_scale = None if trace.scale is None else np.sum(de[..., None] * tau, axis=(0, 1, 2))
    else:
        tau = _concat_tanh(q, k, trace.scale)
        d_pre = (trace.concat_score_weight * de)[..., None] * (1 - tau * tau)
        gamma = q.dtype.type(1) if trace.scale is None else trace.scale
        d_query, d_key = gamma * d_pre.sum(axis=2), gamma * d_pre.sum(axis=1)
        d_scale = None
        if trace.scale is not None:
            d_scale = np.sum(d_pre * (q[:, :, None, :] + k[:, None, :, :]))
        d_weight = np.asarray(np.sum(de * tau.sum(axis=-1)), dtype=q.dtype)
    scale_grad = None if d_scale is None else np.asarray(d_scale, dtype=q.dtype)
    if trace.score == "concat":
        return AttentionGradients(d_query, d_key, d_value, scale_grad, d_weight)
    return AttentionGradients(d_query, d_key, d_value, scale_grad)


# --- one head of MultiHeadAttention ---------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HeadWeights:
    """The four projections of ``MultiHeadAttention(num_heads=1, key_dim=d_k)``, 2-D.

    Keras stores ``query_dense.kernel`` as ``(D_q, 1, d_k)``; here ``Wq (D_q, d_k)``, ``bq
    (d_k,)``, likewise ``Wk, bk`` and ``Wv (D_v, d_v), bv``; ``output_dense.kernel``
    ``(1, d_v, D_q)`` is ``Wo (d_v, D_q)``, ``bo (D_q,)``.
    """

    Wq: np.ndarray
    bq: np.ndarray
    Wk: np.ndarray
    bk: np.ndarray
    Wv: np.ndarray
    bv: np.ndarray
    Wo: np.ndarray
    bo: np.ndarray

    @classmethod
    def from_keras(cls, weights: list[np.ndarray]) -> HeadWeights:
        """From ``layer.get_weights()`` of a one-head ``MultiHeadAttention`` (with biases)."""
        if len(weights) != 8:
            raise ValueError(
                f"expected the 8 arrays of a one-head MultiHeadAttention; got {len(weights)}"
            )
        Wq, bq, Wk, bk, Wv, bv, Wo, bo = (np.asarray(w) for w in weights)
        if Wq.ndim != 3 or Wq.shape[1] != 1:
            raise ValueError(f"query kernel must be (D_q, 1, d_k) (num_heads=1); got {Wq.shape}")
        return cls(Wq[:, 0], bq[0], Wk[:, 0], bk[0], Wv[:, 0], bv[0], Wo[0], bo)

    def to_keras(self) -> list[np.ndarray]:
        """The arrays in ``layer.set_weights()`` order and Keras's shapes."""
        return [self.Wq[:, None], self.bq[None], self.Wk[:, None], self.bk[None],
                self.Wv[:, None], self.bv[None], self.Wo[None], self.bo]  # fmt: skip


@dataclass(frozen=True, eq=False)
class _HeadTrace:
    query: np.ndarray  # Q (n, T_q, D_q)
    key: np.ndarray  # K (n, T_x, D_k)
    value: np.ndarray  # 𝒱 (n, T_x, D_v)
    separate_key: bool
    weights: HeadWeights  # in the query's dtype
    gamma: Any  # 1/√d_k, rounded to float32
    queries: np.ndarray  # Q' = γ (Q·Wq + bq)
    keys: np.ndarray  # K'
    values: np.ndarray  # 𝒱'
    keep: np.ndarray | None
    alpha: np.ndarray  # (n, T_q, T_x)
    context: np.ndarray  # α·𝒱' (n, T_q, d_v)
    output: np.ndarray  # (n, T_q, D_q)


def _one_head_trace(query: Any, value: Any, weights: HeadWeights, key: Any, mask: Any):
    if not isinstance(weights, HeadWeights):
        raise TypeError(f"weights must be HeadWeights; got {type(weights).__name__}")
    q, v, k = _query_value_key(query, value, key, ("D_q", "D_v", "D_k"))
    for name, x, W in (("query", q, weights.Wq), ("key", k, weights.Wk), ("value", v, weights.Wv)):
        if x.shape[-1] != W.shape[0]:
            raise ValueError(
                f"{name} has {x.shape[-1]} features but its projection expects {W.shape[0]}"
            )
    w = HeadWeights(*(np.asarray(a).astype(q.dtype) for a in vars(weights).values()))
    # Keras casts the Python number 1/√d_k to a tensor, which TensorFlow makes float32 first:
    # in float64 the scale is float32(1/√d_k), as for Adam's β's (chapter 8).
    gamma = q.dtype.type(np.float32(1 / np.sqrt(w.Wq.shape[1])))
    qp = (q @ w.Wq + w.bq) * gamma
    kp = k @ w.Wk + w.bk
    vp = v @ w.Wv + w.bv
    keep = None if mask is None else check_mask(mask, q.shape[0], k.shape[1])
    alpha = masked_softmax(qp @ np.swapaxes(kp, -1, -2), keep, rule="replace")
    context = alpha @ vp
    output = context @ w.Wo + w.bo
    return _HeadTrace(q, k, v, key is not None, w, gamma, qp, kp, vp, keep, alpha, context, output)


def one_head_attention(
    query: Any, value: Any, weights: HeadWeights, key: Any = None, *, mask: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """``MultiHeadAttention(num_heads=1, key_dim=d_k)``: scaled dot-product attention between
    projections, then an output projection::

        Q' = Q·Wq + bq,  K' = K·Wk + bk,  𝒱' = 𝒱·Wv + bv
        α  = softmax(γ Q'·K'ᵀ),  γ = 1/√d_k rounded to float32 as Keras does
             (masked: −10⁹ in place of a masked score)
        out = (α·𝒱')·Wo + bo                       (n, T_q, D_q)

    Returns ``(out, α)``. ``mask (n, T_x)`` marks the real source positions.
    """
    trace = _one_head_trace(query, value, weights, key, mask)
    return trace.output, trace.alpha


@dataclass(frozen=True, eq=False)
class HeadGradients:
    """``dL/dQ``, ``dL/dK`` (``None`` when the keys are the values: then ``value`` holds the
    sum), ``dL/d𝒱`` and the gradients of the eight arrays, as :class:`HeadWeights`."""

    query: np.ndarray
    key: np.ndarray | None
    value: np.ndarray
    weights: HeadWeights


def one_head_backward(
    query: Any,
    value: Any,
    weights: HeadWeights,
    d_output: Any,
    key: Any = None,
    *,
    mask: Any = None,
) -> HeadGradients:
    """Gradients of :func:`one_head_attention` given ``d_output = dL/dout (n, T_q, D_q)``::

    dWo = Σ ctxᵀ·dout,  dctx = dout·Woᵀ,  d𝒱' = αᵀ·dctx,  dα = dctx·𝒱'ᵀ
    de  = α ⊙ (dα − Σ_j α_j dα_j), zero where masked (a replaced score is a constant)
    dQ' = γ de·K',  dK' = deᵀ·(γ Q'),  then each projection: dW = Σ xᵀ·dx', db = Σ dx',
    dx = dx'·Wᵀ
    """
    t = _one_head_trace(query, value, weights, key, mask)
    w = t.weights
    dout = as_float_array("d_output", d_output, ndim=3, layout="(n, T_q, D_q)", dtype=t.query.dtype)
    check_shape("d_output", dout, t.output.shape, "(n, T_q, D_q)")
    d_context = dout @ w.Wo.T
    d_values = np.swapaxes(t.alpha, -1, -2) @ d_context
    de = softmax_backward(t.alpha, d_context @ np.swapaxes(t.values, -1, -2))
    if t.keep is not None:
        de = np.where(t.keep[:, None, :], de, de.dtype.type(0))
    d_queries = t.gamma * (de @ t.keys)  # through Q' = γ (Q·Wq + bq)
    d_keys = np.swapaxes(de, -1, -2) @ t.queries

    def project(x, dx, W):  # x·W + b: (dx·Wᵀ, dW, db)
        return dx @ W.T, np.einsum("ntd,nte->de", x, dx), dx.sum(axis=(0, 1))

    dq, dWq, dbq = project(t.query, d_queries, w.Wq)
    dk, dWk, dbk = project(t.key, d_keys, w.Wk)
    dv, dWv, dbv = project(t.value, d_values, w.Wv)
    dWo = np.einsum("ntd,nte->de", t.context, dout)
    grads = HeadWeights(dWq, dbq, dWk, dbk, dWv, dbv, dWo, dout.sum(axis=(0, 1)))
    if t.separate_key:
        return HeadGradients(dq, dk, dv, grads)
    return HeadGradients(dq, None, dv + dk, grads)
