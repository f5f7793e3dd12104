"""The checkers of chapters 7 and 8: every reference solution passes, every planted mistake
is named as that mistake, the references agree with `rnn_lab.backward`, `rnn_lab.training`
(its optimizers) and the frameworks, delegation is refused, and broken learner code gets a
verdict, not an exception.

Learner code with each mistake planted (a `bug` switch): see `checks_harness`.
"""

from __future__ import annotations

import checks_harness as harness
import numpy as np
import pytest

import rnn_lab
from rnn_lab import checks
from rnn_lab.checks import ch07, ch07_gradcheck, ch08, ch08_training, core
from rnn_lab.training.optimizers import SGD, Adam, AdamState, SGDState

# --- learner code: correct, and with each mistake -----------------------------------------


EXERCISES: dict = {}  # name -> (checker, record, learner taking bug=), filled by @answer
answer = harness.answers_to(EXERCISES)


@answer("backward_step")
def learner_backward_step(g_t, h_t, Wh, *, bug=None):
    slope = {
        "no_slope": 1.0,
        "tanh_of_h": 1 - np.tanh(h_t) ** 2,
        "not_squared": 1 - h_t,
    }.get(bug, 1 - h_t**2)
    if bug == "slope_after":
        return (g_t @ Wh.T) * (1 - h_t**2)
    delta = g_t * slope
    if bug == "delta":
        return delta
    return delta @ (Wh if bug == "no_transpose" else Wh.T)


@answer("grad_Wh")
def learner_grad_Wh(h, delta, h0, *, bug=None):
    n, T, H = h.shape
    dWh = np.zeros((H, H), dtype=h.dtype)
    steps = range(T)
    if bug == "no_h0":
        steps = range(1, T)
    for t in steps:
        h_prev = h0 if t == 0 else h[:, t - 1, :]
        if bug == "h_t":
            h_prev = h[:, t, :]
        term = delta[:, t, :].T @ h_prev if bug == "transposed" else h_prev.T @ delta[:, t, :]
        if bug == "last_only":
            dWh = term  # overwritten at every step: only the last one survives
        elif bug == "first_only" and t > 0:
            break
        else:
            dWh = dWh + term
    if bug == "mean_time":
        dWh = dWh / T
    if bug == "mean_samples":
        dWh = dWh / n
    return dWh


@answer("momentum_step")
def learner_momentum_step(w, g, m, lr, momentum, *, bug=None):
    if bug == "plain_sgd":
        return w - lr * g
    old = m
    m = (
        momentum * m + lr * g
        if bug == "plus_g"
        else momentum * m - (g if bug == "no_lr" else lr * g)
    )
    if bug == "old_velocity":
        return w + old
    return w - m if bug == "minus_m" else w + m


