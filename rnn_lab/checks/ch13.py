"""Checkers for the exercises of chapter 13, *Why gates work*: one LSTM step backwards along
the cell state, and one GRU step backwards (``reset_after=True``) to ``dL/dh_{t-1}``.

    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t,     h_t = o_t ⊙ tanh(c_t)
    gc_t = dL/dc_t (from step t+1) + dL/dh_t ⊙ o_t ⊙ (1 − tanh²(c_t))
    dL/dc_{t-1} (through this step's cell state) = gc_t ⊙ f_t     (∂c_t/∂c_{t-1} = diag(f_t))
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .core import Card, Refusal, accepting_scalars, exercise
from .hidden import drawn_case, seeded_cases
from .verdicts import Case, Mistake

#: Hidden cases ``(n, H, dtype)``: gates strictly inside (0, 1), cell states of order 1.
CASES = ((3, 4, "float32"), (2, 5, "float64"), (4, 3, "float64"), (5, 2, "float32"))

#: What both step-backwards exercises refuse besides the cell's own backward pass: the
#: sequence backward passes and Keras's gradients, which contain the step.
SEQUENCE_BACKWARD_ROUTES = (
    "rnn_lab.cells.bptt.sequence_backward",
    "rnn_lab.cells.bptt.backward_from_trace",
    "rnn_lab.keras_side.layers.keras_sequence_gradients",
)

CELL_MISTAKES = {
    "no_h_path": Mistake(
        "forgot_h_path",
        "left out the gradient arriving through h_t = o_t ⊙ tanh(c_t)",
        "c_t feeds the next cell state AND this step's output h_t: add "
        "dh * o * (1 - np.tanh(c)**2) to dc before multiplying by f.",
    ),
    "no_forget": Mistake(
        "forgot_forget_gate",
        "did not multiply by the forget gate f_t",
        "c_t = f_t ⊙ c_(t-1) + ...: the derivative of c_t with respect to c_(t-1) is "
        "diag(f_t), so the result is (...) * f.",
    ),
    "slope_of_c": Mistake(
        "wrong_tanh_slope",
        "used 1 − c_t² as the slope of tanh(c_t)",
        "The slope of tanh at c_t is 1 - tanh(c_t)²: take np.tanh(c) first, then square it.",
    ),
    "no_output_gate": Mistake(
        "forgot_output_gate",
        "left out the output gate o_t on the h_t path",
        "h_t = o_t ⊙ tanh(c_t): dL/dc_t through h_t is dh * o * (1 - tanh(c)²).",
    ),
    "input_gate": Mistake(
        "wrong_gate",
        "multiplied by the input gate i_t instead of the forget gate f_t",
        "The input gate scales the candidate, not the old cell state: multiply by f.",
    ),
}


def _answers(dc, dh, o, c, f, i) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    dc, dh, o, c, f, i = (a.astype(np.float64) for a in (dc, dh, o, c, f, i))
    slope = 1 - np.tanh(c) ** 2
    gc = dc + dh * o * slope
    return gc * f, {
        "no_h_path": dc * f,
        "no_forget": gc,
        "slope_of_c": (dc + dh * o * (1 - c * c)) * f,
        "no_output_gate": (dc + dh * slope) * f,
        "input_gate": gc * i,
    }


def _cell_case(rng, n, H, dtype) -> Case:
    o, f, i = 1 / (1 + np.exp(-rng.normal(0, 1.5, (3, n, H))))
    dc, dh = rng.normal(size=(n, H)), rng.normal(size=(n, H))
    c = rng.normal(0, 1.2, (n, H))
    args = tuple(value.astype(dtype) for value in (dc, dh, o, c, f, i))
    return drawn_case(args, _answers, f"n={n}, H={H}, {dtype}", dtype)


check_cell_state_grad = exercise(
    """Check ``cell_state_grad(dc, dh, o, c, f, i)``: ``dL/dc_{t-1}`` along the cell state.""",
    seeded_cases(CASES, 13000, _cell_case),
    returns="dL/dc_(t-1), an array of shape (n, H)",
    verified=(
        "dL/dc_(t-1) = (dL/dc_t + dL/dh_t ⊙ o_t ⊙ (1 − tanh²(c_t))) ⊙ f_t on "
        f"{len(CASES)} hidden cases (float32 and float64), the rule rnn_lab.cells.bptt "
        "applies at every step (itself checked against tf.GradientTape)."
    ),
    mistakes=CELL_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.cells.bptt.lstm_backward",
        *SEQUENCE_BACKWARD_ROUTES,
        advice="apply the chain rule along the cell state yourself, with NumPy",
    ),
    card=Card(1, 20, "the LSTM cell-state gradient, dL/dc_(t-1) through diag(f_t)"),
)


# --- one GRU step backwards ----------------------------------------------------------------------

#: Hidden cases ``(n, H, dtype)`` for the GRU step.
GRU_CASES = ((3, 4, "float32"), (2, 5, "float64"), (4, 3, "float64"), (5, 2, "float32"))

GRU_MISTAKES = {
    "no_direct": Mistake(
        "forgot_direct_path",
        "left out the direct path g_t ⊙ z_t, the GRU's own highway",
        "h_t = z_t ⊙ h_(t-1) + (1 − z_t) ⊙ h̃_t: h_(t-1) reaches h_t directly, times z_t. "
        "That term is the one chapter 13 is about.",
    ),
    "reset_not_on_recurrent": Mistake(
        "forgot_reset_on_recurrent",
        "sent the candidate's gradient back through Wh_h without the reset gate r_t",
        "With reset_after=True the candidate reads r_t ⊙ (h_(t-1)·Wh_h + Bhh_h): the recurrent "
        "block's gradient is (δh̃ ⊙ r_t), and only then · Wh_hᵀ.",
    ),
    "z_sign": Mistake(
        "update_gate_sign",
        "used h̃_t − h_(t-1) in the update gate's gradient",
        "∂h_t/∂z_t = h_(t-1) − h̃_t: the old state minus the candidate.",
    ),
    "swapped_mix": Mistake(
        "swapped_mix",
        "differentiated h_t = (1 − z_t) ⊙ h_(t-1) + z_t ⊙ h̃_t, the mix the other way round",
        "Keras mixes h_t = z_t ⊙ h_(t-1) + (1 − z_t) ⊙ h̃_t: z_t keeps the OLD state.",
    ),
    "no_slopes": Mistake(
        "forgot_slopes",
        "left out the slopes σ' = σ(1 − σ) of the gates and tanh' = 1 − h̃² of the candidate",
        "Each pre-activation's gradient is the output's gradient times the activation's slope.",
    ),
}


def _gru_answers(g, h_prev, z, r, h_tilde, hh, Wh) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    g, h_prev, z, r, h_tilde, hh, Wh = (
        a.astype(np.float64) for a in (g, h_prev, z, r, h_tilde, hh, Wh)
    )
    H = h_prev.shape[1]
    Wz, Wr, Wc = Wh[:, :H], Wh[:, H : 2 * H], Wh[:, 2 * H :]

    def back(direct, d_cand, d_z, reset_on_recurrent=True, slopes=True):
        s_c = (1 - h_tilde**2) if slopes else 1
        s_z = z * (1 - z) if slopes else 1
        s_r = r * (1 - r) if slopes else 1
        a_c = d_cand * s_c
        a_z = d_z * s_z
        a_r = a_c * hh * s_r
        recurrent = a_c * r if reset_on_recurrent else a_c
        return direct + a_z @ Wz.T + a_r @ Wr.T + recurrent @ Wc.T

    right = back(g * z, g * (1 - z), g * (h_prev - h_tilde))
    return right, {
        "no_direct": back(0, g * (1 - z), g * (h_prev - h_tilde)),
        "reset_not_on_recurrent": back(
            g * z, g * (1 - z), g * (h_prev - h_tilde), reset_on_recurrent=False
        ),
        "z_sign": back(g * z, g * (1 - z), g * (h_tilde - h_prev)),
        "swapped_mix": back(g * (1 - z), g * z, g * (h_tilde - h_prev)),
        "no_slopes": back(g * z, g * (1 - z), g * (h_prev - h_tilde), slopes=False),
    }


def _gru_case(rng, n, H, dtype, *, seed: int) -> Case:
    from ..cells.steps import gru_gates
    from ..cells.weights import random_cell_weights

    weights = random_cell_weights("GRU", 2, H, reset_after=True, seed=seed, dtype=dtype)
    x = rng.uniform(-1, 1, (n, 2)).astype(dtype)
    h_prev = rng.uniform(-1, 1, (n, H)).astype(dtype)
    g = rng.normal(size=(n, H)).astype(dtype)
    step = gru_gates(x, h_prev, weights)
    Wh = weights.recurrent_kernel
    hh = (h_prev @ Wh[:, 2 * H :] + weights.bias[1, 2 * H :]).astype(dtype)
    args = (g, h_prev, step.z, step.r, step.h_tilde, hh, Wh)
    args = tuple(np.array(a, dtype=dtype) for a in args)
    return drawn_case(args, _gru_answers, f"n={n}, H={H}, {dtype}", dtype, cast=True)


check_gru_step_backward = exercise(
    """Check ``gru_step_backward(g, h_prev, z, r, h_tilde, hh, Wh)``: ``dL/dh_{t-1}``.""",
    seeded_cases(GRU_CASES, 13200, _gru_case, pass_seed=True),
    returns="dL/dh_(t-1), an array of shape (n, H)",
    verified=(
        "dL/dh_(t-1) = g ⊙ z + δz·Wh_zᵀ + δr·Wh_rᵀ + (δh̃ ⊙ r)·Wh_hᵀ on "
        f"{len(GRU_CASES)} hidden cases (float32 and float64), what rnn_lab.cells.bptt "
        "computes at every step (itself checked against tf.GradientTape)."
    ),
    mistakes=GRU_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.cells.bptt.gru_backward",
        *SEQUENCE_BACKWARD_ROUTES,
        advice="apply the chain rule through the three blocks yourself, with NumPy",
    ),
    card=Card(3, 40, "one GRU step backwards (reset_after=True): every path from h_t to h_(t-1)"),
)


# --- a forget bias for a delay -------------------------------------------------------------------

#: Hidden delays ``d``.
BIAS_DELAYS = (2, 10, 79, 500)

BIAS_MISTAKES = {
    "gate_value": Mistake(
        "returned_gate_value",
        "returned the gate's value f = 2^(−1/d), not the bias b with σ(b) = f",
        "The bias is the gate's logit: b = log(f / (1 − f)).",
    ),
    "memory_rule": Mistake(
        "used_memory_time",
        "used the memory-time rule b = log(d − 1) (f = 1 − 1/d), which keeps e^(−1) ≈ 0.37",
        "1 − 1/d to the power d is about 1/e, not 1/2: solve σ(b)^d = 1/2 for f first.",
    ),
    "inverse_logit": Mistake(
        "logit_of_one_minus_f",
        "took log((1 − f) / f), the logit of 1 − f: the sign is flipped",
        "σ(b) = f means b = log(f / (1 − f)): f on top.",
    ),
    "power_d": Mistake(
        "raised_to_d",
        "used f = 2^(−d) instead of 2^(−1/d)",
        "f^d = 1/2 means f = (1/2)^(1/d), close to 1 for a long delay.",
    ),
}


def _bias_answers(d) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    f = 0.5 ** (1.0 / d)
    g = 0.5**d
    return np.asarray(np.log(f / (1 - f))), {
        "gate_value": np.asarray(f),
        "memory_rule": np.asarray(np.log(d - 1.0)),
        "inverse_logit": np.asarray(np.log((1 - f) / f)),
        "power_d": np.asarray(np.log(g / (1 - g))),
    }


@cache
def _bias_cases() -> tuple[Case, ...]:
    cases = []
    for d in BIAS_DELAYS:
        expected, variants = _bias_answers(d)
        cases.append(Case((d,), expected, f"d = {d}", 1e-9, variants))
    return tuple(cases)


check_forget_bias_for_delay = exercise(
    """Check ``forget_bias_for_delay(d)``: the bias with ``σ(b)^d = 1/2``.""",
    _bias_cases,
    prepare=accepting_scalars,
    returns="the bias b, one number",
    verified=(
        f"b = logit(2^(−1/d)) for d in {BIAS_DELAYS}: a constant forget gate σ(b) keeps half "
        "of the cell state, and half of the gradient along it, after d steps."
    ),
    mistakes=BIAS_MISTAKES,
    refuses=Refusal(frameworks=True),
    card=Card(2, 15, "choosing the forget bias for a delay d: σ(b)^d = 1/2"),
)
