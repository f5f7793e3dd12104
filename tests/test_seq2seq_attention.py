"""Chapter 15's attention against Keras: AdditiveAttention, Attention (dot and
score_mode="concat", with and without scale), masks on sources and queries, one head of
MultiHeadAttention (forward and gradients); gradients against tf.GradientTape and central
differences; an all-masked row as Keras treats it; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.gradcheck import numerical_gradient
from rnn_lab.seq2seq.attention import (
    HeadWeights,
    attention,
    attention_backward,
    masked_softmax,
    one_head_attention,
    one_head_backward,
)
from rnn_lab.seq2seq.keras_twins import keras_attention, keras_one_head
from rnn_lab.tolerances import FD_GRADIENT_RTOL, GRADIENT_RTOL, relative_error, tolerance_for

DTYPES = ("float32", "float64")
MODES = [
    ("dot", False),
    ("dot", True),
    ("additive", False),
    ("additive", True),
    ("concat", False),
    ("concat", True),
]
#: (n, T_q, T_x, d, d_v, separate key?, masks?)
SHAPES = [
    (1, 1, 1, 1, 1, False, False),
    (2, 3, 5, 4, 2, True, True),
    (3, 7, 4, 8, 8, False, True),
    (4, 2, 9, 3, 5, True, False),
    (2, 6, 6, 16, 3, True, True),
]


def _case(shape, dtype, seed, score, scaled):
    n, T_q, T_x, d, d_v, separate, masked = shape
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, T_q, d)).astype(dtype)
    v = rng.normal(size=(n, T_x, d if not separate else d_v)).astype(dtype)
    k = rng.normal(size=(n, T_x, d)).astype(dtype) if separate else None
    mask = query_mask = None
    if masked:
        lengths = rng.integers(1, T_x + 1, size=n)
        mask = np.arange(T_x)[None, :] < lengths[:, None]
        query_mask = rng.random((n, T_q)) < 0.8
    scale = None
    if scaled:
        scale = rng.normal(size=d) if score == "additive" else rng.uniform(0.5, 1.5)
    args = dict(query=q, value=v, key=k, mask=mask, query_mask=query_mask, score=score, scale=scale)
    if score == "concat":  # Keras starts it at 1; a trained layer has moved it
        args["concat_score_weight"] = rng.uniform(0.5, 1.5)
    G = rng.normal(size=(n, T_q, v.shape[-1])).astype(dtype)
    return args, G


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("score,scaled", MODES)
@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_forward_and_gradients_equal_keras(index, score, scaled, dtype):
    args, G = _case(SHAPES[index], dtype, 100 + index, score, scaled)
    ours = attention(**args)
    theirs = keras_attention(**args, gradient_of=G)
    tol = tolerance_for(dtype)
    assert ours.context.dtype == np.dtype(dtype)
    assert np.max(np.abs(ours.context - theirs["context"])) <= tol
    assert np.max(np.abs(ours.weights - theirs["weights"])) <= tol
    grads = attention_backward(ours, G)
    d_key = grads.key if args["key"] is not None else None
    d_value = grads.value if args["key"] is not None else grads.value + grads.key
    pairs = [(grads.query, theirs["query"]), (d_value, theirs["value"])]
    if d_key is not None:
        pairs.append((d_key, theirs["key"]))
    if scaled:
        pairs.append((grads.scale, theirs["scale"]))
    if score == "concat":
        pairs.append((grads.concat_score_weight, theirs["concat_score_weight"]))
    for mine, reference in pairs:
        assert relative_error(mine, reference) <= GRADIENT_RTOL[dtype]


@pytest.mark.parametrize("score,scaled", MODES)
def test_gradients_equal_finite_differences(score, scaled):
    args, G = _case((2, 3, 4, 3, 2, True, True), "float64", 7, score, scaled)
    grads = attention_backward(attention(**args), G)

    def loss_with(name):
        def f(array):
            return float(np.sum(G * attention(**{**args, name: array}).context))

        return f

    for name, mine in (("query", grads.query), ("key", grads.key), ("value", grads.value)):
        numeric = numerical_gradient(loss_with(name), args[name])
        assert relative_error(mine, numeric) <= FD_GRADIENT_RTOL
    if scaled:
        numeric = numerical_gradient(loss_with("scale"), np.asarray(args["scale"], float))
        assert relative_error(grads.scale, numeric) <= FD_GRADIENT_RTOL
    if score == "concat":
        weight = np.asarray(args["concat_score_weight"], float)
        numeric = numerical_gradient(loss_with("concat_score_weight"), weight)
        assert relative_error(grads.concat_score_weight, numeric) <= FD_GRADIENT_RTOL


def test_concat_with_keras_defaults():
    """No concat_score_weight given: Keras's starting 1, and its gradient still returned."""
    args, G = _case(SHAPES[2], "float64", 4, "concat", False)
    del args["concat_score_weight"]
    ours = attention(**args)
    theirs = keras_attention(**args, gradient_of=G)
    assert np.max(np.abs(ours.context - theirs["context"])) <= tolerance_for("float64")
    d_weight = attention_backward(ours, G).concat_score_weight
    assert relative_error(d_weight, theirs["concat_score_weight"]) <= GRADIENT_RTOL["float64"]


