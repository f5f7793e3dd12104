"""The machinery every exercise checker shares: call the learner's code safely, judge
what came back, recognise known mistakes, and print one short verdict.

A checker never raises because of the learner's code. Whatever happens (an exception,
``None``, a list, the wrong shape, NaN, an endless loop) becomes a :class:`CheckResult`
whose ``code`` names the situation and whose ``message`` says what to look at. That
message is printed (to stdout, so a notebook shows it as ordinary output) and the
result is returned, so tests can assert on ``passed`` and ``code``.

Known mistakes are recognised by evaluating each wrong variant of the computation on
the same hidden cases: if the learner's answer equals a variant on every case (within
the tolerance of the case's dtype), the verdict names that mistake.
"""

from __future__ import annotations

import ctypes
import inspect
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..tolerances import FLOAT32_ATOL
from . import guard

#: Seconds one call of the learner's function may take. The hidden cases are tiny
#: (at most a few hundred numbers), so a correct answer, even written with plain Python
#: loops, needs milliseconds; only an endless or runaway loop comes near this.
TIME_LIMIT_S = 5.0

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

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
# Frames from these are library code; the learner's own line is the innermost other one.
_LIBRARY_MARKERS = ("site-packages", "dist-packages")
_SHAPE_ERROR = re.compile(
    r"mismatch in its core dimension|not aligned|could not be broadcast|"
    r"size \d+ is different from|Incompatible shapes|matmul"
)
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
class Case:
    """One hidden case: the arguments the learner's function gets, the expected answer,
    and what every applicable wrong variant would return on it (keyed by variant name)."""

    args: tuple
    expected: Any
    label: str
    tolerance: float = 0.0
    variants: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exercise:
    """Everything a checker needs to judge one exercise.

    ``kind`` is what the answer must be: ``"array"``, ``"arrays"`` (a tuple of arrays
    named by ``parts``), ``"int"``, ``"bool"``, ``"letter"`` or ``"shapes"`` (a tuple of
    ints, or a list of them). ``mistakes`` maps each variant name in the cases to the
    mistake it embodies. ``extra`` runs after the values are right and may return a
    failing ``(code, message)``, e.g. for a correct but unvectorised loop.

    ``forbidden`` names the reference implementations the learner is asked to write
    (``"rnn_lab.manual_forward"``): calling any of them, and with ``frameworks`` any
    Keras or PyTorch code, is refused with ``"your `name` called ...: <write_yourself>"``.
    ``difficulty`` (1–3), ``minutes`` and ``skill`` are what the teachers' table shows.
    """

    name: str
    kind: str
    verified: str
    mistakes: dict[str, Mistake]
    returns: str = "a result"
    extra: Callable[[Callable], tuple[str, str] | None] | None = None
    is_function: bool = True
    choices: str = "abcd"
    parts: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    frameworks: bool = False
    write_yourself: str = "write it yourself"
    difficulty: int = 1
    minutes: int = 10
    skill: str = ""


class _TimeLimitExceeded(BaseException):
    # BaseException, so that a learner's `except Exception:` cannot swallow it.
    pass


def _call_in_main_thread(fn: Callable, args: tuple, limit: float) -> Any:
    def expire(signum, frame):
        raise _TimeLimitExceeded

    previous_handler = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    previous_timer = signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        try:
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:  # someone else's timer was running: give it back
            remaining = previous_timer[0] - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3), previous_timer[1])


def _call_in_worker_thread(fn: Callable, args: tuple, limit: float) -> Any:
    # Without SIGALRM (Windows) or outside the main thread, run the call in a daemon
    # thread; on time-out, raise inside it so a pure-Python endless loop stops rather
    # than spinning in the background of the kernel.
    box: dict[str, Any] = {}

    def work():
        try:
            box["value"] = fn(*args)
        except _TimeLimitExceeded:
            box["timeout"] = True
        except BaseException as error:
            box["error"] = error

    worker = threading.Thread(target=work, daemon=True, name="rnn_lab-check")
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(worker.ident), ctypes.py_object(_TimeLimitExceeded)
        )
        worker.join(1.0)
        raise _TimeLimitExceeded
    if "error" in box:
        raise box["error"]
    if box.get("timeout"):
        raise _TimeLimitExceeded
    return box.get("value")


