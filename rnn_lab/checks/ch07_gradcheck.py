"""Checker for exercise 7.4 of chapter 7, *Backpropagation through time*: a numerical
gradient by central differences, the check every hand-written backward pass is tested with.

    dL/dW_ij ≈ (f(W + ε·E_ij) − f(W − ε·E_ij)) / (2ε),   one entry at a time
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from .ch07 import GRADIENT_ROUTES
from .core import Card, Refusal, exercise
from .verdicts import Case, Mistake

# --- Exercise 7.4: a numerical gradient -------------------------------------------------

#: Step sizes of the hidden cases; large enough that a one-sided difference is off by
#: far more than rounding.
NUMERICAL_STEPS = (1e-4, 1e-3, 1e-5)

NUMERICAL_MISTAKES = {
    "forward_difference": Mistake(
        "one_sided_difference",
        "used the one-sided difference (f(W + ε) − f(W)) / ε",
        "The central difference (f(W + ε) − f(W − ε)) / (2ε) is accurate to ε² instead of ε.",
    ),
    "no_two": Mistake(
        "forgot_factor_two",
        "divided by ε instead of 2ε",
        "W + ε and W − ε are 2ε apart: (f(W + ε) − f(W − ε)) / (2 * eps).",
    ),
    "not_restored": Mistake(
        "not_restored",
        "did not put each entry back before nudging the next one",
        "Nudge one entry, evaluate, then restore it (W[idx] = old) before moving on: "
        "otherwise every later entry is measured at a different W.",
    ),
    "all_at_once": Mistake(
        "all_entries_at_once",
        "nudged every entry at once, W + ε",
        "Each entry needs its own pair of evaluations: change W[i, j] alone.",
    ),
}


def _sequence_loss(x: np.ndarray, y: np.ndarray, weights) -> Callable[[np.ndarray], float]:
    """``f(Wh)``: the MSE of ``SimpleRNN → Dense`` on ``(x, y)`` as a function of ``Wh``."""
    Wx, _, Bh, Wo, Bo = weights.as_list()

    def loss(Wh: np.ndarray) -> float:
        h = np.zeros((x.shape[0], Wx.shape[1]))
        for t in range(x.shape[1]):
            h = np.tanh(x[:, t] @ Wx + h @ np.asarray(Wh) + Bh)
        return float(np.mean((h @ Wo + Bo - y) ** 2))

    return loss


def numerical_variant(f, W: np.ndarray, eps: float, mistake: str | None = None) -> np.ndarray:
    W = np.array(W, dtype=np.float64)
    grad = np.zeros_like(W)
    if mistake == "all_at_once":
        return np.full_like(W, (f(W + eps) - f(W - eps)) / (2 * eps))
    for idx in np.ndindex(W.shape):
        old = W[idx]
        W[idx] = old + eps
        up = f(W)
        W[idx] = old - eps if mistake != "not_restored" else W[idx] - 2 * eps
        down = f(W)
        if mistake == "forward_difference":
            W[idx] = old
            grad[idx] = (up - f(W)) / eps
        else:
            grad[idx] = (up - down) / (eps if mistake == "no_two" else 2 * eps)
        if mistake != "not_restored":
            W[idx] = old
    return grad


@cache
def _numerical_cases() -> tuple[Case, ...]:
    from ..weights import make_sequences, random_weights

    cases = []
    for index, eps in enumerate(NUMERICAL_STEPS):
        n, T, D, H, O = 3, 4 + index, 2, 3 + index, 2
        x = make_sequences(n, T, D, seed=7400 + index, dtype="float64")
        weights = random_weights(D, H, O, seed=7400 + index, dtype="float64")
        y = np.random.default_rng(7400 + index).normal(0.0, 1.0, (n, O))
        f = _sequence_loss(x, y, weights)
        W = np.array(weights.Wh)
        expected = numerical_variant(f, W, eps)
        variants = {name: numerical_variant(f, W, eps, name) for name in NUMERICAL_MISTAKES}
        # Same evaluations, maybe in another order of operations: a few ulps of f / ε.
        tolerance = 1e-9
        label = f"Wh of shape ({H}, {H}), eps = {eps:g}, float64"
        cases.append(Case((f, W, eps), expected, label, tolerance, variants))
    return tuple(cases)


check_numerical_gradient = exercise(
    """Check ``numerical_gradient(f, W, eps)``: the central-difference gradient of ``f`` at
    ``W``, entry by entry, shape of ``W``.""",
    _numerical_cases,
    returns="the gradient, an array of the shape of W",
    verified=(
        "central differences (f(W + ε·E_ij) − f(W − ε·E_ij)) / (2ε), one entry at a time, "
        f"on {len(NUMERICAL_STEPS)} hidden losses (a SimpleRNN's MSE as a function of Wh)."
    ),
    mistakes=NUMERICAL_MISTAKES,
    refuses=Refusal.of(*GRADIENT_ROUTES, advice="write the loop over the entries yourself"),
    card=Card(2, 20, "gradient checking by central differences"),
)
NUMERICAL_EXERCISE = check_numerical_gradient.exercise