def test_a_real_mistake_overshoots_the_tolerances():
    args, G = _case(SHAPES[1], "float32", 3, "dot", False)
    theirs = keras_attention(**{**args, "mask": None})
    # forgetting the mask is orders of magnitude beyond the float32 tolerance
    assert np.max(np.abs(attention(**args).context - theirs["context"])) > 1e3 * tolerance_for(
        "float32"
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("masked", [False, True])
def test_one_head_is_multi_head_attention_with_one_head(dtype, masked):
    rng = np.random.default_rng(11)
    n, T_q, T_x, D_q, D_v, d_k, d_v = 3, 4, 6, 5, 7, 3, 2
    shapes = [(D_q, d_k), (d_k,), (D_v, d_k), (d_k,), (D_v, d_v), (d_v,), (d_v, D_q), (D_q,)]
    weights = HeadWeights(*(rng.normal(size=s).astype(dtype) for s in shapes))
    q = rng.normal(size=(n, T_q, D_q)).astype(dtype)
    v = rng.normal(size=(n, T_x, D_v)).astype(dtype)
    mask = (np.arange(T_x)[None] < np.array([6, 2, 4])[:, None]) if masked else None
    out, alpha = one_head_attention(q, v, weights, mask=mask)
    keras_out, keras_alpha = keras_one_head(q, v, weights, mask=mask)
    tol = tolerance_for(dtype)
    assert out.shape == (n, T_q, D_q)
    assert np.max(np.abs(out - keras_out)) <= tol
    assert np.max(np.abs(alpha - keras_alpha)) <= tol
    assert HeadWeights.from_keras(weights.to_keras()).Wo.shape == (d_v, D_q)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("separate_key", [False, True])
def test_one_head_gradients_equal_keras(dtype, masked, separate_key):
    rng = np.random.default_rng(12 + masked + 2 * separate_key)
    n, T_q, T_x, D_q, D_v, D_k, d_k, d_v = 3, 4, 6, 5, 7, 4, 3, 2
    if not separate_key:
        D_k = D_v
    shapes = [(D_q, d_k), (d_k,), (D_k, d_k), (d_k,), (D_v, d_v), (d_v,), (d_v, D_q), (D_q,)]
    weights = HeadWeights(*(rng.normal(size=s).astype(dtype) for s in shapes))
    q = rng.normal(size=(n, T_q, D_q)).astype(dtype)
    v = rng.normal(size=(n, T_x, D_v)).astype(dtype)
    k = rng.normal(size=(n, T_x, D_k)).astype(dtype) if separate_key else None
    mask = (np.arange(T_x)[None] < np.array([6, 2, 4])[:, None]) if masked else None
    G = rng.normal(size=(n, T_q, D_q)).astype(dtype)
    *_, theirs = keras_one_head(q, v, weights, k, mask=mask, gradient_of=G)
    ours = one_head_backward(q, v, weights, G, k, mask=mask)
    rtol = GRADIENT_RTOL[dtype]
    assert relative_error(ours.query, theirs["query"]) <= rtol
    assert relative_error(ours.value, theirs["value"]) <= rtol
    if separate_key:
        assert relative_error(ours.key, theirs["key"]) <= rtol
    else:
        assert ours.key is None
    for name, mine in vars(ours.weights).items():
        if name == "bk":
            continue
        assert relative_error(mine, getattr(theirs["weights"], name)) <= rtol, name
    # bk's true gradient is zero: it adds the same Q'·bk to all of a query's scores, which
    # the softmax ignores; both sides return rounding noise, small next to dWk
    scale = np.abs(theirs["weights"].Wk).max()
    assert np.abs(ours.weights.bk).max() <= rtol * scale
    assert np.abs(theirs["weights"].bk).max() <= rtol * scale


def test_one_head_gradients_equal_finite_differences():
    rng = np.random.default_rng(21)
    shapes = [(5, 3), (3,), (4, 3), (3,), (6, 2), (2,), (2, 5), (5,)]
    weights = HeadWeights(*(rng.normal(size=s) for s in shapes))
    q, v, k = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 4, 4))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    G = rng.normal(size=(2, 3, 5))
    ours = one_head_backward(q, v, weights, G, k, mask=mask)

    def loss(**change):
        args = dict(query=q, value=v, key=k, weights=weights) | change
        return float(np.sum(G * one_head_attention(**args, mask=mask)[0]))

    for name, array, mine in (
        ("query", q, ours.query),
        ("key", k, ours.key),
        ("value", v, ours.value),
    ):
        numeric = numerical_gradient(lambda a, name=name: loss(**{name: a}), array)
        assert relative_error(mine, numeric) <= FD_GRADIENT_RTOL, name
    for name, array in vars(weights).items():
        numeric = numerical_gradient(
            lambda a, name=name: loss(weights=HeadWeights(**(vars(weights) | {name: a}))), array
        )
        if name == "bk":  # zero (see above): compare in absolute terms
            assert np.abs(ours.weights.bk).max() <= 1e-12 and np.abs(numeric).max() <= 1e-8
            continue
        assert relative_error(getattr(ours.weights, name), numeric) <= FD_GRADIENT_RTOL, name


