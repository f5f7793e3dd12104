"""Checker for exercise 7.4 of chapter 7, *Backpropagation through time*: a numerical
gradient by central differences, the check every hand-written backward pass is tested with.

    dL/dW_ij ≈ (f(W + ε·E_ij) − f(W − ε·E_ij)) / (2ε),   one entry at a time
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from .ch07 import GRADIENT_ROUTES
from .core import Refusal, exercise
from .texts import Texts
from .verdicts import Case, with_mistake

TEXTS = Texts(__name__)

# --- Exercise 7.4: a numerical gradient -------------------------------------------------

#: Step sizes of the hidden cases; large enough that a one-sided difference is off by
#: far more than rounding.
NUMERICAL_STEPS = (1e-4, 1e-3, 1e-5)


def _sequence_loss(x: np.ndarray, y: np.ndarray, weights) -> Callable[[np.ndarray], float]:
    """``f(Wh)``: the MSE of ``SimpleRNN → Dense`` on ``(x, y)`` as a function of ``Wh``."""
    Wx, _, Bh, Wo, Bo = weights.as_list()

    def loss(Wh: np.ndarray) -> float:
        h = np.zeros((x.shape[0], Wx.shape[1]))
        for t in range(x.shape[1]):
            h = np.tanh(x[:, t] @ Wx + h @ np.asarray(Wh) + Bh)
        return float(np.mean((h @ Wo + Bo - y) ** 2))

    return loss


@dataclass(frozen=True)
class CentralDifferences:
    """``dL/dW_ij ≈ (f(W + ε·E_ij) − f(W − ε·E_ij)) / (2ε)``, one entry at a time, as hooks.
    ``slope`` gets ``centre``, a function giving ``f`` with the entry put back."""

    positions: Callable = lambda W: np.ndindex(W.shape)  # the entries moved together
    lowered: Callable = lambda old, raised, eps: old - eps  # the entry for f(W − ε·E_ij)
    slope: Callable = lambda up, down, centre, eps: (up - down) / (2 * eps)
    restored: bool = True  # the entry is put back before the next one moves

    def run(self, f, W: np.ndarray, eps: float) -> np.ndarray:
        W = np.array(W, dtype=np.float64)
        grad = np.zeros_like(W)
        for idx in self.positions(W):
            old = np.copy(W[idx])
            W[idx] = old + eps
            up = f(W)
            W[idx] = self.lowered(old, W[idx], eps)
            down = f(W)

            def centre(idx=idx, old=old) -> float:
                W[idx] = old
                return f(W)

            grad[idx] = self.slope(up, down, centre, eps)
            if self.restored:
                W[idx] = old
        return grad


NUMERICAL_PLANTED = TEXTS.planted(
    "numerical_gradient",
    {
        "forward_difference": dict(slope=lambda up, down, centre, eps: (up - centre()) / eps),
        "no_two": dict(slope=lambda up, down, centre, eps: (up - down) / eps),
        "not_restored": dict(lowered=lambda old, raised, eps: raised - 2 * eps, restored=False),
        "all_at_once": dict(positions=lambda W: [...]),  # every entry moved at once
    },
)


def numerical_variant(f, W: np.ndarray, eps: float, mistake: str | None = None) -> np.ndarray:
    """The central differences of ``f`` at ``W``, or what they give with ``mistake``."""
    return with_mistake(CentralDifferences(), NUMERICAL_PLANTED, mistake).run(f, W, eps)


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
        variants = {name: numerical_variant(f, W, eps, name) for name in NUMERICAL_PLANTED}
        # Same evaluations, maybe in another order of operations: a few ulps of f / ε.
        tolerance = 1e-9
        label = f"Wh of shape ({H}, {H}), eps = {eps:g}, float64"
        cases.append(Case((f, W, eps), expected, label, tolerance, variants))
    return tuple(cases)


check_numerical_gradient = exercise(
    TEXTS.exercise("numerical_gradient", losses=len(NUMERICAL_STEPS)),
    _numerical_cases,
    refuses=Refusal.of(*GRADIENT_ROUTES),
)
NUMERICAL_EXERCISE = check_numerical_gradient.exercise
