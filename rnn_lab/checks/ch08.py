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
from .core import Card, Refusal, exercise
from .verdicts import Case, Mistake

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
        advice="write the update rule yourself, with NumPy",
    )


# --- SGD with momentum -------------------------------------------------------------------

MOMENTUM_MISTAKES = {
    "plain_sgd": Mistake(
        "ignored_velocity",
        "ignored the velocity, a plain SGD step w - η·g",
        "Momentum keeps a running velocity: m = momentum * m - lr * g, then w + m.",
    ),
    "old_velocity": Mistake(
        "old_velocity",
        "moved the weights by the old velocity, before updating it",
        "Update the velocity first, m = momentum * m - lr * g, then move by the new m.",
    ),
    "minus_m": Mistake(
        "momentum_sign",
        "subtracted the velocity, w - m, so the step goes uphill",
        "Keras's velocity already points downhill (it is built from -lr * g): w + m.",
    ),
    "plus_g": Mistake(
        "momentum_sign",
        "added the gradient to the velocity, m = μ·m + η·g, so the step goes uphill",
        "The gradient points uphill: m = momentum * m - lr * g.",
    ),
    "no_lr": Mistake(
        "forgot_learning_rate",
        "left the learning rate out of the velocity, m = μ·m - g",
        "Scale the gradient by the learning rate: m = momentum * m - lr * g.",
    ),
}


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
    """Check ``momentum_step(w, g, m, lr, momentum)``: ``w + (momentum·m - lr·g)``.""",
    _momentum_cases,
    returns="the updated weights, an array of the shape of w",
    verified=(
        f"w + (μ·m - η·g), Keras's SGD(momentum=μ) rule, on {len(MOMENTUM_CASES)} hidden "
        "cases (float32 and float64, non-zero velocity)."
    ),
    mistakes=MOMENTUM_MISTAKES,
    refuses=_refusing("SGD"),
    card=Card(1, 10, "SGD with momentum, Keras's rule"),
)


# --- AMSGrad: Adam with amsgrad=True -------------------------------------------------------

ADAM_MISTAKES = {
    "no_max": Mistake(
        "missing_max",
        "took a plain Adam step, with v instead of the running maximum",
        "AMSGrad keeps v_max = max(v_max, v) after updating v, and divides by sqrt(v_max): "
        "the step can only shrink where v once was large.",
    ),
    "stale_max": Mistake(
        "stale_max",
        "divided by the old maximum, without this update's v in it",
        "Update v first, then v_max = np.maximum(v_max, v), then use that new v_max.",
    ),
    "paper_epsilon": Mistake(
        "paper_epsilon",
        "followed the Adam paper: ε added to the bias-corrected sqrt(v̂)",
        "Keras folds both corrections into α_t and adds ε to the uncorrected "
        "sqrt(v_max): w - alpha * m / (np.sqrt(v_max) + eps).",
    ),
    "epsilon_in_sqrt": Mistake(
        "epsilon_in_sqrt",
        "put ε inside the square root, sqrt(v_max + ε)",
        "ε is added after the root: np.sqrt(v_max) + eps.",
    ),
    "no_correction": Mistake(
        "missing_bias_correction",
        "left out the bias correction: the step size is η, not α_t",
        "Early on m and v are biased towards 0: α_t = lr * sqrt(1 - β2**t) / (1 - β1**t).",
    ),
    "old_moments": Mistake(
        "old_moments",
        "used the moments from before this update",
        "Update m and v with this g first, then use the new m and the new maximum.",
    ),
    "step_uphill": Mistake(
        "wrong_sign",
        "added the step, so the weights go uphill",
        "Adam moves against the gradient: w - alpha * m / (np.sqrt(v_max) + eps).",
    ),
    "t_from_zero": Mistake(
        "off_by_one",
        "used t + 1 in the bias correction, as if t counted the updates already done",
        "t is the number of this update, 1 for the first: β**t with the t you are given.",
    ),
}


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
    """Check ``amsgrad_step(w, g, m, v, v_max, t, lr, beta_1, beta_2, epsilon)``: the new
    ``w`` after update ``t`` of Keras's ``Adam(amsgrad=True)``.""",
    _adam_cases,
    returns="the updated weights, an array of the shape of w",
    verified=(
        "the update matches Keras's Adam(amsgrad=True) rule (the running maximum of v, ε on "
        f"the uncorrected sqrt, bias corrections in α_t) on {len(ADAM_CASES)} hidden cases "
        "(float32 and float64, t = 1 to 5, ε large enough that its placement matters)."
    ),
    mistakes=ADAM_MISTAKES,
    refuses=_refusing("Adam"),
    card=Card(2, 20, "Adam's AMSGrad variant, Keras's exact rule"),
)


# --- Exercise 8.5: Nesterov momentum -----------------------------------------------------------

NESTEROV_MISTAKES = {
    "plain_momentum": Mistake(
        "plain_momentum",
        "took the plain momentum step w + m",
        "Nesterov looks ahead: after m = μ·m − η·g, the step is w + μ·m − η·g.",
    ),
    "gradient_twice": Mistake(
        "gradient_twice",
        "took the momentum step w + m and then the gradient step again, w + m − η·g",
        "The look-ahead replaces the plain step: w + μ·m − η·g with the new m (μ·m, not m).",
    ),
    "no_gradient_term": Mistake(
        "missing_gradient_term",
        "left out the − η·g term, w + μ·m",
        "Keras's Nesterov step is w + μ·m − η·g with the new m.",
    ),
    "plain_sgd": Mistake(
        "ignored_velocity",
        "ignored the velocity, a plain SGD step w − η·g",
        "Keep the running velocity: m = momentum * m - lr * g.",
    ),
}


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
    """Check ``nesterov_step(w, g, m, lr, momentum)``: Keras's Nesterov update of ``w``.""",
    _nesterov_cases,
    returns="the updated weights, an array of the shape of w",
    verified=(
        "w + μ·m − η·g with m = μ·m − η·g, Keras's SGD(momentum=μ, nesterov=True) rule, on "
        f"{len(MOMENTUM_CASES)} hidden cases (float32 and float64, non-zero velocity)."
    ),
    mistakes=NESTEROV_MISTAKES,
    refuses=_refusing("SGD"),
    card=Card(2, 15, "Nesterov momentum, a rule the chapter did not show"),
)
