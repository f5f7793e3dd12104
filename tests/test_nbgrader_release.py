"""The nbgrader release (`make nbgrader`), run through nbgrader itself.

nbgrader validates every source notebook's metadata (schema 3); then, on one chapter, a
course is set up in a scratch folder, `nbgrader generate_assignment` strips the solutions,
and `nbgrader autograde` marks three submissions made from the students' release:

- the teacher edition's answers pasted into the answer cells: full marks;
- the release as handed out (the student edition, nothing written): zero;
- the teacher's answers with one planted mistake: exactly that exercise's points lost.

Marks are decided by the course's grading step outside the kernel (``rnn_lab.checks.autograde``);
the class of submissions that tries to fool it is in ``test_isolated_grading.py``.

nbgrader is a test-only dependency (requirements-dev.txt); without it this file is
skipped with a loud reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnn_lab.book import learner_edition as le
from rnn_lab.book import nbgrader_release as ng
from rnn_lab.book.editions import chapter_notebooks
from rnn_lab.book.myst_markdown import myst_leftovers

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
CHAPTER = BOOK / "02_inside_the_layers.ipynb"
ASSIGNMENT = CHAPTER.stem
# The planted mistake: `Wh` on the wrong side, the classic column-vector slip.
PLANTED_EXERCISE = "step"
PLANTED = ("h_prev @ Wh", "Wh @ h_prev")
# Generous: autograding three submissions of one chapter takes well under a minute.
AUTOGRADE_TIMEOUT_S = 1800

nbgrader = pytest.importorskip(
    "nbgrader",
    reason="\n" + "!" * 78 + "\nnbgrader is not installed: the nbgrader release was NOT "
    "tested.\npip install -r requirements-dev.txt (it pins nbgrader).\n" + "!" * 78,
)


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs `alembic` (its database migrations) from PATH: the venv's bin first
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        command, cwd=course, env=env, capture_output=True, text=True, timeout=AUTOGRADE_TIMEOUT_S
    )
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def course(built_book, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    written = ng.write_course(root, BOOK, le.executed_dir(REPO))
    assert written
    return root


def test_every_source_notebook_has_valid_schema_3_metadata(course):
    from nbgrader.nbgraderformat import MetadataValidator

    sources = sorted((course / "source").glob("*/*.ipynb"))
    chapters = [p for p in chapter_notebooks(BOOK) if le.find_exercises(
        nbformat.read(p, as_version=4).cells, p.name)]  # fmt: skip
    assert [p.name for p in sources] == [p.name for p in chapters]
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        MetadataValidator().validate_nb(nb)
        graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert len(graded) == len(answers) == len(le.find_exercises(
            nbformat.read(BOOK / path.name, as_version=4).cells, path.name))  # fmt: skip
        for cell in graded:
            meta = cell.metadata["nbgrader"]
            assert meta["schema_version"] == 3 and meta["locked"] and meta["points"] > 0
            assert "checks.check_" in cell.source and "assert verdict.passed" in cell.source
        for cell in answers:
            assert ng.BEGIN in cell.source and ng.END in cell.source
        assert myst_leftovers(nb) == []


def _answers_from_teacher_edition(built_book) -> dict[str, str]:
    """exercise name -> the solution code of the teacher edition."""
    teacher = le.edition(
        le.learner_notebook(CHAPTER, le.executed_dir(REPO)), "teacher", CHAPTER.name
    )
    answers = {}
    for cell in teacher.cells:
        if cell.cell_type == "code" and le.SOLUTION_TAG in cell.metadata.get("tags", []):
            for name in le._defined_names(cell.source):
                answers[name] = cell.source
    return answers


def _submit(course: Path, student: str, release: Path, answers: dict[str, str]) -> None:
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            name = meta["grade_id"].removesuffix("_answer")
            if name in answers:
                cell.source = answers[name]
    target = course / "submitted" / student / ASSIGNMENT / CHAPTER.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def scores(course, built_book) -> dict[str, dict[str, float]]:
    """Generate the assignment, submit three notebooks, autograde; scores per grade cell."""
    from nbgrader.api import Gradebook

    for other in (course / "source").iterdir():  # one chapter keeps the test short
        if other.name != ASSIGNMENT:
            shutil.rmtree(other)
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = course / "release" / ASSIGNMENT / CHAPTER.name
    released = nbformat.read(release, as_version=4)
    assert ng.BEGIN not in "".join(c.source for c in released.cells), "solutions stripped"
    assert myst_leftovers(released) == [], "the release reads right in Jupyter too"

    teacher = _answers_from_teacher_edition(built_book)
    planted = dict(teacher)
    wrong = planted[PLANTED_EXERCISE].replace(*PLANTED)
    assert wrong != planted[PLANTED_EXERCISE], "the planted mistake changed nothing"
    planted[PLANTED_EXERCISE] = wrong
    _submit(course, "teacher", release, teacher)
    _submit(course, "student", release, {})
    _submit(course, "planted", release, planted)
    _nbgrader(course, "autograde", ASSIGNMENT, "--force")

    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in ("teacher", "student", "planted"):
            submission = gradebook.find_submission_notebook(CHAPTER.stem, ASSIGNMENT, student)
            result[student] = {grade.name: grade.score for grade in submission.grades}
            result[student]["total"] = submission.score
            result[student]["max"] = submission.max_score
    print("nbgrader scores:", result)
    return result


def test_teacher_answers_score_full_marks(scores):
    teacher = scores["teacher"]
    assert teacher["max"] == 3 * ng.POINTS_PER_EXERCISE
    assert teacher["total"] == teacher["max"], teacher


def test_the_student_edition_scores_zero(scores):
    assert scores["student"]["total"] == 0, scores["student"]


def test_a_planted_mistake_loses_exactly_that_exercise(scores):
    planted, teacher = scores["planted"], scores["teacher"]
    assert planted[f"{PLANTED_EXERCISE}_check"] == 0
    assert planted["total"] == teacher["total"] - ng.POINTS_PER_EXERCISE, planted
    for name, score in planted.items():
        if name not in (f"{PLANTED_EXERCISE}_check", "total", "max"):
            assert score == teacher[name], name


def test_answer_markers_keep_the_signature_outside():
    starter = 'def f(x):\n    """Doc."""\n    # your code here\n    raise NotImplementedError'
    solution = 'def f(x):\n    """Doc."""\n    return 2 * x\n\n\nprint(f(1))\n'
    assert ng.answer_source(starter, solution) == (
        'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return 2 * x\n\n\nprint(f(1))\n'
        "    ### END SOLUTION"
    )
    with pytest.raises(le.LearnerEditionError, match="ch: cell 7: a check cell must be one"):
        ng.test_source("a = 1\ncheck(a)", "ch", 7)
