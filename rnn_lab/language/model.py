"""A character-level language model, ``Embedding -> SimpleRNN (or LSTM) -> Dense``, by hand.

For a batch of ``n`` text chunks of ``T`` character ids ``id_t`` (book notation, rows)::

    x_t = E[id_t]                                 (n, D)   embedding lookup = onehot(id_t)·E
    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)          (n, H)   SimpleRNN (LSTM: cells.lstm_gates)
    y_t = h_t·Wo + Bo                             (n, V)   logits of the next character
    L   = -(1/(nT)) Σ_t Σ_rows log softmax(y_t)[id_{t+1}]

and the backward pass (``N = nT``; ``δ_t = dL/da_t``; ``g_t = dL/dh_t`` in total)::

    dy_t = (softmax(y_t) - onehot(id_{t+1})) / N
    dWo  = Σ_t h_tᵀ·dy_t          dBo = Σ_t Σ_rows dy_t
    g_t  = dy_t·Woᵀ + δ_{t+1}·Whᵀ  δ_t = g_t ⊙ (1 - h_t²)
    dWx  = Σ_t x_tᵀ·δ_t           dWh = Σ_t h_{t-1}ᵀ·δ_t      dBh = Σ_t Σ_rows δ_t
    dE[v] = Σ over every (row, t) with id_t = v of δ_t·Wxᵀ    (rows of E that were read)

``h_0`` is the state carried from the previous chunk: an input, not a function of the
weights, so the gradient stops there (truncated BPTT at chunk borders, as Keras's
``stateful=True`` does). The recurrent layer's forward and backward passes are the
package's one gated core, :func:`rnn_lab.cells.bptt.forward_trace` and
:func:`~rnn_lab.cells.bptt.backward_from_trace` (chapter 13), for both cells.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import (
    as_float_array,
    check_positive_int,
    check_shape,
    one_blas_thread,
)
from ..cells.bptt import ForwardTrace, backward_from_trace, forward_trace
from ..cells.weights import CellWeights
from ..weights import ArrayRecord, checked_fields, dimension, store_frozen
from .text import (
    check_ids,
    softmax_cross_entropy,
)

#: Largest relative error (``gradcheck.relative_error``, per array) accepted between the
#: hand-written gradients and GradientTape's: rounding only, in each precision.
GRAD_RTOL = {"float32": 1e-5, "float64": 1e-10}
#: Largest relative error accepted between the hand-written float64 gradients and
#: Richardson-extrapolated central differences (:func:`finite_difference_gradients`).
#: Measured on the test grid: 4e-12 to 1e-10; what is left is the differences' own
#: rounding (≈ ε·L/s on every entry), largest relative to arrays whose gradient is small.
FD_RTOL = 1e-9
#: Largest relative difference accepted between the manual and the Keras loss at each of the
#: first updates of the side-by-side training, per precision.
TRAIN_RTOL = {"float32": 1e-4, "float64": 1e-9}
#: Central-difference step for :func:`finite_difference_gradients`: with two rounds of
#: Richardson extrapolation the truncation error is ∝ s⁶ and the rounding ∝ ε/s.
FD_RICHARDSON_STEP = 5e-3

RANKS = {"E": 2, "Wx": 2, "Wh": 2, "Bh": 1, "Wo": 2, "Bo": 1}
KINDS = {1: "SimpleRNN", 4: "LSTM"}
LAYOUTS = {
    "E": "(V, D)",
    "Wx": "(D, gH)",
    "Wh": "(H, gH)",
    "Bh": "(gH,)",
    "Wo": "(H, V)",
    "Bo": "(V,)",
}


@dataclass(frozen=True, eq=False, repr=False)  # ArrayRecord's repr: shapes
class LanguageModelWeights(ArrayRecord):
    """``E (V,D)``, ``Wx (D,gH)``, ``Wh (H,gH)``, ``Bh (gH,)``, ``Wo (H,V)``, ``Bo (V,)``:
    the order of ``model.get_weights()`` for ``Embedding -> SimpleRNN/LSTM -> Dense``.

    ``g = 1`` for a SimpleRNN, ``4`` for an LSTM (gate blocks ``[i, f, c, o]``, as Keras
    packs them); the kind is read from the shapes. Stored as read-only copies in one dtype.
    """

    E: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    Bh: np.ndarray
    Wo: np.ndarray
    Bo: np.ndarray

    def __post_init__(self) -> None:
        arrays = checked_fields(self, LAYOUTS, RANKS)
        V, D = arrays["E"].shape
        H = arrays["Wh"].shape[0]
        gH = arrays["Wh"].shape[1]
        if gH % H or gH // H not in KINDS:
            raise ValueError(
                "Wh must be (H, H) for a SimpleRNN or (H, 4H) for an LSTM; "
                f"got {arrays['Wh'].shape}"
            )
        check_shape("Wx", arrays["Wx"], (D, gH), f"(D, gH) with D = {D}, gH = {gH}")
        check_shape("Bh", arrays["Bh"], (gH,), "(gH,)")
        check_shape("Wo", arrays["Wo"], (H, V), f"(H, V) with H = {H}, V = {V}")
        check_shape("Bo", arrays["Bo"], (V,), f"(V,) with V = {V}")
        store_frozen(self, arrays)

    @property
    def kind(self) -> str:
        return KINDS[self.Wh.shape[1] // self.Wh.shape[0]]

    vocab_size = dimension("E", 0, "``V``, the characters of the vocabulary.")
    embed_dim = dimension("E", 1, "``D``, the size of a character's embedding.")
    hidden_units = dimension("Wh", 0, "``H``, the size of the hidden state.")

    def cell(self) -> CellWeights:
        """The recurrent layer's three arrays as :class:`rnn_lab.cells.weights.CellWeights`."""
        return CellWeights(self.kind, self.Wx, self.Wh, self.Bh)

    def __repr__(self) -> str:
        return f"LanguageModelWeights({self.kind}, {self.shapes()}, dtype={self.dtype.name})"


