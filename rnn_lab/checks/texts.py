"""The words of the exercises, kept as data a teacher can read and edit without Python.

Each chapter module's texts live beside it in a TOML file of the same name (``ch01.py`` ->
``ch01.toml``), one table per exercise, named after its checker without ``check_``::

    [count_params]
    doc = "Check ``count_params(T, D, H, O)``: ..."    # the checker's docstring
    returns = "the total number of parameters (an int)"
    verified = "your count equals Keras's count_params() on {configs} hidden configurations..."
    refusal = "derive the count from the five shapes"  # said when the answer delegates
    card = { difficulty = 1, minutes = 10, skill = "parameters from the shapes of the weights" }

    [count_params.mistakes.forgot_biases]              # one table per recognised mistake
    code = "forgot_bias"                               # for tests and the grade book
    title = "left out both biases"                     # "it looks like you <title>"
    advice = "Each layer has a bias vector: ..."

A figure the checker computes (how many hidden cases, a tolerance) is written as a named
placeholder, ``{configs}`` or ``{tolerance:g}`` (a format specification may follow the
colon), and filled in from the keywords the Python side passes; a placeholder it does not
pass is an error, so a text cannot silently show a stale number. Advice that several
mistakes give is written once, in the file's ``[paragraphs]`` table, and used as
``{name}`` (``[paragraphs] transpose = "..."``, then ``advice = "{transpose}"``). Only a
name in braces is a placeholder: ``h_{t-1}`` stays as written.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .verdicts import Mistake, Planted

#: The table of a text file that holds paragraphs its texts share, each used as ``{name}``.
PARAGRAPHS = "paragraphs"
_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


def fill(text: str, figures: dict[str, Any]) -> str:
    """``text`` with each ``{name}`` (or ``{name:spec}``) replaced by
    ``format(figures[name], spec)``."""

    def one(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2) or ""
        if name not in figures:
            raise KeyError(f"the text {text!r} needs the figure {name!r}; given {sorted(figures)}")
        return format(figures[name], spec)

    return _PLACEHOLDER.sub(one, text)


@dataclass(frozen=True)
class ExerciseText:
    """One exercise's words, figures filled in: the checker's docstring ``doc``, what the
    answer ``returns``, what a pass ``verified``, the ``refusal`` advice (``None``: the
    exercise refuses nothing), the teachers' card and the recognised ``mistakes``."""

    doc: str
    returns: str
    verified: str
    refusal: str | None
    difficulty: int
    minutes: int
    skill: str
    mistakes: dict[str, Mistake]


@cache
def _table(module: str) -> dict[str, Any]:
    source = resources.files(__package__).joinpath(f"{module}.toml")
    return tomllib.loads(source.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Texts:
    """The texts of one chapter module, read from ``<module>.toml`` beside it; build it
    with ``Texts(__name__)``."""

    module: str

    def _file(self) -> dict[str, Any]:
        return _table(self.module.rsplit(".", 1)[-1])

    def _entry(self, key: str) -> dict[str, Any]:
        table = self._file()
        if key not in table or key == PARAGRAPHS:
            raise KeyError(f"{self.module}: no exercise {key!r} in its texts; it has {list(table)}")
        return table[key]

    def _figures(self, figures: dict[str, Any]) -> dict[str, Any]:
        """``figures`` and the file's shared paragraphs, which a figure may not shadow."""
        paragraphs = self._file().get(PARAGRAPHS, {})
        if clash := set(paragraphs) & set(figures):
            raise KeyError(f"{self.module}: the figures {sorted(clash)} are paragraphs' names")
        return {**paragraphs, **figures}

    def mistakes(self, key: str, **figures: Any) -> dict[str, Mistake]:
        """The mistakes exercise ``key`` recognises, by variant name, in the file's order."""
        figures = self._figures(figures)
        return {
            variant: Mistake(*(fill(words[part], figures) for part in ("code", "title", "advice")))
            for variant, words in self._entry(key).get("mistakes", {}).items()
        }

    def planted(self, key: str, changes: dict[str, dict[str, Callable]]) -> dict[str, Planted]:
        """The mistakes of table ``key``, each planted as its ``changes``: the named hooks
        of the reference computation it replaces (``{}`` for a mistake that is not a variant
        of it). Every mistake in the texts has its changes and every change its texts."""
        words = self.mistakes(key)
        if list(words) != list(changes):
            raise KeyError(
                f"{self.module}: the texts of {key!r} name {list(words)}, "
                f"its changes {list(changes)}"
            )
        return {name: Planted(words[name], changes[name]) for name in words}

    def exercise(self, key: str, **figures: Any) -> ExerciseText:
        """Exercise ``key``'s words, with ``figures`` filled in."""
        words = self._entry(key)
        card = words["card"]
        refusal = words.get("refusal")
        mistakes = self.mistakes(key, **figures)
        figures = self._figures(figures)
        return ExerciseText(
            doc=fill(words.get("doc", ""), figures),
            returns=fill(words["returns"], figures),
            verified=fill(words["verified"], figures),
            refusal=None if refusal is None else fill(refusal, figures),
            difficulty=card["difficulty"],
            minutes=card["minutes"],
            skill=fill(card["skill"], figures),
            mistakes=mistakes,
        )
