"""The checkers of chapters 1 to 4 (the Keras model, one step, the manual loop, the hidden
state): every reference solution passes, every planted mistake is named as that mistake, and
the planted variants are what a loop with that slip computes.

Learner code with each mistake planted (a `bug` switch): see `checks_harness`.
"""

from __future__ import annotations

import checks_harness as harness
import numpy as np
import pytest

import rnn_lab
from rnn_lab import checks
from rnn_lab.checks import ch03, ch04, core
from rnn_lab.checks.variants import FORWARD_MISTAKES, forward_variant

# --- learner code: correct, and with each mistake -------------------------------------


EXERCISES: dict = {}  # name -> (checker, record, learner taking bug=), filled by @answer
answer = harness.answers_to(EXERCISES)


def _squash(bug):
    return {
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "relu": lambda z: np.where(z > 0, z, 0.0),
        "no_activation": lambda z: z,
    }.get(bug, np.tanh)


@answer("forward_from")
def learner_forward(x, weights, h0=None, *, bug=None, sequences=False):
    """A learner's batched loop; `bug` plants one mistake."""
    Wx, Wh, Bh, Wo, Bo = weights.as_list()
    n, T, _ = x.shape
    H = Wh.shape[0]
    if bug == "wh_transposed":
        Wh = Wh.T
    if bug == "wx_transposed":
        Wx = Wx.T
    if bug == "no_bias":
        Bh = np.zeros(H)
    if bug == "no_output_bias":
        Bo = np.zeros(Bo.shape)
    squash = _squash(bug)
    if h0 is not None and bug != "ignored_h0":
        h = h0
    elif bug == "h0_ones":
        h = np.ones((n, H))
    else:
        h = np.zeros((n, H))
    if bug == "h0_first_input":
        h = np.tanh(x[:, 0] @ Wx + Bh)
    first = h
    steps = range(T)
    if bug in ("drop_first", "h0_as_h1"):
        steps = range(1, T)
    if bug == "drop_last":
        steps = range(T - 1)
    if bug == "reversed_time":
        steps = reversed(range(T))
    ys = []
    for t in steps:
        if bug == "shifted":
            ys.append(h @ Wo + Bo)
        pre = x[:, t] @ Wx + (first if bug == "stale_h" else h) @ Wh + Bh
        h = squash(pre)
        if bug == "returns_hidden":
            y = h
        elif bug == "dense_before_activation":
            y = np.tanh(pre @ Wo + Bo)
        elif bug == "activation_on_output":
            y = np.tanh(h @ Wo + Bo)
        else:
            y = h @ Wo + Bo
        if bug != "shifted":
            ys.append(y)
    if bug == "time_first":
        return np.stack(ys)
    if (sequences and bug != "only_last") or bug == "all_outputs":
        return np.stack(ys, axis=1)
    return ys[-1]


@answer("step")
def learner_step(x_t, h_prev, Wx, Wh, Bh, *, bug=None):
    if bug == "wh_transposed":
        Wh = Wh.T
    if bug == "wx_transposed":
        Wx = Wx.T
    if bug == "no_bias":
        Bh = 0 * Bh
    if bug == "ignored_h_prev":
        h_prev = 0 * h_prev
    return _squash(bug)(x_t @ Wx + h_prev @ Wh + Bh)


@answer("worst_timestep")
def learner_worst(keras_y, manual_y, *, bug=None):
    diff = keras_y - manual_y
    if bug == "signed_km":
        return int(np.argmax(diff.max(axis=(0, 2)))) + 1
    if bug == "signed_mk":
        return int(np.argmax((-diff).max(axis=(0, 2)))) + 1
    error = np.abs(diff)
    if bug == "mean":
        return int(np.argmax(error.mean(axis=(0, 2)))) + 1
    if bug == "axis_outputs":
        return int(np.argmax(error.max(axis=(0, 1)))) + 1
    if bug == "axis_samples":
        return int(np.argmax(error.max(axis=(1, 2)))) + 1
    if bug == "flat_index":
        return int(np.argmax(error)) + 1
    if bug == "last":
        return keras_y.shape[1]
    e_t = error.max(axis=(0, 2))
    return int(np.argmax(e_t)) + (0 if bug == "zero_based" else 1)