def check_lm_weights(weights: Any) -> LanguageModelWeights:
    if not isinstance(weights, LanguageModelWeights):
        raise TypeError(f"weights must be a LanguageModelWeights; got {type(weights).__name__}")
    return weights


def check_chunk(ids: Any, weights: LanguageModelWeights, name: str = "ids") -> np.ndarray:
    ids = check_ids(ids, weights.vocab_size, name)
    if ids.ndim != 2:
        raise ValueError(f"{name} must be (n, T) character ids; got shape {ids.shape}")
    return ids


def zero_state(weights: LanguageModelWeights, n: int) -> tuple[np.ndarray, ...]:
    """``(h_0,)`` for a SimpleRNN, ``(h_0, c_0)`` for an LSTM, all zeros ``(n, H)``."""
    shape = (check_positive_int("n", n), weights.hidden_units)
    count = 2 if weights.kind == "LSTM" else 1
    return tuple(np.zeros(shape, dtype=weights.dtype) for _ in range(count))


def check_state(state: Any, weights: LanguageModelWeights, n: int) -> tuple[np.ndarray, ...]:
    if state is None:
        return zero_state(weights, n)
    expected = zero_state(weights, n)
    state = tuple(state)
    if len(state) != len(expected):
        raise ValueError(f"a {weights.kind} state has {len(expected)} arrays; got {len(state)}")
    checked = []
    for name, s in zip(("h0", "c0"), state, strict=False):
        s = as_float_array(name, s, ndim=2, layout="(n, H)", dtype=weights.dtype)
        check_shape(name, s, expected[0].shape, "(n, H)")
        checked.append(s)
    return tuple(checked)


@dataclass(frozen=True, eq=False)
class ForwardPass:
    """What the forward pass keeps for the backward pass: ``x (n,T,D)``, the hidden states
    ``h (n,T,H)``, the logits ``y (n,T,V)``, the initial and final states, and the
    recurrent layer's :class:`~rnn_lab.cells.bptt.ForwardTrace` (gates, cell states)."""

    x: np.ndarray
    h: np.ndarray
    logits: np.ndarray
    initial: tuple[np.ndarray, ...]
    final: tuple[np.ndarray, ...]
    trace: ForwardTrace


def forward(ids: Any, weights: LanguageModelWeights, state: Any = None) -> ForwardPass:
    """Logits ``y_t = h_t·Wo + Bo`` for every position of the ``(n, T)`` chunk ``ids``,
    starting from ``state`` (zeros by default)."""
    weights = check_lm_weights(weights)
    ids = check_chunk(ids, weights)
    initial = check_state(state, weights, ids.shape[0])
    x = weights.E[ids]  # the lookup: row id_t of E, which is onehot(id_t)·E
    trace = forward_trace(weights.cell(), x, initial_state=list(initial))
    h = trace.h
    final = (h[:, -1],) if weights.kind == "SimpleRNN" else (h[:, -1], trace.c[:, -1])
    logits = h @ weights.Wo + weights.Bo
    return ForwardPass(x, h, logits, initial, final, trace)


@dataclass(frozen=True, eq=False)
class LMGradients:
    """``loss``, the gradients ``grads`` (a :class:`LanguageModelWeights` of derivatives),
    and the ``final`` state, to carry into the next chunk."""

    loss: float
    grads: LanguageModelWeights
    final: tuple[np.ndarray, ...]
    #: ``g²`` per array as Keras's optimiser computes it from the sparse embedding gradient:
    #: ``Σ_i g_i²`` over the lookups ``i`` of each character for ``E``, ``g²`` elsewhere.
    squared: LanguageModelWeights | None = None


