"""``nbgrader autograde`` without running the submission in a kernel: every exercise's
points are decided here, by the chapter's checker, on the learner's answer run in a worker
of its own (:mod:`.isolated`).

The course's ``nbgrader_config.py`` (written by ``rnn_lab.book.nbgrader_release``) puts
:class:`IsolatedGrading` in place of nbgrader's ``Execute`` step::

    c.Autograde.autograde_preprocessors = ["rnn_lab.checks.autograde.IsolatedGrading", ...]

so that nbgrader's own commands (``autograde``, ``generate_feedback``, ``export``, and the
formgrader on a JupyterHub) use it unchanged. For each grade cell (``verdict =
checks.check_xxx(name)``, restored from the gradebook by nbgrader before this step, so a
student cannot edit it) it

1. takes the answer cell with the matching ``grade_id`` (``xxx_answer``) from the submission;
2. runs it in a fresh worker, after the chapter's *context*: the imports, functions and
   classes of the teacher's source notebook outside the answer and test cells (never the
   submission's other cells, which a student may have changed);
3. calls the checker here with the worker's function, and writes the verdict as the grade
   cell's output: the checker's message as text, plus an error output when it is not ✓,
   which is what nbgrader reads as "no points" (``nbgrader.utils.determine_grade``).

The rest of the notebook is not executed (nbgrader clears the outputs the student saved),
so the feedback shows the verdicts, not re-run figures.

A second step, :class:`RestoreMetadata`, runs first among nbgrader's sanitising steps
(``c.Autograde.sanitize_preprocessors``): it undoes a student's edits to the nbgrader
metadata, which would otherwise make nbgrader refuse the whole notebook.
"""

from __future__ import annotations

import ast
import atexit
import importlib
import os
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float, Int

from . import core, isolated
from .catalogue import EXERCISES

#: The name of the error output that marks a grade cell as failed.
NOT_PASSED = "ExerciseNotPassed"
#: Code of a grade cell that could not be graded at all (no checker call in it).
UNGRADABLE = "ungradable"
_IPYTHON_LINE = ("%", "!")
#: The nbgrader metadata that make a cell an answer, a test or read-only, and its points.
ROLE_KEYS = ("grade_id", "solution", "grade", "task", "locked", "points")
#: The running zygotes, by the chapter context they have run (see IsolatedGrading._zygote).
_ZYGOTES: dict[str, isolated.Zygote] = {}


def context_code(cells: list) -> str:
    """The imports, functions and classes of ``cells`` (the source notebook's code outside
    the answer and test cells), top level only; imports inside a top-level ``try`` too (the
    set-up cell installs ``rnn_lab`` where it is missing)."""
    kept: list[str] = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or meta.get("solution") or meta.get("grade"):
            continue
        try:
            tree = ast.parse(python_source(cell.get("source", "")))
        except SyntaxError:
            continue
        for node in tree.body:
            nodes = node.body if isinstance(node, ast.Try) else [node]
            for item in nodes:
                if isinstance(item, (ast.Import, ast.ImportFrom)) or (
                    node is item
                    and isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                ):
                    kept.append(ast.unparse(item))
    return "\n".join(kept) + "\n"


def python_source(source: str) -> str:
    """A cell's source as plain Python: IPython's ``%magic`` and ``!shell`` lines go."""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + "pass"
        if line.lstrip().startswith(_IPYTHON_LINE)
        else line
        for line in source.splitlines()
    )


def checker_call(source: str) -> tuple[str, str] | None:
    """``(checker, answer name)`` of a grade cell ``verdict = checks.check_xxx(name)``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        call = node.value if isinstance(node, (ast.Assign, ast.Expr)) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr.startswith("check_")
            and len(call.args) == 1
            and isinstance(call.args[0], ast.Name)
        ):
            return call.func.attr, call.args[0].id
    return None


def _source_cells(step: Preprocessor, info: dict) -> list | None:
    """The cells of the teacher's source notebook of this submission, or None."""
    try:
        from nbgrader.coursedir import CourseDirectory

        course = CourseDirectory(parent=step)
        path = Path(course.format_path(course.source_directory, ".", info["assignment"]))
        notebook = path / f"{info['notebook']}.ipynb"
        return nbformat.read(os.fspath(notebook), as_version=4).cells
    except (ImportError, KeyError, OSError, ValueError) as error:
        step.log.warning("rnn-lab grading: no source notebook (%s)", error)
        return None