def call_with_time_limit(fn: Callable, args: tuple, limit: float = TIME_LIMIT_S) -> Any:
    """``fn(*args)``, or raise ``_TimeLimitExceeded`` after ``limit`` seconds.

    In the main thread on Unix (a Jupyter kernel runs cells there) a ``SIGALRM`` timer
    interrupts the call and every handler and timer is restored afterwards; elsewhere
    a worker thread is used.
    """
    if not limit > 0:
        raise ValueError(f"time limit must be a positive number of seconds; got {limit!r}")
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and hasattr(signal, "setitimer"):
        return _call_in_main_thread(fn, args, limit)
    return _call_in_worker_thread(fn, args, limit)


def _learner_line(error: BaseException) -> str:
    """``line N: <source>`` of the innermost frame in the learner's own code (for an
    error raised in a grading worker, the line it reported)."""
    reported = getattr(error, "learner_line", None)
    if isinstance(reported, str):
        return reported
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith(_PACKAGE_DIR)
        and not any(marker in frame.filename for marker in _LIBRARY_MARKERS)
    ]
    if not frames or not frames[-1].line:
        return ""
    return f" (line {frames[-1].lineno}: `{frames[-1].line.strip()}`)"


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


class _Stop(Exception):  # internal control flow: carries the final verdict
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message


def _fail(code: str, headline: str, *details: str) -> _Stop:
    return _Stop(code, "\n".join([headline, *(f"  {line}" for line in details if line)]))


def _delegation_verdict(exercise: Exercise, called: str) -> _Stop:
    return _fail(
        DELEGATED,
        f"✗ your `{exercise.name}` called `{called}`: {exercise.write_yourself}.",
        "The checker refuses answers that hand the job to the function the exercise asks "
        "you to write (or to the framework); NumPy and the helpers the exercise names are fine.",
    )


def _call(exercise: Exercise, fn: Callable, case: Case, limit: float) -> Any:
    watch = guard.watch(exercise.forbidden, exercise.frameworks)

    def called() -> str | None:
        # A function run in a grading worker is watched there, and says what it saw.
        return watch.called or getattr(fn, "delegated_to", None)

    try:
        result = _call_unwatched(exercise, watch.wrap(fn), case, limit)
    except _Stop:
        if called() is not None:
            raise _delegation_verdict(exercise, called()) from None
        raise
    if called() is not None:
        raise _delegation_verdict(exercise, called())
    return result


def _call_unwatched(exercise: Exercise, fn: Callable, case: Case, limit: float) -> Any:
    name = exercise.name
    try:
        return call_with_time_limit(fn, _fresh(case.args), limit)
    except _TimeLimitExceeded:
        raise _fail(
            TIMED_OUT,
            f"✗ `{name}` took longer than {limit:g} s on a small hidden case ({case.label}).",
            "A correct answer needs milliseconds here: look for a loop that never ends "
            "(a `while` whose condition stays true) or one that runs far more than T times.",
        ) from None
    except NotImplementedError:
        raise _not_started(exercise, name, "still raises NotImplementedError") from None
    except Exception as error:
        where = _learner_line(error)
        text = _short(f"{type(error).__name__}: {error}")
        if "read-only" in str(error):
            raise _fail(
                RAISED,
                f"✗ `{name}` raised {text}{where}.",
                "The arrays you are given are read-only: build new arrays "
                "(h = h + ...) instead of modifying an input in place (h += ...).",
            ) from None
        if _SHAPE_ERROR.search(str(error)):
            raise _fail(
                SHAPE_MIXUP,
                f"✗ `{name}` raised {text}{where}.",
                "A matrix product or sum got incompatible shapes, often a (D, H) vs (H, D) "
                "mix-up: rows are samples, so x_t (n, D) @ Wx (D, H) and h (n, H) @ Wh (H, H).",
            ) from None
        raise _fail(RAISED, f"✗ `{name}` raised {text}{where}.") from None


