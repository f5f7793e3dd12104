"""The two assertions every exercise's checker tests make, shared by the test_checks* files."""

from __future__ import annotations

from rnn_lab.checks import core


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


def standard_exercise_tests(exercises):
    """The three tests every ``(checker, spec, learner)`` gets, where ``learner(*args,
    bug=None)`` is the reference and ``bug=<variant>`` plants that mistake: the reference
    passes, every planted mistake is named, an empty or raising answer fails. Assign the
    returned functions to ``test_*`` names in a test module."""
    import pytest

    cases = [(c, s, learner, bug) for c, s, learner in exercises for bug in s.mistakes]

    @pytest.mark.parametrize(
        ("checker", "spec", "learner"), exercises, ids=lambda v: getattr(v, "name", "")
    )
    def reference_passes(checker, spec, learner, capsys):
        assert_reference_passes(checker, learner, capsys)

    @pytest.mark.parametrize(
        ("checker", "spec", "learner", "bug"), cases, ids=lambda v: v if isinstance(v, str) else ""
    )
    def planted_mistake_is_named(checker, spec, learner, bug, capsys):
        def answer(*args):
            return learner(*args, bug=bug)

        assert_mistake_diagnosed(checker, spec, bug, answer, capsys)

    @pytest.mark.parametrize("checker", [e[0] for e in exercises])
    def not_started_and_raising_answers(checker, capsys):
        assert checker(None).code == core.NOT_STARTED

        def unfinished(*args):
            raise NotImplementedError

        assert not checker(unfinished).passed
        capsys.readouterr()

    return reference_passes, planted_mistake_is_named, not_started_and_raising_answers
