"""The exercise checkers of chapters 13 and 14 (the LSTM cell-state gradient, a masked mean
loss, the Bidirectional concat order): every reference solution passes, every planted
mistake is named as that mistake, and the references agree with rnn_lab and Keras.

The mistakes are written here the way a learner would write them (one function with a
`bug` switch), independently of the variants inside the checkers.
"""

from __future__ import annotations

import checks_harness as harness
import numpy as np

from rnn_lab import checks
from rnn_lab.cells import masking
from rnn_lab.cells.replay import merge_directions

EXERCISES: dict = {}  # name -> (checker, record, learner taking bug=), filled by @answer
answer = harness.answers_to(EXERCISES)


@answer("cell_state_grad")
def learner_cell_state_grad(dc, dh, o, c, f, i, *, bug=None):
    slope = 1 - (c * c if bug == "slope_of_c" else np.tanh(c) ** 2)
    through_h = dh * slope * (1 if bug == "no_output_gate" else o)
    k = dc if bug == "no_h_path" else dc + through_h
    if bug == "no_forget":
        return k
    return k * (i if bug == "input_gate" else f)


@answer("masked_mean_loss")
def learner_masked_mean_loss(y_pred, y_true, mask, *, bug=None):
    squared = (y_pred - y_true) ** 2
    per_step = squared.sum(axis=-1) if bug == "sum_outputs" else squared.mean(axis=-1)
    if bug == "unmasked":
        return per_step.mean()
    m = mask.astype(per_step.dtype)
    if bug == "divide_all":
        return (per_step * m).sum() / m.size
    if bug == "per_sample":
        return ((per_step * m).sum(axis=1) / m.sum(axis=1)).mean()
    return (per_step * m).sum() / m.sum()


@answer("bidirectional_concat")
def learner_bidirectional_concat(forward, backward, *, bug=None):
    back = backward if bug == "not_flipped" else backward[:, ::-1]
    fwd = forward[:, ::-1] if bug == "flipped_forward" else forward
    parts = [back, fwd] if bug == "backward_first" else [fwd, back]
    return np.concatenate(parts, axis=1 if bug == "time_axis" else -1)


# --- the harder exercises: GRU step backward, masked step backward ---------------------------


@answer("gru_step_backward")
def learner_gru_step_backward(g, h_prev, z, r, h_tilde, hh, Wh, *, bug=None):
    H = h_prev.shape[1]
    if bug == "swapped_mix":
        direct, d_cand, d_z = g * (1 - z), g * z, g * (h_tilde - h_prev)
    else:
        direct, d_cand = g * z, g * (1 - z)
        d_z = g * ((h_tilde - h_prev) if bug == "z_sign" else (h_prev - h_tilde))
    if bug == "no_direct":
        direct = 0
    slopes = bug != "no_slopes"
    a_c = d_cand * ((1 - h_tilde**2) if slopes else 1)
    a_z = d_z * (z * (1 - z) if slopes else 1)
    a_r = a_c * hh * (r * (1 - r) if slopes else 1)
    to_recurrent = a_c if bug == "reset_not_on_recurrent" else a_c * r
    return direct + a_z @ Wh[:, :H].T + a_r @ Wh[:, H : 2 * H].T + to_recurrent @ Wh[:, 2 * H :].T


@answer("masked_step_backward")
def learner_masked_step_backward(g, h_fresh, h_prev, Wh, m, *, bug=None):
    real = m[:, None].astype(g.dtype)
    every = g * (1 - h_fresh**2)
    delta = every if bug == "ignored_mask" else real * every
    dh_prev = delta @ Wh.T
    if bug == "pass_all":
        dh_prev = dh_prev + g
    elif bug not in ("no_pass", "ignored_mask"):
        dh_prev = dh_prev + (1 - real) * g
    dWh = h_prev.T @ (every if bug == "dWh_unmasked" else delta)
    return dh_prev, dWh


@answer("forget_bias_for_delay")
def learner_forget_bias_for_delay(d, *, bug=None):
    if bug == "memory_rule":
        return np.log(d - 1)
    f = 0.5 ** (d if bug == "power_d" else 1 / d)
    if bug == "gate_value":
        return f
    return np.log((1 - f) / f) if bug == "inverse_logit" else np.log(f / (1 - f))


globals().update(harness.exercise_tests(EXERCISES))


def test_cell_state_reference_is_the_backward_pass():
    """The checker's rule is what rnn_lab.cells.bptt does: for a one-step LSTM with
    given h_0, c_0, dL/dc_0 equals the rule applied to the step's gates."""
    from rnn_lab.cells.bptt import lstm_backward
    from rnn_lab.cells.steps import lstm_gates
    from rnn_lab.cells.weights import random_cell_weights

    weights = random_cell_weights("LSTM", 2, 3, seed=5, dtype="float64")
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (4, 1, 2))
    h0, c0 = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (4, 3))
    dh, dc = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    grads = lstm_backward(
        weights, x, dh[:, None, :], initial_state=[h0, c0], d_final_states=[np.zeros((4, 3)), dc]
    )
    step = lstm_gates(x[:, 0], h0, c0, weights)
    rule = learner_cell_state_grad(dc, dh, step.o, step.c, step.f, step.i)
    np.testing.assert_allclose(grads.initial[1], rule, rtol=1e-13, atol=1e-15)


