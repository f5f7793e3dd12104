"""The learner edition (`make notebooks`): generated from the executed book, it reads as
finished prose in plain Jupyter.

Every learner-facing notebook is scanned for MyST-only syntax (glue roles, directive
fences, roles, labels); every sentence that a removed cell computed (a `{glue:md}` value)
must be in the text; the set-up cell is visible and explained; the student edition holds no
solution and the teacher edition shows each solution before its check. Bad input (a glue
name without a value, a solution cell without its tag) stops the command with a message
naming the chapter, the cell and the name, and writes nothing.

The editions are made from the book build of this session (`built_book`, or an existing
`_build` with RNN_LAB_REUSE_BUILD=1).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from helpers import BOOK, REPO, cell_tags, read_notebook

from rnn_lab.book import learner_edition as le
from rnn_lab.book.editions import (
    GLUE_TAG,
    SOLUTION_TAG,
    STARTER_TAG,
    chapter_notebooks,
    count_tagged,
    notebook_pages,
)
from rnn_lab.book.myst_markdown import myst_leftovers, translate_markdown

CHAPTERS = chapter_notebooks(BOOK)
GLUE_MD = re.compile(r"\{glue:md\}`(?P<name>[^`:]+)")
EXERCISES_HEADING = "## Exercises"
#: Seconds a trimmed student notebook may take (TensorFlow import, Keras references).
EXECUTION_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def executed(built_book) -> Path:
    return le.executed_dir(REPO)


@pytest.fixture(scope="module")
def written(executed, tmp_path_factory) -> dict[str, list[Path]]:
    return le.write_learner_editions(tmp_path_factory.mktemp("notebooks"), BOOK, executed)


def _edition(written, which: str, chapter: Path):
    (path,) = [p for p in written[which] if p.name == chapter.name]
    return read_notebook(path)


def test_both_editions_of_every_chapter_are_written(written):
    # every chapter, and the pages the chapters link to (the notation), in reading order
    pages = [p.name for p in notebook_pages(BOOK)]
    assert set(p.name for p in CHAPTERS) < set(pages)
    for which in le.EDITIONS:
        assert [p.name for p in written[which]] == pages


def test_the_scan_finds_what_jupyter_would_show_raw():
    """The scanner itself: each kind of leftover in a planted cell is reported."""
    planted = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("n = {glue:text}`ch1_n`"),
            nbformat.v4.new_markdown_cell("```{note}\nx\n```"),
            nbformat.v4.new_markdown_cell("> :::{dropdown} Hint\n> x\n> :::"),
            nbformat.v4.new_markdown_cell("see {ref}`the-loop`"),
            nbformat.v4.new_markdown_cell("(the-loop)=\n# The loop"),
            nbformat.v4.new_markdown_cell("plain $x_t W_x$ and `code`"),
        ]
    )
    found = myst_leftovers(planted)
    flagged = {item.split(":")[0] for item in found}
    assert flagged == {f"cell {i}" for i in range(5)}, found


@pytest.mark.parametrize("which", le.EDITIONS)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_myst_only_syntax_and_no_outputs(written, which, chapter):
    nb = _edition(written, which, chapter)
    assert myst_leftovers(nb) == []
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("which", le.EDITIONS)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_build_plumbing_reaches_the_learner(written, which, chapter):
    """No `glue(` call in any cell a learner or teacher opens (the website keeps its numbers:
    they are in the prose), and no test-suite path in the text."""
    for index, cell in enumerate(_edition(written, which, chapter).cells):
        assert "glue(" not in cell.source, f"{which} {chapter.name}: cell {index}"
        assert GLUE_TAG not in cell_tags(cell), f"{which} {chapter.name}: {index}"
        if cell.cell_type == "markdown":
            assert "tests/" not in cell.source, f"{which} {chapter.name}: cell {index}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_sentences_computed_by_removed_cells_are_in_the_text(written, executed, chapter):
    """A `{glue:md}` value is prose that a removed (often if/else) cell wrote: it must
    appear in the learner notebook as text."""
    names = {m["name"] for c in read_notebook(chapter).cells for m in GLUE_MD.finditer(c.source)}
    glue = json.loads((executed / f"{chapter.stem}.glue.json").read_text()) if names else {}
    for which in le.EDITIONS:
        text = "\n".join(c.source for c in _edition(written, which, chapter).cells)
        for name in names:
            sentence = glue[name]["data"]["text/markdown"].strip()
            assert sentence and sentence in text, f"{which} {chapter.name}: {name} missing"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_glued_numbers_are_the_built_values(written, executed, chapter):
    """Every `{glue:text}` role became the value myst-nb put on the website."""
    from myst_nb.core.variables import format_plain_text

    source = read_notebook(chapter)
    roles = [
        m
        for c in source.cells
        if c.cell_type == "markdown"
        for m in re.finditer(r"\{glue:text\}`([^`:]+):?([^`]*)`", c.source)
    ]
    if not roles:
        return
    glue = json.loads((executed / f"{chapter.stem}.glue.json").read_text())
    text = "\n".join(c.source for c in _edition(written, "student", chapter).cells)
    for match in roles:
        value = format_plain_text(glue[match[1]]["data"]["text/plain"], match[2])
        assert value in text, f"{chapter.name}: {match[0]} -> {value!r} not in the text"


@pytest.mark.parametrize("which", le.EDITIONS)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_the_set_up_cell_is_visible_and_explained(written, which, chapter):
    cells = _edition(written, which, chapter).cells
    note = cells[0]
    assert note.cell_type == "markdown" and le.NUMBERS_NOTE in note.source
    setup = next(i for i, c in enumerate(cells) if c.cell_type == "code")
    assert le.SETUP_CALL in cells[setup].source
    assert cells[setup - 1].source == le.SETUP_SENTENCE
    assert le.SETUP_SENTENCE.count(". ") == 0, "one sentence"
    assert "tags" not in cells[setup].metadata, "no remove-cell: the cell is shown"
    assert not cells[setup].metadata.get("jupyter", {}).get("source_hidden")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_student_has_no_solutions_teacher_has_each_before_its_check(written, chapter):
    original = read_notebook(chapter)
    student = _edition(written, "student", chapter)
    teacher = _edition(written, "teacher", chapter)
    starters = sum(STARTER_TAG in cell_tags(c) for c in original.cells)
    assert sum(STARTER_TAG in cell_tags(c) for c in student.cells) == starters

    def lines(cells) -> set[str]:
        return {line.strip() for cell in cells for line in cell.source.split("\n")} - {""}

    tagged = [c for c in original.cells if SOLUTION_TAG in cell_tags(c)]
    solution_only = lines(tagged) - lines(
        c for c in original.cells if SOLUTION_TAG not in cell_tags(c)
    )
    assert not solution_only & lines(student.cells)
    assert not any(SOLUTION_TAG in cell_tags(c) for c in student.cells)
    teacher_code = [
        c.source for c in teacher.cells if c.cell_type == "code" and SOLUTION_TAG in cell_tags(c)
    ]
    assert teacher_code == [c.source for c in tagged if c.cell_type == "code"]
    checks = [c.source for c in teacher.cells if "checks.check_" in c.source]
    assert len(checks) == len(set(checks)) == starters, "each check once"
    for start, cell in enumerate(teacher.cells):
        if STARTER_TAG in cell_tags(cell):
            check = next(i for i in range(start, len(teacher.cells)) if "checks.check_" in
                         teacher.cells[i].source)  # fmt: skip
            between = teacher.cells[start + 1 : check + 1]
            assert between and all(SOLUTION_TAG in c.metadata["tags"] for c in between)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_the_teacher_edition_keeps_every_cell_but_the_glue(written, chapter):
    """Every code cell of the chapter but the build's glue cells, in order (each exercise's
    check once, after its solution; the set-up cell with its install pinned), and every
    Markdown cell, solutions' explanations included, translated."""
    original = read_notebook(chapter).cells
    teacher = _edition(written, "teacher", chapter).cells
    exercises = le.find_exercises(original, chapter.name)
    first_checks = {exercise.check for exercise in exercises}
    kept = [
        c for i, c in enumerate(original) if GLUE_TAG not in cell_tags(c) and i not in first_checks
    ]
    code = [c.source for c in kept if c.cell_type == "code"]
    teacher_code = [c.source for c in teacher if c.cell_type == "code"]
    assert teacher_code[0] == le.pin_install(code[0]), "the set-up cell comes first, pinned"
    assert teacher_code[1:] == code[1:]
    added = {le.LICENCE_CELL_ID, "learner-setup-note", "teacher-edition-note"}
    markdown = [c for c in teacher if c.cell_type == "markdown" and c.get("id") not in added]
    assert len(markdown) == sum(c.cell_type == "markdown" for c in kept)
    explanations = [c for c in kept if c.cell_type == "markdown" and SOLUTION_TAG in cell_tags(c)]
    assert sum(SOLUTION_TAG in cell_tags(c) for c in markdown) == len(explanations)


