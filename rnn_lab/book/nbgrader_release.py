"""An nbgrader course for the chapters with exercises, for classes on JupyterHub.

    python -m rnn_lab.book.nbgrader_release --out _build/nbgrader

writes an nbgrader course directory: ``OUT/nbgrader_config.py`` and, for every chapter with
exercises, the source assignment ``OUT/source/NN_name/NN_name.ipynb``. It is the chapter's
learner notebook (prose finished from the executed book, see :mod:`rnn_lab.book.learner_edition`)
where each exercise is

- an **answer cell** (nbgrader "autograded answer"): the starter's first lines (the ``def``
  and its docstring) followed by the solution between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``, which ``nbgrader generate_assignment`` replaces by
  ``raise NotImplementedError()`` in the students' release;
- a **test cell** (nbgrader "autograder tests", locked, ``POINTS_PER_EXERCISE`` points): the
  chapter's own checker, whose verdict must be ✓ for the points.

``nbgrader autograde`` does not run these cells in the student's kernel: the course's
``nbgrader_config.py`` replaces nbgrader's execute step by ``GRADING_STEP``, which runs each
answer cell in a worker process of its own and decides the verdict outside it
(``rnn_lab.checks.autograde``).

The solution's explanation is left out (the teacher edition has it). All cell metadata is
nbgrader's schema 3. nbgrader itself is not needed to write the course, only to run it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

from .editions import chapter_notebooks
from .learner_edition import (
    Exercise,
    LearnerEditionError,
    executed_dir,
    find_exercises,
    learner_notebook,
    run_writer,
    save_notebook,
)

POINTS_PER_EXERCISE = 1
SCHEMA_VERSION = 3
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
#: For a course that puts nbgrader's Execute step back: a chapter executes in well under this.
EXECUTE_TIMEOUT_S = 600
NOTE = (
    "> **nbgrader source** of a chapter of [rnn-lab](https://github.com/rnn-lab/rnn-lab). "
    "`nbgrader generate_assignment` removes the code between the solution markers of each "
    "answer cell; the test cell under it is the chapter's checker, and its verdict must be ✓ "
    "for the points. When marked, each answer cell runs on its own, after the chapter's "
    "imports: write any helper your answer needs inside its answer cell. The numbers quoted "
    "in the text are the ones computed when the book was built; running the cells "
    "recomputes them."
)
#: The autograde step that decides the marks outside the student's kernel, named by import
#: path (the book tooling does not import the checks): it replaces nbgrader's ``Execute``.
GRADING_STEP = "rnn_lab.checks.autograde.IsolatedGrading"
#: Before nbgrader's own sanitising steps: put back nbgrader metadata a student edited.
RESTORE_STEP = "rnn_lab.checks.autograde.RestoreMetadata"
#: nbgrader's own sanitising steps, in nbgrader's order.
NBGRADER_SANITIZE = (
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
)
#: nbgrader's own autograde steps kept after the grading step, in nbgrader's order.
NBGRADER_STEPS = (
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
)
CONFIG = f"""\
# nbgrader configuration of the rnn-lab course (written by python -m rnn_lab.book.nbgrader_release)
c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.root = __file__.rsplit("/", 1)[0] or "."
c.ExecutePreprocessor.timeout = {EXECUTE_TIMEOUT_S}
# Marks are decided outside the student's kernel: each answer cell runs in a worker process
# of its own and the chapter's checker judges what it returns (see the teachers' page).
# The notebook itself is not executed. Limits: c.IsolatedGrading.call_time_limit (s),
# .cell_time_limit (s), .memory_limit_mb.
c.Autograde.autograde_preprocessors = {[GRADING_STEP, *NBGRADER_STEPS]!r}
# A student's edits to the nbgrader metadata are undone (and logged) before nbgrader checks it.
c.Autograde.sanitize_preprocessors = {[RESTORE_STEP, *NBGRADER_SANITIZE]!r}
"""


def _meta(grade_id: str, *, solution: bool, grade: bool) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": grade,  # the tests are locked: a student cannot edit them away
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = POINTS_PER_EXERCISE
    return meta


def answer_source(starter: str, solution: str) -> str:
    """The solution with the part the student writes between nbgrader's markers: the lines
    it shares with the starter (``def`` and docstring) stay outside."""
    given, answer = starter.split("\n"), solution.rstrip("\n").split("\n")
    shared = 0
    while shared < min(len(given), len(answer)) and given[shared] == answer[shared]:
        shared += 1
    rest = answer[shared:]
    indent = rest[0][: len(rest[0]) - len(rest[0].lstrip())] if rest else ""
    return "\n".join([*answer[:shared], indent + BEGIN, *rest, indent + END])


def test_source(check: str, chapter: str, index: int) -> str:
    """The autograded test: the chapter's check, which must pass."""
    try:
        tree = ast.parse(check)
    except SyntaxError as error:
        raise LearnerEditionError(f"{chapter}: cell {index}: the check does not parse") from error
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        raise LearnerEditionError(
            f"{chapter}: cell {index}: a check cell must be one call, checks.check_...(...)"
        )
    return f"verdict = {check.strip()}\nassert verdict.passed, verdict.message"


