"""Checkers for the exercises of chapter 8, *Training side by side*, on the update rules:
one update of SGD with momentum, one of Adam's AMSGrad variant, and Nesterov momentum, all
with Keras's exact rules (clipping and the training loop: :mod:`.ch08_training`).

    SGD with momentum:  m ← μ·m - η·g,  w ← w + m
    AMSGrad, update t:  α_t = η·sqrt(1 - β2^t) / (1 - β1^t)
                        m ← m + (g - m)(1 - β1),  v ← v + (g² - v)(1 - β2)
                        v_max ← max(v_max, v),    w ← w - α_t·m / (sqrt(v_max) + ε)
    Nesterov:           m ← μ·m - η·g,  w ← w + μ·m - η·g
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..tolerances import tolerance_for
from .core import Refusal, exercise
from .texts import Texts
from .verdicts import Case

TEXTS = Texts(__name__)

#: Hidden cases: ``(shape, dtype, [step t,] learning rate, μ or (β1, β2, ε))``. The float64
#: momenta are exact in float32, so Keras's cast of μ to float32 leaves them unchanged. The Adam
#: cases use an ε comparable to sqrt(v) and small t, where the paper's placement of ε and
#: a missing bias correction change the update by a large fraction, far above rounding.
MOMENTUM_CASES = (
    ((4, 3), "float32", 0.1, 0.9),
    ((5,), "float64", 0.05, 0.5),
    ((3, 3), "float64", 0.2, 0.75),
)
ADAM_CASES = (
    ((4, 3), "float32", 1, 0.1, (0.9, 0.999, 1e-2)),
    ((5,), "float64", 2, 0.05, (0.9, 0.999, 1e-2)),
    ((3, 3), "float64", 3, 0.2, (0.8, 0.99, 5e-2)),
    ((2, 4), "float32", 5, 0.1, (0.9, 0.999, 1e-2)),
)


def _arrays(index: int, shape: tuple[int, ...], dtype: str, scale: float) -> tuple:
    """Weights of order 1, gradients of order ``scale`` and a mid-training first moment
    (non-zero, so a forgotten or mis-signed velocity shows)."""
    rng = np.random.default_rng(8000 + index)
    w = rng.normal(0.0, 1.0, shape)
    g = rng.normal(0.0, scale, shape)
    m = rng.normal(0.0, scale, shape)
    v = rng.uniform(0.1, 1.0, shape) * scale**2 * 0.05  # a second moment, > 0
    out = tuple(a.astype(dtype) for a in (w, g, m, v))
    for a in out:
        a.flags.writeable = False
    return out


def _refusing(optimizer: str) -> Refusal:
    """What an update-rule exercise refuses: the optimizer's own step and the training
    loops that call it."""
    return Refusal.of(
        f"rnn_lab.training.optimizers.{optimizer}.step",
        "rnn_lab.train_manual",
        "rnn_lab.train_keras",
    )


# --- SGD with momentum -------------------------------------------------------------------


def _momentum_answers(w, g, m, lr, mu) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    w, g, m = (a.astype(np.float64) for a in (w, g, m))
    new_m = mu * m - lr * g
    return w + new_m, {
        "plain_sgd": w - lr * g,
        "old_velocity": w + m,
        "minus_m": w - new_m,
        "plus_g": w + mu * m + lr * g,
        "no_lr": w + mu * m - g,
    }


def _velocity_cases(answers, seed_offset: int) -> tuple[Case, ...]:
    """Cases ``(w, g, m, lr, μ)`` of a momentum rule, with the answer and the mistakes'
    variants ``answers(w, g, m, lr, μ)`` gives."""
    cases = []
    for index, (shape, dtype, lr, mu) in enumerate(MOMENTUM_CASES):
        w, g, m, _ = _arrays(seed_offset + index, shape, dtype, 1.0)
        expected, variants = answers(w, g, m, lr, mu)
        label = f"shape {shape}, {dtype}, lr={lr:g}, momentum={mu:g}"
        cases.append(Case((w, g, m, lr, mu), expected, label, tolerance_for(dtype), variants))
    return tuple(cases)


@cache
def _momentum_cases() -> tuple[Case, ...]:
    return _velocity_cases(_momentum_answers, 0)


check_momentum_step = exercise(
    TEXTS.exercise("momentum_step", cases=len(MOMENTUM_CASES)),
    _momentum_cases,
    refuses=_refusing("SGD"),
)


# --- AMSGrad: Adam with amsgrad=True -------------------------------------------------------


def _adam_answers(w, g, m, v, v_max, t, lr, betas) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    w, g, m, v, v_max = (a.astype(np.float64) for a in (w, g, m, v, v_max))
    b1, b2, eps = betas

    def alpha(step: int) -> float:
        return lr * np.sqrt(1 - b2**step) / (1 - b1**step)

    new_m = m + (g - m) * (1 - b1)
    new_v = v + (g * g - v) * (1 - b2)
    new_max = np.maximum(v_max, new_v)
    step = alpha(t) * new_m / (np.sqrt(new_max) + eps)
    m_hat, v_hat = new_m / (1 - b1**t), new_max / (1 - b2**t)
    return w - step, {
        "no_max": w - alpha(t) * new_m / (np.sqrt(new_v) + eps),
        "stale_max": w - alpha(t) * new_m / (np.sqrt(v_max) + eps),
        "paper_epsilon": w - lr * m_hat / (np.sqrt(v_hat) + eps),
        "epsilon_in_sqrt": w - alpha(t) * new_m / np.sqrt(new_max + eps),
        "no_correction": w - lr * new_m / (np.sqrt(new_max) + eps),
        "old_moments": w - alpha(t) * m / (np.sqrt(np.maximum(v_max, v)) + eps),
        "step_uphill": w + step,
        "t_from_zero": w - alpha(t + 1) * new_m / (np.sqrt(new_max) + eps),
    }


@cache
def _adam_cases() -> tuple[Case, ...]:
    cases = []
    for index, (shape, dtype, t, lr, betas) in enumerate(ADAM_CASES):
        w, g, m, v = _arrays(100 + index, shape, dtype, 0.1)
        # A running maximum twice this update's v in every other entry and half of it in
        # the rest, so that leaving out the maximum, or this update's v in it, both show.
        b1, b2, eps = betas
        new_v = v.astype(np.float64) + (g.astype(np.float64) ** 2 - v) * (1 - b2)
        factor = np.where(np.arange(v.size) % 2 == 0, 2.0, 0.5).reshape(v.shape)
        v_max = (new_v * factor).astype(dtype)
        v_max.flags.writeable = False
        expected, variants = _adam_answers(w, g, m, v, v_max, t, lr, betas)
        label = f"shape {shape}, {dtype}, t={t}, lr={lr:g}, β1={b1:g}, β2={b2:g}, ε={eps:g}"
        args = (w, g, m, v, v_max, t, lr, b1, b2, eps)
        cases.append(Case(args, expected, label, tolerance_for(dtype), variants))
    return tuple(cases)


check_amsgrad_step = exercise(
    TEXTS.exercise("amsgrad_step", cases=len(ADAM_CASES)),
    _adam_cases,
    refuses=_refusing("Adam"),
)


# --- Exercise 8.5: Nesterov momentum -----------------------------------------------------------


def _nesterov_answers(w, g, m, lr, mu) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    w, g, m = (a.astype(np.float64) for a in (w, g, m))
    new_m = mu * m - lr * g
    return w + mu * new_m - lr * g, {
        "plain_momentum": w + new_m,
        "gradient_twice": w + new_m - lr * g,
        "no_gradient_term": w + mu * new_m,
        "plain_sgd": w - lr * g,
    }


@cache
def _nesterov_cases() -> tuple[Case, ...]:
    return _velocity_cases(_nesterov_answers, 50)


check_nesterov_step = exercise(
    TEXTS.exercise("nesterov_step", cases=len(MOMENTUM_CASES)),
    _nesterov_cases,
    refuses=_refusing("SGD"),
)