WITH_EXERCISES = [path for path in CHAPTERS if count_tagged(read_notebook(path), STARTER_TAG)]


@pytest.mark.parametrize("chapter", WITH_EXERCISES, ids=lambda p: p.name)
def test_student_notebook_runs_and_every_checker_says_not_yet_solved(written, chapter):
    """The student edition's exercises run, and every checker says "not yet solved" instead
    of failing. Executing the whole notebook would re-run its chapter, which the book build
    already executes: the code before the "## Exercises" section is asserted to be the
    chapter's, so only the set-up cell and the exercises section (where cells were removed)
    are executed, one kernel per chapter."""
    from nbclient import NotebookClient

    student = _edition(written, "student", chapter)
    cells = student.cells
    heading = next(i for i, c in enumerate(cells) if c.source.startswith(EXERCISES_HEADING))
    setup = next(i for i, c in enumerate(cells) if c.cell_type == "code")
    assert le.SETUP_CALL in cells[setup].source
    # Everything before the exercises is the chapter itself, which the book build runs
    # (without the solutions of an exercise asked inside the chapter, such as a prediction,
    # and without the build's glue cells, which no edition gets).
    chapter_code = [
        c.source
        for c in read_notebook(chapter).cells
        if c.cell_type == "code" and not {SOLUTION_TAG, GLUE_TAG} & set(cell_tags(c))
    ]
    before = [c.source for c in cells[setup + 1 : heading] if c.cell_type == "code"]
    assert before == chapter_code[1 : len(before) + 1]
    trimmed = nbformat.v4.new_notebook(cells=[cells[setup], *cells[heading:]])
    trimmed.metadata = student.metadata
    NotebookClient(
        trimmed,
        timeout=EXECUTION_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(BOOK)}},
    ).execute()
    verdicts = []
    for cell in trimmed.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            assert output.get("name") != "stderr", output.get("text")
            if output.get("output_type") == "stream":
                verdicts.append(output["text"])
    printed = "".join(verdicts)
    # Exercises asked inside the chapter (a prediction before its answer) ran in the book build.
    assert printed.count("not yet solved") == count_tagged(trimmed, STARTER_TAG), printed
    assert "✓" not in printed and "✗" not in printed