def _fresh(args: tuple) -> tuple:
    # A learner's in-place change must not leak into the cached case: writable arrays
    # are copied; read-only ones (and the immutable weights record) are safe to share.
    return tuple(
        np.array(a) if isinstance(a, np.ndarray) and a.flags.writeable else a for a in args
    )


def _not_started(exercise: Exercise, name: str, why: str) -> _Stop:
    todo = (
        "Replace the placeholder in the function with your own code"
        if exercise.is_function
        else "Replace None with your answer"
    )
    return _fail(
        NOT_STARTED, f"… not yet solved: `{name}` {why}.", f"{todo}, then run this cell again."
    )


# --- judging one returned value -------------------------------------------------------


def _as_array(exercise: Exercise, value: Any, case: Case) -> np.ndarray:
    expected = np.asarray(case.expected)
    if isinstance(value, (list, tuple)):
        raise _list_verdict(exercise, value, case)
    if not isinstance(value, np.ndarray):
        hint = ""
        if hasattr(value, "numpy") or hasattr(value, "__array__"):
            hint = "Convert it with np.asarray(...) before returning."
        raise _fail(
            WRONG_TYPE,
            f"✗ `{exercise.name}` returned {type(value).__name__}; it should return "
            f"{exercise.returns}, here {expected.shape}.",
            hint,
        )
    if value.dtype.kind not in "f":
        raise _fail(
            WRONG_TYPE,
            f"✗ `{exercise.name}` returned an array of dtype {value.dtype.name}; expected "
            f"floating-point numbers ({expected.dtype.name} on this case).",
            "Integer or boolean arrays usually mean a comparison or rounding where a "
            "computation was meant.",
        )
    return value


def _list_verdict(exercise: Exercise, value: Sequence, case: Case) -> _Stop:
    expected = np.asarray(case.expected)
    kind = type(value).__name__
    headline = (
        f"✗ `{exercise.name}` returned a {kind} of {len(value)} items; it should return "
        f"{exercise.returns}, here {expected.shape}."
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
        if candidate.shape == expected.shape and _close(candidate, expected, case.tolerance):
            return _fail(
                LIST, headline, f"The numbers are right, only the container is not: {advice}."
            )
    return _fail(LIST, headline, "Return a NumPy array, e.g. np.array(...) or np.stack(...).")


def _close(value: Any, target: Any, tolerance: float) -> bool:
    """Equal within ``tolerance`` for floating-point arrays (part by part for a tuple of
    them); exactly equal otherwise."""
    if isinstance(target, tuple) and target and isinstance(target[0], np.ndarray):
        return (
            isinstance(value, tuple)
            and len(value) == len(target)
            and all(_close(v, t, tolerance) for v, t in zip(value, target, strict=True))
        )
    if not isinstance(target, np.ndarray) or target.dtype.kind != "f":
        return isinstance(value, type(target)) and value == target
    value = np.asarray(value)
    if value.shape != target.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(value.astype(np.float64) - target) <= tolerance))


