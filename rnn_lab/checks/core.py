"""The machinery every exercise checker shares: how an exercise is declared, and how an
answer is run safely, judged and given one short verdict.

A checker never raises because of the learner's code. Whatever happens (an exception,
``None``, a list, the wrong shape, NaN, an endless loop) becomes a :class:`CheckResult`
whose ``code`` names the situation and whose ``message`` says what to look at. That
message is printed (to stdout, so a notebook shows it as ordinary output) and the
result is returned, so tests can assert on ``passed`` and ``code``.

An exercise is declared, and its public ``check_*`` built, by one :func:`exercise`
statement; its words (docstring, what a pass verified, the card, the mistakes' verdicts) are
data, in the chapter's TOML file (:mod:`.texts`). What the answer must be is the exercise's
:mod:`.answers` kind; the verdicts and the recognition of known mistakes (each a planted
variant evaluated on the same hidden cases) are in :mod:`.verdicts`; the time limit in
:mod:`.timing`.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import guard
from .answers import Answer, Array, Arrays, Letter, Shapes, TrueOrFalse, Whole
from .texts import ExerciseText
from .timing import TIME_LIMIT_S, TimeLimitExceeded, call_with_time_limit
from .verdicts import (
    DELEGATED,
    GENERATOR,
    LIST,
    LOST_PRECISION,
    NOT_FINITE,
    NOT_STARTED,
    PASSED,
    RAISED,
    SHAPE_MIXUP,
    TIMED_OUT,
    WRONG_SHAPE,
    WRONG_TYPE,
    WRONG_VALUES,
    Case,
    CheckResult,
    Mistake,
    Stop,
    close,
    fail,
    not_started,
    short,
)

__all__ = [
    "DELEGATED",
    "GENERATOR",
    "LIST",
    "LOST_PRECISION",
    "NOT_FINITE",
    "NOT_STARTED",
    "PASSED",
    "RAISED",
    "SHAPE_MIXUP",
    "TIMED_OUT",
    "TIME_LIMIT_S",
    "WRONG_SHAPE",
    "WRONG_TYPE",
    "WRONG_VALUES",
    "Answer",
    "Array",
    "Arrays",
    "Card",
    "Case",
    "CheckResult",
    "Exercise",
    "Letter",
    "Mistake",
    "Refusal",
    "Shapes",
    "TrueOrFalse",
    "Whole",
    "accepting_scalars",
    "call_with_time_limit",
    "checker",
    "close",
    "exercise",
    "run_check",
]

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
# Frames from these are library code; the learner's own line is the innermost other one.
_LIBRARY_MARKERS = ("site-packages", "dist-packages")
_CHECKED_NAME = re.compile(r"Check ``(\w+)\(")
_SHAPE_ERROR = re.compile(
    r"mismatch in its core dimension|not aligned|could not be broadcast|"
    r"size \d+ is different from|Incompatible shapes|matmul"
)


@dataclass(frozen=True)
class Refusal:
    """What an exercise refuses: calls of the reference implementations the learner is
    asked to write (``"rnn_lab.manual_forward"``), and with ``frameworks`` any Keras or
    PyTorch code; the verdict then says "your `name` called ...: <advice>"."""

    routes: tuple[str, ...] = ()
    frameworks: bool = False
    advice: str = "write it yourself"

    @classmethod
    def of(cls, *routes: str) -> Refusal:
        """What most exercises refuse: the reference ``routes`` and any framework code (the
        advice is the exercise's ``refusal`` text)."""
        return cls(routes, frameworks=True)


@dataclass(frozen=True)
class Card:
    """What the teachers' table shows: ``difficulty`` (1–3), ``minutes``, ``skill``."""

    difficulty: int = 1
    minutes: int = 10
    skill: str = ""


@dataclass(frozen=True)
class Exercise:
    """Everything a checker needs to judge one exercise.

    ``answer`` is what the answer must be (an :mod:`.answers` kind: ``Array()``,
    ``Arrays(parts)``, ``Whole()``, ``TrueOrFalse()``, ``Letter(choices)``, ``Shapes()``).
    ``mistakes`` maps each variant name in the cases to the mistake it embodies.
    ``extra`` runs after the values are right and may return a failing ``(code,
    message)``, e.g. for a correct but unvectorised loop. ``is_function`` is false for an
    answer that is a value, not a function.
    """

    name: str
    verified: str
    mistakes: dict[str, Mistake]
    answer: Answer = field(default_factory=Array)
    returns: str = "a result"
    refuses: Refusal = Refusal()
    card: Card = Card()
    extra: Callable[[Callable], tuple[str, str] | None] | None = None
    is_function: bool = True

    @classmethod
    def of(cls, text: ExerciseText, **fields: Any) -> Exercise:
        """The record of an exercise whose words are ``text``: its ``returns``,
        ``verified``, card and (unless ``mistakes=`` is given) mistakes, the refusal advice
        in ``refuses``; ``fields`` are the others."""
        fields.setdefault("mistakes", text.mistakes)
        if (text.refusal is None) != ("refuses" not in fields):
            raise ValueError(
                f"{text.doc[:60]!r}: an exercise that refuses calls has a refusal text, and "
                "only one that does"
            )
        if text.refusal is not None:
            fields["refuses"] = replace(fields["refuses"], advice=text.refusal)
        card = Card(text.difficulty, text.minutes, text.skill)
        return cls(returns=text.returns, verified=text.verified, card=card, **fields)


def _delegation_verdict(exercise: Exercise, called: str) -> Stop:
    return fail(
        DELEGATED,
        f"✗ your `{exercise.name}` called `{called}`: {exercise.refuses.advice}.",
        "The checker refuses answers that hand the job to the function the exercise asks "
        "you to write (or to the framework); NumPy and the helpers the exercise names are fine.",
    )


def _call(exercise: Exercise, fn: Callable, case: Case, limit: float) -> Any:
    watch = guard.watch(exercise.refuses.routes, exercise.refuses.frameworks)

    def called() -> str | None:
        # A function run in a grading worker is watched there, and says what it saw.
        return watch.called or getattr(fn, "delegated_to", None)

    try:
        result = _call_unwatched(exercise, watch.wrap(fn), case, limit)
    except Stop:
        if called() is not None:
            raise _delegation_verdict(exercise, called()) from None
        raise
    if called() is not None:
        raise _delegation_verdict(exercise, called())
    return result


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


def _call_unwatched(exercise: Exercise, fn: Callable, case: Case, limit: float) -> Any:
    name = exercise.name
    try:
        return call_with_time_limit(fn, _fresh(case.args), limit)
    except TimeLimitExceeded:
        raise fail(
            TIMED_OUT,
            f"✗ `{name}` took longer than {limit:g} s on a small hidden case ({case.label}).",
            "A correct answer needs milliseconds here: look for a loop that never ends "
            "(a `while` whose condition stays true) or one that runs far more than T times.",
        ) from None
    except NotImplementedError:
        raise not_started(exercise, name, "still raises NotImplementedError") from None
    except Exception as error:
        where = _learner_line(error)
        text = short(f"{type(error).__name__}: {error}")
        if "read-only" in str(error):
            raise fail(
                RAISED,
                f"✗ `{name}` raised {text}{where}.",
                "The arrays you are given are read-only: build new arrays "
                "(h = h + ...) instead of modifying an input in place (h += ...).",
            ) from None
        if _SHAPE_ERROR.search(str(error)):
            raise fail(
                SHAPE_MIXUP,
                f"✗ `{name}` raised {text}{where}.",
                "A matrix product or sum got incompatible shapes, often a (D, H) vs (H, D) "
                "mix-up: rows are samples, so x_t (n, D) @ Wx (D, H) and h (n, H) @ Wh (H, H).",
            ) from None
        raise fail(RAISED, f"✗ `{name}` raised {text}{where}.") from None


def _fresh(args: tuple) -> tuple:
    # A learner's in-place change must not leak into the cached case: writable arrays
    # are copied; read-only ones (and the immutable weights record) are safe to share.
    return tuple(
        np.array(a) if isinstance(a, np.ndarray) and a.flags.writeable else a for a in args
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
            raise not_started(exercise, exercise.name, "is still None")
        if exercise.is_function and not callable(answer):
            raise fail(
                WRONG_TYPE,
                f"✗ expected the function `{exercise.name}` itself; got {type(answer).__name__}.",
                f"Pass the function without calling it: check_...({exercise.name}).",
            )
        with guard.printing_captured(printed), guard.numpy_state_kept(state):
            values = []
            for case in cases:
                raw = _call(exercise, answer, case, time_limit) if exercise.is_function else answer
                values.append(exercise.answer.normalise(exercise, raw, case))
            exercise.answer.judge(exercise, values, cases)
            if exercise.extra is not None:
                # A function run in a grading worker runs the extra test there, beside it.
                run_extra = getattr(answer, "run_extra", None)
                problem = run_extra() if callable(run_extra) else exercise.extra(answer)
                if problem is not None:
                    raise fail(problem[0], *problem[1].split("\n"))
        code, message = PASSED, f"✓ `{exercise.name}` is correct: {exercise.verified}"
    except Stop as stop:
        code, message = stop.code, stop.message
    message = "\n".join([message, *guard.notes(printed, state)])
    result = CheckResult(exercise.name, code == PASSED, code, message)
    print(message)
    sys.stdout.flush()
    return result


def checker(
    doc: str,
    exercise: Exercise,
    cases: Callable[[], Sequence[Case]],
    *,
    name: str | None = None,
    prepare: Callable[[Callable], Callable] | None = None,
) -> Callable[..., CheckResult]:
    """The public checker of ``exercise``, ``check_<name>(answer, *, time_limit)``, whose
    docstring is ``doc``: it judges ``answer`` (the learner's function, first passed through
    ``prepare`` if given, or their value) on the hidden ``cases()`` with :func:`run_check`."""

    def check(answer: Any, *, time_limit: float = TIME_LIMIT_S) -> CheckResult:
        if prepare is not None and callable(answer):
            answer = prepare(answer)
        return run_check(exercise, answer, list(cases()), time_limit=time_limit)

    check.__name__ = check.__qualname__ = name or f"check_{exercise.name}"
    check.__doc__ = doc
    return check


def exercise(
    text: ExerciseText,
    cases: Callable[[], Sequence[Case]],
    *,
    checker_name: str | None = None,
    prepare: Callable[[Callable], Callable] | None = None,
    **fields: Any,
) -> Callable[..., CheckResult]:
    """Declare an exercise and build its public checker in one statement.

    ``text`` is the exercise's words (:meth:`.texts.Texts.exercise`, read from the chapter's
    TOML file): its ``doc`` is the checker's docstring and names the learner's function the
    way a reader sees it, ``Check ``name(args)``...``, and the exercise's ``name`` is read
    from it (pass ``name=`` for an answer that is not a function); ``returns``,
    ``verified``, the card, the refusal advice and, unless ``mistakes=`` is given, the
    recognised mistakes come from it too. ``cases`` makes the hidden cases, ``prepare``
    (optional) adapts the learner's function before it runs, and the other keywords are the
    remaining :class:`Exercise` fields (``answer``, ``refuses``, ``extra``, ...). The record
    and the cases are kept as the checker's ``exercise`` and ``cases`` attributes (the
    catalogue and the grading worker read the record)."""
    if "name" not in fields:
        fields["name"] = _CHECKED_NAME.match(text.doc).group(1)
    spec = Exercise.of(text, **fields)
    check = checker(text.doc, spec, cases, name=checker_name, prepare=prepare)
    check.exercise, check.cases = spec, cases
    return check


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
