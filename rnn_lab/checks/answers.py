"""What an answer must be, one small class per kind: how a returned value is put in the form
it is compared in (or refused with a verdict that says why), and what the verdict says when
it is wrong. An :class:`~.core.Exercise` names one of them as its ``answer``.

    Array()          one floating-point array          Whole()         a whole number
    Arrays(parts)    a tuple of arrays, named parts    TrueOrFalse()   True or False
    Shapes()         a shape, or a list of shapes      Letter(choices) one letter
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tolerances import FLOAT32_ATOL
from .verdicts import (
    GENERATOR,
    LIST,
    LOST_PRECISION,
    NOT_FINITE,
    WRONG_SHAPE,
    WRONG_TYPE,
    WRONG_VALUES,
    Case,
    Exercise,
    Stop,
    all_close,
    close,
    fail,
    matching_mistake,
    mistake_verdict,
    not_started,
    raise_if_known_mistake,
    short,
)


class Answer:
    """The common part of every kind: ``None`` and generators are refused, then
    :meth:`convert` (the kind's own); a wrong answer is first compared with the known
    mistakes, then :meth:`wrong` says what is wrong with it."""

    def normalise(self, exercise: Exercise, value: Any, case: Case) -> Any:
        """The learner's value in the form it is compared in, or a failing verdict."""
        name = exercise.name
        if value is None:
            raise not_started(exercise, name, "returned None (the starter's placeholder)")
        if inspect.isgenerator(value) or type(value).__name__ in (
            "generator",
            "map",
            "filter",
            "zip",
        ):
            raise fail(
                GENERATOR,
                f"✗ `{name}` returned a {type(value).__name__}, which computes nothing until "
                f"someone loops over it; it should return {exercise.returns}.",
                "A `yield` inside the function, or a generator expression `(... for t in ...)`, "
                "makes one: collect the items first, e.g. np.stack(list_of_items, axis=1), "
                "and return that.",
            )
        return self.convert(exercise, value, case)

    def convert(self, exercise: Exercise, value: Any, case: Case) -> Any:
        raise NotImplementedError

    def judge(self, exercise: Exercise, values: list, cases: list[Case]) -> None:
        """Return if every value is right; otherwise raise the verdict."""
        if all_close(values, cases):
            return
        raise_if_known_mistake(exercise, values, cases)
        raise self.wrong(exercise, values, cases)

    def wrong(self, exercise: Exercise, values: list, cases: list[Case]) -> Stop:
        shown, case = next(
            (v, c)
            for v, c in zip(values, cases, strict=True)
            if not close(v, c.expected, c.tolerance)
        )
        return fail(
            WRONG_VALUES,
            f"✗ `{exercise.name}` returned {short(repr(shown))} on case {case.label}; "
            "that is not right.",
            "None of the usual mistakes matches exactly; go back to the formula in the hint.",
        )


def as_array(name: str, returns: str, value: Any, case: Case, expected: Any) -> np.ndarray:
    """``value`` if it is a floating-point array, else the verdict on what it is."""
    expected = np.asarray(expected)
    if isinstance(value, (list, tuple)):
        raise _list_verdict(name, returns, value, case, expected)
    if not isinstance(value, np.ndarray):
        hint = ""
        if hasattr(value, "numpy") or hasattr(value, "__array__"):
            hint = "Convert it with np.asarray(...) before returning."
        raise fail(
            WRONG_TYPE,
            f"✗ `{name}` returned {type(value).__name__}; it should return "
            f"{returns}, here {expected.shape}.",
            hint,
        )
    if value.dtype.kind not in "f":
        raise fail(
            WRONG_TYPE,
            f"✗ `{name}` returned an array of dtype {value.dtype.name}; expected "
            f"floating-point numbers ({expected.dtype.name} on this case).",
            "Integer or boolean arrays usually mean a comparison or rounding where a "
            "computation was meant.",
        )
    return value


def _list_verdict(
    name: str, returns: str, value: Sequence, case: Case, expected: np.ndarray
) -> Stop:
    kind = type(value).__name__
    headline = (
        f"✗ `{name}` returned a {kind} of {len(value)} items; it should return "
        f"{returns}, here {expected.shape}."
    )
    tries = {
        "np.asarray(...) of it is right": np.asarray,
        "np.stack(items, axis=1) is right, samples first and then time": lambda v: np.stack(
            v, axis=1
        ),
        "its last item is right, return only that one": lambda v: v[-1],
    }
    for advice, convert in tries.items():
        try:
            candidate = np.asarray(convert(value), dtype=np.float64)
        except Exception:
            continue
        if candidate.shape == expected.shape and close(candidate, expected, case.tolerance):
            return fail(
                LIST, headline, f"The numbers are right, only the container is not: {advice}."
            )
    return fail(LIST, headline, "Return a NumPy array, e.g. np.array(...) or np.stack(...).")


def _describe_difference(value: np.ndarray, case: Case) -> str:
    expected = np.asarray(case.expected)
    error = np.abs(value.astype(np.float64) - expected)
    worst = float(error.max())
    text = (
        f"On case {case.label} the largest difference is {worst:.2e} "
        f"(tolerance {case.tolerance:.0e})"
    )
    if expected.ndim == 3:  # (n, T, O): where along the sequence does it start?
        per_t = error.max(axis=(0, 2))
        first = int(np.argmax(per_t > case.tolerance)) + 1
        text += f"; the first wrong timestep is t = {first} of {expected.shape[1]}"
        if first > 1:
            text += ": t = 1 is right, so look at what carries h from one step to the next"
    return text + "."


@dataclass(frozen=True)
class Array(Answer):
    """One floating-point array of the expected shape, finite."""

    def convert(self, exercise: Exercise, value: Any, case: Case) -> np.ndarray:
        array = as_array(exercise.name, exercise.returns, value, case, case.expected)
        expected = np.asarray(case.expected)
        if array.shape == expected.shape and not np.all(np.isfinite(array)):
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise fail(
                NOT_FINITE,
                f"✗ `{exercise.name}` returned {bad} NaN or infinite value(s) (case {case.label}).",
                "Look for an array made with np.empty and never filled, a division by zero, "
                "or an overflowing exponential in a hand-written activation.",
            )
        return array

    def judge(self, exercise: Exercise, values: list, cases: list[Case]) -> None:
        for value, case in zip(values, cases, strict=True):
            expected = np.asarray(case.expected)
            if value.shape != expected.shape:
                raise_if_known_mistake(exercise, values, cases)
                variant = _shape_mistake(exercise, value, case)
                if variant is not None:
                    raise mistake_verdict(exercise, variant, by_shape=True)
                raise fail(
                    WRONG_SHAPE,
                    f"✗ `{exercise.name}` returned shape {value.shape}; expected "
                    f"{expected.shape} on case {case.label}.",
                    f"It should return {exercise.returns}.",
                )
        super().judge(exercise, values, cases)

    def wrong(self, exercise: Exercise, values: list, cases: list[Case]) -> Stop:
        value, case = next(
            (v, c)
            for v, c in zip(values, cases, strict=True)
            if not close(v, c.expected, c.tolerance)
        )
        expected = np.asarray(case.expected)
        if (
            expected.dtype == np.float64
            and value.dtype == np.float32
            and close(value, expected, FLOAT32_ATOL)
        ):
            return fail(
                LOST_PRECISION,
                f"✗ `{exercise.name}` returned float32 on a float64 case ({case.label}).",
                "Somewhere the computation was cast to float32 (an astype, or an array "
                "created with dtype=np.float32): keep the dtype of the inputs.",
            )
        return fail(
            WRONG_VALUES,
            f"✗ `{exercise.name}` returns the right shape but wrong numbers.",
            _describe_difference(value, case),
            "None of the usual mistakes matches exactly; compare your code term by term "
            "with the equation above the exercise.",
        )


def _shape_mistake(exercise: Exercise, value: np.ndarray, case: Case) -> str | None:
    for variant in exercise.mistakes:
        if variant in case.variants and np.shape(case.variants[variant]) == value.shape:
            return variant
    return None


@dataclass(frozen=True)
class Arrays(Answer):
    """A tuple of arrays, one per name in ``parts`` (a dict with those keys is accepted),
    each checked like an :class:`Array`; a wrong answer says which parts are wrong."""

    parts: tuple[str, ...]

    def convert(self, exercise: Exercise, value: Any, case: Case) -> tuple[np.ndarray, ...]:
        parts = self.parts
        names = ", ".join(parts)
        if isinstance(value, dict):
            missing = [part for part in parts if part not in value]
            if missing:
                raise fail(
                    WRONG_TYPE,
                    f"✗ `{exercise.name}` returned a dict without {', '.join(missing)}; it "
                    f"should return {exercise.returns}.",
                )
            value = tuple(value[part] for part in parts)
        if not isinstance(value, (tuple, list)) or len(value) != len(parts):
            got = (
                f"{len(value)} items" if isinstance(value, (tuple, list)) else type(value).__name__
            )
            raise fail(
                WRONG_TYPE,
                f"✗ `{exercise.name}` returned {got}; it should return {len(parts)} arrays, "
                f"in this order: {names}.",
            )
        arrays = []
        for part, item, expected in zip(parts, value, case.expected, strict=True):
            returns = f"an array of shape {np.shape(expected)}"
            array = as_array(f"{exercise.name}` → `{part}", returns, item, case, expected)
            if array.shape == np.shape(expected) and not np.all(np.isfinite(array)):
                raise fail(
                    NOT_FINITE,
                    f"✗ `{exercise.name}` returned NaN or infinite values in {part} "
                    f"(case {case.label}).",
                    "Look for a division by zero, an array made with np.empty and never filled, "
                    "or an overflow.",
                )
            arrays.append(array)
        return tuple(arrays)

    def judge(self, exercise: Exercise, values: list, cases: list[Case]) -> None:
        """Shapes part by part, then values, then the known mistakes, then which parts
        are wrong."""
        for value, case in zip(values, cases, strict=True):
            for part, array, expected in zip(self.parts, value, case.expected, strict=True):
                if array.shape != np.shape(expected):
                    variant = matching_mistake(exercise, values, cases)
                    if variant is not None:
                        raise mistake_verdict(exercise, variant)
                    raise fail(
                        WRONG_SHAPE,
                        f"✗ `{exercise.name}` returned {part} of shape {array.shape}; expected "
                        f"{np.shape(expected)} on case {case.label}.",
                        "Each gradient has the shape of what it is the gradient of.",
                    )
        super().judge(exercise, values, cases)

    def wrong(self, exercise: Exercise, values: list, cases: list[Case]) -> Stop:
        for value, case in zip(values, cases, strict=True):
            pairs = list(zip(self.parts, value, case.expected, strict=True))
            wrong = [
                part
                for part, array, expected in pairs
                if not close(array, expected, case.tolerance)
            ]
            if wrong:
                right = [part for part in self.parts if part not in wrong]
                worst = max(
                    float(np.max(np.abs(array.astype(np.float64) - expected)))
                    for part, array, expected in pairs
                    if part in wrong
                )
                return fail(
                    WRONG_VALUES,
                    f"✗ `{exercise.name}`: {', '.join(wrong)} wrong on case {case.label} "
                    f"(largest difference {worst:.2e}, tolerance {case.tolerance:.0e})"
                    + (f"; {', '.join(right)} right." if right else "."),
                    "None of the usual mistakes matches exactly; start with the first wrong one "
                    "and compare it term by term with the equations above the exercise.",
                )
        raise AssertionError("judged wrong, but every part is right")  # pragma: no cover


@dataclass(frozen=True)
class Whole(Answer):
    """A whole number (an int, or a float or NumPy number with no fraction)."""

    def convert(self, exercise: Exercise, value: Any, case: Case) -> int:
        name = exercise.name
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, np.integer, float, np.floating)
        ):
            raise fail(WRONG_TYPE, f"✗ `{name}` returned {type(value).__name__}; expected an int.")
        if not float(value).is_integer():
            raise fail(WRONG_TYPE, f"✗ `{name}` returned {value!r}; expected a whole number.")
        return int(value)


