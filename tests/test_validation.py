"""Bad input gets a clear error that names what was expected and what was given."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import (
    SimpleRNNWeights,
    count_parameters,
    hidden_states,
    make_sequences,
    manual_forward,
    random_weights,
    seed_loop,
    weights_from_list,
)

W = random_weights(3, 5, 4, seed=0)
X = make_sequences(2, 6, 3)


def _weights(**replace):
    arrays = dict(zip(["Wx", "Wh", "Bh", "Wo", "Bo"], W.as_list(), strict=True))
    arrays.update(replace)
    return SimpleRNNWeights(**arrays)


FORWARD_CASES = [
    # (description, call, error type, message pattern)
    ("x of rank 2", lambda: manual_forward(X[0], W), ValueError, r"rank 3 .*\(n, T, D\).*rank 2"),
    ("x of rank 4", lambda: manual_forward(X[None], W), ValueError, r"got rank 4"),
    (
        "D not matching Wx",
        lambda: manual_forward(make_sequences(2, 6, 4), W),
        ValueError,
        r"D = 4 .* Wx expects D = 3",
    ),
    (
        "NaN in x",
        lambda: manual_forward(np.where(X > 0.5, np.nan, X), W),
        ValueError,
        r"x must be finite",
    ),
    ("inf in x", lambda: manual_forward(np.full((1, 2, 3), np.inf), W), ValueError, r"finite"),
    (
        "zero-length sequence",
        lambda: manual_forward(np.zeros((2, 0, 3)), W),
        ValueError,
        r"must not be empty.*\(2, 0, 3\)",
    ),
    ("zero samples", lambda: manual_forward(np.zeros((0, 4, 3)), W), ValueError, r"empty"),
    ("strings", lambda: manual_forward(np.full((1, 2, 3), "a"), W), TypeError, r"real numbers"),
    ("complex", lambda: manual_forward(X + 1j, W), TypeError, r"complex"),
    ("booleans", lambda: manual_forward(X > 0.5, W), TypeError, r"got dtype bool"),
    ("float16", lambda: manual_forward(X.astype(np.float16), W), TypeError, r"float16"),
    ("None as x", lambda: manual_forward(None, W), TypeError, r"got None"),
    (
        "weights as a list",
        lambda: manual_forward(X, W.as_list()),
        TypeError,
        r"SimpleRNNWeights.*got list",
    ),
    (
        "h0 of wrong shape",
        lambda: manual_forward(X, W, h0=np.zeros((2, 4))),
        ValueError,
        r"h0 must have shape \(n, H\) = \(2, 5\); got \(2, 4\)",
    ),
    (
        "h0 of rank 1",
        lambda: hidden_states(X, W, h0=np.zeros(5)),
        ValueError,
        r"h0 must have rank 2",
    ),
    ("seed_loop with a batch", lambda: seed_loop(X, W), ValueError, r"rank 2 .*\(T, D\)"),
    ("seed_loop with wrong D", lambda: seed_loop(np.zeros((4, 2)), W), ValueError, r"D = 3"),
]

WEIGHT_CASES = [
    (
        "non-square Wh",
        lambda: _weights(Wh=np.zeros((5, 4))),
        ValueError,
        r"Wh must have shape \(H, H\) = \(5, 5\); got \(5, 4\)",
    ),
    (
        "Bh of wrong length",
        lambda: _weights(Bh=np.zeros(4)),
        ValueError,
        r"Bh .* \(5,\); got \(4,\)",
    ),
    ("Bh as a matrix", lambda: _weights(Bh=np.zeros((1, 5))), ValueError, r"Bh must have rank 1"),
    (
        "Bo of wrong length",
        lambda: _weights(Bo=np.zeros(3)),
        ValueError,
        r"Bo .* \(4,\); got \(3,\)",
    ),
    ("Wo rows not H", lambda: _weights(Wo=np.zeros((4, 4))), ValueError, r"Wo .* \(5, 4\)"),
    ("NaN in Wx", lambda: _weights(Wx=np.full((3, 5), np.nan)), ValueError, r"Wx must be finite"),
    ("string weights", lambda: _weights(Wh=[["a"] * 5] * 5), TypeError, r"Wh must hold real"),
    ("four arrays", lambda: weights_from_list(W.as_list()[:4]), ValueError, r"expected 5 .* got 4"),
]

SIZE_CASES = [
    (
        "hidden_units = 0",
        lambda: count_parameters(3, 0, 5),
        ValueError,
        r"hidden_units must be an integer >= 1; got 0",
    ),
    ("hidden_units negative", lambda: random_weights(3, -2, 5), ValueError, r"got -2"),
    ("hidden_units a float", lambda: count_parameters(3, 5.0, 5), TypeError, r"got float 5.0"),
    ("outputs True", lambda: count_parameters(3, 5, True), TypeError, r"got bool"),
    ("seq_len = 0", lambda: make_sequences(2, 0, 3), ValueError, r"seq_len must be .* got 0"),
    ("dtype int", lambda: make_sequences(dtype="int32"), TypeError, r"float32.*float64.*int32"),
    ("dtype nonsense", lambda: random_weights(3, 5, 4, dtype="fast"), TypeError, r"'fast'"),
]

ALL_CASES = FORWARD_CASES + WEIGHT_CASES + SIZE_CASES


@pytest.mark.parametrize(
    "call, error, pattern", [case[1:] for case in ALL_CASES], ids=[case[0] for case in ALL_CASES]
)
def test_bad_input_is_refused_with_a_clear_message(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_weights_are_read_only_copies():
    Wx = np.ones((3, 5))
    weights = _weights(Wx=Wx)
    Wx[0, 0] = 7.0
    assert weights.Wx[0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        weights.Wx[0, 0] = 2.0
    with pytest.raises(AttributeError):
        weights.Wx = Wx


def test_integer_inputs_are_accepted_and_converted():
    got = manual_forward(np.ones((2, 3, 3), dtype=int), W)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, manual_forward(np.ones((2, 3, 3), dtype=np.float32), W))