def _solution_code(nb, exercise: Exercise, chapter: str) -> str:
    check = nb.cells[exercise.check].source.strip()
    code = [
        nb.cells[i].source
        for i in exercise.solutions
        if nb.cells[i].cell_type == "code" and nb.cells[i].source.strip() != check
    ]
    if not code:
        raise LearnerEditionError(
            f"{chapter}: cell {exercise.starter}: exercise {exercise.title!r} (`{exercise.name}`) "
            "has no solution code cell"
        )
    return "\n\n\n".join(code)


def source_assignment(nb: nbformat.NotebookNode, chapter: str) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one learner notebook (see the module's docstring)."""
    exercises = find_exercises(nb.cells, chapter)
    replaced = {}
    for exercise in exercises:
        answer = nbformat.v4.new_code_cell(
            answer_source(nb.cells[exercise.starter].source, _solution_code(nb, exercise, chapter))
        )
        answer.metadata["nbgrader"] = _meta(f"{exercise.name}_answer", solution=True, grade=False)
        test = nbformat.v4.new_code_cell(
            test_source(nb.cells[exercise.check].source, chapter, exercise.check)
        )
        test.metadata["nbgrader"] = _meta(f"{exercise.name}_check", solution=False, grade=True)
        for cell, index in ((answer, exercise.starter), (test, exercise.check)):
            cell["id"] = nb.cells[index].get("id", cell["id"])
            replaced[index] = cell
        replaced.update(dict.fromkeys(exercise.solutions))
    copy = nbformat.from_dict(nb)
    copy.cells = [replaced.get(i, cell) for i, cell in enumerate(nb.cells)]
    copy.cells = [cell for cell in copy.cells if cell is not None]
    note = nbformat.v4.new_markdown_cell(NOTE)
    note["id"] = "nbgrader-note"
    copy.cells.insert(0, note)
    nbformat.validate(copy)
    return copy


def teacher_answers(chapter: Path, executed: Path | str | None = None) -> dict[str, str]:
    """Exercise name -> the chapter's solution code (what a full-marks submission writes in
    the answer cells; tests and benchmarks use it)."""
    executed = Path(executed) if executed is not None else executed_dir()
    nb = learner_notebook(chapter, executed)
    return {
        exercise.name: _solution_code(nb, exercise, chapter.name)
        for exercise in find_exercises(nb.cells, chapter.name)
    }


def write_course(
    out_dir: Path | str,
    book_dir: Path | str | None = None,
    executed: Path | str | None = None,
) -> list[Path]:
    """Write the course directory; return the source notebooks written (one per chapter
    with exercises). Every chapter is checked before anything is written."""
    out_dir = Path(out_dir)
    executed = Path(executed) if executed is not None else executed_dir()
    made = []
    for chapter in chapter_notebooks(book_dir):
        nb = learner_notebook(chapter, executed)
        if find_exercises(nb.cells, chapter.name):
            made.append((chapter, source_assignment(nb, chapter.name)))
    written = [save_notebook(nb, out_dir / "source" / c.stem / c.name) for c, nb in made]
    (out_dir / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    return written


def _report(out: Path, written: list[Path]) -> None:
    for path in written:
        points = sum(
            cell.metadata.get("nbgrader", {}).get("points", 0)
            for cell in nbformat.read(path, as_version=4).cells
        )
        print(f"{path.parent.name}: {points} points -> {path}")
    print(f"then: cd {out} && nbgrader generate_assignment ASSIGNMENT")


def main(argv: list[str] | None = None) -> int:
    return run_writer(
        argv,
        write_course,
        _report,
        prog="python -m rnn_lab.book.nbgrader_release",
        description="Write an nbgrader course: one source assignment per chapter with "
        "exercises, from the executed book (run `make book` first).",
        out_help="the course directory",
    )


if __name__ == "__main__":
    sys.exit(main())