@answer("amsgrad_step")
def learner_amsgrad_step(w, g, m, v, v_max, t, lr, beta_1, beta_2, epsilon, *, bug=None):
    old_m, old_v = m, v
    m = m + (g - m) * (1 - beta_1)
    v = v + (g**2 - v) * (1 - beta_2)
    if bug == "old_moments":
        m, v = old_m, old_v
    if bug == "t_from_zero":
        t = t + 1
    if bug == "no_max":
        largest = v
    elif bug == "stale_max":
        largest = v_max
    else:
        largest = np.maximum(v_max, v)
    if bug == "paper_epsilon":
        m_hat, v_hat = m / (1 - beta_1**t), largest / (1 - beta_2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    alpha = lr if bug == "no_correction" else lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    root = np.sqrt(largest + epsilon) if bug == "epsilon_in_sqrt" else np.sqrt(largest) + epsilon
    step = alpha * m / root
    return w + step if bug == "step_uphill" else w - step


@answer("rnn_backward")
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


@answer("numerical_gradient")
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


@answer("clip_grads")
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


@answer("train_sgd")
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


@answer("nesterov_step")
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


#: The exercises whose answer is one array (the others return a tuple of them).
SINGLE_ARRAYS = ("backward_step", "grad_Wh", "momentum_step", "amsgrad_step")

globals().update(harness.exercise_tests(EXERCISES, broken=harness.BROKEN))

test_array_mistakes_get_a_clear_verdict = harness.broken_code_test(
    [EXERCISES[name][0] for name in SINGLE_ARRAYS],
    {
        "shape_error": (lambda first, *a: first @ np.ones((9, 9)), core.SHAPE_MIXUP),
        "in_place": (lambda first, *a: first.__iadd__(1), core.RAISED),
        "list": (lambda first, *a: first.tolist(), core.LIST),
    },
)


def test_the_issue_mistakes_have_planted_tests():
    codes = {spec.mistakes[bug].code for _, spec, _ in EXERCISES.values() for bug in spec.mistakes}
    wanted = {
        "forgot_tanh_slope",
        "missing_sum_over_time",
        "used_h_t",
        "not_transposed",
        "paper_epsilon",
        "epsilon_in_sqrt",
        "missing_bias_correction",
        "momentum_sign",
        "no_backprop_through_time",
        "wrong_normalisation",
    }
    assert wanted <= codes


CASES = {
    "backward_step": ch07._step_cases,
    "grad_Wh": ch07._grad_wh_cases,
    "rnn_backward": ch07._backward_cases,
    "momentum_step": ch08._momentum_cases,
    "amsgrad_step": ch08._adam_cases,
    "clip_grads": ch08_training._clip_cases,
    "train_sgd": ch08_training._train_cases,
}


@pytest.mark.parametrize("name", SINGLE_ARRAYS)
def test_every_variant_differs_from_the_answer_beyond_the_tolerance(name):
    for case in CASES[name]():
        for variant, value in case.variants.items():
            gap = (
                harness.largest_difference(value, case.expected)
                if value.shape == case.expected.shape
                else 1
            )
            # A hundred tolerances: rounding in the learner's order of operations can never
            # make a correct answer look like a mistake, nor the reverse.
            assert gap > 100 * case.tolerance, (name, variant, case.label)


@pytest.mark.parametrize("name", ["rnn_backward", "clip_grads", "train_sgd"])
def test_every_variant_differs_from_the_answer_somewhere(name):
    cases = CASES[name]()
    for variant in EXERCISES[name][1].mistakes:
        assert not all(core.close(c.variants[variant], c.expected, c.tolerance) for c in cases), (
            name,
            variant,
        )


# --- the references agree with the book's own implementations ----------------------------


def test_the_backward_references_agree_with_manual_backward():
    x = rnn_lab.make_sequences(3, 5, 2, seed=3, dtype="float64")
    weights = rnn_lab.random_weights(2, 4, 1, seed=3, dtype="float64")
    h0 = np.tanh(np.random.default_rng(3).normal(size=(3, 4)))
    y_true = np.random.default_rng(4).normal(size=(3, 1))
    grads = rnn_lab.backward.manual_backward(x, y_true, weights, h0=h0)
    h = rnn_lab.hidden_states(x, weights, h0=h0)
    delta = grads.dh * (1 - h * h)
    expected, _ = ch07._grad_wh_answers(h, delta, h0)
    np.testing.assert_allclose(expected, grads.Wh, rtol=0, atol=1e-12)
    dh0, _ = ch07._step_answers(grads.dh[:, 0], h[:, 0], weights.Wh)
    np.testing.assert_allclose(dh0, grads.dh0, rtol=0, atol=1e-12)


def _as_weights(array):
    # The array (as a matrix) in Wx's slot of a valid record; the other fields are zeros.
    Wx = np.atleast_2d(array)
    H, dtype = Wx.shape[1], array.dtype
    zeros = (np.zeros((H, H), dtype), np.zeros(H, dtype), np.zeros((H, 1), dtype))
    return rnn_lab.SimpleRNNWeights(Wx, *zeros, np.zeros(1, dtype))


def test_the_optimiser_references_agree_with_rnn_lab_optimizers():
    for case in ch08._momentum_cases():
        w, g, m, lr, mu = case.args
        new, _ = SGD(lr, momentum=mu).step(_as_weights(w), _as_weights(g), SGDState(_as_weights(m)))
        np.testing.assert_allclose(
            new.Wx.reshape(w.shape), case.expected, rtol=0, atol=case.tolerance
        )
    for case in ch08._adam_cases():
        w, g, m, v, v_max, t, lr, b1, b2, eps = case.args
        if w.dtype != np.float32:
            continue  # in float64 Keras first rounds β to float32; the exercise does not
        # with a running maximum that never exceeds v, AMSGrad is Adam
        as_adam, _ = ch08._adam_answers(w, g, m, v, np.zeros_like(v), t, lr, (b1, b2, eps))
        state = AdamState(t - 1, _as_weights(m), _as_weights(v))
        adam = Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps)
        new, _ = adam.step(_as_weights(w), _as_weights(g), state)
        np.testing.assert_allclose(new.Wx.reshape(w.shape), as_adam, rtol=0, atol=case.tolerance)


