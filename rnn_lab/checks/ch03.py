"""Checkers for the exercises of chapter 3, *The manual loop*: the forward pass for one
sample read backwards, for a batch, for every timestep, from a given ``h0``; finding the
timestep where two results differ most; and deciding whether two results agree.

    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh),  y_t = h_t·Wo + Bo,  h_0 = 0 unless given
    e_t = max over samples and outputs of |y_t(Keras) − y_t(manual)|
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from ..tolerances import FLOAT32_ATOL, FLOAT64_ATOL, tolerance_for
from ..weights import make_sequences, random_weights
from .answers import TrueOrFalse, Whole
from .core import TIME_LIMIT_S, Refusal, call_with_time_limit, exercise
from .recurrence import CONFIGS, RECURRENCE_ROUTES, forward_cases
from .texts import ExerciseText, Texts
from .variants import MISTAKES
from .verdicts import Case

TEXTS = Texts(__name__)

_COMMON = (
    "wh_transposed",
    "wx_transposed",
    "no_bias",
    "no_output_bias",
    "sigmoid",
    "relu",
    "no_activation",
    "stale_h",
    "drop_last",
    "reversed_time",
    "returns_hidden",
    "dense_before_activation",
    "activation_on_output",
)
FORWARD_VARIANTS = (*_COMMON, "h0_ones", "h0_first_input", "drop_first", "all_outputs")
SEQUENCE_VARIANTS = (*_COMMON, "h0_ones", "drop_first", "only_last", "time_first", "shifted")
FROM_H0_VARIANTS = (*_COMMON, "ignored_h0", "h0_as_h1")


def _loop_exercise(text: ExerciseText, variants: tuple[str, ...], cases: dict, **fields):
    """An exercise on the loop over time: its hidden cases are ``forward_cases(variants,
    **cases)`` and it recognises the forward loop's ``variants``."""
    return exercise(
        text,
        lambda: forward_cases(variants, **cases),
        mistakes={variant: MISTAKES[variant] for variant in variants},
        refuses=Refusal.of(*RECURRENCE_ROUTES),
        **fields,
    )


#: The mistakes of the backwards loop: those of the forward loop, read in processing
#: order, with reading forwards in place of reading backwards. (Starting from the state
#: after the first input read is left out: its title speaks of x_1.)
_NOT_BACKWARDS = ("reversed_time", "h0_first_input")
BACKWARDS_VARIANTS = (*(v for v in FORWARD_VARIANTS if v not in _NOT_BACKWARDS), "not_reversed")

check_forward_reversed = _loop_exercise(
    TEXTS.exercise("forward_reversed", cases=len(CONFIGS)),
    BACKWARDS_VARIANTS,
    dict(one_sample=True, backwards=True),
)


# --- vectorised over the batch ----------------------------------------------------------

#: The batch the loop-over-samples test uses: many samples, few timesteps, so a loop
#: over time touches single samples a handful of times and a loop over samples
#: touches them at least ``LOOP_PROBE_N`` times. It is time-major, ``(T, n, D)``, as the
#: exercise's input is.
LOOP_PROBE_N, LOOP_PROBE_T = 64, 3


class _SampleCounter(np.ndarray):
    """An array that counts how often an integer picks one row along its first or second
    axis (``x[i]``, ``x[:, i]``, ``x[t, i]``, ``for row in x``): in a time-major batch a
    loop over time makes T of them, a loop over the samples at least n. Views and results
    of arithmetic share the count, so a loop over the samples of any array derived from
    ``x`` (a transpose, a time slice) is seen too."""

    visits: list[int] | None = None

    def __array_finalize__(self, obj) -> None:
        self.visits = getattr(obj, "visits", None)

    def __getitem__(self, index):
        picks = index[:2] if isinstance(index, tuple) else (index,)
        if self.visits is not None and any(isinstance(i, (int, np.integer)) for i in picks):
            self.visits[0] += 1
        return super().__getitem__(index)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def single_sample_visits(forward_batch: Callable, *, time_limit: float = TIME_LIMIT_S) -> int:
    """How many times ``forward_batch`` takes one row out of a time-major batch of
    ``LOOP_PROBE_N`` samples: a few (about one per timestep) when vectorised, at least
    ``LOOP_PROBE_N`` when it loops over the samples."""
    batch_first = make_sequences(LOOP_PROBE_N, LOOP_PROBE_T, 3, seed=7)
    x = np.ascontiguousarray(batch_first.transpose(1, 0, 2)).view(_SampleCounter)
    x.visits = [0]
    weights = random_weights(3, 5, 2, seed=7)
    try:
        call_with_time_limit(forward_batch, (x, weights), time_limit)
    except Exception:
        return 0  # it ran on the plain cases; an array subclass is not worth failing over
    return x.visits[0]