def test_masked_loss_reference_is_masked_mse():
    from rnn_lab.cells.masking import masked_mse

    rng = np.random.default_rng(2)
    mask = np.array([[1, 1, 1], [1, 0, 0]], bool)
    y_pred, y_true = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))
    assert np.isclose(
        learner_masked_mean_loss(y_pred, y_true, mask), masked_mse(y_pred, y_true, mask)[0]
    )


def test_concat_reference_is_keras_bidirectional():
    from rnn_lab.cells.replay import RecurrentConfig, run_recurrence
    from rnn_lab.cells.weights import random_cell_weights
    from rnn_lab.keras_side.models import import_keras

    keras = import_keras()
    layer = keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True, dtype="float64"), dtype="float64"
    )
    layer.build((None, 5, 2))
    fw = random_cell_weights("GRU", 2, 3, seed=1, dtype="float64")
    bw = random_cell_weights("GRU", 2, 3, seed=2, dtype="float64")
    layer.forward_layer.set_weights(fw.as_list())
    layer.backward_layer.set_weights(bw.as_list())
    x = np.random.default_rng(3).uniform(-1, 1, (2, 5, 2))
    _, forward, _ = run_recurrence(fw, x, RecurrentConfig())
    _, backward, _ = run_recurrence(bw, x, RecurrentConfig(go_backwards=True))
    merged = learner_bidirectional_concat(forward, backward)
    np.testing.assert_allclose(merged, np.asarray(layer(x)), rtol=0, atol=1e-12)


# --- delegation is refused ------------------------------------------------------------------


ROUTES = {
    "masked_mean_loss-masking": (
        checks.check_masked_mean_loss,
        lambda y_pred, y_true, mask: masking.masked_mse(y_pred, y_true, mask)[0],
        "rnn_lab.cells.masking.masked_mse",
    ),
    "bidirectional_concat-replay": (
        checks.check_bidirectional_concat,
        lambda forward, backward: merge_directions(forward, backward[:, ::-1], "concat"),
        "rnn_lab.cells.replay.merge_directions",
    ),
}
test_each_exercise_refuses_the_library_function_it_asks_for = harness.delegation_test(ROUTES)


def test_harder_references_are_the_package_backward_passes():
    """Each checker's rule is what rnn_lab computes: gated_backward's step for a GRU and
    for a masked SimpleRNN."""
    from rnn_lab.cells.bptt import sequence_backward
    from rnn_lab.cells.steps import gru_gates
    from rnn_lab.cells.weights import random_cell_weights

    rng = np.random.default_rng(7)
    # forget bias: a constant gate σ(b) keeps half after d steps
    b = learner_forget_bias_for_delay(37)
    assert np.isclose((1 / (1 + np.exp(-b))) ** 37, 0.5)
    # GRU: dL/dh_0 of a one-step sequence equals the rule on the step's gates
    gru = random_cell_weights("GRU", 2, 3, reset_after=True, seed=4, dtype="float64")
    x, h0, g = rng.uniform(-1, 1, (4, 1, 2)), rng.uniform(-1, 1, (4, 3)), rng.normal(size=(4, 3))
    step = gru_gates(x[:, 0], h0, gru)
    hh = h0 @ gru.recurrent_kernel[:, 6:] + gru.bias[1, 6:]
    rule = learner_gru_step_backward(g, h0, step.z, step.r, step.h_tilde, hh, gru.recurrent_kernel)
    ours = sequence_backward(gru, x, g[:, None, :], initial_state=[h0])
    np.testing.assert_allclose(ours.initial[0], rule, rtol=1e-12, atol=1e-14)
    # masked SimpleRNN step: the gradient on the final state reaches h_0 as the rule says
    cell = random_cell_weights("SimpleRNN", 2, 3, seed=6, dtype="float64")
    m = np.array([True, False, True, False])
    grads = sequence_backward(
        cell,
        x,
        np.zeros((4, 1, 3)),
        initial_state=[h0],
        d_final_states=[g],
        mask=m[:, None],
    )
    fresh = np.tanh(x[:, 0] @ cell.kernel + h0 @ cell.recurrent_kernel + cell.bias)
    dh_prev, dWh = learner_masked_step_backward(g, fresh, h0, cell.recurrent_kernel, m)
    np.testing.assert_allclose(grads.initial[0], dh_prev, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads.recurrent_kernel, dWh, rtol=1e-12, atol=1e-14)