@answer("agree")
def learner_agree(keras_y, manual_y, *, bug=None):
    difference = keras_y.astype(np.float64) - manual_y
    if bug == "exact_equality":
        return bool(np.all(keras_y == manual_y))
    if bug == "allclose_default":
        return bool(np.allclose(keras_y, manual_y))
    tolerance = {
        "float64_tolerance": 1e-12,
        "float32_tolerance": 1e-5,
        "too_loose": 1e-2,
    }.get(bug, rnn_lab.tolerance_for(keras_y.dtype))
    atol = 0.0 if bug == "relative_only" else tolerance
    rtol = 0.0 if bug == "absolute_only" else tolerance
    allowed = atol + rtol * np.abs(keras_y.astype(np.float64))
    if bug == "no_abs_ab":
        return bool(np.all(difference <= allowed))
    if bug == "no_abs_ba":
        return bool(np.all(-difference <= allowed))
    return bool(np.all(np.abs(difference) <= allowed))


@answer("scaled_states")
def learner_scaled(x, weights, scale, *, bug=None):
    Wx, Wh, Bh, Wo, Bo = weights.as_list()
    if bug != "unscaled" and bug != "scaled_wx":
        Wh = scale * Wh
    if bug in ("scaled_all", "scaled_wx"):
        Wx = scale * Wx
    if bug in ("scaled_all", "scaled_bias"):
        Bh = scale * Bh
    if bug == "wh_transposed":
        Wh = Wh.T
    if bug == "no_bias":
        Bh = 0 * Bh
    n, T, _ = x.shape
    h = np.zeros((n, Wh.shape[0]))
    states = []
    for t in range(T):
        h_prev = np.zeros_like(h) if bug == "stale_h" else h
        h = np.tanh(x[:, t, :] @ Wx + h_prev @ Wh + Bh)
        states.append(h @ Wo + Bo if bug == "returns_outputs" else h)
    if bug == "only_last":
        return states[-1]
    return np.stack(states, axis=1)


@answer("count_params")
def _count(T, D, H, O, bug=None):
    rnn = D * H + (0 if bug == "no_recurrent" else (D * H if bug == "wh_d_by_h" else H * H))
    rnn += 0 if bug in ("forgot_biases", "forgot_Bh") else H
    dense = H * O + (0 if bug in ("forgot_biases", "forgot_Bo") else O)
    if bug == "times_T":
        rnn *= T
    return {"only_rnn": rnn, "only_dense": dense}.get(bug, rnn + dense)


@answer("output_shape")
def _output_shape(n, T, D, H, O, return_sequences, bug=None):
    last = H if bug == "hidden_units" else O
    middle = (D,) if bug == "with_dims" else ()
    if bug == "time_first" and return_sequences:
        return (T, n, O)
    seq = {"ignores_flag": False, "always_sequences": True}.get(bug, return_sequences)
    return (n, T, *middle, last) if seq else (n, *middle, last)


@answer("weight_shapes")
def _weight_shapes(D, H1, H2, O, bug=None):
    layers = []
    for inputs, units in ((D, H1), (H1, H2)):
        if bug == "second_reads_inputs":
            inputs = D
        wx = (units, inputs) if bug in ("wx_transposed", "both_transposed") else (inputs, units)
        wh = wx if bug == "wh_by_inputs" else (units, units)
        bias = (units, 1) if bug == "column_biases" else (units,)
        layers += [wx, wh, bias]
    wo = (O, H2) if bug in ("wo_transposed", "both_transposed") else (H2, O)
    bo = (O, 1) if bug == "column_biases" else (O,)
    if bug == "dense_first":
        return [wo, bo, *layers]
    return [*layers, wo, bo]


@answer("forward_batch")
def _batch(x, weights, bug=None):  # the exercise hands x over time-major, (T, n, D)
    return learner_forward(x.transpose(1, 0, 2), weights, bug=bug)


@answer("forward_reversed")
def _reversed(sample, weights, bug=None):
    if bug == "not_reversed":
        return learner_forward(sample[None], weights)[0]  # reads x_1 first: go_backwards ignored
    return learner_forward(sample[None, ::-1], weights, bug=bug)[0]


@answer("step_output")
def _step_output(x_t, h_prev, w, bug=None):
    return learner_forward(x_t[:, None, :], w, h_prev, bug=bug)


@answer("forward_sequences")
def _forward_sequences(x, w, bug=None):
    return learner_forward(x, w, bug=bug, sequences=True)


globals().update(
    harness.exercise_tests(EXERCISES, by_code_only=("wx_transposed",), broken=harness.BROKEN)
)
# (a transposed Wx, D ≠ H, is a shape error, and is named as such rather than by title)


@pytest.mark.parametrize("letter", ["a", "c", "d"])
def test_a_wrong_prediction_is_named(letter, capsys):
    spec = ch04._doubled_exercise()
    harness.assert_mistake_diagnosed(checks.check_doubled_wh, spec, letter, letter, capsys)
    assert checks.check_doubled_wh("b").passed