def test_an_unknown_edition_is_refused():
    with pytest.raises(ValueError, match="edition must be one of"):
        le.edition(nbformat.v4.new_notebook(), "principal", "01_keras_model.ipynb")


def _copy_chapter(chapter: Path, executed: Path, tmp_path: Path) -> tuple[Path, Path]:
    book, built = tmp_path / "book", tmp_path / "built"
    book.mkdir()
    built.mkdir()
    shutil.copy(chapter, book)
    shutil.copy(executed / chapter.name, built)
    shutil.copy(executed / f"{chapter.stem}.glue.json", built)
    # The chapters are the ones the table of contents lists: here, this one chapter.
    (tmp_path / "_toc.yml").write_text(
        f"format: jb-book\nroot: book/index\nchapters:\n  - file: book/{chapter.stem}\n"
    )
    return book / chapter.name, built


def test_a_glue_name_without_a_value_names_chapter_cell_and_name(executed, tmp_path):
    chapter = BOOK / "04_hidden_state.ipynb"
    copy, built = _copy_chapter(chapter, executed, tmp_path)
    glue_file = built / f"{chapter.stem}.glue.json"
    values = json.loads(glue_file.read_text())
    victim = "ch4_n"
    del values[victim]
    glue_file.write_text(json.dumps(values))
    cell = next(i for i, c in enumerate(read_notebook(chapter).cells) if f"`{victim}`" in c.source)
    out = tmp_path / "out"
    with pytest.raises(le.LearnerEditionError) as error:
        le.write_learner_editions(out, copy.parent, built)
    message = str(error.value)
    assert chapter.name in message and f"cell {cell}:" in message and repr(victim) in message
    assert not out.exists(), "nothing is written when a chapter fails"
    assert le.main(["--out", str(out), "--book", str(copy.parent), "--executed", str(built)]) == 2
    assert not out.exists()


