"""The exercise checkers of chapters 9 to 11 (LSTM, GRU, porting): every reference solution
passes, every planted mistake is named as that mistake, the references are what the library
computes, delegation is refused, and broken learner code gets a verdict, not an exception.

Learner code with each mistake planted (a `bug` switch): see `checks_harness`.
"""

from __future__ import annotations

import checks_harness as harness
import numpy as np
import pytest

import rnn_lab
from rnn_lab import checks
from rnn_lab.checks import ch09, ch10, ch11, core

EXERCISES: dict = {}  # name -> (checker, record, learner taking bug=), filled by @answer
answer = harness.answers_to(EXERCISES)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@answer("lstm_forward")
def learner_lstm(x, weights, *, bug=None):
    kernel, recurrent_kernel, bias = weights.as_list()
    if bug == "no_bias":
        bias = 0 * bias
    n, T, _ = x.shape
    H = weights.hidden_units
    h = np.zeros((n, H), dtype=x.dtype)
    c = np.zeros((n, H), dtype=x.dtype)
    gate = np.tanh if bug == "tanh_gates" else _sigmoid
    states = []
    for t in range(T):
        a = x[:, t, :] @ kernel + h @ recurrent_kernel + bias
        if bug == "order_fico":
            f, i, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        elif bug == "order_icfo":
            i, g, f, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        elif bug == "order_ifoc":
            i, f, o, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        else:
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        i, f, o = gate(i), gate(f), gate(o)
        g = _sigmoid(g) if bug == "sigmoid_candidate" else np.tanh(g)
        c_new = f * c + i * g
        h_new = o * c_new if bug == "no_tanh_on_c" else o * np.tanh(c_new)
        if bug != "stale_c":
            c = c_new
        if bug != "stale_h":
            h = h_new
        states.append(c_new if bug == "returns_c" else h_new)
    return np.stack(states, axis=1)


@answer("forget_bias")
def learner_forget_bias(H, f0, *, bug=None):
    bias = np.zeros((4, H))  # one row per block [i, f, c, o], flattened at the end
    value = np.log(f0) - np.log(1 - f0)
    if bug == "keras_default":
        value = 1.0
    elif bug == "plus_one":
        value = value + 1
    elif bug == "no_logit":
        value = f0
    elif bug == "negated":
        value = -value
    if bug == "all_blocks":
        bias[:] = value
    else:
        block = {"block_input": 0, "block_candidate": 2, "block_output": 3}.get(bug, 1)
        bias[block] = value
    return bias.reshape(-1).astype(np.float32)


@answer("gru_forward")
def learner_gru(x, weights, *, bug=None):
    kernel, recurrent_kernel, bias = weights.as_list()
    H = weights.hidden_units
    b_in, b_rec = bias[0], bias[1]
    if bug == "bias0_only":
        b_rec = np.zeros_like(b_rec)
    if bug == "bias1_only":
        b_in = np.zeros_like(b_in)
    h = np.zeros((x.shape[0], H), dtype=x.dtype)
    states = []
    for t in range(x.shape[1]):
        xz = x[:, t] @ kernel[:, :H] + b_in[:H]
        xr = x[:, t] @ kernel[:, H : 2 * H] + b_in[H : 2 * H]
        xh = x[:, t] @ kernel[:, 2 * H :] + b_in[2 * H :]
        hz = h @ recurrent_kernel[:, :H] + b_rec[:H]
        hr = h @ recurrent_kernel[:, H : 2 * H] + b_rec[H : 2 * H]
        if bug == "torch_order":
            xz, xr, hz, hr = xr, xz, hr, hz
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        if bug == "reset_before":
            hh = (r * h) @ recurrent_kernel[:, 2 * H :] + b_rec[2 * H :]
        elif bug == "bias_outside_reset":
            hh = r * (h @ recurrent_kernel[:, 2 * H :]) + b_rec[2 * H :]
        else:
            hh = r * (h @ recurrent_kernel[:, 2 * H :] + b_rec[2 * H :])
        h_tilde = np.tanh(xh + hh)
        keep = 1 - z if bug == "swapped_update" else z  # the share of the old state kept
        h_new = keep * h + (1 - keep) * h_tilde
        if bug != "stale_h":
            h = h_new
        states.append(h_new)
    return np.stack(states, axis=1)


@answer("gru_weight_ih")
def learner_weight_ih(kernel, *, bug=None):
    H = kernel.shape[1] // 3
    if bug == "untouched":
        return kernel
    if bug == "not_transposed":
        return np.hstack([kernel[:, H : 2 * H], kernel[:, :H], kernel[:, 2 * H :]])
    w = kernel.reshape(3 * H, kernel.shape[0]) if bug and bug.startswith("reshaped") else kernel.T
    if bug in ("reshaped", "not_reordered"):
        return w
    return np.vstack([w[H : 2 * H], w[:H], w[2 * H :]])


