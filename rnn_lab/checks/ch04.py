"""Checkers for the exercises of chapter 4, *Watching the hidden state*: the states of a
layer whose ``Wh`` is scaled, and a prediction of what doubling ``Wh`` does.

    h_t = tanh(x_t·Wx + h_{t-1}·(s·Wh) + Bh),   t = 1 .. T
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..forward import hidden_states
from ..keras_side.models import keras_reference
from ..stability import spectral_radius
from ..tolerances import tolerance_for
from ..weights import SimpleRNNWeights, make_sequences, random_weights
from .answers import Letter
from .core import Exercise, Refusal, exercise, run_check
from .recurrence import CONFIGS, RECURRENCE_ROUTES, hidden_only, setting
from .texts import Texts
from .variants import forward_variant
from .verdicts import Case, CheckResult, with_mistake

TEXTS = Texts(__name__)

#: The factors ``s`` the hidden cases scale ``Wh`` by, one per case (cycled).
SCALES = (2.0, 0.5, 3.0, 2.0)


@dataclass(frozen=True)
class ScaledStates:
    """Every ``h_t`` ``(n, T, H)`` of the layer with ``Wh`` scaled by ``s``, as hooks."""

    scaled: Callable = lambda weights, s: weights.scaled(s)  # the weights the loop runs with
    loop: Callable = hidden_states
    kept: Callable = lambda states: states

    def run(self, x: np.ndarray, weights: SimpleRNNWeights, scale: float) -> np.ndarray:
        return self.kept(self.loop(x, self.scaled(weights, scale)))


def _scaling(*names: str) -> Callable:
    """The weights with the arrays ``names`` (of ``Wx``, ``Wh``, ``Bh``) multiplied by s."""

    def scaled(weights: SimpleRNNWeights, scale: float) -> SimpleRNNWeights:
        s = weights.dtype.type(scale)
        Wx, Wh, Bh = (
            getattr(weights, n) * s if n in names else getattr(weights, n)
            for n in ["Wx", "Wh", "Bh"]
        )
        return SimpleRNNWeights(Wx, Wh, Bh, weights.Wo, weights.Bo)

    return scaled


def _loop_with(mistake: str) -> Callable:
    """Every ``h_t`` of the SimpleRNN loop with ``mistake`` planted (:mod:`.variants`)."""
    return lambda x, weights: forward_variant(
        x, hidden_only(weights), mistake, return_sequences=True
    )


SCALED_PLANTED = TEXTS.planted(
    "scaled_states",
    {
        "unscaled": dict(scaled=_scaling()),
        "scaled_all": dict(scaled=_scaling("Wx", "Wh", "Bh")),
        "scaled_wx": dict(scaled=_scaling("Wx")),
        "scaled_bias": dict(scaled=_scaling("Wh", "Bh")),
        "returns_outputs": dict(loop=lambda x, w: forward_variant(x, w, return_sequences=True)),
        "only_last": dict(kept=lambda states: states[:, -1, :]),
        "wh_transposed": dict(loop=_loop_with("wh_transposed")),
        "no_bias": dict(loop=_loop_with("no_bias")),
        "stale_h": dict(loop=_loop_with("stale_h")),
    },
)


def _scaled_variant(x, weights, scale, variant):
    return with_mistake(ScaledStates(), SCALED_PLANTED, variant).run(x, weights, scale)


@cache
def _scaled_cases() -> tuple[Case, ...]:
    cases = []
    for index in range(len(CONFIGS)):
        x, weights, _, label = setting(index)
        scale = SCALES[index % len(SCALES)]
        expected = keras_reference(hidden_only(weights.scaled(scale)), x, return_sequences=True)
        variants = {name: _scaled_variant(x, weights, scale, name) for name in SCALED_PLANTED}
        label = f"{label}, scale={scale:g}"
        cases.append(Case((x, weights, scale), expected, label, tolerance_for(x.dtype), variants))
    return tuple(cases)


check_scaled_states = exercise(
    TEXTS.exercise("scaled_states", cases=len(CONFIGS), scales=", ".join(f"{s:g}" for s in SCALES)),
    _scaled_cases,
    refuses=Refusal.of(
        *RECURRENCE_ROUTES,
    ),
)


# --- predicting what doubling Wh does ---------------------------------------------------

#: The layer the prediction is measured on: ``random_weights`` puts ``Wh``'s spectral
#: radius near 0.58, so doubling it crosses 1, the interesting regime.
DOUBLED_SIZE = {"n": 8, "T": 40, "D": 3, "H": 16}
#: Two trajectories count as having forgotten their different starts once they agree
#: to this, far above rounding and far below the states' size.
MEMORY_ATOL = 1e-3


@dataclass(frozen=True)
class DoubledMeasurement:
    """What doubling ``Wh`` does on the hidden layer: spectral radius, mean and largest
    ``|h_t|``, and the timesteps until two starts agree to ``MEMORY_ATOL`` (``None``:
    not within ``T``), before and after."""

    radius: tuple[float, float]
    mean_abs: tuple[float, float]
    max_abs: tuple[float, float]
    memory: tuple[int | None, int | None]


@cache
def measure_doubled_wh() -> DoubledMeasurement:
    """Run the layer with ``Wh`` and with ``2·Wh`` from two random starts ``h0``."""
    n, T, D, H = (DOUBLED_SIZE[k] for k in ("n", "T", "D", "H"))
    weights = random_weights(D, H, 1, seed=4000, dtype="float64")
    x = make_sequences(n, T, D, seed=4000, dtype="float64")
    rng = np.random.default_rng(4000)
    starts = rng.uniform(-1, 1, (2, n, H))
    radius, mean_abs, max_abs, memory = [], [], [], []
    for scale in (1.0, 2.0):
        w = weights.scaled(scale)
        a, b = (hidden_states(x, w, h0=h0) for h0 in starts)
        gap = np.abs(a - b).max(axis=(0, 2))
        radius.append(spectral_radius(w.Wh))
        mean_abs.append(float(np.abs(a).mean()))
        max_abs.append(float(np.abs(a).max()))
        memory.append(int(np.argmax(gap < MEMORY_ATOL)) + 1 if np.any(gap < MEMORY_ATOL) else None)
    return DoubledMeasurement(tuple(radius), tuple(mean_abs), tuple(max_abs), tuple(memory))


def _steps(m: int | None) -> str:
    return f"{m} steps" if m is not None else f"more than all {DOUBLED_SIZE['T']} steps"


def _doubled_exercise() -> Exercise:
    m = measure_doubled_wh()
    evidence = (
        f"Measured (H = {DOUBLED_SIZE['H']}, spectral radius of Wh {m.radius[0]:.2f} → "
        f"{m.radius[1]:.2f}): mean |h_t| {m.mean_abs[0]:.2f} → {m.mean_abs[1]:.2f}, largest "
        f"|h_t| {m.max_abs[1]:.3f}; two different starts agree to {MEMORY_ATOL:g} after "
        f"{_steps(m.memory[0])}, and after {_steps(m.memory[1])} with 2·Wh."
    )
    return Exercise.of(
        TEXTS.exercise("doubled_wh", evidence=evidence),
        name="prediction",
        answer=Letter(),
        is_function=False,
    )


def check_doubled_wh(answer: str | None) -> CheckResult:
    """Check the prediction (one letter) of what multiplying ``Wh`` by 2 does."""
    exercise = _doubled_exercise()
    variants = {letter: letter for letter in exercise.mistakes}
    case = Case((), "b", "the multiple choice", 0.0, variants)
    return run_check(exercise, answer, [case])


check_doubled_wh.exercise = _doubled_exercise  # measured when the catalogue first asks