def test_a_solution_cell_without_its_tag_names_chapter_cell_and_name(executed, tmp_path):
    chapter = BOOK / "01_keras_model.ipynb"
    copy, built = _copy_chapter(chapter, executed, tmp_path)
    for source_path in (copy, built / chapter.name):  # the build saw the same chapter
        nb = read_notebook(source_path)
        cell = next(
            i
            for i, c in enumerate(nb.cells)
            if SOLUTION_TAG in cell_tags(c) and "def count_params" in c.source
        )
        nb.cells[cell].metadata["tags"].remove(SOLUTION_TAG)
        nbformat.write(nb, source_path)
    with pytest.raises(le.LearnerEditionError) as error:
        le.write_learner_editions(tmp_path / "out", copy.parent, built)
    message = str(error.value)
    assert chapter.name in message and f"cell {cell}:" in message
    assert "count_params" in message and repr(SOLUTION_TAG) in message
    assert not (tmp_path / "out").exists()


def test_a_stale_build_is_refused(executed, tmp_path):
    chapter = BOOK / "02_inside_the_layers.ipynb"
    copy, built = _copy_chapter(chapter, executed, tmp_path)
    nb = read_notebook(copy)
    nb.cells[3].source += "\n# edited after the build"
    nbformat.write(nb, copy)
    with pytest.raises(le.LearnerEditionError, match=r"02_inside_the_layers.ipynb: cell 3: .*"):
        le.write_learner_editions(tmp_path / "out", copy.parent, built)


def test_translation_of_directives_and_roles():
    def glue(kind: str, body: str) -> str:
        return {"ch_n": "100"}[body.partition(":")[0]]

    source = (
        "```{note}\nn is {glue:text}`ch_n`.\n```\n\n"
        "```{admonition} Hint\n:class: dropdown\nUse $W_h$.\n```\n\n"
        "{math}`x_t` and {doc}`the loop <03_manual_loop>`"
    )
    assert translate_markdown(source, glue) == (
        "> **Note.**\n> n is 100.\n\n"
        "<details>\n<summary><b>Hint</b></summary>\n\nUse $W_h$.\n\n</details>\n\n"
        "$x_t$ and [the loop](03_manual_loop.ipynb)"
    )
    website_only = "Read on.\n\n```{only} html\nUse the rocket button.\n```\n"
    assert translate_markdown(website_only, glue).strip() == "Read on."
    with pytest.raises(KeyError, match=r"role \{ref\}"):
        translate_markdown("see {ref}`x`", glue)
    with pytest.raises(KeyError, match=r"directive \{figure\}"):
        translate_markdown("```{figure} a.png\n```", glue)
