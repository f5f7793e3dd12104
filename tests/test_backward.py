"""manual_backward (BPTT by hand) against TensorFlow's GradientTape and finite differences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnn_lab.backward import Gradients, manual_backward
from rnn_lab.cells.bptt import sequence_backward
from rnn_lab.cells.weights import cell_weights_from_simple_rnn
from rnn_lab.forward import hidden_states
from rnn_lab.gradcheck import (
    FD_STEP,
    finite_difference_gradients,
    gradient_errors,
    keras_gradients,
    numerical_gradient,
    numerical_weight_gradients,
)
from rnn_lab.tolerances import GRADIENT_RTOL, relative_error
from rnn_lab.weights import SimpleRNNWeights, random_weights

#: float32 vs TensorFlow: both sides round every product and sum to ~6e-8 (half an ulp)
#: and accumulate the weight gradients over n·T terms in different orders; measured relative
#: errors of the weight gradients and dL/dh_t are 1e-7..3e-7. dL/dh_0 is the worst case: after
#: T steps back it has shrunk (to 2e-7 at T = 15) and every step adds rounding relative to
#: the shrinking value, so its error grows with T (2.4e-6 measured at T = 15). 1e-5 stays
#: above that, while a real mistake (a missing term, a transposed Wh) gives 1e-2..1.
#: float64: measured at most 7e-15; 1e-10 is the issue's bar.
TF_RTOL = {"float32": 1e-5, "float64": 1e-10}
#: float64 vs finite differences with step FD_STEP = 1e-5: truncation (∝ s²) and rounding
#: (∝ ε/s) errors are both ~1e-11 relative (measured up to 7e-10); 1e-7 is the issue's bar.
FD_RTOL = 1e-7
#: dL/dh_0 shrinks with every step back (about 1e-6 after 12 steps here), while the
#: finite-difference rounding noise stays near ε·L/s ≈ 1e-11: beyond a few steps it is
#: noise-limited (2e-6 relative measured at T = 12), so it is checked by FD only on short
#: sequences (and by GradientTape on all).
FD_DH0_MAX_T = 6
#: A bug must overshoot the tolerances by far: the buggy gradients below must be at least
#: this wrong, so the tolerances above are shown to separate right from wrong.
BUG_MIN_ERROR = 1e-3

# (n, T, D, H, O, return_sequences, with_h0, seed): edge sizes of 1 and a longer sequence.
CASES = [
    (1, 1, 1, 1, 1, False, False, 0),
    (1, 1, 1, 1, 1, True, True, 1),
    (4, 6, 3, 5, 2, False, False, 2),
    (4, 6, 3, 5, 2, True, False, 3),
    (3, 5, 2, 4, 3, False, True, 4),
    (3, 5, 2, 4, 3, True, True, 5),
    (7, 12, 4, 8, 1, False, True, 6),
    (2, 20, 1, 3, 2, True, False, 7),
    (5, 3, 6, 2, 4, False, False, 8),
    (6, 9, 2, 7, 2, True, True, 9),
    (1, 15, 3, 6, 1, False, False, 10),
    (8, 4, 5, 9, 3, True, False, 11),
]
FD_CASES = CASES[:8]


def make_problem(n, T, D, H, O, return_sequences, with_h0, seed, dtype):
    weights = random_weights(D, H, O, seed=seed, dtype=dtype)
    rng = np.random.default_rng(1000 + seed)
    x = rng.uniform(-1, 1, (n, T, D)).astype(dtype)
    y = rng.normal(size=(n, T, O) if return_sequences else (n, O)).astype(dtype)
    h0 = rng.uniform(-0.8, 0.8, (n, H)).astype(dtype) if with_h0 else None
    return x, y, weights, h0


def case_id(case) -> str:
    return "n{}T{}D{}H{}O{}-seq{:d}-h0{:d}".format(*case)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_gradient_tape(case, dtype):
    *shape, return_sequences, with_h0, seed = case
    x, y, weights, h0 = make_problem(*shape, return_sequences, with_h0, seed, dtype)
    manual = manual_backward(x, y, weights, return_sequences=return_sequences, h0=h0)
    keras = keras_gradients(x, y, weights, return_sequences=return_sequences, h0=h0)
    for name, error in gradient_errors(manual, keras).items():
        assert error <= TF_RTOL[dtype], f"{name}: relative error {error:.2e}"
    assert relative_error(manual.loss, keras.loss) <= TF_RTOL[dtype]
    for array in (*manual.as_list(), manual.dh, manual.dh0):
        assert array.dtype == np.dtype(dtype)
    assert manual.dh.shape == (shape[0], shape[1], shape[3])
    assert manual.dh0.shape == (shape[0], shape[3])


@pytest.mark.parametrize(
    "case", FD_CASES, ids=lambda c: "n{}T{}D{}H{}O{}-seq{:d}-h0{:d}".format(*c)
)
def test_matches_finite_differences(case):
    *shape, return_sequences, with_h0, seed = case
    x, y, weights, h0 = make_problem(*shape, return_sequences, with_h0, seed, "float64")
    manual = manual_backward(x, y, weights, return_sequences=return_sequences, h0=h0)
    numeric = finite_difference_gradients(x, y, weights, return_sequences=return_sequences, h0=h0)
    for name, error in gradient_errors(manual.grads, numeric).items():
        assert error <= FD_RTOL, f"{name}: relative error {error:.2e}"
    if h0 is not None and x.shape[1] <= FD_DH0_MAX_T:
        numeric_dh0 = numerical_gradient(
            lambda h: manual_backward(x, y, weights, return_sequences=return_sequences, h0=h).loss,
            h0,
        )
        assert relative_error(manual.dh0, numeric_dh0) <= FD_RTOL


def test_loss_is_keras_mean_squared_error():
    # sum_over_batch_size: the mean over outputs, then over samples (and timesteps).
    x, y, weights, _ = make_problem(5, 4, 2, 3, 3, True, False, 0, "float64")
    y_pred = hidden_states(x, weights) @ weights.Wo + weights.Bo
    expected = np.mean(np.mean((y_pred - y) ** 2, axis=-1))
    assert manual_backward(x, y, weights, return_sequences=True).loss == pytest.approx(
        expected, rel=1e-14
    )


def wh_gradient_without_sum_over_time(x, y, weights):
    """The classic bug: dWh from the last timestep only."""
    h = hidden_states(x, weights)
    result = manual_backward(x, y, weights)
    delta_T = result.dh[:, -1] * (1 - h[:, -1] ** 2)
    return h[:, -2].T @ delta_T


def test_tolerances_catch_a_missing_sum_over_time():
    x, y, weights, _ = make_problem(4, 6, 3, 5, 2, False, False, 3, "float32")
    keras = keras_gradients(x, y, weights)
    buggy = wh_gradient_without_sum_over_time(x, y, weights)
    assert relative_error(buggy, keras.Wh) > max(BUG_MIN_ERROR, 100 * TF_RTOL["float32"])
    transposed = replace(weights, Wh=weights.Wh.T)  # the other classic: Wh used transposed
    wrong = manual_backward(x, y, transposed)
    assert gradient_errors(wrong.grads, keras.grads)["Wh"] > BUG_MIN_ERROR


# ---------------------------------------------------------------- truncated BPTT


def truncated_reference(x, y, weights, k, return_sequences):
    """Truncated BPTT(k) from TensorFlow: each loss term L_s runs Keras's SimpleRNNCell for
    k steps from tf.stop_gradient(h_{s-k}), and the tape differentiates the sum."""
    from rnn_lab.keras_side.models import import_keras

    keras = import_keras()
    import tensorflow as tf

    dtype = weights.dtype.name
    cell = keras.layers.SimpleRNNCell(weights.hidden_units, dtype=dtype)
    dense = keras.layers.Dense(weights.outputs, dtype=dtype)
    cell.build((None, weights.dims))
    dense.build((None, weights.hidden_units))
    cell.set_weights(weights.as_list()[:3])
    dense.set_weights(weights.as_list()[3:])
    n, T, _ = x.shape
    states = hidden_states(x, weights)
    h0 = np.zeros((n, weights.hidden_units), dtype=dtype)
    sources = range(T) if return_sequences else [T - 1]
    variables = [cell.kernel, cell.recurrent_kernel, cell.bias, dense.kernel, dense.bias]
    with tf.GradientTape() as tape:
        total = tf.constant(0.0, dtype=dtype)
        for s in sources:
            start = s - k  # 0-based index of the stopped state h_{s-k}; -1 is h_0
            if start >= 0:
                h = tf.stop_gradient(tf.constant(states[:, start]))
            else:
                start, h = -1, tf.constant(h0)
            for t in range(start + 1, s + 1):
                h = cell(x[:, t], [h])[0]
            target = y[:, s] if return_sequences else y
            total += tf.reduce_sum((dense(h) - target) ** 2)
        total /= y.size
    return SimpleRNNWeights(*(np.asarray(g) for g in tape.gradient(total, variables)))


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_truncated_matches_stop_gradient_reference(k, return_sequences):
    x, y, weights, _ = make_problem(3, 7, 2, 4, 2, return_sequences, False, k, "float64")
    manual = manual_backward(x, y, weights, return_sequences=return_sequences, truncate=k)
    reference = truncated_reference(x, y, weights, k, return_sequences)
    for name, error in gradient_errors(manual.grads, reference).items():
        assert error <= TF_RTOL["float64"], f"{name}: relative error {error:.2e}"
    full = manual_backward(x, y, weights, return_sequences=return_sequences)
    assert gradient_errors(manual.grads, full.grads)["Wh"] > BUG_MIN_ERROR  # it does truncate


@pytest.mark.parametrize("k", [1, 3])
def test_truncated_matches_finite_differences_of_detached_loss(k):
    # Last output only: BPTT(k) is the exact gradient of the loss with h_{T-k} held constant.
    x, y, weights, _ = make_problem(4, 6, 3, 5, 2, False, False, 20 + k, "float64")
    T = x.shape[1]
    h_stop = hidden_states(x, weights)[:, T - k - 1]

    def detached_loss(w):
        return manual_backward(x[:, T - k :], y, w, h0=h_stop).loss

    numeric = numerical_weight_gradients(detached_loss, weights)
    manual = manual_backward(x, y, weights, truncate=k)
    for name, error in gradient_errors(manual.grads, numeric).items():
        assert error <= FD_RTOL, f"{name}: relative error {error:.2e}"


@pytest.mark.parametrize("return_sequences", [False, True])
def test_truncation_longer_than_sequence_is_full_bptt(return_sequences):
    x, y, weights, h0 = make_problem(3, 5, 2, 4, 2, return_sequences, True, 0, "float64")
    full = manual_backward(x, y, weights, return_sequences=return_sequences, h0=h0)
    for k in (5, 6, 50):
        cut = manual_backward(x, y, weights, return_sequences=return_sequences, h0=h0, truncate=k)
        for name, error in gradient_errors(cut, full).items():
            assert error <= TF_RTOL["float64"], f"truncate={k} {name}: {error:.2e}"
    # One step shorter, the last loss term stops at h_1 and no longer reaches h_0.
    nearly = manual_backward(x, y, weights, return_sequences=return_sequences, h0=h0, truncate=4)
    assert relative_error(nearly.dh0, full.dh0) > BUG_MIN_ERROR


def test_truncated_gradient_stops_k_steps_before_the_end():
    x, y, weights, _ = make_problem(3, 8, 2, 4, 2, False, False, 1, "float64")
    T, k = 8, 3
    result = manual_backward(x, y, weights, truncate=k)
    norms = result.dh_norms()
    assert np.all(norms[: T - k - 1] == 0)  # h_1 .. h_{T-k-1}: nothing arrives
    assert np.all(norms[T - k - 1 :] > 0)  # h_{T-k} (where it stops) .. h_T
    assert np.all(result.dh0 == 0)


def test_truncate_one_is_the_last_step_alone():
    x, y, weights, _ = make_problem(4, 5, 3, 4, 2, False, False, 2, "float64")
    h = hidden_states(x, weights)
    dy = 2 * (h[:, -1] @ weights.Wo + weights.Bo - y) / y.size
    delta = (dy @ weights.Wo.T) * (1 - h[:, -1] ** 2)
    result = manual_backward(x, y, weights, truncate=1)
    np.testing.assert_allclose(result.Wh, h[:, -2].T @ delta, rtol=1e-13)
    np.testing.assert_allclose(result.Wx, x[:, -1].T @ delta, rtol=1e-13)
    np.testing.assert_allclose(result.Bh, delta.sum(axis=0), rtol=1e-13)


# ---------------------------------------------------------------- the checking tools


def test_numerical_gradient_of_a_known_function():
    # For v³ the central difference is exactly 3v² + s²: the s² truncation term is visible,
    # and what is left is rounding, ~ε·|f|/s ≈ 1e-10 here.
    a = np.random.default_rng(0).normal(size=(3, 4))
    numeric = numerical_gradient(lambda v: np.sum(v**3), a)
    np.testing.assert_allclose(numeric, 3 * a**2 + FD_STEP**2, rtol=0, atol=1e-9)
    assert np.max(np.abs(numeric - 3 * a**2)) > 0.5 * FD_STEP**2
    assert numerical_gradient(lambda v: float(v.sum()), a).dtype == np.float64


def test_relative_error_properties():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_error(a, 2 * a) == pytest.approx(0.5)
    assert relative_error(1e-30 * a, 2e-30 * a) == pytest.approx(0.5)  # scale-free


def test_gradients_record():
    x, y, weights, _ = make_problem(2, 3, 2, 3, 1, False, False, 0, "float32")
    result = manual_backward(x, y, weights)
    assert isinstance(result, Gradients)
    assert isinstance(result.grads, SimpleRNNWeights)
    for name, array in zip(("Wx", "Wh", "Bh", "Wo", "Bo"), result.as_list(), strict=True):
        assert getattr(result, name) is array
        assert array.shape == getattr(weights, name).shape
    assert result.dh_norms().shape == (3,)
    with pytest.raises(ValueError):
        result.Wx[0, 0] = 1.0  # read-only, like the weights


# ---------------------------------------------------------------- input validation


@pytest.fixture
def problem():
    return make_problem(3, 4, 2, 5, 2, False, False, 0, "float32")


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"y": np.zeros((3, 4, 2))}, ValueError, r"rank 2 with shape \(n, O\)"),
        ({"y": np.zeros((3, 3))}, ValueError, r"\(n, O\) = \(3, 2\)"),
        ({"y": np.zeros((2, 2))}, ValueError, r"\(n, O\) = \(3, 2\)"),
        ({"y": np.full((3, 2), np.nan)}, ValueError, "finite"),
        ({"y": np.zeros((3, 2), dtype=bool)}, TypeError, "real numbers"),
        ({"x": np.zeros((3, 4, 3))}, ValueError, "D = 3"),
        ({"x": np.zeros((3, 4))}, ValueError, r"rank 3 with shape \(n, T, D\)"),
        ({"weights": [np.zeros((2, 5))]}, TypeError, "SimpleRNNWeights"),
        ({"h0": np.zeros((3, 4))}, ValueError, r"\(n, H\) = \(3, 5\)"),
        ({"truncate": 0}, ValueError, "truncate must be an integer >= 1"),
        ({"truncate": 2.0}, TypeError, "truncate must be an integer"),
        ({"truncate": True}, TypeError, "truncate must be an integer"),
    ],
)
def test_manual_backward_rejects_bad_input(problem, change, error, message):
    x, y, weights, _ = problem
    kwargs = {"x": x, "y": y, "weights": weights, **change}
    with pytest.raises(error, match=message):
        manual_backward(kwargs.pop("x"), kwargs.pop("y"), kwargs.pop("weights"), **kwargs)


def test_return_sequences_needs_one_target_per_timestep(problem):
    x, y, weights, _ = problem
    with pytest.raises(ValueError, match=r"\(n, T, O\)"):
        manual_backward(x, y, weights, return_sequences=True)


def test_checking_tools_reject_bad_input(problem):
    x, y, weights, _ = problem
    result = manual_backward(x, y, weights)
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="callable"):
        numerical_gradient(3.0, np.zeros(2))
    with pytest.raises(ValueError, match="step"):
        numerical_gradient(np.sum, np.zeros(2), step=0.0)
    with pytest.raises(ValueError, match="finite"):
        numerical_gradient(np.sum, np.array([np.inf]))
    with pytest.raises(TypeError, match="Gradients or SimpleRNNWeights"):
        gradient_errors(result, result.as_list())
    with pytest.raises(TypeError, match="SimpleRNNWeights"):
        keras_gradients(x, y, weights.as_list())
    with pytest.raises(ValueError, match=r"\(n, O\)"):
        keras_gradients(x, y[:, :1], weights)


def test_public_backward_walk_checks_its_inputs_and_gives_manual_backwards_numbers():
    from rnn_lab.backward import backpropagate_through_time

    x, y, weights, h0 = make_problem(3, 5, 2, 4, 3, True, True, 12, "float64")
    h = hidden_states(x, weights, h0=h0)
    result = manual_backward(x, y, weights, return_sequences=True, h0=h0)
    e = (2 * (h @ weights.Wo + weights.Bo - y) / y.size) @ weights.Wo.T
    dh, delta, dh0 = backpropagate_through_time(h, e, weights.Wh)
    np.testing.assert_allclose(dh, result.dh, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dh0, result.dh0, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=r"e must have rank 3"):
        backpropagate_through_time(h, e[:, 0], weights.Wh)
    with pytest.raises(ValueError, match=r"Wh"):
        backpropagate_through_time(h, e, weights.Wh[:, :2])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize(("n", "T", "D", "H", "O"), [(4, 7, 3, 5, 2), (1, 12, 2, 6, 3)])
def test_chapter_7s_walk_is_the_one_core(dtype, return_sequences, n, T, D, H, O):
    # Chapter 7's readable SimpleRNN walk (backpropagate_through_time, which the book
    # prints) and the package's one core (rnn_lab.cells.bptt, every cell kind, which
    # manual_backward runs) must give the same g_t, δ_t and dL/dh_0, and the core's
    # step-by-step weight sums the same gradients as manual_backward's flattened products.
    from rnn_lab.backward import backpropagate_through_time

    weights = random_weights(D, H, O, seed=n * T, dtype=dtype)
    rng = np.random.default_rng(T)
    x = rng.uniform(-1, 1, (n, T, D)).astype(dtype)
    y = rng.uniform(-1, 1, (n, T, O) if return_sequences else (n, O)).astype(dtype)
    h0 = rng.uniform(-1, 1, (n, H)).astype(dtype)
    manual = manual_backward(x, y, weights, return_sequences=return_sequences, h0=h0)

    h = hidden_states(x, weights, h0=h0)
    error = (
        h @ weights.Wo + weights.Bo if return_sequences else h[:, -1] @ weights.Wo + weights.Bo
    ) - y
    dy = error * error.dtype.type(2.0 / error.size)
    e = np.zeros_like(h)
    if return_sequences:
        e = dy @ weights.Wo.T
    else:
        e[:, -1] = dy @ weights.Wo.T
    core = sequence_backward(cell_weights_from_simple_rnn(weights), x, e, initial_state=h0)
    dh, delta, dh0 = backpropagate_through_time(h, e, weights.Wh)

    rtol = GRADIENT_RTOL[dtype]
    assert relative_error(dh, core.dh) < rtol
    assert relative_error(delta, core.da) < rtol
    assert relative_error(dh0, core.initial[0]) < TF_RTOL[dtype]
    assert relative_error(manual.Wx, core.kernel) < rtol
    assert relative_error(manual.Wh, core.recurrent_kernel) < rtol
    assert relative_error(manual.Bh, core.bias) < rtol