def _loop_over_samples(forward_batch: Callable) -> tuple[str, str] | None:
    visits = single_sample_visits(forward_batch)
    if visits < LOOP_PROBE_N:
        return None
    return (
        "loops_over_samples",
        f"✗ `forward_batch` gives the right numbers, but it handles the samples one at a "
        f"time ({visits} single-sample accesses on a batch of n = {LOOP_PROBE_N}).\n"
        "Keep only the loop over time: x[t] @ Wx is (n, H), all samples in one product.",
    )


check_forward_batch = _loop_exercise(
    TEXTS.exercise("forward_batch", cases=len(CONFIGS)),
    FORWARD_VARIANTS,
    dict(time_major=True),
    extra=_loop_over_samples,
)


check_forward_sequences = _loop_exercise(
    TEXTS.exercise("forward_sequences", cases=len(CONFIGS)),
    SEQUENCE_VARIANTS,
    dict(return_sequences=True),
)


check_forward_from = _loop_exercise(
    TEXTS.exercise("forward_from", cases=len(CONFIGS)),
    FROM_H0_VARIANTS,
    dict(with_h0=True),
)


# --- where is the error largest? --------------------------------------------------------

#: Hidden cases of ``worst_timestep``: ``(n, T, O, dtype, size, (i, t, o) of the largest
#: difference and its sign, (i, t, o) of a runner-up of the opposite sign, t of a
#: timestep whose *every* entry is off by a little)``. Indices are 0-based. The plants
#: are placed so that every wrong reduction gives a different answer on some case.
WORST_CASES = (
    (4, 9, 3, "float32", 1e-6, (1, 4, 2), -1, (2, 6, 0), 2),
    (3, 7, 5, "float64", 1e-14, (0, 1, 4), +1, (2, 5, 1), 3),
    (5, 6, 2, "float32", 1e-6, (3, 5, 0), -1, (0, 0, 1), 1),
)


def _worst_answers(keras_y: np.ndarray, manual_y: np.ndarray) -> tuple[int, dict[str, int]]:
    diff = keras_y.astype(np.float64) - manual_y.astype(np.float64)
    error = np.abs(diff)
    correct = int(np.argmax(error.max(axis=(0, 2)))) + 1
    return correct, {
        "zero_based": correct - 1,
        "signed_km": int(np.argmax(diff.max(axis=(0, 2)))) + 1,
        "signed_mk": int(np.argmax((-diff).max(axis=(0, 2)))) + 1,
        "mean": int(np.argmax(error.mean(axis=(0, 2)))) + 1,
        "axis_outputs": int(np.argmax(error.max(axis=(0, 1)))) + 1,
        "axis_samples": int(np.argmax(error.max(axis=(1, 2)))) + 1,
        "flat_index": int(np.argmax(error)) + 1,
        "last": keras_y.shape[1],
    }


@cache
def _worst_cases() -> tuple[Case, ...]:
    cases = []
    for index, (n, T, O, dtype, size, top, sign, runner_up, blurred_t) in enumerate(WORST_CASES):
        rng = np.random.default_rng(2000 + index)
        keras_y = rng.uniform(-1, 1, (n, T, O))
        delta = rng.uniform(-0.1, 0.1, (n, T, O)) * size  # rounding-sized background
        delta[:, blurred_t, :] = rng.choice([-2.0, 2.0], (n, O)) * size
        delta[top] = sign * 3.0 * size
        delta[runner_up] = -sign * 2.5 * size
        keras_y = keras_y.astype(dtype)
        manual_y = (keras_y.astype(np.float64) - delta).astype(dtype)
        keras_y.flags.writeable = manual_y.flags.writeable = False
        correct, variants = _worst_answers(keras_y, manual_y)
        label = f"n={n}, T={T}, O={O}, {dtype}"
        cases.append(Case((keras_y, manual_y), correct, label, 0.0, variants))
    return tuple(cases)


check_worst_timestep = exercise(
    TEXTS.exercise("worst_timestep", cases=len(WORST_CASES)),
    _worst_cases,
    answer=Whole(),
    refuses=Refusal.of("rnn_lab.error_per_timestep"),
)
WORST_EXERCISE = check_worst_timestep.exercise


# --- do two results agree? ---------------------------------------------------------------

