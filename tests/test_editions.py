"""What the editions are cut from, in the chapter sources: every exercise is complete
(goal, hint, starter, check, solution), every glue call sits in a cell tagged `glue`, and the
chapters are the table of contents' chapters. What the editions a learner and a teacher
receive hold (`make notebooks`): tests/test_learner_edition.py.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from helpers import BOOK, cell_tags, read_notebook

from rnn_lab.book.editions import (
    GLUE_TAG,
    SOLUTION_TAG,
    STARTER_TAG,
    chapter_notebooks,
    count_tagged,
)

#: The issue asks for at least this many exercises in chapters 1 to 3.
MIN_EXERCISES_CH1_TO_3 = 8


CHAPTERS = chapter_notebooks(BOOK)
WITH_EXERCISES = [path for path in CHAPTERS if count_tagged(read_notebook(path), STARTER_TAG)]


def test_chapters_1_to_3_have_enough_exercises():
    early = [p for p in CHAPTERS if p.name[:2] in ("01", "02", "03")]
    assert sum(count_tagged(read_notebook(p), STARTER_TAG) for p in early) >= MIN_EXERCISES_CH1_TO_3


@pytest.mark.parametrize("chapter", WITH_EXERCISES, ids=lambda p: p.name)
def test_every_exercise_has_goal_hint_starter_check_and_solution(chapter):
    cells = read_notebook(chapter).cells
    starts = [i for i, cell in enumerate(cells) if STARTER_TAG in cell_tags(cell)]
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(cells)
        goal = cells[start - 1]
        assert goal.cell_type == "markdown" and "**Goal.**" in goal.source
        assert "```{admonition} Hint\n:class: dropdown" in goal.source
        check = cells[start + 1]
        assert check.cell_type == "code" and "checks.check_" in check.source
        assert not cell_tags(check), "the check under a starter is part of both editions"
        solution = [cell for cell in cells[start + 2 : end] if SOLUTION_TAG in cell_tags(cell)]
        code = [cell for cell in solution if cell.cell_type == "code"]
        assert code and "hide-cell" in cell_tags(code[0]), "solution code hidden behind a toggle"
        assert code[-1].source == check.source, "the solution ends with the same check"


def test_the_chapters_are_the_table_of_contents_chapters():
    # One list of chapters everywhere: the editions follow _toc.yml (via rnn_lab.book.toc).
    from rnn_lab.book.toc import toc_notebooks

    assert [p for p in toc_notebooks(BOOK.parent) if p.name[:2].isdigit()] == CHAPTERS
    assert [p.name for p in CHAPTERS] == sorted(p.name for p in BOOK.glob("[0-9][0-9]_*.ipynb"))


def test_a_notebook_missing_from_the_toc_gets_no_edition(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    for name in ("01_first", "02_draft", "03_third"):
        nbformat.write(nbformat.v4.new_notebook(), book / f"{name}.ipynb")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/01_first\nchapters:\n- file: book/03_third\n"
    )
    assert [p.name for p in chapter_notebooks(book)] == ["01_first.ipynb", "03_third.ipynb"]
    (tmp_path / "_toc.yml").unlink()
    with pytest.raises(FileNotFoundError, match=r"_toc\.yml"):
        chapter_notebooks(book)


@pytest.mark.parametrize("chapter", chapter_notebooks(), ids=lambda p: p.name)
def test_glue_calls_live_only_in_glue_cells(chapter):
    """Build plumbing never reaches the code a learner reads: every `rnn_lab.glue` call is
    in a cell tagged `glue` (and `remove-cell`, so the website hides it too), which no
    edition gets (tests/test_learner_edition.py). Learner-facing prose names no test-suite
    file either."""
    nb = nbformat.read(chapter, as_version=4)
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code" and re.search(r"\bglue(_math)?\(", cell.source):
            assert {GLUE_TAG, "remove-cell"} <= set(tags), f"{chapter.name}: cell {index}"
        if cell.cell_type == "markdown":
            assert "tests/" not in cell.source, f"{chapter.name}: cell {index} names a test file"