def loss_and_gradients(
    ids: Any, targets: Any, weights: LanguageModelWeights, state: Any = None
) -> LMGradients:
    """Mean cross-entropy of the ``(n, T)`` chunk and its gradients, by hand (module
    docstring), with the gradient stopped at the initial ``state``."""
    weights = check_lm_weights(weights)
    ids = check_chunk(ids, weights)
    targets = check_chunk(targets, weights, "targets")
    if targets.shape != ids.shape:
        raise ValueError(f"targets must have the shape of ids {ids.shape}; got {targets.shape}")
    fp = forward(ids, weights, state)
    loss, dy = softmax_cross_entropy(fp.logits, targets)
    e = dy @ weights.Wo.T  # what reaches h_t through y_t
    # BPTT through the recurrent layer: the one gated backward pass of chapter 13
    cell_grads = backward_from_trace(fp.trace, e)

    # Weights shared by every timestep: gradients sum over t and rows, one matrix product.
    def summed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])

    dx = cell_grads.dx  # (n, T, D): what reaches each looked-up row of E
    rows = dx.reshape(-1, dx.shape[-1])
    dE = np.zeros_like(weights.E)
    np.add.at(dE, ids.ravel(), rows)  # a row read twice sums twice
    dE_squares = np.zeros_like(weights.E)
    np.add.at(dE_squares, ids.ravel(), rows * rows)  # what Keras's sparse path squares
    grads = LanguageModelWeights(
        E=dE,
        Wx=cell_grads.kernel,
        Wh=cell_grads.recurrent_kernel,
        Bh=cell_grads.bias,
        Wo=summed(fp.h, dy),
        Bo=dy.sum(axis=(0, 1)),
    )
    squared = LanguageModelWeights(dE_squares, *(np.square(g) for g in grads.as_list()[1:]))
    return LMGradients(loss, grads, fp.final, squared)


def finite_difference_gradients(
    ids: Any,
    targets: Any,
    weights: LanguageModelWeights,
    state: Any = None,
    *,
    step: float = FD_RICHARDSON_STEP,
) -> LanguageModelWeights:
    """``dL/dθ`` for every weight by central differences in float64, Richardson-extrapolated::

        D(s) = (L(θ + s) - L(θ - s)) / (2s)              error  a·s² + b·s⁴ + ...
        R(s) = (4·D(s/2) - D(s)) / 3                     the s² terms cancel
        dL/dθ ≈ (16·R(s/2) - R(s)) / 15                  the s⁴ terms cancel: error ∝ s⁶

    A plain central difference cannot check a float64 gradient to 1e-10: its truncation
    (∝ s²) and rounding (∝ ε/s) errors never both fall that low. Cancelling the s² and s⁴
    terms allows a large step, where rounding is small too. Built on
    :func:`rnn_lab.gradcheck.numerical_gradient`; costs ``6 ×`` (number of weights)
    forward passes, so use small models.
    """
    from ..gradcheck import numerical_gradient

    weights = check_lm_weights(weights).astype("float64")
    ids = check_chunk(ids, weights)
    targets = check_chunk(targets, weights, "targets")
    state = None if state is None else tuple(np.asarray(s, np.float64) for s in state)

    def partial(name: str) -> np.ndarray:
        def loss(array: np.ndarray) -> float:
            return loss_and_gradients(ids, targets, replace(weights, **{name: array}), state).loss

        d1, d2, d4 = (
            numerical_gradient(loss, getattr(weights, name), step=step / k) for k in (1, 2, 4)
        )
        r1, r2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
        return (16 * r2 - r1) / 15

    return LanguageModelWeights(*(partial(name) for name in LAYOUTS))


def mean_loss(
    ids: Any, weights: LanguageModelWeights, *, streams: int = 1, chunk: int = 256
) -> float:
    """Mean cross-entropy of predicting ``ids[t+1]`` from what comes before, every target once.

    The text is cut into ``streams`` consecutive pieces read side by side as the rows of a
    batch (each from a zero state, so only the first characters of each piece lose their
    context), ``chunk`` characters at a time with the state carried. ``streams=1`` reads
    the text as one sequence.
    """
    weights = check_lm_weights(weights)
    ids = check_ids(ids, weights.vocab_size)
    if ids.ndim != 1 or ids.size < 2:
        raise ValueError(f"ids must be 1-D with at least 2 characters; got shape {ids.shape}")
    chunk = check_positive_int("chunk", chunk)
    streams = check_positive_int("streams", streams)
    targets = ids.size - 1
    if streams > targets:
        raise ValueError(f"streams={streams} is more than the {targets} characters to predict")
    L = targets // streams
    x_all = ids[: streams * L].reshape(streams, L)
    y_all = ids[1 : streams * L + 1].reshape(streams, L)
    state, total = None, 0.0
    with one_blas_thread():
        for start in range(0, L, chunk):
            x, y = x_all[:, start : start + chunk], y_all[:, start : start + chunk]
            fp = forward(x, weights, state)
            total += softmax_cross_entropy(fp.logits, y)[0] * y.size
            state = fp.final
        if streams * L < targets:  # the last few characters continue the last stream
            tail = slice(streams * L, targets)
            last_state = tuple(s[-1:] for s in state)
            fp = forward(ids[None, tail], weights, last_state)
            y = ids[None, streams * L + 1 :]
            total += softmax_cross_entropy(fp.logits, y)[0] * y.size
    return total / targets


def hidden_trace(ids: Any, weights: LanguageModelWeights) -> np.ndarray:
    """``h_t`` ``(len(ids), H)`` after reading each character of one stream from zeros."""
    weights = check_lm_weights(weights)
    ids = check_ids(ids, weights.vocab_size)
    return forward(ids.reshape(1, -1), weights).h[0]
