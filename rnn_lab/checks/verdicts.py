"""What a checker can conclude, and the words it says it in: the codes, the result record,
the known mistakes and the hidden cases they are recognised on.

A known mistake is recognised by evaluating its planted variant of the computation on the
same hidden cases: if the learner's answer equals that variant on every case (within the
tolerance of the case's dtype), the verdict names the mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

#: Codes a result can carry besides the names of known mistakes.
NOT_STARTED = "not_started"
PASSED = "ok"
RAISED = "exception"
TIMED_OUT = "timeout"
WRONG_TYPE = "wrong_type"
LIST = "list"
WRONG_SHAPE = "wrong_shape"
NOT_FINITE = "not_finite"
WRONG_VALUES = "wrong_values"
LOST_PRECISION = "lost_precision"
SHAPE_MIXUP = "shape_mixup"
DELEGATED = "delegated"
GENERATOR = "generator"

_MESSAGE_CHARS = 160  # long NumPy messages are cut: the first line says what went wrong


@dataclass(frozen=True)
class CheckResult:
    """What a checker concluded: ``passed``, a ``code`` naming the situation or the
    recognised mistake, and the printed ``message``."""

    exercise: str
    passed: bool
    code: str
    message: str

    def __repr__(self) -> str:
        return f"CheckResult(exercise={self.exercise!r}, passed={self.passed}, code={self.code!r})"

    def _ipython_display_(self) -> None:
        # The verdict is already printed; showing the record again under it would only
        # repeat it when the checker call is the last line of a cell.
        return None


@dataclass(frozen=True)
class Mistake:
    """A known wrong variant: ``code`` for tests, ``title`` for the verdict
    ("it looks like you <title>"), ``advice``: what to look at, one or two lines."""

    code: str
    title: str
    advice: str


@dataclass(frozen=True)
class Planted:
    """A known mistake declared as data: what the verdict says (``mistake``, read from the
    chapter's texts, :meth:`.texts.Texts.planted`) and how the wrong computation differs from
    the reference, as the named hooks of the reference it replaces (``changes``; empty for a
    mistake that is not a variant of that computation)."""

    mistake: Mistake
    changes: dict[str, Callable] = field(default_factory=dict)


def with_mistake(reference: Any, table: dict[str, Planted], mistake: str | None) -> Any:
    """``reference`` (a frozen dataclass of hooks), or a copy with ``mistake``'s hooks."""
    if mistake is None:
        return reference
    return replace(reference, **table[mistake].changes)


def mistakes_of(table: dict[str, Planted]) -> dict[str, Mistake]:
    """The verdicts of a table of planted mistakes, by name."""
    return {name: entry.mistake for name, entry in table.items()}


@dataclass(frozen=True)
class Case:
    """One hidden case: the arguments the learner's function gets, the expected answer,
    and what every applicable wrong variant would return on it (keyed by variant name)."""

    args: tuple
    expected: Any
    label: str
    tolerance: float = 0.0
    variants: dict[str, Any] = field(default_factory=dict)


class Exercise(Protocol):
    """What a verdict needs to know of the exercise it is about (a
    :class:`~rnn_lab.checks.core.Exercise` is one)."""

    name: str
    returns: str
    mistakes: dict[str, Mistake]
    is_function: bool


class Stop(Exception):  # internal control flow: carries the final verdict
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message


def fail(code: str, headline: str, *details: str) -> Stop:
    """A failing verdict: the headline, then each non-empty detail on its own indented line."""
    return Stop(code, "\n".join([headline, *(f"  {line}" for line in details if line)]))


def short(text: str) -> str:
    """``text`` on one line, cut to a readable length."""
    text = " ".join(str(text).split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


def not_started(exercise: Exercise, name: str, why: str) -> Stop:
    todo = (
        "Replace the placeholder in the function with your own code"
        if exercise.is_function
        else "Replace None with your answer"
    )
    return fail(
        NOT_STARTED, f"… not yet solved: `{name}` {why}.", f"{todo}, then run this cell again."
    )


def close(value: Any, target: Any, tolerance: float) -> bool:
    """Equal within ``tolerance`` for floating-point arrays (part by part for a tuple of
    them); exactly equal otherwise."""
    if isinstance(target, tuple) and target and isinstance(target[0], np.ndarray):
        return (
            isinstance(value, tuple)
            and len(value) == len(target)
            and all(close(v, t, tolerance) for v, t in zip(value, target, strict=True))
        )
    if not isinstance(target, np.ndarray) or target.dtype.kind != "f":
        return isinstance(value, type(target)) and value == target
    value = np.asarray(value)
    if value.shape != target.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(value.astype(np.float64) - target) <= tolerance))


def all_close(values: list, cases: list[Case]) -> bool:
    return all(close(v, c.expected, c.tolerance) for v, c in zip(values, cases, strict=True))


def matching_mistake(exercise: Exercise, values: list, cases: list[Case]) -> str | None:
    """The first known mistake whose variant equals the learner's value on every case."""
    for variant in exercise.mistakes:
        if all(
            variant in case.variants and close(value, case.variants[variant], case.tolerance)
            for value, case in zip(values, cases, strict=True)
        ):
            return variant
    return None


def mistake_verdict(exercise: Exercise, variant: str, *, by_shape: bool = False) -> Stop:
    mistake = exercise.mistakes[variant]
    if not exercise.is_function:
        headline = f"✗ `{exercise.name}`: not quite, you {mistake.title}."
    elif by_shape:
        headline = (
            f"✗ `{exercise.name}`: it looks like you {mistake.title} "
            "(your result has the shape that mistake gives)."
        )
    else:
        headline = (
            f"✗ `{exercise.name}`: it looks like you {mistake.title} "
            "(on every hidden case, your results are exactly what that mistake gives)."
        )
    return fail(mistake.code, headline, mistake.advice)


def raise_if_known_mistake(exercise: Exercise, values: list, cases: list[Case]) -> None:
    variant = matching_mistake(exercise, values, cases)
    if variant is not None:
        raise mistake_verdict(exercise, variant)
