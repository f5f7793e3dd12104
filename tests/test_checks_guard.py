"""The checkers refuse delegation and survive learners who print, return generators or
tensors, or change NumPy's global settings.

Delegation: every route a learner actually tried (issue 14) gets ✗ naming the function
called, aliases and wrappers included; independent correct answers written in other
styles (einsum, index loops, Python lists) still pass.
"""

from __future__ import annotations

import functools
import sys

import checks_harness as harness
import numpy as np
import pytest

import rnn_lab
from rnn_lab import checks
from rnn_lab.checks import core, guard

# --- delegation routes: (checker, learner's answer, the name the verdict must give) ----


def _lstm_via_trace(x, w):
    return rnn_lab.trace_gates(w, x)["h"]


def _gru_ih_via_keras_to_torch(kernel):
    D, three_h = kernel.shape
    H = three_h // 3
    cell = rnn_lab.CellWeights(
        "GRU", kernel, np.zeros((H, 3 * H), kernel.dtype), None, reset_after=True
    )
    return rnn_lab.keras_to_torch(cell)["weight_ih_l0"]


def _forget_bias_via_keras(H, f0):
    keras = rnn_lab.import_keras()
    layer = keras.layers.LSTM(H, unit_forget_bias=False)
    layer.build((None, 3, 2))
    bias = np.asarray(layer.get_weights()[2]).copy()
    bias[H : 2 * H] = np.log(f0 / (1 - f0))
    return bias


def _count_via_count_parameters(T, D, H, O):
    return rnn_lab.count_parameters(D, H, O)["total"]


def _step_via_rnn_step(x_t, h_prev, Wx, Wh, Bh):
    weights = rnn_lab.SimpleRNNWeights(
        Wx, Wh, Bh, np.zeros((Wh.shape[0], 1), Wh.dtype), np.zeros(1, Wh.dtype)
    )
    return rnn_lab.rnn_step(x_t, h_prev, weights)


def _forward_via_alias(x, w):
    from rnn_lab.forward import manual_forward as mf  # a re-import under another name

    return mf(x.transpose(1, 0, 2), w)


ROUTES = {
    "forward_reversed-seed_loop": (
        checks.check_forward_reversed,
        lambda s, w: rnn_lab.seed_loop(s[::-1], w)[-1],
        "rnn_lab.seed_loop",
    ),
    "forward_batch-manual_forward": (
        checks.check_forward_batch,
        lambda x, w: rnn_lab.manual_forward(x.transpose(1, 0, 2), w),
        "rnn_lab.manual_forward",
    ),
    "forward_batch-alias": (checks.check_forward_batch, _forward_via_alias, "manual_forward"),
    "forward_batch-partial": (
        checks.check_forward_batch,
        functools.partial(rnn_lab.manual_forward),
        "manual_forward",
    ),
    "forward_sequences-keras_reference": (
        checks.check_forward_sequences,
        lambda x, w: rnn_lab.keras_reference(w, x, return_sequences=True),
        "rnn_lab.keras_reference",
    ),
    "scaled_states-hidden_states": (
        checks.check_scaled_states,
        lambda x, w, s: rnn_lab.hidden_states(x, w.scaled(s)),
        "rnn_lab.hidden_states",
    ),
    "lstm_forward-trace_gates": (checks.check_lstm_forward, _lstm_via_trace, "trace_gates"),
    "gru_weight_ih-keras_to_torch": (
        checks.check_gru_weight_ih,
        _gru_ih_via_keras_to_torch,
        "rnn_lab.keras_to_torch",
    ),
    "forget_bias_for-keras": (checks.check_forget_bias, _forget_bias_via_keras, "Keras"),
    "count_params-count_parameters": (
        checks.check_count_params,
        _count_via_count_parameters,
        "rnn_lab.count_parameters",
    ),
    "step-rnn_step": (checks.check_step, _step_via_rnn_step, "rnn_lab.rnn_step"),
}


test_each_delegation_route_is_refused_naming_what_was_called = harness.delegation_test(ROUTES)


def test_the_verdict_says_what_to_do(capsys):
    result = checks.check_forward_batch(lambda x, w: rnn_lab.manual_forward(x, w))
    assert (
        "your `forward_batch` called `rnn_lab.manual_forward`: write the loop yourself"
        in result.message
    )


# --- independent correct answers, other styles: still ✓ ----------------------------------


def forward_einsum(x, weights):  # time-major x (T, n, D), as exercise 3.2 hands it over
    Wx, Wh, Bh, Wo, Bo = weights.as_list()
    h = np.zeros((x.shape[1], Wh.shape[0]), dtype=x.dtype)
    for x_t in x:
        h = np.tanh(np.einsum("nd,dh->nh", x_t, Wx) + np.einsum("nk,kh->nh", h, Wh) + Bh)
    return np.einsum("nh,ho->no", h, Wo) + Bo


def forward_one_index_loops(sample, weights):
    Wx, Wh, Bh, Wo, Bo = weights.as_list()
    T, D = sample.shape
    H, O = Wh.shape[0], Wo.shape[1]
    h = [0.0] * H
    for t in range(T):
        new = []
        for j in range(H):
            a = float(Bh[j])
            a += sum(float(sample[t, d]) * float(Wx[d, j]) for d in range(D))
            a += sum(h[k] * float(Wh[k, j]) for k in range(H))
            new.append(np.tanh(a))
        h = new
    y = [float(Bo[o]) + sum(h[j] * float(Wo[j, o]) for j in range(H)) for o in range(O)]
    return np.array(y, dtype=sample.dtype)


