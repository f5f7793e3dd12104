"""Checkers for the exercises of chapter 7, *Backpropagation through time*: one step
backwards through the recurrence, the gradient of the shared matrix ``Wh``, and the whole
backward pass (the numerical gradient: :mod:`.ch07_gradcheck`).

    a_t = x_t·Wx + h_{t-1}·Wh + Bh,   h_t = tanh(a_t)
    δ_t = g_t ⊙ (1 - h_t ⊙ h_t),      dL/dh_{t-1} (through this step) = δ_t·Whᵀ
    dL/dWh = Σ_t h_{t-1}ᵀ·δ_t        (t = 1 .. T, h_0 given)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..tolerances import tolerance_for
from .answers import Arrays
from .core import Refusal, exercise
from .texts import Texts
from .verdicts import Case, mistakes_of, with_mistake

TEXTS = Texts(__name__)

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


#: What the one-step exercises refuse: the backward passes that contain the step.
STEP_ROUTES = (
    "rnn_lab.manual_backward",
    "rnn_lab.keras_gradients",
    "rnn_lab.backward.backpropagate_through_time",
)

# --- one step backwards ---------------------------------------------------------------


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


check_backward_step = exercise(
    TEXTS.exercise("backward_step", cases=len(CASES)),
    _step_cases,
    refuses=Refusal.of(*STEP_ROUTES),
)


# --- the gradient of Wh, summed over time ----------------------------------------------


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


check_grad_Wh = exercise(
    TEXTS.exercise("grad_Wh", cases=len(CASES)),
    _grad_wh_cases,
    refuses=Refusal.of(*STEP_ROUTES),
)


# --- Exercise 7.3: the whole backward pass --------------------------------------------

#: Hidden cases of ``rnn_backward``: ``(n, T, D, H, O, dtype)``, every size different and
#: ``O > 1`` so that dividing by ``n`` instead of ``n·O`` changes the numbers.
BACKWARD_CONFIGS = (
    (4, 5, 3, 6, 2, "float64"),
    (3, 6, 2, 5, 4, "float32"),
    (5, 4, 4, 3, 2, "float64"),
)
#: The six arrays ``rnn_backward`` returns, in this order.
BACKWARD_PARTS = ("dWx", "dWh", "dBh", "dWo", "dBo", "dh0")
#: What the learner may call: the forward pass is handed out; the backward pass is the
#: exercise. Everything that computes gradients is refused.
GRADIENT_ROUTES = (
    "rnn_lab.manual_backward",
    "rnn_lab.keras_gradients",
    "rnn_lab.numerical_gradient",
    "rnn_lab.numerical_weight_gradients",
    "rnn_lab.finite_difference_gradients",
    "rnn_lab.gradient_errors",
    "rnn_lab.backward.backpropagate_through_time",
    "rnn_lab.tbptt.chunked_backward",
)


@dataclass(frozen=True)
class BackwardPass:
    """``(dWx, dWh, dBh, dWo, dBo, dh0)`` of ``L = mean((y_T − y)²)`` for ``SimpleRNN →
    Dense`` from ``h0``, in float64, written as hooks; ``BackwardPass()`` is the reference.

        dL/dy = 2 (y_T − y) / N,   δ_t = g_t ⊙ (1 − h_t²),   g_{t-1} = δ_t·Whᵀ
        dWx = Σ_t x_tᵀ·δ_t,   dWh = Σ_t h_(t-1)ᵀ·δ_t,   dBh = Σ_t Σ_rows δ_t,   dh0 = δ_1·Whᵀ
    """

    loss_scale: Callable = lambda n, size: 2 / size  # N = n·O squared errors
    delta: Callable = lambda g, h_t: g * (1 - h_t**2)  # through tanh
    h_before: Callable = lambda hs, t: hs[t - 1]  # the state Wh multiplies at step t
    add: Callable = lambda total, term: total + term  # Σ over time
    back: Callable = lambda Wh: Wh.T  # dL/dh_(t-1) = δ_t·Whᵀ
    carry: Callable = lambda delta, back: delta @ back  # into the step before
    to_h0: Callable = lambda delta, back: delta @ back

    def run(self, x, y, weights, h0) -> tuple[np.ndarray, ...]:
        x, y, h0 = (np.asarray(a, np.float64) for a in (x, y, h0))
        Wx, Wh, Bh, Wo, Bo = (np.asarray(a, np.float64) for a in weights.as_list())
        n, T, _ = x.shape
        hs = [h0]  # hs[t] = h_t
        for t in range(T):
            hs.append(np.tanh(x[:, t] @ Wx + hs[-1] @ Wh + Bh))
        dy = self.loss_scale(n, y.size) * (hs[T] @ Wo + Bo - y)
        dWo, dBo = hs[T].T @ dy, dy.sum(axis=0)
        back = self.back(Wh)
        g = delta = dy @ Wo.T
        dWx, dWh, dBh = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(Bh)
        for t in range(T, 0, -1):
            delta = self.delta(g, hs[t])
            dWx = self.add(dWx, x[:, t - 1].T @ delta)
            dWh = self.add(dWh, self.h_before(hs, t).T @ delta)
            dBh = self.add(dBh, delta.sum(axis=0))
            g = self.carry(delta, back)
        return dWx, dWh, dBh, dWo, dBo, self.to_h0(delta, back)


BACKWARD_PLANTED = TEXTS.planted(
    "rnn_backward",
    {
        "overwrote_sum": dict(add=lambda total, term: term),
        "no_tanh_slope": dict(delta=lambda g, h_t: g),
        "h_t_for_h_prev": dict(h_before=lambda hs, t: hs[t]),
        "last_step_only": dict(
            carry=lambda delta, back: np.zeros_like(delta),  # so δ_1 = 0 and dh0 = 0 when T > 1
        ),
        "mean_over_samples": dict(loss_scale=lambda n, size: 2 / n),
        "no_mean": dict(loss_scale=lambda n, size: 2.0),
        "no_factor_two": dict(loss_scale=lambda n, size: 1 / size),
        "wh_not_transposed": dict(back=lambda Wh: Wh),
        "dh0_is_delta": dict(to_h0=lambda delta, back: delta),
    },
)
BACKWARD_MISTAKES = mistakes_of(BACKWARD_PLANTED)


def backward_variant(x, y, weights, h0, mistake: str | None = None) -> tuple[np.ndarray, ...]:
    """``(dWx, dWh, dBh, dWo, dBo, dh0)`` of the MSE of ``y_T``, in float64, with one
    mistake planted (``None``: the right answer)."""
    return with_mistake(BackwardPass(), BACKWARD_PLANTED, mistake).run(x, y, weights, h0)


@cache
def _backward_cases() -> tuple[Case, ...]:
    from ..gradcheck import keras_gradients
    from ..weights import make_sequences, random_weights

    cases = []
    for index, (n, T, D, H, O, dtype) in enumerate(BACKWARD_CONFIGS):
        seed = 7300 + index
        x = make_sequences(n, T, D, seed=seed, dtype=dtype)
        weights = random_weights(D, H, O, seed=seed, dtype=dtype)
        rng = np.random.default_rng(seed)
        y = rng.normal(0.0, 1.0, (n, O)).astype(dtype)
        h0 = rng.uniform(-0.9, 0.9, (n, H)).astype(dtype)
        for array in (x, y, h0):
            array.flags.writeable = False
        tape = keras_gradients(x, y, weights, h0=h0)  # tf.GradientTape on Keras's layers
        expected = (*tape.as_list(), tape.dh0)
        variants = {name: backward_variant(x, y, weights, h0, name) for name in BACKWARD_MISTAKES}
        label = f"n={n}, T={T}, D={D}, H={H}, O={O}, {dtype}"
        cases.append(Case((x, y, weights, h0), expected, label, tolerance_for(dtype), variants))
    return tuple(cases)


check_rnn_backward = exercise(
    TEXTS.exercise("rnn_backward", cases=len(BACKWARD_CONFIGS)),
    _backward_cases,
    answer=Arrays(BACKWARD_PARTS),
    mistakes=BACKWARD_MISTAKES,
    refuses=Refusal.of(*GRADIENT_ROUTES),
)