def _normalise(exercise: Exercise, value: Any, case: Case) -> Any:
    """The learner's value in the form it is compared in, or a failing verdict."""
    name = exercise.name
    if value is None:
        raise _not_started(exercise, name, "returned None (the starter's placeholder)")
    if inspect.isgenerator(value) or type(value).__name__ in ("generator", "map", "filter", "zip"):
        raise _fail(
            GENERATOR,
            f"✗ `{name}` returned a {type(value).__name__}, which computes nothing until "
            f"someone loops over it; it should return {exercise.returns}.",
            "A `yield` inside the function, or a generator expression `(... for t in ...)`, "
            "makes one: collect the items first, e.g. np.stack(list_of_items, axis=1), "
            "and return that.",
        )
    if exercise.kind == "arrays":
        return _as_arrays(exercise, value, case)
    if exercise.kind == "array":
        array = _as_array(exercise, value, case)
        expected = np.asarray(case.expected)
        if array.shape == expected.shape and not np.all(np.isfinite(array)):
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise _fail(
                NOT_FINITE,
                f"✗ `{name}` returned {bad} NaN or infinite value(s) (case {case.label}).",
                "Look for an array made with np.empty and never filled, a division by zero, "
                "or an overflowing exponential in a hand-written activation.",
            )
        return array
    if exercise.kind == "int":
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, np.integer, float, np.floating)
        ):
            raise _fail(WRONG_TYPE, f"✗ `{name}` returned {type(value).__name__}; expected an int.")
        if not float(value).is_integer():
            raise _fail(WRONG_TYPE, f"✗ `{name}` returned {value!r}; expected a whole number.")
        return int(value)
    if exercise.kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise _fail(
                WRONG_TYPE,
                f"✗ `{name}` returned {type(value).__name__} {_short(repr(value))}; expected "
                "True or False.",
                "A comparison such as `error <= tolerance` gives a bool; wrap an array "
                "result in bool(...) or use np.all(...).",
            )
        return bool(value)
    if exercise.kind == "letter":
        choices = ", ".join(repr(choice) for choice in exercise.choices)
        if not isinstance(value, str) or value.strip().lower() not in set(exercise.choices):
            raise _fail(
                WRONG_TYPE,
                f"✗ the answer is {_short(repr(value))}; expected one letter: {choices}.",
            )
        return value.strip().lower()
    if exercise.kind == "shapes":
        return _as_shapes(name, value, case)
    raise AssertionError(f"unknown answer kind {exercise.kind!r}")  # pragma: no cover


def _as_arrays(exercise: Exercise, value: Any, case: Case) -> tuple[np.ndarray, ...]:
    """A tuple of arrays, one per name in ``exercise.parts``, each checked like an array."""
    parts = exercise.parts
    names = ", ".join(parts)
    if isinstance(value, dict):
        missing = [part for part in parts if part not in value]
        if missing:
            raise _fail(
                WRONG_TYPE,
                f"✗ `{exercise.name}` returned a dict without {', '.join(missing)}; it should "
                f"return {exercise.returns}.",
            )
        value = tuple(value[part] for part in parts)
    if not isinstance(value, (tuple, list)) or len(value) != len(parts):
        got = f"{len(value)} items" if isinstance(value, (tuple, list)) else type(value).__name__
        raise _fail(
            WRONG_TYPE,
            f"✗ `{exercise.name}` returned {got}; it should return {len(parts)} arrays, "
            f"in this order: {names}.",
        )
    arrays = []
    for part, item, expected in zip(parts, value, case.expected, strict=True):
        single = Case(case.args, expected, case.label, case.tolerance)
        named = Exercise(
            name=f"{exercise.name}` → `{part}",
            kind="array",
            verified="",
            mistakes={},
            returns=f"an array of shape {np.shape(expected)}",
        )
        array = _as_array(named, item, single)
        if array.shape == np.shape(expected) and not np.all(np.isfinite(array)):
            raise _fail(
                NOT_FINITE,
                f"✗ `{exercise.name}` returned NaN or infinite values in {part} "
                f"(case {case.label}).",
                "Look for a division by zero, an array made with np.empty and never filled, "
                "or an overflow.",
            )
        arrays.append(array)
    return tuple(arrays)