def step_python_lists(x_t, h_prev, Wx, Wh, Bh):
    rows = []
    for x_row, h_row in zip(x_t.tolist(), h_prev.tolist(), strict=True):
        row = []
        for j in range(len(Bh)):
            a = Bh[j] + sum(x_row[d] * Wx[d][j] for d in range(len(x_row)))
            a += sum(h_row[k] * Wh[k][j] for k in range(len(h_row)))
            row.append(float(np.tanh(a)))
        rows.append(row)
    return np.array(rows, dtype=x_t.dtype)


@pytest.mark.parametrize(
    ("checker", "answer"),
    [
        (checks.check_forward_batch, forward_einsum),
        (checks.check_forward_reversed, lambda s, w: forward_one_index_loops(s[::-1], w)),
        (checks.check_step, step_python_lists),
        (
            checks.check_scaled_states,  # the record's own method is an allowed helper
            lambda x, w, s: np.stack(
                [
                    h
                    for h in _states(x, w.scaled(s))  # a hand-written loop over w.scaled(s)
                ],
                axis=1,
            ),
        ),
    ],
    ids=["einsum", "index-loops", "python-lists", "weights.scaled"],
)
def test_independent_correct_answers_in_other_styles_pass(checker, answer, capsys):
    result = checker(answer)
    assert result.passed, capsys.readouterr().out


def _states(x, weights):
    h = np.zeros((x.shape[0], weights.hidden_units), dtype=x.dtype)
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ weights.Wx + h @ weights.Wh + weights.Bh)
        yield h


def test_the_previous_profiler_is_put_back(capsys):
    calls = []

    def outer_profiler(frame, event, arg):
        calls.append(event)

    sys.setprofile(outer_profiler)
    try:
        checks.check_forward_batch(lambda x, w: rnn_lab.manual_forward(x, w))
        checks.check_forward_batch(forward_einsum)
        assert sys.getprofile() is outer_profiler
    finally:
        sys.setprofile(None)
    capsys.readouterr()


def test_no_profiler_is_left_behind(capsys):
    checks.check_forward_batch(forward_einsum)
    checks.check_forward_reversed(lambda s, w: rnn_lab.seed_loop(s[::-1], w)[-1])
    assert sys.getprofile() is None
    capsys.readouterr()


def test_every_forbidden_name_resolves_to_code():
    from rnn_lab.checks import catalogue

    for entry in catalogue.EXERCISES:
        spec = entry.exercise()
        resolved = guard.forbidden_codes(tuple(spec.refuses.routes))
        assert set(resolved.values()) == set(spec.refuses.routes), entry.number


# --- bad input: generators, tensors, printing, global NumPy state -------------------------


def test_a_generator_gets_a_clear_message(capsys):
    def forward_sequences(x, weights):
        return (h @ weights.Wo + weights.Bo for h in _states(x, weights))

    result = checks.check_forward_sequences(forward_sequences)
    printed = capsys.readouterr().out
    assert (result.passed, result.code) == (False, core.GENERATOR)
    assert "returned a generator" in printed and "np.stack" in printed


def test_a_tf_tensor_is_told_to_convert(capsys):
    import tensorflow as tf

    def forward_batch(x, weights):
        return tf.constant(forward_einsum(x, weights))

    result = checks.check_forward_batch(forward_batch)
    printed = capsys.readouterr().out
    assert (result.passed, result.code) == (False, core.WRONG_TYPE), printed
    assert "EagerTensor" in printed and "np.asarray" in printed


def test_printing_a_lot_is_cut_and_the_verdict_still_comes(capsys):
    def forward_batch(x, weights):
        for i in range(5000):
            print("debug", i)
        return forward_einsum(x, weights)

    result = checks.check_forward_batch(forward_batch)
    printed = capsys.readouterr().out
    assert result.passed
    assert printed.startswith("✓")
    assert len(printed.splitlines()) < 3 * guard.PRINTED_LINES_SHOWN
    assert "more line(s) not shown" in printed
    assert printed.strip() == result.message


def test_changing_numpy_global_state_is_undone_and_reported(capsys):
    errors, options = np.geterr(), np.get_printoptions()

    def forward_batch(x, weights):
        np.seterr(all="ignore")
        np.set_printoptions(precision=2)
        return forward_einsum(x, weights)

    result = checks.check_forward_batch(forward_batch)
    printed = capsys.readouterr().out
    assert result.passed, printed
    assert np.geterr() == errors and np.get_printoptions() == options
    assert "np.seterr" in printed and "np.set_printoptions" in printed
    assert "put it back" in printed


def test_changed_state_is_undone_even_when_the_function_raises(capsys):
    errors = np.geterr()

    def step(x_t, h_prev, Wx, Wh, Bh):
        np.seterr(all="raise")
        raise ValueError("oops")

    result = checks.check_step(step)
    assert result.code == core.RAISED
    assert np.geterr() == errors
    capsys.readouterr()


def test_every_refused_route_of_every_exercise_names_real_code():
    # A route that does not resolve would refuse nothing: each must name Python code.
    from rnn_lab.checks import catalogue

    for entry in catalogue.EXERCISES:
        for route in entry.exercise().refuses.routes:
            assert guard.forbidden_codes((route,)), f"{entry.number}: {route} names no code"