@pytest.mark.parametrize("dtype", DTYPES)
def test_an_all_masked_row_follows_keras(dtype):
    """Keras subtracts 1e9: float32 rounds every score to -1e9 (uniform weights), float64
    keeps them to ~1e-7 (nearly the unmasked softmax). MultiHeadAttention's -1e9: uniform."""
    rng = np.random.default_rng(5)
    q = rng.normal(size=(2, 3, 4)).astype(dtype)
    v = rng.normal(size=(2, 5, 4)).astype(dtype)
    mask = np.ones((2, 5), bool)
    mask[1] = False
    ours = attention(q, v, mask=mask)
    theirs = keras_attention(q, v, mask=mask)
    assert np.max(np.abs(ours.weights - theirs["weights"])) <= tolerance_for(dtype)
    if dtype == "float32":
        np.testing.assert_allclose(ours.weights[1], 1 / 5, rtol=1e-6)
    else:
        unmasked = attention(q, v).weights[1]
        # kept to the float64 spacing near 1e9, 2**-23 ≈ 1.2e-7 absolute on each score
        np.testing.assert_allclose(ours.weights[1], unmasked, rtol=1e-6)
        assert not np.allclose(ours.weights[1], 1 / 5, atol=1e-2)
    replaced = masked_softmax(ours.scores, mask, rule="replace")
    np.testing.assert_allclose(replaced[1], 1 / 5, rtol=1e-6)


def test_masked_positions_get_no_weight():
    rng = np.random.default_rng(0)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    w = attention(rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 4, 2)), mask=mask).weights
    assert np.all(w[0, :, 2:] < 1e-300)
    np.testing.assert_allclose(w.sum(-1), 1.0)


@pytest.mark.parametrize(
    "change, error, words",
    [
        (dict(key=np.zeros((2, 4, 5))), ValueError, "same size d"),
        (dict(key=np.zeros((2, 3, 3))), ValueError, "one key per source position"),
        (dict(mask=np.ones((2, 3), bool)), ValueError, "mask must have shape (n, T)"),
        (dict(query_mask=np.ones((2, 4), bool)), ValueError, "query_mask"),
        (dict(score="cosine"), ValueError, "score must be one of"),
        (dict(scale=np.ones(3)), ValueError, "scalar"),
        (dict(score="concat", scale=np.ones(3)), ValueError, "scalar γ"),
        (dict(concat_score_weight=2.0), ValueError, "concat_score_weight is for score='concat'"),
        (
            dict(score="concat", concat_score_weight=np.ones(2)),
            ValueError,
            "concat_score_weight must be a finite real scalar",
        ),
        (dict(query=np.zeros((2, 3))), ValueError, "rank 3"),
        (dict(query=np.full((2, 2, 3), np.nan)), ValueError, "finite"),
        (dict(value=np.zeros((2, 4, 3), dtype=np.complex64)), TypeError, "real numbers"),
    ],
)
def test_bad_input_is_refused_by_name(change, error, words):
    args = dict(query=np.zeros((2, 2, 3)), value=np.zeros((2, 4, 3)), **{})
    args.update(change)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        attention(**args)


def test_additive_scale_must_match_d():
    with pytest.raises(ValueError, match=r"v_a of shape \(d,\)"):
        attention(np.zeros((1, 1, 3)), np.zeros((1, 2, 3)), score="additive", scale=np.ones(2))


def test_backward_refuses_a_wrong_gradient_shape():
    trace = attention(np.zeros((1, 2, 3)), np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match="d_context"):
        attention_backward(trace, np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match="AttentionTrace"):
        attention_backward("trace", np.zeros((1, 2, 3)))


def test_one_head_refuses_mismatched_sizes_by_name():
    shapes = [(5, 3), (3,), (4, 3), (3,), (6, 2), (2,), (2, 5), (5,)]
    weights = HeadWeights(*(np.ones(s) for s in shapes))
    q, v, k = np.zeros((2, 3, 5)), np.zeros((2, 4, 6)), np.zeros((2, 4, 4))
    with pytest.raises(ValueError, match="query has 4 features but its projection expects 5"):
        one_head_attention(np.zeros((2, 3, 4)), v, weights, k)
    with pytest.raises(ValueError, match="key has 6 features but its projection expects 4"):
        one_head_backward(q, v, weights, np.zeros((2, 3, 5)))  # the values as keys
    with pytest.raises(ValueError, match="d_output"):
        one_head_backward(q, v, weights, np.zeros((2, 3, 4)), k)
    with pytest.raises(ValueError, match=r"mask must have shape \(n, T\)"):
        one_head_attention(q, v, weights, k, mask=np.ones((2, 5), bool))
    with pytest.raises(TypeError, match="HeadWeights"):
        one_head_attention(q, v, list(vars(weights).values()), k)
