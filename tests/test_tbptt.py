"""Chunked truncated BPTT (rnn_lab.tbptt) against TensorFlow with stop_gradient at chunk borders."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.backward import manual_backward
from rnn_lab.forward import hidden_states
from rnn_lab.gradcheck import gradient_errors
from rnn_lab.tbptt import backward_steps, chunk_borders, chunked_backward, keras_chunked_gradients
from rnn_lab.tolerances import relative_error
from rnn_lab.weights import random_weights

#: The same bars as test_backward.py's comparison of full BPTT with GradientTape (measured
#: relative errors there: float32 up to 2.4e-6 for dL/dh_0, float64 up to 7e-15); a chunk is
#: a short full BPTT, so the same rounding applies.
TF_RTOL = {"float32": 1e-5, "float64": 1e-10}
#: Cutting the gradient at chunk borders must change it by far more than rounding.
CUT_MIN_ERROR = 1e-3

# (n, T, D, H, O, chunk, return_sequences, with_h0, seed): uneven last chunks, chunk 1, chunk = T.
CASES = [
    (4, 12, 3, 5, 2, 4, True, False, 0),
    (3, 10, 2, 4, 3, 3, True, True, 1),
    (2, 7, 1, 3, 1, 1, True, False, 2),
    (5, 9, 3, 6, 2, 9, True, True, 3),
    (4, 11, 3, 5, 2, 4, False, True, 4),
    (1, 6, 2, 3, 1, 2, False, False, 5),
    (6, 15, 4, 8, 3, 6, True, True, 6),
]


def make_problem(n, T, D, H, O, return_sequences, with_h0, seed, dtype):
    weights = random_weights(D, H, O, seed=seed, dtype=dtype)
    rng = np.random.default_rng(500 + seed)
    x = rng.uniform(-1, 1, (n, T, D)).astype(dtype)
    y = rng.normal(size=(n, T, O) if return_sequences else (n, O)).astype(dtype)
    h0 = rng.uniform(-0.8, 0.8, (n, H)).astype(dtype) if with_h0 else None
    return x, y, weights, h0


def case_id(case) -> str:
    return "n{}T{}D{}H{}O{}-chunk{}-seq{:d}-h0{:d}".format(*case)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_tensorflow_with_stop_gradient_at_chunk_borders(case, dtype):
    n, T, D, H, O, chunk, return_sequences, with_h0, seed = case
    x, y, weights, h0 = make_problem(n, T, D, H, O, return_sequences, with_h0, seed, dtype)
    ours = chunked_backward(x, y, weights, chunk=chunk, return_sequences=return_sequences, h0=h0)
    loss, grads, dh0 = keras_chunked_gradients(
        x, y, weights, chunk=chunk, return_sequences=return_sequences, h0=h0
    )
    tol = TF_RTOL[dtype]
    assert abs(ours.loss - loss) <= tol * abs(loss)
    names = ["Wx", "Wh", "Bh", "Wo", "Bo"]
    for name, ours_g, tf_g in zip(names, ours.as_list(), grads.as_list(), strict=True):
        assert ours_g.dtype == np.dtype(dtype), name
        error = relative_error(ours_g, tf_g)
        assert error <= tol, f"dL/d{name}: relative error {error:.2e} > {tol:.0e}"
    assert relative_error(ours.dh0, dh0) <= tol


@pytest.mark.parametrize("return_sequences", [True, False])
def test_one_chunk_is_full_bptt_and_smaller_chunks_cut(return_sequences):
    x, y, weights, h0 = make_problem(4, 12, 3, 6, 2, return_sequences, True, 7, "float64")
    full = manual_backward(x, y, weights, return_sequences=return_sequences, h0=h0)
    for chunk in (12, 13, 100):
        whole = chunked_backward(x, y, weights, chunk=chunk, return_sequences=return_sequences,
                                 h0=h0)  # fmt: skip
        assert whole.loss == full.loss
        for name, error in gradient_errors(whole, full).items():
            assert error <= TF_RTOL["float64"], f"chunk={chunk} {name}: {error:.2e}"
    cut = chunked_backward(x, y, weights, chunk=4, return_sequences=return_sequences, h0=h0)
    assert abs(cut.loss - full.loss) <= 1e-12 * full.loss  # the forward pass is not cut
    assert gradient_errors(cut.grads, full.grads)["Wh"] > CUT_MIN_ERROR


def test_gradient_stops_at_chunk_borders():
    x, y, weights, _ = make_problem(3, 10, 2, 4, 2, True, False, 8, "float64")
    result = chunked_backward(x, y, weights, chunk=4)
    # dL/dh_t of the chunk's last step only sees its own output: g_t = dy_t·Woᵀ.
    states = hidden_states(x, weights)
    dy = 2 * (states @ weights.Wo + weights.Bo - y) / y.size
    for last in (3, 7, 9):  # 0-based last step of each chunk (4, 4, 2 steps)
        np.testing.assert_allclose(result.dh[:, last], dy[:, last] @ weights.Wo.T, rtol=1e-12)


def test_backward_step_counts():
    assert backward_steps(12) == 12
    assert backward_steps(12, chunk=5) == 12
    assert backward_steps(12, chunk=5, return_sequences=False) == 2
    assert backward_steps(12, truncate=5) == sum(min(5, s) for s in range(1, 13))
    assert backward_steps(12, truncate=5, return_sequences=False) == 5
    assert backward_steps(12, truncate=5) > backward_steps(12)  # per-term truncation costs more
    assert chunk_borders(7, 3) == [(0, 3), (3, 6), (6, 7)]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"chunk": 0}, ValueError, "chunk must be an integer >= 1"),
        ({"chunk": 2.0}, TypeError, "chunk must be an integer"),
        ({"chunk": 2, "y": np.zeros((2, 5))}, ValueError, "y_true"),
        ({"chunk": 2, "weights": "Wx"}, TypeError, "SimpleRNNWeights"),
    ],
)
def test_bad_input_is_refused(kwargs, error, match):
    x, y, weights, _ = make_problem(2, 6, 2, 3, 1, True, False, 9, "float64")
    y = kwargs.pop("y", y)
    weights = kwargs.pop("weights", weights)
    with pytest.raises(error, match=match):
        chunked_backward(x, y, weights, **kwargs)
    with pytest.raises(ValueError, match="not both"):
        backward_steps(6, truncate=2, chunk=2)
