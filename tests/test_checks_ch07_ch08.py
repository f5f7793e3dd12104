"""The checkers of chapters 7 and 8: every reference solution passes, every planted mistake
is named as that mistake, the references agree with `rnn_lab.backward` and
`rnn_lab.training.optimizers`, and broken learner code gets a verdict, not an exception.

The planted mistakes are written the way a learner would write them (one function with a
`bug` switch), independently of the checkers' own variants.
"""

from __future__ import annotations

import numpy as np
import pytest
from checks_harness import assert_mistake_diagnosed, assert_reference_passes

import rnn_lab
from rnn_lab import checks
from rnn_lab.checks import ch07, ch08, core
from rnn_lab.training.optimizers import SGD, Adam, AdamState, SGDState

# --- learner code: correct, and with each mistake -----------------------------------------


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


# name -> (checker, exercise spec, learner function taking bug=)
EXERCISES = {
    "backward_step": (checks.check_backward_step, ch07.STEP_EXERCISE, learner_backward_step),
    "grad_Wh": (checks.check_grad_Wh, ch07.GRAD_WH_EXERCISE, learner_grad_Wh),
    "momentum_step": (checks.check_momentum_step, ch08.MOMENTUM_EXERCISE, learner_momentum_step),
    "amsgrad_step": (checks.check_amsgrad_step, ch08.ADAM_EXERCISE, learner_amsgrad_step),
}
PLANTED = [(name, bug) for name, (_, spec, _) in EXERCISES.items() for bug in spec.mistakes]


def _answer(name, bug):
    learner = EXERCISES[name][2]
    return lambda *args: learner(*args, bug=bug)


@pytest.mark.parametrize("name", EXERCISES)
def test_reference_solution_passes(name, capsys):
    assert_reference_passes(EXERCISES[name][0], _answer(name, None), capsys)


@pytest.mark.parametrize(("name", "bug"), PLANTED, ids=[f"{n}-{b}" for n, b in PLANTED])
def test_planted_mistake_is_diagnosed_as_that_mistake(name, bug, capsys):
    checker, spec, _ = EXERCISES[name]
    assert_mistake_diagnosed(checker, spec, bug, _answer(name, bug), capsys)


def test_the_issue_mistakes_have_planted_tests():
    codes = {EXERCISES[name][1].mistakes[bug].code for name, bug in PLANTED}
    wanted = {
        "forgot_tanh_slope",
        "missing_sum_over_time",
        "used_h_t",
        "not_transposed",
        "paper_epsilon",
        "epsilon_in_sqrt",
        "missing_bias_correction",
        "momentum_sign",
    }
    assert wanted <= codes


@pytest.mark.parametrize("name", EXERCISES)
def test_every_variant_differs_from_the_answer_beyond_the_tolerance(name):
    cases = {
        "backward_step": ch07._step_cases,
        "grad_Wh": ch07._grad_wh_cases,
        "momentum_step": ch08._momentum_cases,
        "amsgrad_step": ch08._adam_cases,
    }[name]()
    for case in cases:
        for variant, value in case.variants.items():
            gap = np.max(np.abs(value - case.expected)) if value.shape == case.expected.shape else 1
            # A hundred tolerances: rounding in the learner's order of operations can never
            # make a correct answer look like a mistake, nor the reverse.
            assert gap > 100 * case.tolerance, (name, variant, case.label)


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


# --- bad learner code never crashes a checker ---------------------------------------------


def _slow(*args):
    while True:
        pass


BROKEN = {
    "none": (lambda *a: None, core.NOT_STARTED),
    "not_implemented": (lambda *a: (_ for _ in ()).throw(NotImplementedError), core.NOT_STARTED),
    "key_error": (lambda *a: {}["h"], core.RAISED),
    "shape_error": (lambda first, *a: first @ np.ones((9, 9)), core.SHAPE_MIXUP),
    "in_place": (lambda first, *a: first.__iadd__(1), core.RAISED),
    "list": (lambda first, *a: first.tolist(), core.LIST),
    "string": (lambda *a: "w", core.WRONG_TYPE),
    "too_slow": (_slow, core.TIMED_OUT),
}


@pytest.mark.parametrize("name", EXERCISES)
@pytest.mark.parametrize("case", BROKEN)
def test_broken_code_gets_a_clear_verdict_not_an_exception(name, case, capsys):
    checker = EXERCISES[name][0]
    answer, code = BROKEN[case]
    result = checker(answer, time_limit=0.3)
    printed = capsys.readouterr().out
    assert (result.passed, result.code) == (False, code), printed
    assert printed.strip() == result.message


@pytest.mark.parametrize("name", EXERCISES)
def test_wrong_shape_nan_and_lost_precision_are_named(name):
    checker = EXERCISES[name][0]
    right = _answer(name, None)
    assert checker(lambda *a: right(*a)[..., :1]).code == core.WRONG_SHAPE
    assert checker(lambda *a: right(*a) * np.nan).code == core.NOT_FINITE
    assert checker(lambda *a: right(*a).astype(np.float32)).code == core.LOST_PRECISION
    assert checker(None).code == core.NOT_STARTED
