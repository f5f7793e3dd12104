"""BPTT through SimpleRNN, LSTM and GRU layers (rnn_lab.cells.bptt) against
tf.GradientTape on Keras layers and against finite differences; training by hand against
Keras for the first updates."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.cells.bptt import (
    forward_trace,
    gradient_agreement,
    gru_backward,
    lstm_backward,
    sequence_backward,
)
from rnn_lab.cells.replay import RecurrentConfig, run_recurrence
from rnn_lab.cells.weights import CellWeights, random_cell_weights
from rnn_lab.gradcheck import FD_STEP, numerical_gradient
from rnn_lab.keras_side.layers import keras_sequence_gradients
from rnn_lab.tolerances import FD_GRADIENT_RTOL, GRADIENT_RTOL, relative_error
from rnn_lab.training.keras_loops import train_keras_regressor
from rnn_lab.training.optimizers import Adam, adam_init, adam_update
from rnn_lab.training.regressor import random_regressor, regressor_backward, train_regressor
from rnn_lab.training.simple_rnn import delayed_copy_task
from rnn_lab.weights import random_weights

VARIANTS = [("SimpleRNN", None), ("LSTM", None), ("GRU", True), ("GRU", False)]
#: (n, T, D, H, masked, with_initial_state, seed): sizes of 1, a longer sequence, masks
#: with an all-False sample and masked first steps.
SHAPES = [
    (1, 1, 1, 1, False, False, 0),
    (4, 6, 3, 5, False, True, 1),
    (5, 9, 2, 4, True, True, 2),
    (3, 15, 4, 3, True, False, 3),
]
#: A planted mistake must be at least this far from the reference (relative), so the
#: tolerances are shown to separate right from wrong.
BUG_MIN_ERROR = 1e-3


def _case(kind, reset_after, shape, dtype):
    n, T, D, H, masked, with_h0, seed = shape
    rng = np.random.default_rng(seed)
    weights = random_cell_weights(kind, D, H, reset_after=reset_after, seed=seed, dtype=dtype)
    x = rng.uniform(-1, 1, (n, T, D)).astype(dtype)
    d_outputs = rng.normal(size=(n, T, H)).astype(dtype)
    mask = None
    if masked:
        mask = rng.random((n, T)) < 0.7
        mask[0, :2] = False
        mask[-1, :] = False  # a sample with no real step at all
    states = None
    if with_h0:
        states = [
            rng.uniform(-1, 1, (n, H)).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)
        ]
    return weights, x, d_outputs, {"mask": mask, "initial_state": states}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_matches_gradient_tape(kind, reset_after, shape, dtype):
    weights, x, d_outputs, options = _case(kind, reset_after, shape, dtype)
    ours = sequence_backward(weights, x, d_outputs, **options)
    theirs = keras_sequence_gradients(weights, x, d_outputs, **options)
    errors = gradient_agreement(ours, theirs)
    assert set(errors) >= {"kernel", "recurrent_kernel", "bias", "dx", "dh0"}
    assert max(errors.values()) <= GRADIENT_RTOL[dtype], errors
    assert ours.kernel.dtype == np.dtype(dtype)


def test_forward_trace_is_the_replay():
    for kind, reset_after in VARIANTS:
        weights, x, _, options = _case(kind, reset_after, SHAPES[2], "float64")
        trace = forward_trace(weights, x, **options)
        _, sequence, states = run_recurrence(weights, x, RecurrentConfig(), **options)
        np.testing.assert_allclose(trace.outputs, sequence, rtol=0, atol=1e-14)
        np.testing.assert_allclose(trace.h[:, -1], states[0], rtol=0, atol=1e-14)


@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
@pytest.mark.parametrize("masked", [False, True])
def test_matches_finite_differences(kind, reset_after, masked):
    shape = (3, 5, 2, 3, masked, True, 7)
    weights, x, d_outputs, options = _case(kind, reset_after, shape, "float64")

    def loss(w: CellWeights) -> float:
        return float(np.sum(forward_trace(w, x, **options).outputs * d_outputs))

    ours = sequence_backward(weights, x, d_outputs, **options)
    names = ["kernel", "recurrent_kernel", "bias"]
    for name in names:

        def f(array, name=name):
            arrays = {a: getattr(weights, a) for a in names}
            arrays[name] = array
            return loss(
                CellWeights(
                    kind, arrays["kernel"], arrays["recurrent_kernel"], arrays["bias"], reset_after
                )
            )

        numeric = numerical_gradient(f, getattr(weights, name), step=FD_STEP)
        assert relative_error(getattr(ours, name), numeric) <= FD_GRADIENT_RTOL, name
    numeric_dx = numerical_gradient(
        lambda a: float(np.sum(forward_trace(weights, a, **options).outputs * d_outputs)), x
    )
    assert relative_error(ours.dx, numeric_dx) <= FD_GRADIENT_RTOL


def test_cell_state_path_is_diag_f():
    """One step back along the cell state, h_{t-1} held fixed, multiplies by f_t:
    ∂c_t/∂c_{t-1} = diag(f_t). Checked on a one-step sequence (where c_0 feeds nothing
    else) and, entry by entry, by finite differences of the cell itself."""
    from rnn_lab.cells.steps import lstm_gates

    weights, x, _, _ = _case("LSTM", None, (4, 1, 3, 5, False, False, 11), "float64")
    n, H = 4, 5
    rng = np.random.default_rng(0)
    h0, c0 = rng.uniform(-1, 1, (n, H)), rng.uniform(-1, 1, (n, H))
    d_c = rng.normal(size=(n, H))
    grads = lstm_backward(
        weights,
        x,
        np.zeros((n, 1, H)),
        initial_state=[h0, c0],
        d_final_states=[np.zeros((n, H)), d_c],
    )
    f = lstm_gates(x[:, 0], h0, c0, weights).f
    np.testing.assert_allclose(grads.initial[1], d_c * f, rtol=1e-14, atol=0)
    step = 1e-6
    for j in range(H):
        bump = np.zeros((n, H))
        bump[:, j] = step
        up = lstm_gates(x[:, 0], h0, c0 + bump, weights).c
        down = lstm_gates(x[:, 0], h0, c0 - bump, weights).c
        column = (up - down) / (2 * step)  # ∂c_1/∂c_0[:, j] for every sample
        expected = np.zeros((n, H))
        expected[:, j] = f[:, j]
        np.testing.assert_allclose(column, expected, rtol=1e-8, atol=1e-10)


def test_planted_mistake_is_far_outside_tolerance():
    """Dropping the forget gate from the cell-state path is caught by orders of magnitude."""
    weights, x, d_outputs, _ = _case("LSTM", None, SHAPES[1], "float64")
    right = sequence_backward(weights, x, d_outputs)
    H = weights.hidden_units
    # forget gate pinned at 1 in the forward pass is a different function: its gradient
    # (an LSTM without forgetting) must be far from the right one
    bias = weights.bias.copy()
    bias[H : 2 * H] += 30.0
    wrong = sequence_backward(
        CellWeights("LSTM", weights.kernel, weights.recurrent_kernel, bias), x, d_outputs
    )
    assert relative_error(right.kernel, wrong.kernel) > BUG_MIN_ERROR


def test_kind_specific_entry_points_refuse_other_cells():
    lstm = random_cell_weights("LSTM", 2, 3)
    gru = random_cell_weights("GRU", 2, 3)
    x = np.zeros((1, 2, 2), dtype="float32")
    dY = np.zeros((1, 2, 3), dtype="float32")
    with pytest.raises(ValueError, match="expected LSTM weights; got GRU"):
        lstm_backward(gru, x, dY)
    with pytest.raises(ValueError, match="expected GRU weights; got LSTM"):
        gru_backward(lstm, x, dY)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((2, 2, 3)), r"d_outputs must have shape \(n, T, H\)"),
        (np.full((1, 2, 3), np.nan), "d_outputs must be finite"),
    ],
)
def test_bad_output_gradient(bad, message):
    weights = random_cell_weights("GRU", 2, 3)
    with pytest.raises(ValueError, match=message):
        sequence_backward(weights, np.zeros((1, 2, 2)), bad)


def test_mask_of_wrong_shape_is_refused():
    weights = random_cell_weights("LSTM", 2, 3)
    with pytest.raises(ValueError, match=r"mask must have shape \(n, T\) = \(1, 2\).*got \(2, 1\)"):
        sequence_backward(weights, np.zeros((1, 2, 2)), np.zeros((1, 2, 3)), mask=np.ones((2, 1)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_array_adam_is_the_record_adam(dtype):
    record = random_weights(3, 4, 2, seed=1, dtype=dtype)
    rng = np.random.default_rng(2)
    adam = Adam(learning_rate=0.05)
    arrays, state = record.as_list(), adam_init(record.as_list())
    record_state = adam.init(record)
    for _ in range(3):
        grads = [rng.normal(size=a.shape).astype(dtype) for a in arrays]
        arrays, state = adam_update(adam, arrays, grads, state)
        record, record_state = adam.step(record, type(record)(*grads), record_state)
        for a, b in zip(arrays, record.as_list(), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_regressor_gradient_matches_finite_differences(kind, reset_after):
    model = random_regressor(kind, 2, 3, 2, seed=3, dtype="float64", reset_after=reset_after)
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (4, 5, 2))
    y = rng.uniform(-1, 1, (4, 2))
    _, grads, _ = regressor_backward(model, x, y)
    arrays = model.as_list()
    for index, array in enumerate(arrays):

        def f(a, index=index):
            changed = list(arrays)
            changed[index] = a
            return regressor_backward(model.with_arrays(changed), x, y)[0]

        numeric = numerical_gradient(f, array)
        assert relative_error(grads[index], numeric) <= FD_GRADIENT_RTOL


#: Training side by side: per-update relative loss difference after a few updates; grows
#: slowly with the rounding differences each update adds (measured ~1e-7 in float32 and
#: ~1e-15 in float64 over 8 updates).
TRAIN_RTOL = {"float32": 1e-4, "float64": 1e-9}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_training_matches_keras_for_the_first_updates(kind, reset_after, dtype):
    x, y = delayed_copy_task(64, 8, 5, seed=0, dtype=dtype)
    model = random_regressor(kind, 1, 6, seed=1, dtype=dtype, reset_after=reset_after)
    adam = Adam(learning_rate=0.02)
    manual = train_regressor(model, x, y, adam, epochs=2, batch_size=16)
    keras = train_keras_regressor(model, x, y, adam, steps=manual.losses.size, batch_size=16)
    difference = np.abs(manual.losses - keras) / keras
    assert difference.max() <= TRAIN_RTOL[dtype], difference
    assert manual.losses[-1] < manual.losses[0]  # it did learn something


def _truncated_by_windows(weights, x, d_outputs, k, mask, initial_state):
    """BPTT(k) as a TensorFlow user writes it: each loss term ``s`` differentiated through a
    Keras layer run over steps ``s-k+1 .. s`` only, from the states at ``s-k`` held constant."""
    trace = forward_trace(weights, x, initial_state=initial_state, mask=mask)
    carried = [trace.h] + ([trace.c] if trace.c is not None else [])
    total = None
    for s in range(x.shape[1]):
        start = max(s + 1 - k, 0)
        states = trace.states if start == 0 else [a[:, start - 1] for a in carried]
        window = np.zeros_like(d_outputs[:, start : s + 1])
        window[:, -1] = d_outputs[:, s]
        part = keras_sequence_gradients(
            weights,
            x[:, start : s + 1],
            window,
            initial_state=states,
            mask=None if mask is None else mask[:, start : s + 1],
        ).as_list()
        total = part if total is None else [a + b for a, b in zip(total, part, strict=True)]
    return total


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_truncated_bptt_matches_stopped_windows_in_keras(kind, reset_after, k, masked):
    weights, x, d_outputs, options = _case(
        kind, reset_after, (3, 7, 2, 4, masked, True, 5), "float64"
    )
    ours = sequence_backward(weights, x, d_outputs, truncate=k, **options)
    theirs = _truncated_by_windows(weights, x, d_outputs, k, **options)
    for name, a, b in zip(
        ("kernel", "recurrent_kernel", "bias"), ours.as_list(), theirs, strict=True
    ):
        assert relative_error(a, b) <= GRADIENT_RTOL["float64"], name
    full = sequence_backward(weights, x, d_outputs, **options)
    assert relative_error(ours.recurrent_kernel, full.recurrent_kernel) > BUG_MIN_ERROR


@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_truncation_at_least_the_sequence_is_full_bptt(kind, reset_after):
    weights, x, d_outputs, options = _case(kind, reset_after, SHAPES[2], "float64")
    full = sequence_backward(weights, x, d_outputs, **options)
    for k in (x.shape[1], 50):
        cut = sequence_backward(weights, x, d_outputs, truncate=k, **options)
        assert max(gradient_agreement(cut, full).values()) == 0.0
    # The last loss term alone, cut one step short, no longer reaches the initial state.
    last = np.zeros_like(d_outputs)
    last[:, -1] = d_outputs[:, -1]
    options["mask"] = None
    nearly = sequence_backward(weights, x, last, truncate=x.shape[1] - 1, **options)
    assert all(np.all(g == 0) for g in nearly.initial)
    assert np.all(nearly.dh[:, 0] != 0)  # it stops at h_1, recorded there