@answer("lstm_from_torch")
def learner_lstm_from_torch(weight_ih, weight_hh, bias_ih, bias_hh, *, bug=None):
    kernel, recurrent_kernel = weight_ih.T, weight_hh.T
    if bug == "not_transposed":
        kernel, recurrent_kernel = weight_ih, weight_hh
    if bug == "reshaped":
        kernel = weight_ih.reshape(weight_ih.shape[1], -1)
        recurrent_kernel = weight_hh.reshape(weight_hh.shape[1], -1)
    bias = {
        "ih_only": lambda: bias_ih,
        "hh_only": lambda: bias_hh,
        "mean": lambda: (bias_ih + bias_hh) / 2,
        "concatenated": lambda: np.concatenate([bias_ih, bias_hh]),
        "stacked": lambda: np.stack([bias_ih, bias_hh]),
    }.get(bug, lambda: bias_ih + bias_hh)()
    if bug == "gru_reorder":  # the GRU's swap of the first two blocks, wrongly applied
        H = recurrent_kernel.shape[0]
        swap = np.r_[H : 2 * H, 0:H, 2 * H : 4 * H]
        kernel, recurrent_kernel, bias = kernel[:, swap], recurrent_kernel[:, swap], bias[swap]
    return kernel, recurrent_kernel, bias


@answer("gated_params")
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


@answer("gru_v1_forward")
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


@answer("lstm_backward_step")
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


@answer("gru_bias_from_torch")
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


globals().update(harness.exercise_tests(EXERCISES, broken=harness.BROKEN))


@pytest.mark.parametrize("name", ["lstm_backward_step", "gru_v1_forward", "gru_bias_from_torch"])
def test_nan_and_an_in_place_change_get_their_own_verdicts(name, capsys):
    checker, _, learner = EXERCISES[name]
    harness.assert_nan_and_in_place_verdicts(checker, harness.planted(learner, None), capsys)


def test_every_mistake_of_the_issue_has_a_planted_test():
    codes = {spec.mistakes[bug].code for _, spec, _ in EXERCISES.values() for bug in spec.mistakes}
    wanted = {
        "gate_order",  # LSTM [i, f, c, o]; GRU [z, r, h] vs PyTorch [r, z, n]
        "dropped_bias_row",  # reset_after=True has two bias rows
        "reset_before",  # reset gate before vs after the recurrent product
        "unit_forget_bias",  # Keras's default ones where another start was asked for
        "not_transposed",
        "reshape_not_transpose",
        "one_bias_only",  # PyTorch's two biases not summed
    }
    assert wanted <= codes


@pytest.mark.parametrize("name", ["lstm_forward", "gru_forward"])
def test_an_unrecognised_mistake_says_where_the_sequence_goes_wrong(name, capsys):
    checker, _, learner = EXERCISES[name]
    result = checker(lambda x, w: learner(x, w) * 1.01)
    assert result.code == core.WRONG_VALUES
    assert "first wrong timestep" in capsys.readouterr().out


def test_the_weights_given_to_the_learner_are_read_only(capsys):
    result = checks.check_gru_weight_ih(lambda kernel: kernel.__iadd__(1).T)
    assert result.code == core.RAISED and "read-only" in capsys.readouterr().out


def test_the_variants_differ_from_the_correct_answer_on_every_case():
    # A variant equal to the answer on some case could only be recognised by luck.
    for cases in (
        ch09.check_lstm_forward.cases(),
        ch10.check_gru_forward.cases(),
        ch11._weight_ih_cases(),
    ):
        for case in cases:
            for name, value in case.variants.items():
                differs = value.shape != case.expected.shape or (
                    harness.largest_difference(value, case.expected) > 1e-3
                )
                assert differs, (name, case.label)


def test_every_gru_v1_variant_differs_from_the_answer_somewhere():
    cases = ch10.check_gru_v1_forward.cases()
    for variant in ch10.GRU_V1_EXERCISE.mistakes:
        assert not all(core.close(c.variants[variant], c.expected, c.tolerance) for c in cases), (
            variant
        )


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


# --- delegation ---------------------------------------------------------------------------


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


ROUTES = {
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


test_delegation_is_refused = harness.delegation_test(ROUTES)


def test_the_lstm_backward_step_may_recompute_the_forward_step_with_lstm_gates(capsys):
    from rnn_lab.cells.steps import lstm_gates

    def lstm_backward_step(x_t, h_prev, c_prev, weights, dh, dc):
        gates = lstm_gates(x_t, h_prev, c_prev, weights)  # handed out by the chapter
        assert gates.c.shape == c_prev.shape
        return learner_lstm_backward(x_t, h_prev, c_prev, weights, dh, dc)

    assert checks.check_lstm_backward_step(lstm_backward_step).passed
    capsys.readouterr()
