"""The catalogue of every exercise (``rnn_lab.checks.catalogue``) and the teachers' page made
from it: each exercise has a checker, a card (difficulty, time, skill) and refusals, the page's
table is the generated one, and every exercise in the book shows its card under its title.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from rnn_lab import checks
from rnn_lab.checks import catalogue


def test_there_are_at_least_thirty_exercises_each_with_a_checker_and_metadata():
    assert len(catalogue.EXERCISES) >= 30
    numbers = [entry.number for entry in catalogue.EXERCISES]
    assert len(set(numbers)) == len(numbers)
    for entry in catalogue.EXERCISES:
        spec = entry.exercise()
        assert callable(getattr(checks, entry.checker)), entry.number
        card = spec.card
        assert card.difficulty in (1, 2, 3) and card.minutes > 0 and card.skill, entry.number


def test_every_function_exercise_refuses_some_delegation():
    for entry in catalogue.EXERCISES:
        spec = entry.exercise()
        if spec.is_function:
            assert spec.refuses.routes or spec.refuses.frameworks, entry.number


def test_the_teachers_table_is_the_generated_one():
    page = Path(__file__).resolve().parents[1] / "book" / "for_teachers.md"
    text = page.read_text(encoding="utf-8")
    assert catalogue.page_with_table(text) == text, (
        "the exercise table on book/for_teachers.md is out of date: run "
        "python -m rnn_lab.checks.catalogue --write book/for_teachers.md"
    )


def test_every_exercise_shows_its_difficulty_and_time_under_its_title():
    book = Path(__file__).resolve().parents[1] / "book"
    headings = {}
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.source.startswith("### Exercise "):
                number = cell.source.split(":")[0].removeprefix("### Exercise ")
                headings[number] = cell.source
    assert sorted(headings) == sorted(entry.number for entry in catalogue.EXERCISES)
    for number, source in headings.items():
        assert catalogue.badge(number) in source.splitlines()[:3], number
