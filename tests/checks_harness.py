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