class RestoreMetadata(Preprocessor):
    """The first sanitising step: every cell's nbgrader metadata is the source notebook's
    for the cell of the same id. A student who edits it (renames an answer's ``grade_id``,
    turns a cell into a test) would otherwise make nbgrader refuse the whole notebook;
    here the edit is undone and logged, and a cell the source does not have loses it."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        info = resources.get("nbgrader", {})
        source = _source_cells(self, info)
        if source is None:
            return nb, resources
        wanted = {cell.get("id"): cell.metadata.get("nbgrader") for cell in source}
        for cell in nb.cells:
            have, should = cell.metadata.get("nbgrader"), wanted.get(cell.get("id"))
            if _role(have) == _role(should):
                continue
            self.log.warning(
                "rnn-lab grading | student %s | assignment %s | cell %s | edited nbgrader "
                "metadata %s put back to %s",
                info.get("student", "?"),
                info.get("assignment", "?"),
                cell.get("id"),
                (have or {}).get("grade_id"),
                (should or {}).get("grade_id"),
            )
            if should is None:
                cell.metadata.pop("nbgrader", None)
            else:  # the release's own keys (nbgrader's checksum) stay
                cell.metadata["nbgrader"] = {**(have or {}), **should}
        return nb, resources


def _role(meta: dict | None) -> tuple:
    """What nbgrader metadata says a cell is (the keys a student could edit to cheat)."""
    meta = meta or {}
    return tuple(meta.get(key) for key in ROLE_KEYS)


class IsolatedGrading(Preprocessor):
    """nbgrader's autograde step, graded answer by answer in workers (see the module)."""

    # nbconvert skips a preprocessor that is not enabled; nbgrader's own are on by default
    enabled = Bool(True).tag(config=True)

    call_time_limit = Float(core.TIME_LIMIT_S, help="seconds per call of an answer").tag(
        config=True
    )
    cell_time_limit = Float(isolated.CELL_TIME_LIMIT_S, help="seconds to run an answer cell").tag(
        config=True
    )
    memory_limit_mb = Int(isolated.MEMORY_LIMIT_MB, help="memory per answer, MB").tag(config=True)

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        info = resources.get("nbgrader", {})
        who = (info.get("student", "?"), info.get("assignment", "?"))
        # The context comes from the teacher's notebook; without it, NumPy and rnn_lab.
        source = _source_cells(self, info) or [
            nbformat.v4.new_code_cell("import numpy as np\nimport rnn_lab")
        ]
        limits = isolated.Limits(
            call_s=self.call_time_limit,
            cell_s=self.cell_time_limit,
            memory_mb=self.memory_limit_mb,
        )
        answers = {
            cell.metadata["nbgrader"].get("grade_id"): cell
            for cell in nb.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")
        }
        zygote = self._zygote(context_code(source))
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                result = self._grade(cell, answers, zygote, limits)
                cell.outputs = _outputs(result)
                cell.execution_count = None
                points = meta.get("points", 0) if result.passed else 0
                log = self.log.info if result.passed else self.log.warning
                log(
                    "rnn-lab grading | student %s | assignment %s | exercise %s | %s/%s | %s",
                    *who,
                    meta.get("grade_id"),
                    points,
                    meta.get("points", 0),
                    result.message.splitlines()[0],
                )
        return nb, resources

    def _zygote(self, context: str) -> isolated.Zygote:
        """One zygote per chapter context for the whole autograde run: the chapter's
        imports are paid once per class, not once per submission."""
        zygote = _ZYGOTES.get(context)
        if zygote is None:
            zygote = _ZYGOTES[context] = isolated.Zygote(context)
            atexit.register(zygote.close)
            if zygote.context_error:
                self.log.warning(
                    "rnn-lab grading: the chapter's imports failed: %s", zygote.context_error
                )
        return zygote

    def _grade(self, cell: Any, answers: dict, zygote: isolated.Zygote, limits) -> core.CheckResult:
        grade_id = cell.metadata["nbgrader"].get("grade_id", "?")
        call = checker_call(cell.source)
        entry = next((e for e in EXERCISES if call and e.checker == call[0]), None)
        if call is None or entry is None:
            return core.CheckResult(
                grade_id, False, UNGRADABLE, "✗ this test cell names no exercise checker."
            )
        checker, name = call
        exercise = entry.exercise()
        answer = answers.get(grade_id.removesuffix("_check") + "_answer")
        if answer is None:
            return core.CheckResult(
                exercise.name,
                False,
                isolated.MISSING,
                "✗ the answer cell of this exercise is missing.",
            )
        checks = importlib.import_module(__package__)  # the public checkers, by name
        return isolated.run_answer(
            zygote, exercise, getattr(checks, checker), python_source(answer.source), name, limits
        )


def _outputs(result: core.CheckResult) -> list:
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=result.message + "\n")]
    if not result.passed:
        outputs.append(
            nbformat.v4.new_output(
                "error",
                ename=NOT_PASSED,
                evalue=result.code,
                traceback=[f"{NOT_PASSED}: {result.code} (graded outside the notebook)"],
            )
        )
    return outputs
