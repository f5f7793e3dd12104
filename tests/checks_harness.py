"""What every exercise's checker tests assert, written once for all the test_checks* files.

An exercise is tested through ``(checker, spec, learner)`` (:func:`catalogued`):
``learner(*args, bug=None)`` is the reference solution and ``bug=<name>`` plants that
mistake, both written the way a learner would write them and independently of the checker's
own variants, so that a test passes only if the checker recognises real code with the
mistake, not its own model of it. :func:`exercise_tests` returns the tests every exercise
gets, :func:`broken_code_test` the test of broken answers and :func:`delegation_test` that
of refused delegation; a chapter's test file adds them to its ``test_*`` names.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import checks
from rnn_lab.checks import catalogue, core


def catalogued(**learners) -> dict:
    """``{name: (checker, spec, learner)}`` for the exercise whose checker is
    ``check_<name>``, its record taken from the catalogue, for each ``name=learner``."""
    entries = {entry.checker: entry for entry in catalogue.EXERCISES}
    return {
        name: (getattr(checks, f"check_{name}"), entries[f"check_{name}"].exercise(), learner)
        for name, learner in learners.items()
    }


def answers_to(exercises: dict):
    """``@answer(name)``: the decorated learner function answers ``check_<name>``; it is
    added to ``exercises`` as :func:`catalogued` gives it."""

    def answer(name: str):
        def register(learner):
            exercises.update(catalogued(**{name: learner}))
            return learner

        return register

    return answer


def assert_reference_passes(checker, answer, capsys) -> None:
    """The reference solution gets ✓ and the printed verdict is the result's message."""
    result = checker(answer)
    printed = capsys.readouterr().out
    assert (result.passed, result.code) == (True, core.PASSED), printed
    assert printed.startswith("✓") and printed.strip() == result.message


def assert_mistake_diagnosed(checker, spec, bug, answer, capsys, *, named: bool = True) -> None:
    """A planted mistake gets ✗ with that mistake's code (and, if ``named``, its title)."""
    result = checker(answer)
    printed = capsys.readouterr().out
    assert not result.passed
    assert result.code == spec.mistakes[bug].code, printed
    if named:
        assert spec.mistakes[bug].title in printed, printed
    assert printed.startswith("✗")


def largest_difference(a, b) -> float:
    """``max |a − b|`` in float64, for arrays (or tuples of arrays) of the same shapes."""
    if isinstance(a, (tuple, list)):
        return max((largest_difference(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def planted(learner, bug):
    """The learner's function with ``bug`` planted."""

    def answer(*args):
        return learner(*args, bug=bug)

    return answer


def _slow(*args):
    while True:  # a pure-Python endless loop: the time limit must interrupt it
        pass


#: Broken answers and the verdict each must get instead of an exception.
BROKEN = {
    "none": (lambda *a: None, core.NOT_STARTED),
    "not_implemented": (lambda *a: (_ for _ in ()).throw(NotImplementedError), core.NOT_STARTED),
    "key_error": (lambda *a: {}["h"], core.RAISED),
    "string": (lambda *a: "w", core.WRONG_TYPE),
    "generator": (lambda *a: (i for i in range(3)), core.GENERATOR),
    "too_slow": (_slow, core.TIMED_OUT),
}


def _name(value) -> str:
    return getattr(value, "name", "") or (value if isinstance(value, str) else "")


def exercise_tests(
    exercises, *, by_code_only: tuple[str, ...] = (), broken: dict | None = None
) -> dict:
    """The tests every ``(checker, spec, learner)`` (a list, or the values of a dict) gets,
    by name, for ``globals().update(...)`` in a test module: the reference passes, every
    planted mistake is named (by its code only for the mistakes in ``by_code_only``), the
    starter's placeholder is "not yet solved", and with ``broken`` (see
    :func:`broken_code_test`) broken answers get their verdicts."""
    exercises = list(exercises.values() if isinstance(exercises, dict) else exercises)
    cases = [(c, s, learner, bug) for c, s, learner in exercises for bug in s.mistakes]

    @pytest.mark.parametrize(("checker", "spec", "learner"), exercises, ids=_name)
    def reference_passes(checker, spec, learner, capsys):
        assert_reference_passes(checker, planted(learner, None), capsys)

    @pytest.mark.parametrize(("checker", "spec", "learner", "bug"), cases, ids=_name)
    def planted_mistake_is_named(checker, spec, learner, bug, capsys):
        named = bug not in by_code_only
        assert_mistake_diagnosed(checker, spec, bug, planted(learner, bug), capsys, named=named)

    @pytest.mark.parametrize("checker", [e[0] for e in exercises], ids=lambda c: c.__name__)
    def not_started_and_raising_answers(checker, capsys):
        assert checker(None).code == core.NOT_STARTED

        def unfinished(*args):  # the starter's placeholder
            raise NotImplementedError

        assert checker(unfinished).code == core.NOT_STARTED
        assert "not yet solved" in capsys.readouterr().out

    tests = {
        "test_reference_passes": reference_passes,
        "test_planted_mistake_is_named": planted_mistake_is_named,
        "test_not_started_and_raising_answers": not_started_and_raising_answers,
    }
    if broken is not None:
        checkers = [checker for checker, _, _ in exercises]
        tests["test_broken_code_gets_a_clear_verdict"] = broken_code_test(checkers, broken)
    return tests


def broken_code_test(checkers, broken: dict):
    """A test that each answer in ``broken`` (name -> (answer, code or set of codes)) gets,
    from every checker, a failing verdict with that code, printed as the result's message."""

    @pytest.mark.parametrize("checker", list(checkers), ids=lambda c: c.__name__)
    @pytest.mark.parametrize("case", broken)
    def broken_code_gets_a_clear_verdict(checker, case, capsys):
        answer, code = broken[case]
        result = checker(answer, time_limit=0.5)
        printed = capsys.readouterr().out
        codes = code if isinstance(code, set) else {code}
        assert not result.passed and result.code in codes, printed
        assert printed.strip() == result.message

    return broken_code_gets_a_clear_verdict


def assert_nan_and_in_place_verdicts(checker, right, capsys, *, in_place: bool = True) -> None:
    """NaN in the answer is named; with ``in_place``, changing a read-only input is refused
    and does not leak into the hidden cases."""

    def with_nan(*args):
        result = right(*args)
        if isinstance(result, (list, tuple)):
            return [part * np.nan for part in result]
        return result * np.nan

    def changes_its_inputs(first, *rest):
        for value in (first, *rest):
            if isinstance(value, np.ndarray) and not value.flags.writeable:
                value += 1  # a read-only input: must be refused, not leak into the case
        for value in (first, *rest):
            if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
                value[0] += 1
        return right(first, *rest)

    assert checker(with_nan).code == core.NOT_FINITE
    if in_place:
        result = checker(changes_its_inputs)
        printed = capsys.readouterr().out
        assert result.code == core.RAISED and "read-only" in printed, printed
        assert checker(right).passed  # the hidden cases were not changed by the attempt
    capsys.readouterr()


def delegation_test(routes: dict):
    """A test that each route (name -> (checker, answer, what it calls)) is refused with
    the delegation verdict, whose first line names what was called."""

    @pytest.mark.parametrize("route", routes)
    def delegation_is_refused(route, capsys):
        checker, answer, called = routes[route]
        result = checker(answer)
        printed = capsys.readouterr().out
        assert (result.passed, result.code) == (False, core.DELEGATED), printed
        first = printed.splitlines()[0]
        assert first.startswith("✗ your `") and called in first, printed

    return delegation_is_refused