def _as_shapes(name: str, value: Any, case: Case) -> Any:
    def shape(item: Any) -> tuple[int, ...]:
        if isinstance(item, (tuple, list)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in item
        ):
            return tuple(int(v) for v in item)
        raise _fail(
            WRONG_TYPE,
            f"✗ `{name}` returned {_short(repr(value))}; a shape is a tuple of ints, "
            "e.g. (3, 5) or (5,).",
        )

    nested = isinstance(case.expected, list)
    if nested:
        if not isinstance(value, (list, tuple)):
            raise _fail(
                WRONG_TYPE,
                f"✗ `{name}` returned {type(value).__name__}; expected a list of "
                f"{len(case.expected)} shapes.",
            )
        if len(value) != len(case.expected):
            raise _fail(
                WRONG_SHAPE,
                f"✗ `{name}` returned {len(value)} shapes; `get_weights()` returns "
                f"{len(case.expected)} arrays here ({case.label}): one per weight array, "
                "layer after layer.",
            )
        return [shape(item) for item in value]
    return shape(value)


# --- the verdict ----------------------------------------------------------------------


def _matching_mistake(exercise: Exercise, values: list, cases: list[Case]) -> str | None:
    for variant in exercise.mistakes:
        if all(
            variant in case.variants and _close(value, case.variants[variant], case.tolerance)
            for value, case in zip(values, cases, strict=True)
        ):
            return variant
    return None


def _shape_mistake(exercise: Exercise, value: np.ndarray, case: Case) -> str | None:
    for variant in exercise.mistakes:
        if variant in case.variants and np.shape(case.variants[variant]) == value.shape:
            return variant
    return None


def _mistake_verdict(exercise: Exercise, variant: str, *, by_shape: bool = False) -> _Stop:
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
    return _fail(mistake.code, headline, mistake.advice)


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


def _judge_parts(exercise: Exercise, values: list, cases: list[Case]) -> None:
    """The verdict for a tuple of arrays: shapes part by part, then values, then the
    known mistakes, then which parts are wrong."""
    for value, case in zip(values, cases, strict=True):
        for part, array, expected in zip(exercise.parts, value, case.expected, strict=True):
            if array.shape != np.shape(expected):
                variant = _matching_mistake(exercise, values, cases)
                if variant is not None:
                    raise _mistake_verdict(exercise, variant)
                raise _fail(
                    WRONG_SHAPE,
                    f"✗ `{exercise.name}` returned {part} of shape {array.shape}; expected "
                    f"{np.shape(expected)} on case {case.label}.",
                    "Each gradient has the shape of what it is the gradient of.",
                )
    if all(_close(v, c.expected, c.tolerance) for v, c in zip(values, cases, strict=True)):
        return
    variant = _matching_mistake(exercise, values, cases)
    if variant is not None:
        raise _mistake_verdict(exercise, variant)
    for value, case in zip(values, cases, strict=True):
        wrong = [
            part
            for part, array, expected in zip(exercise.parts, value, case.expected, strict=True)
            if not _close(array, expected, case.tolerance)
        ]
        if wrong:
            right = [part for part in exercise.parts if part not in wrong]
            worst = max(
                float(np.max(np.abs(array.astype(np.float64) - expected)))
                for part, array, expected in zip(exercise.parts, value, case.expected, strict=True)
                if part in wrong
            )
            raise _fail(
                WRONG_VALUES,
                f"✗ `{exercise.name}`: {', '.join(wrong)} wrong on case {case.label} "
                f"(largest difference {worst:.2e}, tolerance {case.tolerance:.0e})"
                + (f"; {', '.join(right)} right." if right else "."),
                "None of the usual mistakes matches exactly; start with the first wrong one "
                "and compare it term by term with the equations above the exercise.",
            )