#: Differences a learner's ``agree`` is tried on: ``(dtype, kind, size)``. ``ulps`` nudges
#: entries by a few units in the last place (honest rounding, must agree), ``large_ulps``
#: does the same on values of order 1000, where one ulp of float32 is 6e-5 (still
#: honest: only a relative part in the tolerance accepts it); ``zeros`` puts exact zeros
#: in one result and 3e-8 in the other (honest: only an absolute part accepts it);
#: ``offset`` adds ``size`` to one entry (a mistake, must not agree; negative sizes catch a
#: forgotten abs), ``large`` does it on values of order 1000; ``float32`` rounds float64
#: results to float32 (a real loss of precision).
AGREE_CASES = (
    ("float32", "ulps", 3),
    ("float64", "ulps", 3),
    ("float32", "offset", 0.1),
    ("float64", "float32", 0.0),
    ("float32", "offset", 1e-3),
    ("float32", "offset", -0.5),
    ("float64", "offset", +0.5),
    ("float64", "offset", -1e-9),
    ("float32", "large_ulps", 3),
    ("float32", "large", 1.0),
    ("float32", "zeros", 3e-8),
    ("float64", "large_ulps", 3),
)
#: A tolerance loose enough to let a 1e-3 mistake through, as a hand-picked "small
#: number" often is.
LOOSE_ATOL = 1e-2


def _within(diff: np.ndarray, reference: np.ndarray, atol: float, rtol: float) -> bool:
    return bool(np.all(diff <= atol + rtol * np.abs(reference)))


def _agree_answers(a: np.ndarray, b: np.ndarray) -> tuple[bool, dict[str, bool]]:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    diff = a64 - b64
    tol = tolerance_for(a.dtype)
    return _within(np.abs(diff), a64, tol, tol), {
        "float64_tolerance": _within(np.abs(diff), a64, FLOAT64_ATOL, FLOAT64_ATOL),
        "exact_equality": bool(np.array_equal(a, b)),
        "float32_tolerance": _within(np.abs(diff), a64, FLOAT32_ATOL, FLOAT32_ATOL),
        "allclose_default": bool(np.allclose(a, b)),
        "too_loose": _within(np.abs(diff), a64, LOOSE_ATOL, LOOSE_ATOL),
        "no_abs_ab": _within(diff, a64, tol, tol),
        "no_abs_ba": _within(-diff, a64, tol, tol),
        "absolute_only": _within(np.abs(diff), a64, tol, 0.0),
        "relative_only": _within(np.abs(diff), a64, 0.0, tol),
    }


def _nudged(b: np.ndarray, picked: np.ndarray, ulps: int) -> np.ndarray:
    for _ in range(ulps):
        b = np.where(picked, np.nextafter(b, b.dtype.type(np.inf)), b)
    return b


@cache
def _agree_cases() -> tuple[Case, ...]:
    cases = []
    for index, (dtype, kind, size) in enumerate(AGREE_CASES):
        rng = np.random.default_rng(3000 + index)
        large = kind in ("large", "large_ulps")
        a = (rng.uniform(-2, 2, (6, 5, 3)) * (1000 if large else 1)).astype(dtype)
        b = a.copy()
        if kind in ("ulps", "large_ulps"):
            b = _nudged(b, rng.random(a.shape) < 0.5, int(size))
        elif kind in ("offset", "large"):
            b[tuple(rng.integers(0, s) for s in a.shape)] += a.dtype.type(size)
        elif kind == "zeros":
            zeros = rng.random(a.shape) < 0.2
            a[zeros] = 0.0
            b = np.where(zeros, a.dtype.type(size), a)
        else:
            b = a.astype(np.float32).astype(a.dtype)
        a.flags.writeable = b.flags.writeable = False
        expected, variants = _agree_answers(a, b)
        label = {
            "ulps": f"{dtype}, a few units in the last place",
            "large_ulps": f"{dtype}, a few units in the last place on values of order 1000",
            "zeros": f"{dtype}, exact zeros against {size:g}",
            "float32": f"{dtype}, float64 results rounded to float32",
        }.get(kind, f"{dtype}, one entry off by {size:+g}")
        if kind == "large":
            label += " on values of order 1000"
        cases.append(Case((a, b), expected, label, 0.0, variants))
    return tuple(cases)


check_agree = exercise(
    TEXTS.exercise("agree", pairs=len(AGREE_CASES), loose=LOOSE_ATOL),
    _agree_cases,
    answer=TrueOrFalse(),
    refuses=Refusal(("rnn_lab.measure_agreement",)),
)
AGREE_EXERCISE = check_agree.exercise
