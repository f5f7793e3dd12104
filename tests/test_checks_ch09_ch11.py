"""The exercise checkers of chapters 9 to 11 (LSTM, GRU, porting): every reference solution
passes, and every planted mistake is named as that mistake.

The mistakes are written here the way a learner would write them (one function with a
`bug` switch), independently of the variants inside the checkers, so a test passes only
if the checker recognises real code with the mistake.
"""

from __future__ import annotations

import numpy as np
import pytest
from checks_harness import assert_mistake_diagnosed, assert_reference_passes

from rnn_lab import checks
from rnn_lab.checks import ch09, ch10, ch11, core


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


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


# name -> (checker, exercise spec, answer for a bug (None = correct))
EXERCISES = {
    "lstm_forward": (
        checks.check_lstm_forward,
        ch09.LSTM_FORWARD_EXERCISE,
        lambda bug: lambda x, w: learner_lstm(x, w, bug=bug),
    ),
    "forget_bias_for": (
        checks.check_forget_bias,
        ch09.FORGET_EXERCISE,
        lambda bug: lambda H, f0: learner_forget_bias(H, f0, bug=bug),
    ),
    "gru_forward": (
        checks.check_gru_forward,
        ch10.GRU_FORWARD_EXERCISE,
        lambda bug: lambda x, w: learner_gru(x, w, bug=bug),
    ),
    "gru_weight_ih": (
        checks.check_gru_weight_ih,
        ch11.WEIGHT_IH_EXERCISE,
        lambda bug: lambda kernel: learner_weight_ih(kernel, bug=bug),
    ),
    "lstm_from_torch": (
        checks.check_lstm_from_torch,
        ch11.LSTM_BIAS_EXERCISE,
        lambda bug: lambda *state: learner_lstm_from_torch(*state, bug=bug),
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


def test_every_mistake_of_the_issue_has_a_planted_test():
    codes = {EXERCISES[name][1].mistakes[bug].code for name, bug in PLANTED}
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


@pytest.mark.parametrize("name", EXERCISES)
def test_the_starter_placeholder_is_not_yet_solved(name, capsys):
    checker, _, _ = EXERCISES[name]

    def starter(*args):
        raise NotImplementedError

    assert checker(starter).code == core.NOT_STARTED
    assert checker(None).code == core.NOT_STARTED
    assert "not yet solved" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["lstm_forward", "gru_forward"])
def test_an_unrecognised_mistake_says_where_the_sequence_goes_wrong(name, capsys):
    checker, _, answer = EXERCISES[name]
    result = checker(lambda x, w: answer(None)(x, w) * 1.01)
    assert result.code == core.WRONG_VALUES
    assert "first wrong timestep" in capsys.readouterr().out


def test_the_weights_given_to_the_learner_are_read_only(capsys):
    result = checks.check_gru_weight_ih(lambda kernel: kernel.__iadd__(1).T)
    assert result.code == core.RAISED and "read-only" in capsys.readouterr().out


def test_the_variants_differ_from_the_correct_answer_on_every_case():
    # A variant equal to the answer on some case could only be recognised by luck.
    for cases in (ch09._lstm_cases(), ch10._gru_cases(), ch11._weight_ih_cases()):
        for case in cases:
            for name, value in case.variants.items():
                differs = value.shape != case.expected.shape or (
                    np.max(np.abs(value - case.expected)) > 1e-3
                )
                assert differs, (name, case.label)
