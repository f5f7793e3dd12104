"""Checkers for the exercises of chapter 13, *Why gates work*: one LSTM step backwards along
the cell state, and one GRU step backwards (``reset_after=True``) to ``dL/dh_{t-1}``.

    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t,     h_t = o_t ⊙ tanh(c_t)
    gc_t = dL/dc_t (from step t+1) + dL/dh_t ⊙ o_t ⊙ (1 − tanh²(c_t))
    dL/dc_{t-1} (through this step's cell state) = gc_t ⊙ f_t     (∂c_t/∂c_{t-1} = diag(f_t))
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .core import Refusal, accepting_scalars, exercise
from .hidden import drawn_case, seeded_cases
from .texts import Texts
from .verdicts import Case

TEXTS = Texts(__name__)

#: Hidden cases ``(n, H, dtype)``: gates strictly inside (0, 1), cell states of order 1.
CASES = ((3, 4, "float32"), (2, 5, "float64"), (4, 3, "float64"), (5, 2, "float32"))

#: What both step-backwards exercises refuse besides the cell's own backward pass: the
#: sequence backward passes and Keras's gradients, which contain the step.
SEQUENCE_BACKWARD_ROUTES = (
    "rnn_lab.cells.bptt.sequence_backward",
    "rnn_lab.cells.bptt.backward_from_trace",
    "rnn_lab.keras_side.layers.keras_sequence_gradients",
)


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
    TEXTS.exercise("cell_state_grad", cases=len(CASES)),
    seeded_cases(CASES, 13000, _cell_case),
    refuses=Refusal.of(
        "rnn_lab.cells.bptt.lstm_backward",
        *SEQUENCE_BACKWARD_ROUTES,
    ),
)


# --- one GRU step backwards ----------------------------------------------------------------------

#: Hidden cases ``(n, H, dtype)`` for the GRU step.
GRU_CASES = ((3, 4, "float32"), (2, 5, "float64"), (4, 3, "float64"), (5, 2, "float32"))


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
    TEXTS.exercise("gru_step_backward", cases=len(GRU_CASES)),
    seeded_cases(GRU_CASES, 13200, _gru_case, pass_seed=True),
    refuses=Refusal.of(
        "rnn_lab.cells.bptt.gru_backward",
        *SEQUENCE_BACKWARD_ROUTES,
    ),
)


# --- a forget bias for a delay -------------------------------------------------------------------

#: Hidden delays ``d``.
BIAS_DELAYS = (2, 10, 79, 500)


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
    TEXTS.exercise("forget_bias_for_delay", delays=BIAS_DELAYS),
    _bias_cases,
    prepare=accepting_scalars,
    refuses=Refusal(frameworks=True),
)
