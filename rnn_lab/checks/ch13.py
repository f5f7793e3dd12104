"""Checker for the exercise of chapter 13, *Why gates work*: one LSTM step backwards along
the cell state.

    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t,     h_t = o_t ⊙ tanh(c_t)
    gc_t = dL/dc_t (from step t+1) + dL/dh_t ⊙ o_t ⊙ (1 − tanh²(c_t))
    dL/dc_{t-1} (through this step's cell state) = gc_t ⊙ f_t     (∂c_t/∂c_{t-1} = diag(f_t))
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from ..tolerances import tolerance_for
from .core import TIME_LIMIT_S, Case, CheckResult, Exercise, Mistake, run_check

#: Hidden cases ``(n, H, dtype)``: gates strictly inside (0, 1), cell states of order 1.
CASES = ((3, 4, "float32"), (2, 5, "float64"), (4, 3, "float64"), (5, 2, "float32"))

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
    k = dc + dh * o * slope
    return k * f, {
        "no_h_path": dc * f,
        "no_forget": k,
        "slope_of_c": (dc + dh * o * (1 - c * c)) * f,
        "no_output_gate": (dc + dh * slope) * f,
        "input_gate": k * i,
    }


@cache
def _cases() -> tuple[Case, ...]:
    cases = []
    for index, (n, H, dtype) in enumerate(CASES):
        rng = np.random.default_rng(13000 + index)
        o, f, i = 1 / (1 + np.exp(-rng.normal(0, 1.5, (3, n, H))))
        arrays = {
            "dc": rng.normal(size=(n, H)),
            "dh": rng.normal(size=(n, H)),
            "o": o,
            "c": rng.normal(0, 1.2, (n, H)),
            "f": f,
            "i": i,
        }
        arrays = {k: v.astype(dtype) for k, v in arrays.items()}
        for value in arrays.values():
            value.flags.writeable = False
        expected, variants = _answers(*arrays.values())
        args = (arrays["dc"], arrays["dh"], arrays["o"], arrays["c"], arrays["f"], arrays["i"])
        cases.append(Case(args, expected, f"n={n}, H={H}, {dtype}", tolerance_for(dtype), variants))
    return tuple(cases)


CELL_EXERCISE = Exercise(
    name="cell_state_grad",
    forbidden=(
        "rnn_lab.gated_backward.lstm_backward",
        "rnn_lab.gated_backward.sequence_backward",
        "rnn_lab.gated_backward.backward_from_trace",
        "rnn_lab.gated_backward.keras_sequence_gradients",
    ),
    frameworks=True,
    write_yourself="apply the chain rule along the cell state yourself, with NumPy",
    difficulty=1,
    minutes=20,
    skill="the LSTM cell-state gradient, dL/dc_(t-1) through diag(f_t)",
    kind="array",
    returns="dL/dc_(t-1), an array of shape (n, H)",
    verified=(
        "dL/dc_(t-1) = (dL/dc_t + dL/dh_t ⊙ o_t ⊙ (1 − tanh²(c_t))) ⊙ f_t on "
        f"{len(CASES)} hidden cases (float32 and float64), the rule rnn_lab.gated_backward "
        "applies at every step (itself checked against tf.GradientTape)."
    ),
    mistakes=CELL_MISTAKES,
)


def check_cell_state_grad(
    cell_state_grad: Callable | None, *, time_limit: float = TIME_LIMIT_S
) -> CheckResult:
    """Check ``cell_state_grad(dc, dh, o, c, f, i)``: ``dL/dc_{t-1}`` along the cell state."""
    return run_check(CELL_EXERCISE, cell_state_grad, list(_cases()), time_limit=time_limit)