def test_the_amsgrad_reference_is_keras_adam_with_amsgrad():
    keras = rnn_lab.import_keras()
    rng = np.random.default_rng(82)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-2
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    # gradients that shrink, so the running maximum of v stays above v after the first steps
    grads = [(rng.normal(size=(3, 4)) * scale).astype(np.float32) for scale in (1.0, 0.2, 0.05)]
    variable = keras.Variable(w0)
    optimizer = keras.optimizers.Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps, amsgrad=True)
    w, m, v, v_max = w0.astype(np.float64), *(np.zeros((3, 4)) for _ in range(3))
    for t, g in enumerate(grads, start=1):
        optimizer.apply_gradients([(g, variable)])
        w, _ = ch08._adam_answers(w, g, m, v, v_max, t, lr, (b1, b2, eps))
        m = m + (g - m) * (1 - b1)
        v = v + (g.astype(np.float64) ** 2 - v) * (1 - b2)
        v_max = np.maximum(v_max, v)
    assert np.any(v_max > v), "the maximum mattered in this run"
    np.testing.assert_allclose(np.asarray(variable), w, rtol=0, atol=rnn_lab.FLOAT32_ATOL)


def test_the_backward_reference_is_manual_backward_too():
    for case in ch07._backward_cases():
        x, y, weights, h0 = case.args
        grads = rnn_lab.manual_backward(x, y, weights, h0=h0)
        for mine, theirs in zip((*grads.as_list(), grads.dh0), case.expected, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=case.tolerance)


def test_the_training_reference_is_train_manual_too():
    for case in ch08_training._train_cases():
        x, y, weights, lr, epochs, batch_size = case.args
        history = rnn_lab.train_manual(
            x, y, weights, rnn_lab.SGD(lr), epochs=epochs, batch_size=batch_size
        )
        np.testing.assert_allclose(history.losses, case.expected, rtol=0, atol=case.tolerance)


def test_the_clipping_reference_is_keras_global_clipnorm_too():
    for case in ch08_training._clip_cases():
        grads, clip_norm = case.args
        clipped = rnn_lab.clip_by_global_norm(rnn_lab.SimpleRNNWeights(*grads), clip_norm)
        for mine, theirs in zip(clipped.as_list(), case.expected, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=case.tolerance)


def test_the_nesterov_reference_is_rnn_lab_sgd_with_nesterov():
    from rnn_lab.training.optimizers import SGD, SGDState

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


def test_the_numerical_reference_approximates_the_true_gradient():
    for case in ch07_gradcheck._numerical_cases():
        f, W, eps = case.args
        x_free = case.expected
        assert x_free.shape == W.shape and np.all(np.isfinite(x_free))
        # central differences are accurate to O(eps²): compare with a much smaller step
        fine = ch07_gradcheck.numerical_variant(f, W, eps / 10)
        np.testing.assert_allclose(x_free, fine, rtol=0, atol=1e-5)


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
}


test_delegation_is_refused = harness.delegation_test(ROUTES)


def test_the_training_loop_may_use_the_handed_out_backward_pass(capsys):
    # learner_train calls rnn_lab.manual_backward, which the exercise hands out
    assert checks.check_train_sgd(learner_train).passed
    capsys.readouterr()


def test_the_backward_pass_may_use_the_handed_out_forward_pass(capsys):
    def rnn_backward(x, y, weights, h0):
        h = rnn_lab.hidden_states(x, weights, h0=h0)  # handed out
        assert h.shape[1] == x.shape[1]
        return learner_rnn_backward(x, y, weights, h0)

    assert checks.check_rnn_backward(rnn_backward).passed
    capsys.readouterr()


# --- answers of the wrong kind get their own verdicts -------------------------------------


@pytest.mark.parametrize("name", SINGLE_ARRAYS)
def test_wrong_shape_nan_and_lost_precision_are_named(name):
    checker = EXERCISES[name][0]
    right = harness.planted(EXERCISES[name][2], None)
    assert checker(lambda *a: right(*a)[..., :1]).code == core.WRONG_SHAPE
    assert checker(lambda *a: right(*a) * np.nan).code == core.NOT_FINITE
    assert checker(lambda *a: right(*a).astype(np.float32)).code == core.LOST_PRECISION
    assert checker(None).code == core.NOT_STARTED


@pytest.mark.parametrize("name", [n for n in EXERCISES if n not in SINGLE_ARRAYS])
def test_nan_and_an_in_place_change_get_their_own_verdicts(name, capsys):
    checker, _, learner = EXERCISES[name]
    # W is handed over writable on purpose (a fresh copy per call): nudging is the job
    in_place = name != "numerical_gradient"
    harness.assert_nan_and_in_place_verdicts(
        checker, harness.planted(learner, None), capsys, in_place=in_place
    )


@pytest.mark.parametrize("name", ["rnn_backward", "clip_grads"])
def test_a_tuple_with_a_wrong_part_names_that_part(name, capsys):
    checker, _, answer = EXERCISES[name]
    right = harness.planted(answer, None)

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
