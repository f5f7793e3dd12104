"""Checkers for the exercises of chapter 7, *Backpropagation through time*: one step
backwards through the recurrence, and the gradient of the shared matrix ``Wh``.

    a_t = x_t·Wx + h_{t-1}·Wh + Bh,   h_t = tanh(a_t)
    δ_t = g_t ⊙ (1 - h_t ⊙ h_t),      dL/dh_{t-1} (through this step) = δ_t·Whᵀ
    dL/dWh = Σ_t h_{t-1}ᵀ·δ_t        (t = 1 .. T, h_0 given)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from ..tolerances import tolerance_for
from .core import TIME_LIMIT_S, Case, CheckResult, Exercise, Mistake, run_check

#: Hidden cases: ``(n, T, H, dtype)``. Every H differs from n and from T, and Wh is not
#: symmetric, so a transposed matrix, a sum over the wrong axis or a swapped product
#: gives a different shape or different numbers.
CASES = (
    (3, 4, 5, "float32"),
    (4, 6, 3, "float64"),
    (2, 5, 4, "float64"),
    (5, 3, 6, "float32"),
)


def _random_case(index: int) -> dict[str, np.ndarray]:
    """States strictly inside (-1, 1) as tanh gives them, a non-symmetric Wh, a non-zero h0
    (so the t = 1 term of dWh counts) and gradients of order 1."""
    n, T, H, dtype = CASES[index]
    rng = np.random.default_rng(7000 + index)
    arrays = {
        "h": np.tanh(rng.normal(0.0, 1.0, (n, T, H))),
        "h0": np.tanh(rng.normal(0.0, 1.0, (n, H))),
        "g": rng.normal(0.0, 1.0, (n, H)),
        "delta": rng.normal(0.0, 0.5, (n, T, H)),
        "Wh": rng.normal(0.0, 0.5, (H, H)),
    }
    arrays = {name: value.astype(dtype) for name, value in arrays.items()}
    for value in arrays.values():
        value.flags.writeable = False
    return arrays


def _label(index: int) -> str:
    n, T, H, dtype = CASES[index]
    return f"n={n}, T={T}, H={H}, {dtype}"


# --- one step backwards ---------------------------------------------------------------

STEP_MISTAKES = {
    "no_slope": Mistake(
        "forgot_tanh_slope",
        "forgot the slope of tanh",
        "Going back through h_t = tanh(a_t) multiplies by tanh'(a_t) = 1 - h_t ⊙ h_t "
        "element by element: δ_t = g_t * (1 - h_t**2), then δ_t @ Wh.T.",
    ),
    "tanh_of_h": Mistake(
        "wrong_tanh_slope",
        "computed the slope as 1 - tanh(h_t)², applying tanh a second time",
        "h_t is already tanh(a_t): the slope is 1 - h_t**2, with no further np.tanh.",
    ),
    "not_squared": Mistake(
        "wrong_tanh_slope",
        "used 1 - h_t as the slope of tanh",
        "tanh'(a) = 1 - tanh(a)²: square the state, 1 - h_t**2.",
    ),
    "no_transpose": Mistake(
        "not_transposed",
        "multiplied by Wh instead of its transpose",
        "For a = h_{t-1} @ Wh, dL/dh_{t-1} = dL/da @ Wh.T: the shapes fit either way "
        "because Wh is square, only the transpose is right.",
    ),
    "slope_after": Mistake(
        "slope_after_product",
        "applied the tanh slope after the product with Whᵀ",
        "The slope belongs to step t: δ_t = g_t * (1 - h_t**2) first, then δ_t @ Wh.T.",
    ),
    "delta": Mistake(
        "returned_delta",
        "returned δ_t = dL/da_t instead of dL/dh_{t-1}",
        "δ_t is half-way: pass it back through the product with Wh, δ_t @ Wh.T.",
    ),
}


def _step_answers(g, h, Wh) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    g, h, Wh = (a.astype(np.float64) for a in (g, h, Wh))
    slope = 1 - h * h
    return (g * slope) @ Wh.T, {
        "no_slope": g @ Wh.T,
        "tanh_of_h": (g * (1 - np.tanh(h) ** 2)) @ Wh.T,
        "not_squared": (g * (1 - h)) @ Wh.T,
        "no_transpose": (g * slope) @ Wh,
        "slope_after": (g @ Wh.T) * slope,
        "delta": g * slope,
    }


@cache
def _step_cases() -> tuple[Case, ...]:
    cases = []
    for index in range(len(CASES)):
        a = _random_case(index)
        h_t = a["h"][:, -1, :]
        expected, variants = _step_answers(a["g"], h_t, a["Wh"])
        tolerance = tolerance_for(a["Wh"].dtype)
        cases.append(Case((a["g"], h_t, a["Wh"]), expected, _label(index), tolerance, variants))
    return tuple(cases)


STEP_EXERCISE = Exercise(
    name="backward_step",
    forbidden=("rnn_lab.manual_backward", "rnn_lab.keras_gradients"),
    frameworks=True,
    write_yourself="write the step backwards yourself, with NumPy",
    difficulty=2,
    minutes=15,
    skill="one step of BPTT, the tanh slope",
    kind="array",
    returns="dL/dh_{t-1}, an array of shape (n, H)",
    verified=(
        f"dL/dh_(t-1) = (g_t ⊙ (1 - h_t²))·Whᵀ on {len(CASES)} hidden cases "
        "(float32 and float64, non-symmetric Wh)."
    ),
    mistakes=STEP_MISTAKES,
)


def check_backward_step(
    backward_step: Callable | None, *, time_limit: float = TIME_LIMIT_S
) -> CheckResult:
    """Check ``backward_step(g_t, h_t, Wh)``: ``dL/dh_{t-1} = (g_t ⊙ (1 - h_t²))·Whᵀ``."""
    return run_check(STEP_EXERCISE, backward_step, list(_step_cases()), time_limit=time_limit)


# --- the gradient of Wh, summed over time ----------------------------------------------

GRAD_WH_MISTAKES = {
    "last_only": Mistake(
        "missing_sum_over_time",
        "kept only the last timestep's contribution h_(T-1)ᵀ·δ_T",
        "Wh acts at every timestep, so its gradient adds up every step's contribution: "
        "Σ_t h_(t-1)ᵀ·δ_t for t = 1 .. T.",
    ),
    "first_only": Mistake(
        "missing_sum_over_time",
        "kept only the first timestep's contribution h_0ᵀ·δ_1",
        "Wh acts at every timestep: add h_(t-1)ᵀ·δ_t for every t = 1 .. T.",
    ),
    "h_t": Mistake(
        "used_h_t",
        "used h_t instead of h_(t-1)",
        "Wh multiplies the previous state in a_t = x_t·Wx + h_(t-1)·Wh + Bh: pair δ_t with "
        "h_(t-1), which is h0 at t = 1 and h[:, t-2] after that (0-based: h[:, t-1] with "
        "δ[:, t]).",
    ),
    "no_h0": Mistake(
        "forgot_h0_term",
        "left out the t = 1 term h_0ᵀ·δ_1",
        "The sum starts at t = 1, where the previous state is the given h0: it is not zero here.",
    ),
    "transposed": Mistake(
        "not_transposed",
        "computed δ_tᵀ·h_(t-1), the transpose of the gradient",
        "For a = h·Wh the gradient is hᵀ·(dL/da), shape (H, H) with rows indexed like "
        "the rows of Wh: h_prev.T @ delta_t.",
    ),
    "mean_time": Mistake(
        "mean_not_sum",
        "averaged the contributions over time instead of adding them",
        "The chain rule adds the contributions of every use of Wh: sum over t, do not "
        "divide by T (the loss already did all the averaging).",
    ),
    "mean_samples": Mistake(
        "mean_not_sum",
        "averaged over the samples instead of adding them",
        "δ_t already carries the loss's 1/n: h_(t-1).T @ δ_t sums over the rows, and that "
        "sum is the gradient.",
    ),
}


def _grad_wh_answers(h, delta, h0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    h, delta, h0 = (a.astype(np.float64) for a in (h, delta, h0))
    n, T, _ = h.shape
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1, :]], axis=1)
    terms = np.einsum("ntk,ntj->tkj", h_prev, delta)  # h_(t-1)ᵀ·δ_t for every t
    total = terms.sum(axis=0)
    return total, {
        "last_only": terms[-1],
        "first_only": terms[0],
        "h_t": np.einsum("ntk,ntj->kj", h, delta),
        "no_h0": terms[1:].sum(axis=0),
        "transposed": total.T,
        "mean_time": total / T,
        "mean_samples": total / n,
    }


@cache
def _grad_wh_cases() -> tuple[Case, ...]:
    cases = []
    for index in range(len(CASES)):
        a = _random_case(index)
        expected, variants = _grad_wh_answers(a["h"], a["delta"], a["h0"])
        tolerance = tolerance_for(a["h"].dtype)
        args = (a["h"], a["delta"], a["h0"])
        cases.append(Case(args, expected, _label(index), tolerance, variants))
    return tuple(cases)


GRAD_WH_EXERCISE = Exercise(
    name="grad_Wh",
    forbidden=("rnn_lab.manual_backward", "rnn_lab.keras_gradients"),
    frameworks=True,
    write_yourself="write the sum over time yourself, with NumPy",
    difficulty=2,
    minutes=20,
    skill="a shared weight's gradient, summed over time",
    kind="array",
    returns="dL/dWh, an array of shape (H, H)",
    verified=(
        f"dL/dWh = Σ_t h_(t-1)ᵀ·δ_t, summed over all T steps from the given h0, on "
        f"{len(CASES)} hidden cases (float32 and float64)."
    ),
    mistakes=GRAD_WH_MISTAKES,
)


def check_grad_Wh(grad_Wh: Callable | None, *, time_limit: float = TIME_LIMIT_S) -> CheckResult:
    """Check ``grad_Wh(h, delta, h0)``: ``Σ_t h_{t-1}ᵀ·δ_t`` over ``t = 1 .. T``, ``(H, H)``."""
    return run_check(GRAD_WH_EXERCISE, grad_Wh, list(_grad_wh_cases()), time_limit=time_limit)
