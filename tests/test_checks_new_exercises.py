"""The exercises added by issue 14: the full backward pass (7.3), a numerical gradient (7.4),
clipping by global norm (8.3), the training loop against ``fit`` (8.4), Nesterov momentum
(8.5), gated parameter counts (9.3), the ``reset_after=False`` GRU (10.2) and PyTorch's GRU
biases (11.3).

For each: the reference solution passes, every planted mistake (written the way a
learner would write it, independently of the checkers' variants) is diagnosed as itself,
delegation is refused, and broken code gets a verdict, not an exception. The catalogue
lists at least 30 exercises and the teachers' page shows its table.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from checks_harness import assert_mistake_diagnosed, assert_reference_passes

import rnn_lab
from rnn_lab import checks
from rnn_lab.checks import catalogue, ch07, ch08, ch09, ch10, ch11, core

# --- learner code: correct, and with each mistake -----------------------------------------


def learner_rnn_backward(x, y, weights, h0, *, bug=None):
    Wx, Wh, Bh, Wo, Bo = weights.as_list()
    n, T, _ = x.shape
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(x[:, t, :] @ Wx + hs[-1] @ Wh + Bh))
    y_pred = hs[-1] @ Wo + Bo
    if bug == "mean_over_samples":
        dy = 2 * (y_pred - y) / n
    elif bug == "no_mean":
        dy = 2 * (y_pred - y)
    elif bug == "no_factor_two":
        dy = (y_pred - y) / y.size
    else:
        dy = 2 * (y_pred - y) / y.size
    dWo, dBo = hs[-1].T @ dy, dy.sum(axis=0)
    dWx, dWh, dBh = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(Bh)
    back = Wh if bug == "wh_not_transposed" else Wh.T
    dh = dy @ Wo.T
    for t in reversed(range(1, T + 1)):
        delta = dh if bug == "no_tanh_slope" else dh * (1 - hs[t] ** 2)
        previous = hs[t] if bug == "h_t_for_h_prev" else hs[t - 1]
        if bug == "overwrote_sum":
            dWx, dWh, dBh = x[:, t - 1].T @ delta, previous.T @ delta, delta.sum(axis=0)
        else:
            dWx = dWx + x[:, t - 1].T @ delta
            dWh = dWh + previous.T @ delta
            dBh = dBh + delta.sum(axis=0)
        dh = np.zeros_like(dh) if bug == "last_step_only" else delta @ back
    dh0 = delta if bug == "dh0_is_delta" else dh
    return dWx, dWh, dBh, dWo, dBo, dh0


def learner_numerical_gradient(f, W, eps, *, bug=None):
    if bug == "all_at_once":
        return np.ones_like(W) * (f(W + eps) - f(W - eps)) / (2 * eps)
    grad = np.zeros_like(W)
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            W[i, j] += eps
            plus = f(W)
            W[i, j] -= 2 * eps
            minus = f(W)
            if bug == "forward_difference":
                W[i, j] += eps
                grad[i, j] = (plus - f(W)) / eps
                continue
            grad[i, j] = (plus - minus) / (eps if bug == "no_two" else 2 * eps)
            if bug != "not_restored":
                W[i, j] += eps
    return grad


def learner_clip(grads, clip_norm, *, bug=None):
    if bug == "clip_values":
        return [np.clip(g, -clip_norm, clip_norm) for g in grads]
    if bug == "each_separately":
        return [g * clip_norm / max(np.sqrt(np.sum(g**2)), clip_norm) for g in grads]
    total = sum(np.sum(g.astype(np.float64) ** 2) for g in grads)
    norm = total if bug == "squared_norm" else np.sqrt(total)
    if bug == "always_rescale":
        factor = clip_norm / norm
    elif bug == "inverted":
        factor = max(norm, clip_norm) / clip_norm
    else:
        factor = clip_norm / max(norm, clip_norm)
    return [g * factor for g in grads]


def learner_train(x, y, weights, lr, epochs, batch_size, *, bug=None):
    n = len(x)
    losses = []
    start_weights = weights
    for _epoch in range(1 if bug == "one_epoch" else epochs):
        if bug == "restart_each_epoch":
            weights = start_weights
        starts = range(0, n, batch_size)
        if bug == "dropped_last_batch":
            starts = range(0, n - batch_size + 1, batch_size)
        if bug == "full_batch":
            starts = [0]
        for start in starts:
            end = n if bug == "full_batch" else start + batch_size
            result = rnn_lab.manual_backward(x[start:end], y[start:end], weights)
            losses.append(result.loss)
            sign = 1 if bug == "ascent" else -1
            updated = rnn_lab.SimpleRNNWeights(
                *[
                    w + sign * lr * g
                    for w, g in zip(weights.as_list(), result.grads.as_list(), strict=True)
                ]
            )
            if bug != "no_update":
                weights = updated
    return np.array(losses)


def learner_nesterov(w, g, m, lr, momentum, *, bug=None):
    if bug == "plain_sgd":
        return w - lr * g
    m = momentum * m - lr * g
    if bug == "plain_momentum":
        return w + m
    if bug == "gradient_twice":
        w = w + m
        return w - lr * g
    if bug == "no_gradient_term":
        return w + momentum * m
    return w + momentum * m - lr * g


def learner_gated_params(kind, D, H, reset_after, *, bug=None):
    blocks = {"LSTM": 4, "GRU": 3}[kind]
    if bug == "one_block":
        blocks = 1
    if bug == "lstm_three" and kind == "LSTM":
        blocks = 3
    if bug == "gru_four" and kind == "GRU":
        blocks = 4
    bias_rows = 2 if kind == "GRU" and reset_after else 1
    if bug == "one_bias_row":
        bias_rows = 1
    if bug == "two_bias_rows" and kind == "GRU":
        bias_rows = 2
    if bug == "no_bias":
        bias_rows = 0
    return blocks * (D * H + H * H) + bias_rows * blocks * H


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def learner_gru_v1(x, weights, *, bug=None):
    kernel, recurrent, bias = weights.as_list()
    if bug == "no_bias":
        bias = 0 * bias
    H = weights.hidden_units
    z_block, r_block = (1, 0) if bug == "torch_order" else (0, 1)

    def cols(k):
        return slice(k * H, (k + 1) * H)

    h = np.zeros((x.shape[0], H))
    states = []
    for t in range(x.shape[1]):
        h_prev = np.zeros_like(h) if bug == "stale_h" else h
        a = x[:, t] @ kernel + bias
        z = _sigmoid(a[:, cols(z_block)] + h_prev @ recurrent[:, cols(z_block)])
        r = _sigmoid(a[:, cols(r_block)] + h_prev @ recurrent[:, cols(r_block)])
        if bug == "reset_after":
            candidate_h = r * (h_prev @ recurrent[:, cols(2)])
        elif bug == "no_reset":
            candidate_h = h_prev @ recurrent[:, cols(2)]
        else:
            candidate_h = (r * h_prev) @ recurrent[:, cols(2)]
        candidate = np.tanh(a[:, cols(2)] + candidate_h)
        if bug == "swapped_update":
            h = (1 - z) * h_prev + z * candidate
        else:
            h = z * h_prev + (1 - z) * candidate
        states.append(h)
    return np.stack(states, axis=1)


def learner_lstm_backward(x, h_prev, c_prev, weights, dh, dc, *, bug=None):
    kernel, recurrent_kernel, bias = weights.as_list()
    H = weights.hidden_units
    a = x @ kernel + h_prev @ recurrent_kernel + bias
    gate = [a[:, k * H : (k + 1) * H] for k in range(4)]
    i, f, o = _sigmoid(gate[0]), _sigmoid(gate[1]), _sigmoid(gate[3])
    candidate = np.tanh(gate[2])
    c = f * c_prev + i * candidate
    d_o = dh * (c if bug == "no_tanh_on_c" else np.tanh(c))
    if bug == "no_tanh_slope_c":
        dc_total = dc + dh * o
    else:
        dc_total = dh * o * (1 - np.tanh(c) ** 2) + (0 if bug == "ignored_dc" else dc)
    d_f = dc_total * (c if bug == "c_t_for_c_prev" else c_prev)
    d_i = dc_total * candidate
    d_candidate = dc_total * i
    dc_prev = dc_total if bug == "dc_prev_unscaled" else f * dc_total

    def through_sigmoid(grad, s):
        return grad * (1 - s * s) if bug == "tanh_slope_for_gates" else grad * s * (1 - s)

    da_i, da_f = through_sigmoid(d_i, i), through_sigmoid(d_f, f)
    da_c, da_o = d_candidate * (1 - candidate**2), through_sigmoid(d_o, o)
    order = [da_f, da_i, da_c, da_o] if bug == "order_fico" else [da_i, da_f, da_c, da_o]
    da = np.hstack(order)
    return (
        da @ kernel.T,
        da @ recurrent_kernel.T,
        dc_prev,
        x.T @ da,
        h_prev.T @ da,
        da.sum(axis=0),
    )


def learner_gru_bias(bias_ih, bias_hh, *, bug=None):
    def keras_order(b):
        H = len(b) // 3
        return b if bug == "not_reordered" else np.concatenate([b[H : 2 * H], b[:H], b[2 * H :]])

    if bug == "summed":
        return keras_order(bias_ih + bias_hh)
    rows = [keras_order(bias_ih), keras_order(bias_hh)]
    if bug == "rows_swapped":
        rows = rows[::-1]
    if bug == "concatenated":
        return np.concatenate(rows)
    return np.stack(rows)


# name -> (checker, exercise spec, answer for a bug)
EXERCISES = {
    "rnn_backward": (
        checks.check_rnn_backward,
        ch07.BACKWARD_EXERCISE,
        lambda bug: lambda x, y, w, h0: learner_rnn_backward(x, y, w, h0, bug=bug),
    ),
    "numerical_gradient": (
        checks.check_numerical_gradient,
        ch07.NUMERICAL_EXERCISE,
        lambda bug: lambda f, W, eps: learner_numerical_gradient(f, W, eps, bug=bug),
    ),
    "clip_grads": (
        checks.check_clip_grads,
        ch08.CLIP_EXERCISE,
        lambda bug: lambda grads, c: learner_clip(grads, c, bug=bug),
    ),
    "train_sgd": (
        checks.check_train_sgd,
        ch08.TRAIN_EXERCISE,
        lambda bug: lambda *args: learner_train(*args, bug=bug),
    ),
    "nesterov_step": (
        checks.check_nesterov_step,
        ch08.NESTEROV_EXERCISE,
        lambda bug: lambda *args: learner_nesterov(*args, bug=bug),
    ),
    "gated_params": (
        checks.check_gated_params,
        ch09.GATED_COUNT_EXERCISE,
        lambda bug: lambda *args: learner_gated_params(*args, bug=bug),
    ),
    "lstm_backward_step": (
        checks.check_lstm_backward_step,
        ch09.LSTM_BACKWARD_EXERCISE,
        lambda bug: lambda *args: learner_lstm_backward(*args, bug=bug),
    ),
    "gru_v1_forward": (
        checks.check_gru_v1_forward,
        ch10.GRU_V1_EXERCISE,
        lambda bug: lambda x, w: learner_gru_v1(x, w, bug=bug),
    ),
    "gru_bias_from_torch": (
        checks.check_gru_bias_from_torch,
        ch11.GRU_BIAS_EXERCISE,
        lambda bug: lambda b_ih, b_hh: learner_gru_bias(b_ih, b_hh, bug=bug),
    ),
}
PLANTED = [(name, bug) for name, (_, spec, _) in EXERCISES.items() for bug in spec.mistakes]


@pytest.mark.parametrize("name", EXERCISES)
def test_reference_solution_passes(name, capsys):
    checker, _, answer = EXERCISES[name]
    assert_reference_passes(checker, answer(None), capsys)


@pytest.mark.parametrize(("name", "bug"), PLANTED, ids=[f"{n}-{b}" for n, b in PLANTED])
def test_planted_mistake_is_diagnosed_as_that_mistake(name, bug, capsys):
    checker, spec, answer = EXERCISES[name]
    assert_mistake_diagnosed(checker, spec, bug, answer(bug), capsys)


def test_the_backward_mistakes_the_issue_names_are_planted():
    codes = {ch07.BACKWARD_EXERCISE.mistakes[bug].code for bug in ch07.BACKWARD_MISTAKES}
    assert {
        "missing_sum_over_time",
        "forgot_tanh_slope",
        "used_h_t",
        "no_backprop_through_time",
        "wrong_normalisation",
    } <= codes


# --- the references are what the library and the frameworks compute -----------------------


def test_the_backward_reference_is_manual_backward_too():
    for case in ch07._backward_cases():
        x, y, weights, h0 = case.args
        grads = rnn_lab.manual_backward(x, y, weights, h0=h0)
        for mine, theirs in zip((*grads.as_list(), grads.dh0), case.expected, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=case.tolerance)


def test_the_training_reference_is_train_manual_too():
    for case in ch08._train_cases():
        x, y, weights, lr, epochs, batch_size = case.args
        history = rnn_lab.train_manual(
            x, y, weights, rnn_lab.SGD(lr), epochs=epochs, batch_size=batch_size
        )
        np.testing.assert_allclose(history.losses, case.expected, rtol=0, atol=case.tolerance)


def test_the_clipping_reference_is_keras_global_clipnorm_too():
    for case in ch08._clip_cases():
        grads, clip_norm = case.args
        clipped = rnn_lab.clip_by_global_norm(rnn_lab.SimpleRNNWeights(*grads), clip_norm)
        for mine, theirs in zip(clipped.as_list(), case.expected, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=case.tolerance)


def test_the_nesterov_reference_is_rnn_lab_sgd_with_nesterov():
    from rnn_lab.optimizers import SGD, SGDState

    for case in ch08._nesterov_cases():
        w, g, m, lr, mu = case.args

        def record(a):  # the array as Wx (size, 1) of a one-unit layer
            one = np.ones((1, 1), a.dtype)
            return rnn_lab.SimpleRNNWeights(a.reshape(-1, 1), one, one[0], one, one[0])

        optimizer = SGD(lr, momentum=mu, nesterov=True)
        new, _ = optimizer.step(record(w), record(g), SGDState(record(m)))
        np.testing.assert_allclose(
            new.Wx.reshape(w.shape), case.expected, rtol=0, atol=case.tolerance
        )


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


def test_the_forget_bias_starts_the_forget_gate_at_f0():
    from rnn_lab.checks import ch09

    for case in ch09._forget_cases():
        H, f0 = case.args
        D = 2
        rng = np.random.default_rng(H)
        weights = rnn_lab.CellWeights(
            "LSTM", rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), case.expected
        )
        gates = rnn_lab.trace_gates(weights, np.zeros((1, 1, D)))  # zero input, zero state
        np.testing.assert_allclose(gates["f"][0, 0], f0, rtol=0, atol=1e-12)
        for other in ("i", "o"):
            np.testing.assert_allclose(gates[other][0, 0], 0.5, rtol=0, atol=1e-12)


def test_the_numerical_reference_approximates_the_true_gradient():
    for case in ch07._numerical_cases():
        f, W, eps = case.args
        x_free = case.expected
        assert x_free.shape == W.shape and np.all(np.isfinite(x_free))
        # central differences are accurate to O(eps²): compare with a much smaller step
        fine = ch07.numerical_variant(f, W, eps / 10)
        np.testing.assert_allclose(x_free, fine, rtol=0, atol=1e-5)


def test_every_variant_differs_from_the_answer_somewhere():
    for name in ("rnn_backward", "clip_grads", "train_sgd", "gru_v1_forward"):
        spec = EXERCISES[name][1]
        cases = {
            "rnn_backward": ch07._backward_cases,
            "clip_grads": ch08._clip_cases,
            "train_sgd": ch08._train_cases,
            "gru_v1_forward": ch10._gru_v1_cases,
        }[name]()
        for variant in spec.mistakes:
            assert not all(
                core.close(c.variants[variant], c.expected, c.tolerance) for c in cases
            ), (name, variant)


# --- delegation ---------------------------------------------------------------------------


def _manual_backward_route(x, y, weights, h0):
    grads = rnn_lab.manual_backward(x, y, weights, h0=h0)
    return (*grads.as_list(), grads.dh0)


def _tape_route(x, y, weights, h0):
    import tensorflow as tf

    variables = [tf.Variable(a) for a in weights.as_list()]
    with tf.GradientTape() as tape:
        h = tf.constant(h0)
        for t in range(x.shape[1]):
            h = tf.tanh(x[:, t] @ variables[0] + h @ variables[1] + variables[2])
        loss = tf.reduce_mean((h @ variables[3] + variables[4] - y) ** 2)
    return [np.asarray(g) for g in tape.gradient(loss, variables)] + [np.zeros_like(h0)]


def _lstm_tape_route(x, h_prev, c_prev, weights, dh, dc):
    import tensorflow as tf

    tensors = [tf.constant(a) for a in (x, h_prev, c_prev, *weights.as_list())]
    H = weights.hidden_units
    with tf.GradientTape() as tape:
        for tensor in tensors:
            tape.watch(tensor)
        x_t, h, c, kernel, recurrent_kernel, bias = tensors
        a = x_t @ kernel + h @ recurrent_kernel + bias
        i, f, o = (tf.sigmoid(a[:, k * H : (k + 1) * H]) for k in (0, 1, 3))
        c_new = f * c + i * tf.tanh(a[:, 2 * H : 3 * H])
        loss = tf.reduce_sum(dh * o * tf.tanh(c_new)) + tf.reduce_sum(dc * c_new)
    return [np.asarray(g) for g in tape.gradient(loss, tensors)]


def _fit_route(x, y, weights, lr, epochs, batch_size):
    return rnn_lab.train_keras(
        x, y, weights, rnn_lab.SGD(lr), epochs=epochs, batch_size=batch_size
    ).losses


ROUTES = {
    "rnn_backward-manual_backward": (
        checks.check_rnn_backward,
        _manual_backward_route,
        "rnn_lab.manual_backward",
    ),
    "rnn_backward-GradientTape": (checks.check_rnn_backward, _tape_route, "tf.GradientTape"),
    "numerical_gradient-rnn_lab": (
        checks.check_numerical_gradient,
        lambda f, W, eps: rnn_lab.numerical_gradient(f, W, step=eps),
        "rnn_lab.numerical_gradient",
    ),
    "clip_grads-rnn_lab": (
        checks.check_clip_grads,
        lambda grads, c: rnn_lab.clip_by_global_norm(rnn_lab.SimpleRNNWeights(*grads), c).as_list(),
        "rnn_lab.clip_by_global_norm",
    ),
    "clip_grads-tensorflow": (
        checks.check_clip_grads,
        lambda grads, c: __import__("tensorflow").clip_by_global_norm(list(grads), c)[0],
        "tf.clip_by_global_norm",
    ),
    "train_sgd-train_manual": (
        checks.check_train_sgd,
        lambda x, y, w, lr, e, b: (
            rnn_lab.train_manual(x, y, w, rnn_lab.SGD(lr), epochs=e, batch_size=b).losses
        ),
        "rnn_lab.train_manual",
    ),
    "train_sgd-keras_fit": (checks.check_train_sgd, _fit_route, "rnn_lab.train_keras"),
    "gated_params-count_cell_parameters": (
        checks.check_gated_params,
        lambda kind, D, H, reset_after: rnn_lab.count_cell_parameters(
            kind, D, H, reset_after=bool(reset_after)
        ),
        "rnn_lab.count_cell_parameters",
    ),
    "lstm_backward_step-GradientTape": (
        checks.check_lstm_backward_step,
        _lstm_tape_route,
        "tf.GradientTape",
    ),
    "gru_v1_forward-trace_gates": (
        checks.check_gru_v1_forward,
        lambda x, w: rnn_lab.trace_gates(w, x)["h"],
        "rnn_lab.trace_gates",
    ),
    "gru_bias_from_torch-torch_to_keras": (
        checks.check_gru_bias_from_torch,
        lambda b_ih, b_hh: (
            rnn_lab.torch_to_keras(
                "GRU",
                {
                    "weight_ih_l0": np.zeros((len(b_ih), 1)),
                    "weight_hh_l0": np.zeros((len(b_ih), len(b_ih) // 3)),
                    "bias_ih_l0": b_ih,
                    "bias_hh_l0": b_hh,
                },
            ).bias
        ),
        "rnn_lab.torch_to_keras",
    ),
}


@pytest.mark.parametrize("route", ROUTES)
def test_delegation_is_refused(route, capsys):
    checker, answer, called = ROUTES[route]
    result = checker(answer)
    printed = capsys.readouterr().out
    assert (result.passed, result.code) == (False, core.DELEGATED), printed
    assert called in printed.splitlines()[0], printed


def test_the_training_loop_may_use_the_handed_out_backward_pass(capsys):
    # learner_train calls rnn_lab.manual_backward, which the exercise hands out
    assert checks.check_train_sgd(EXERCISES["train_sgd"][2](None)).passed
    capsys.readouterr()


def test_the_backward_pass_may_use_the_handed_out_forward_pass(capsys):
    def rnn_backward(x, y, weights, h0):
        h = rnn_lab.hidden_states(x, weights, h0=h0)  # handed out
        assert h.shape[1] == x.shape[1]
        return learner_rnn_backward(x, y, weights, h0)

    assert checks.check_rnn_backward(rnn_backward).passed
    capsys.readouterr()


def test_the_lstm_backward_step_may_recompute_the_forward_step_with_lstm_gates(capsys):
    from rnn_lab.cells import lstm_gates

    def lstm_backward_step(x_t, h_prev, c_prev, weights, dh, dc):
        gates = lstm_gates(x_t, h_prev, c_prev, weights)  # handed out by the chapter
        assert gates.c.shape == c_prev.shape
        return learner_lstm_backward(x_t, h_prev, c_prev, weights, dh, dc)

    assert checks.check_lstm_backward_step(lstm_backward_step).passed
    capsys.readouterr()


# --- broken code -------------------------------------------------------------------------


def _slow(*args):
    while True:
        pass


BROKEN = {
    "none": (lambda *a: None, core.NOT_STARTED),
    "not_implemented": (lambda *a: (_ for _ in ()).throw(NotImplementedError), core.NOT_STARTED),
    "key_error": (lambda *a: {}["h"], core.RAISED),
    "string": (lambda *a: "w", core.WRONG_TYPE),
    "generator": (lambda *a: (i for i in range(3)), core.GENERATOR),
    "too_slow": (_slow, core.TIMED_OUT),
}


@pytest.mark.parametrize("name", EXERCISES)
@pytest.mark.parametrize("case", BROKEN)
def test_broken_code_gets_a_clear_verdict_not_an_exception(name, case, capsys):
    checker = EXERCISES[name][0]
    answer, code = BROKEN[case]
    result = checker(answer, time_limit=0.5)
    printed = capsys.readouterr().out
    assert (result.passed, result.code) == (False, code), printed
    assert printed.strip() == result.message


ARRAY_EXERCISES = [
    name for name, (_, spec, _) in EXERCISES.items() if not isinstance(spec.answer, core.Whole)
]


@pytest.mark.parametrize("name", ARRAY_EXERCISES)
def test_nan_and_an_in_place_change_get_their_own_verdicts(name, capsys):
    checker, _, answer = EXERCISES[name]
    right = answer(None)

    def with_nan(*args):
        result = right(*args)
        if isinstance(result, (list, tuple)):
            return [part * np.nan for part in result]
        return result * np.nan

    def in_place(first, *rest):
        for value in (first, *rest):
            if isinstance(value, np.ndarray) and not value.flags.writeable:
                value += 1  # a read-only input: must be refused, not leak into the case
        for value in (first, *rest):
            if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
                value[0] += 1
        return right(first, *rest)

    assert checker(with_nan).code == core.NOT_FINITE
    if name == "numerical_gradient":
        return  # W is handed over writable on purpose (a fresh copy per call): nudging is the job
    result = checker(in_place)
    printed = capsys.readouterr().out
    assert result.code == core.RAISED and "read-only" in printed, printed
    assert checker(right).passed  # the hidden cases were not changed by the attempt
    capsys.readouterr()


@pytest.mark.parametrize("name", ["rnn_backward", "clip_grads"])
def test_a_tuple_with_a_wrong_part_names_that_part(name, capsys):
    checker, _, answer = EXERCISES[name]
    right = answer(None)

    def one_part_off(*args):
        parts = list(right(*args))
        parts[1] = parts[1] + 0.5
        return parts

    result = checker(one_part_off)
    printed = capsys.readouterr().out
    assert result.code == core.WRONG_VALUES
    spec = EXERCISES[name][1]
    assert f"{spec.answer.parts[1]} wrong" in printed and f"{spec.answer.parts[0]}" in printed


def test_a_tuple_of_the_wrong_length_is_told_the_order(capsys):
    result = checks.check_rnn_backward(lambda *a: learner_rnn_backward(*a)[:5])
    printed = capsys.readouterr().out
    assert result.code == core.WRONG_TYPE
    assert "dWx, dWh, dBh, dWo, dBo, dh0" in printed


def test_a_tf_tensor_part_is_told_to_convert(capsys):
    import tensorflow as tf

    def clip_grads(grads, clip_norm):
        return [tf.constant(g) for g in learner_clip(grads, clip_norm)]

    result = checks.check_clip_grads(clip_grads)
    printed = capsys.readouterr().out
    assert result.code == core.WRONG_TYPE and "np.asarray" in printed


# --- the catalogue and the teachers' page -------------------------------------------------


def test_there_are_at_least_thirty_exercises_each_with_a_checker_and_metadata():
    assert len(catalogue.EXERCISES) >= 30
    numbers = [entry.number for entry in catalogue.EXERCISES]
    assert len(set(numbers)) == len(numbers)
    for entry in catalogue.EXERCISES:
        spec = entry.exercise()
        assert callable(getattr(checks, entry.checker)), entry.number
        card = spec.card
        assert card.difficulty in (1, 2, 3) and card.minutes > 0 and card.skill, entry.number


def test_every_function_exercise_refuses_some_delegation():
    for entry in catalogue.EXERCISES:
        spec = entry.exercise()
        if spec.is_function:
            assert spec.refuses.routes or spec.refuses.frameworks, entry.number


def test_the_teachers_table_is_the_generated_one():
    page = Path(__file__).resolve().parents[1] / "book" / "for_teachers.md"
    text = page.read_text(encoding="utf-8")
    assert catalogue.page_with_table(text) == text, (
        "the exercise table on book/for_teachers.md is out of date: run "
        "python -m rnn_lab.checks.catalogue --write book/for_teachers.md"
    )


def test_every_exercise_shows_its_difficulty_and_time_under_its_title():
    book = Path(__file__).resolve().parents[1] / "book"
    headings = {}
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.source.startswith("### Exercise "):
                number = cell.source.split(":")[0].removeprefix("### Exercise ")
                headings[number] = cell.source
    assert sorted(headings) == sorted(entry.number for entry in catalogue.EXERCISES)
    for number, source in headings.items():
        assert catalogue.badge(number) in source.splitlines()[:3], number