def _judge(exercise: Exercise, values: list, cases: list[Case]) -> None:
    if exercise.kind == "arrays":
        _judge_parts(exercise, values, cases)
        return
    if exercise.kind == "array":
        for value, case in zip(values, cases, strict=True):
            expected = np.asarray(case.expected)
            if value.shape != expected.shape:
                variant = _matching_mistake(exercise, values, cases)
                if variant is not None:
                    raise _mistake_verdict(exercise, variant)
                variant = _shape_mistake(exercise, value, case)
                if variant is not None:
                    raise _mistake_verdict(exercise, variant, by_shape=True)
                raise _fail(
                    WRONG_SHAPE,
                    f"✗ `{exercise.name}` returned shape {value.shape}; expected "
                    f"{expected.shape} on case {case.label}.",
                    f"It should return {exercise.returns}.",
                )
    if all(_close(v, c.expected, c.tolerance) for v, c in zip(values, cases, strict=True)):
        return
    variant = _matching_mistake(exercise, values, cases)
    if variant is not None:
        raise _mistake_verdict(exercise, variant)
    if exercise.kind == "array":
        for value, case in zip(values, cases, strict=True):
            if _close(value, case.expected, case.tolerance):
                continue
            expected = np.asarray(case.expected)
            if (
                expected.dtype == np.float64
                and value.dtype == np.float32
                and _close(value, expected, FLOAT32_ATOL)
            ):
                raise _fail(
                    LOST_PRECISION,
                    f"✗ `{exercise.name}` returned float32 on a float64 case ({case.label}).",
                    "Somewhere the computation was cast to float32 (an astype, or an array "
                    "created with dtype=np.float32): keep the dtype of the inputs.",
                )
            raise _fail(
                WRONG_VALUES,
                f"✗ `{exercise.name}` returns the right shape but wrong numbers.",
                _describe_difference(value, case),
                "None of the usual mistakes matches exactly; compare your code term by term "
                "with the equation above the exercise.",
            )
    first_wrong = next(
        (v, c) for v, c in zip(values, cases, strict=True) if not _close(v, c.expected, c.tolerance)
    )
    shown = first_wrong[0]
    raise _fail(
        WRONG_VALUES,
        f"✗ `{exercise.name}` returned {_short(repr(shown))} on case {first_wrong[1].label}; "
        "that is not right.",
        "None of the usual mistakes matches exactly; go back to the formula in the hint.",
    )


def run_check(
    exercise: Exercise, answer: Any, cases: list[Case], *, time_limit: float = TIME_LIMIT_S
) -> CheckResult:
    """Judge ``answer`` (a function, or a value) on ``cases``, print the verdict and
    return it as a :class:`CheckResult`.

    While the learner's code runs, what it prints is captured (a flood is cut) and NumPy's
    global settings are restored afterwards; both are reported under the verdict."""
    printed, state = guard.PrintedLines(), guard.StateReport()
    try:
        if answer is None:
            raise _not_started(exercise, exercise.name, "is still None")
        if exercise.is_function and not callable(answer):
            raise _fail(
                WRONG_TYPE,
                f"✗ expected the function `{exercise.name}` itself; got {type(answer).__name__}.",
                f"Pass the function without calling it: check_...({exercise.name}).",
            )
        with guard.printing_captured(printed), guard.numpy_state_kept(state):
            values = []
            for case in cases:
                raw = _call(exercise, answer, case, time_limit) if exercise.is_function else answer
                values.append(_normalise(exercise, raw, case))
            _judge(exercise, values, cases)
            if exercise.extra is not None:
                # A function run in a grading worker runs the extra test there, beside it.
                run_extra = getattr(answer, "run_extra", None)
                problem = run_extra() if callable(run_extra) else exercise.extra(answer)
                if problem is not None:
                    raise _fail(problem[0], *problem[1].split("\n"))
        code, message = PASSED, f"✓ `{exercise.name}` is correct: {exercise.verified}"
    except _Stop as stop:
        code, message = stop.code, stop.message
    message = "\n".join([message, *guard.notes(printed, state)])
    result = CheckResult(exercise.name, code == PASSED, code, message)
    print(message)
    sys.stdout.flush()
    return result


def accepting_scalars(answer: Any) -> Any:
    """``answer`` (the learner's function) with a Python or NumPy scalar result turned into a
    0-d array, for exercises whose answer is one number; anything else passes unchanged to
    the verdicts."""
    if not callable(answer):
        return answer

    def wrapped(*args):
        value = answer(*args)
        if isinstance(value, np.floating):
            return np.asarray(value)  # keeps its dtype
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return np.asarray(float(value))
        return value

    wrapped.__name__ = getattr(answer, "__name__", "answer")
    return wrapped