def test_every_issue_mistake_has_a_planted_test():
    specs = [spec for _, spec, _ in EXERCISES.values()]
    codes = {spec.mistakes[bug].code for spec in specs for bug in spec.mistakes}
    wanted = {
        "wh_transposed",
        "forgot_bias",
        "wrong_activation",
        "stale_h",
        "wrong_initial_state",
        "off_by_one",
        "returns_hidden",
        "dense_before_activation",
        "shape_mixup",
        "float64_tolerance",
    }
    assert wanted <= codes


def test_a_loop_over_samples_is_caught_in_the_vectorised_exercise(capsys):
    def one(sample, w):
        return learner_forward(sample[None], w)[0]

    result = checks.check_forward_batch(
        lambda x, w: np.stack([one(x[:, i], w) for i in range(x.shape[1])])
    )
    assert (result.passed, result.code) == (False, "loops_over_samples")
    assert ch03.single_sample_visits(_batch) < ch03.LOOP_PROBE_N


@pytest.mark.parametrize("mistake", FORWARD_MISTAKES)
def test_variants_differ_from_the_correct_pass_somewhere(mistake):
    x = rnn_lab.make_sequences(3, 5, 4, seed=1, dtype="float64")
    weights = rnn_lab.random_weights(4, 4, 4, seed=1, dtype="float64")  # D = H: all computable
    # A given h0 hides a wrong default start; `all_outputs` only differs without sequences.
    h0 = None if mistake in ("h0_ones", "h0_first_input") else np.full((3, 4), 0.3)
    sequences = mistake != "all_outputs"
    correct = rnn_lab.manual_forward(x, weights, return_sequences=sequences, h0=h0)
    wrong = forward_variant(x, weights, mistake, h0=h0, return_sequences=sequences)
    assert wrong.shape != correct.shape or np.max(np.abs(wrong - correct)) > 1e-3


def test_the_correct_variant_is_the_manual_forward_pass():
    x = rnn_lab.make_sequences(3, 5, 2, seed=2)
    weights = rnn_lab.random_weights(2, 4, 3, seed=2)
    h0 = np.full((3, 4), -0.2, dtype=np.float32)
    for sequences in (False, True):
        expected = rnn_lab.manual_forward(x, weights, return_sequences=sequences, h0=h0)
        got = forward_variant(x, weights, None, h0=h0, return_sequences=sequences)
        # Same formula; for y_T the variant multiplies every h_t by Wo and keeps the last,
        # a differently shaped matrix product, whose last bit is the BLAS kernel's business.
        tolerance = rnn_lab.tolerance_for(weights.dtype)
        np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance)
    with pytest.raises(ValueError, match="unknown mistake"):
        forward_variant(x, weights, "typo")


def test_the_backwards_reference_is_keras_go_backwards():
    keras = rnn_lab.import_keras()
    from rnn_lab.checks import ch03

    for case in ch03.forward_cases(ch03.BACKWARDS_VARIANTS, one_sample=True, backwards=True):
        sample, weights = case.args
        dtype = weights.dtype.name
        layer = keras.layers.SimpleRNN(weights.hidden_units, go_backwards=True, dtype=dtype)
        dense = keras.layers.Dense(weights.outputs, dtype=dtype)
        layer.build((None, None, weights.dims))
        dense.build((None, weights.hidden_units))
        layer.set_weights(weights.as_list()[:3])
        dense.set_weights(weights.as_list()[3:])
        keras_y = np.asarray(dense(layer(sample[None])))[0]
        np.testing.assert_allclose(keras_y, case.expected, rtol=0, atol=case.tolerance)


def test_a_value_exercise_that_is_still_none_is_not_yet_solved(capsys):
    result = checks.check_doubled_wh(None)
    assert result.code == core.NOT_STARTED and "not yet solved" in capsys.readouterr().out
    assert checks.check_doubled_wh("e").code == core.WRONG_TYPE
    assert checks.check_doubled_wh(" B ").passed


def test_a_list_with_the_right_numbers_is_told_how_to_convert(capsys):
    result = checks.check_forward_sequences(
        lambda x, w: [learner_forward(x[:, : t + 1], w) for t in range(x.shape[1])]
    )
    assert result.code == core.LIST
    assert "np.stack(items, axis=1) is right" in capsys.readouterr().out


def test_the_doubled_wh_answer_is_what_the_measurement_shows():
    m = ch04.measure_doubled_wh()
    assert m.radius[0] < 1 < m.radius[1]  # the regime the exercise is about
    assert m.max_abs[1] < 1  # (a) is wrong: tanh bounds the state
    assert m.mean_abs[1] > m.mean_abs[0]  # (b): closer to ±1 ...
    assert m.memory[0] is not None  # ... and remembering its start longer
    assert m.memory[1] is None or m.memory[1] > m.memory[0]