@dataclass(frozen=True)
class TrueOrFalse(Answer):
    """``True`` or ``False`` (a NumPy bool too)."""

    def convert(self, exercise: Exercise, value: Any, case: Case) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise fail(
                WRONG_TYPE,
                f"✗ `{exercise.name}` returned {type(value).__name__} {short(repr(value))}; "
                "expected True or False.",
                "A comparison such as `error <= tolerance` gives a bool; wrap an array "
                "result in bool(...) or use np.all(...).",
            )
        return bool(value)


@dataclass(frozen=True)
class Letter(Answer):
    """One of the letters in ``choices`` (any case, spaces around it ignored)."""

    choices: str = "abcd"

    def convert(self, exercise: Exercise, value: Any, case: Case) -> str:
        choices = ", ".join(repr(choice) for choice in self.choices)
        if not isinstance(value, str) or value.strip().lower() not in set(self.choices):
            raise fail(
                WRONG_TYPE,
                f"✗ the answer is {short(repr(value))}; expected one letter: {choices}.",
            )
        return value.strip().lower()


@dataclass(frozen=True)
class Shapes(Answer):
    """A shape (a tuple of ints), or a list of them where the expected answer is a list."""

    def convert(self, exercise: Exercise, value: Any, case: Case) -> Any:
        name = exercise.name

        def shape(item: Any) -> tuple[int, ...]:
            if isinstance(item, (tuple, list)) and all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in item
            ):
                return tuple(int(v) for v in item)
            raise fail(
                WRONG_TYPE,
                f"✗ `{name}` returned {short(repr(value))}; a shape is a tuple of ints, "
                "e.g. (3, 5) or (5,).",
            )

        if not isinstance(case.expected, list):
            return shape(value)
        if not isinstance(value, (list, tuple)):
            raise fail(
                WRONG_TYPE,
                f"✗ `{name}` returned {type(value).__name__}; expected a list of "
                f"{len(case.expected)} shapes.",
            )
        if len(value) != len(case.expected):
            raise fail(
                WRONG_SHAPE,
                f"✗ `{name}` returned {len(value)} shapes; `get_weights()` returns "
                f"{len(case.expected)} arrays here ({case.label}): one per weight array, "
                "layer after layer.",
            )
        return [shape(item) for item in value]
