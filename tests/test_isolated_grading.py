"""Marks no answer cell can fake: a class of submissions, written here, graded by the real
``nbgrader autograde`` in a course written by ``rnn_lab.book.nbgrader_release``, on
chapters 3 and 8, each with its expected score.

The class: the teacher's answers; the untouched release; correct answers in other styles;
named mistakes; delegation; answers that try to fake the verdict (rebinding names the test
cells use, patching the checker module, patching NumPy, faking result objects); answer
cells that exit, hang, eat memory or print without end; and bad input (a renamed
function, a deleted answer cell, edited nbgrader metadata, a file that is not a notebook,
wrong return types and shapes). The course runs with short limits (``LIMITS``) to keep
the run short; the limits' defaults are the checker's own.
"""

from __future__ import annotations

import html
import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest

from rnn_lab import checks
from rnn_lab.book import learner_edition as le
from rnn_lab.book import nbgrader_release as ng
from rnn_lab.checks import autograde

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
CH3, CH8 = "03_manual_loop", "08_training"
#: Short limits for the test course: a hang costs 2 s here, not the default's 5.
LIMITS = {"call_time_limit": 2.0, "cell_time_limit": 2.0, "memory_limit_mb": 400}
AUTOGRADE_TIMEOUT_S = 900

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is not installed (requirements-dev)")

# --- answers written for these tests ---------------------------------------------------

STYLES = {  # correct, in styles the teacher's edition does not use
    "forward_reversed": """
def forward_reversed(sample, weights):
    h = np.zeros(weights.Wh.shape[0], dtype=sample.dtype)
    for x_t in sample[::-1]:
        h = np.tanh(x_t @ weights.Wx + h @ weights.Wh + weights.Bh)
    return h @ weights.Wo + weights.Bo
""",
    "forward_batch": """
import functools

def forward_batch(x, weights):
    def step(h, x_t):
        a = np.einsum("nd,dh->nh", x_t, weights.Wx) + np.einsum("nk,kh->nh", h, weights.Wh)
        return np.tanh(a + weights.Bh)
    h0 = np.zeros((x.shape[1], weights.Wh.shape[0]), dtype=x.dtype)
    return functools.reduce(step, x, h0) @ weights.Wo + weights.Bo
""",
    "forward_sequences": """
def forward_sequences(x, weights):
    Wx, Wh, Bh, Wo, Bo = weights.Wx, weights.Wh, weights.Bh, weights.Wo, weights.Bo
    n, T, _ = x.shape
    hs = np.empty((n, T, Wh.shape[0]), dtype=x.dtype)
    h = np.zeros((n, Wh.shape[0]), dtype=x.dtype)
    t = 0
    while t < T:
        h = np.tanh(x[:, t] @ Wx + h @ Wh + Bh)
        hs[:, t] = h
        t += 1
    return hs @ Wo + Bo
""",
    "forward_from": """
def forward_from(x, weights, h0):
    h = h0
    for t in range(x.shape[1]):
        h = np.tanh(np.dot(x[:, t, :], weights.Wx) + np.dot(h, weights.Wh) + weights.Bh)
    return np.dot(h, weights.Wo) + weights.Bo
""",
    "worst_timestep": """
def worst_timestep(keras_y, manual_y):
    diff = np.abs(keras_y.astype(np.float64) - manual_y.astype(np.float64))
    per_t = [diff[:, t, :].max() for t in range(diff.shape[1])]
    return int(np.argmax(per_t)) + 1
""",
    "agree": """
def agree(keras_y, manual_y):
    tol = rnn_lab.tolerance_for(keras_y.dtype)
    a, b = keras_y.astype(np.float64), manual_y.astype(np.float64)
    return bool((np.abs(a - b) <= tol + tol * np.abs(a)).all())
""",
}

MISTAKES = {  # each a recognised mistake of the chapter's checker
    "forward_reversed": STYLES["forward_reversed"].replace("sample[::-1]", "sample"),
    "forward_batch": STYLES["forward_batch"].replace("+ weights.Bh", ""),
    "forward_sequences": STYLES["forward_sequences"].replace("h @ Wh", "h @ Wh.T"),
    "forward_from": STYLES["forward_from"].replace("h = h0", "h = np.zeros_like(h0)"),
    "worst_timestep": STYLES["worst_timestep"].replace(")) + 1", "))"),
    "agree": STYLES["agree"].replace("tol + tol * np.abs(a)", "tol"),
}

DELEGATING = {
    "forward_reversed": """
import rnn_lab
from rnn_lab import manual_forward as mf

def forward_reversed(sample, weights):
    return mf(sample[None, ::-1], weights)[0]
""",
    "forward_batch": """
def forward_batch(x, weights):
    return rnn_lab.manual_forward(x.transpose(1, 0, 2), weights)
""",
    "worst_timestep": """
def worst_timestep(keras_y, manual_y):
    return int(np.argmax(rnn_lab.error_per_timestep(keras_y, manual_y))) + 1
""",
    "agree": """
def agree(keras_y, manual_y):
    return bool(rnn_lab.measure_agreement(keras_y, manual_y).agrees)
""",
}

_VERDICT = """
class _Passed:
    passed, code, message = True, "ok", "✓"
"""
FAKERS = {  # solve nothing, and try to make the test cells say ✓
    "forward_reversed": _VERDICT
    + """
import types
fake = {name: (lambda *a, **k: _Passed()) for name in dir(rnn_lab.checks)}
checks = types.SimpleNamespace(**fake)
verdict = _Passed()
def forward_reversed(sample, weights):
    return None
""",
    "forward_batch": _VERDICT
    + """
import rnn_lab.checks.core as core
import rnn_lab.checks as real_checks
def run_check(exercise, answer, cases, **k):
    return core.CheckResult(exercise.name, True, "ok", "✓")
core.run_check = run_check
core.close = lambda *args: True
real_checks.check_forward_batch = lambda *a, **k: _Passed()
def forward_batch(x, weights):
    return np.zeros((x.shape[1], weights.Wo.shape[1]), dtype=x.dtype)
""",
    "forward_sequences": """
np.allclose = lambda *a, **k: True
np.all = lambda *a, **k: True
np.abs = lambda a: np.zeros(np.shape(a))
np.testing.assert_allclose = lambda *a, **k: None
def forward_sequences(x, weights):
    return np.zeros((x.shape[0], x.shape[1], weights.Wo.shape[1]), dtype=x.dtype)
""",
    "forward_from": """
class Liar(np.ndarray):
    def __sub__(self, other):
        return np.zeros(self.shape)
    __rsub__ = __sub__
    def __eq__(self, other):
        return True
    def astype(self, *a, **k):
        return self
def forward_from(x, weights, h0):
    return np.zeros((x.shape[0], weights.Wo.shape[1]), dtype=x.dtype).view(Liar)
""",
    "worst_timestep": """
class AlwaysEqual(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def worst_timestep(keras_y, manual_y):
    return AlwaysEqual(1)
""",
    "agree": """
import builtins
builtins.isinstance = lambda *a: True
import sys
sys.modules["rnn_lab.checks.core"].PASSED = "anything"
def agree(keras_y, manual_y):
    return "yes"
""",
}

CRASHERS = {  # one bad answer each; the rest are STYLES
    "forward_reversed": "import os\nos._exit(3)\n",
    "forward_batch": STYLES["forward_batch"].replace(
        "return functools", "while True:\n        pass\n    return functools"
    ),
    "forward_sequences": "def forward_sequences(x, weights):\n"
    "    hog = []\n    while True:\n        hog.append(bytearray(10**7))\n",
    "forward_from": "while True:\n    print('flood ' * 100)\n",
    "worst_timestep": "import sys\ndef worst_timestep(keras_y, manual_y):\n    sys.exit(0)\n",
}

WRONG_TYPES = {
    "forward_batch": STYLES["forward_batch"].replace(
        "return functools.reduce(step, x, h0) @ weights.Wo + weights.Bo",
        "return (functools.reduce(step, x, h0) @ weights.Wo + weights.Bo).tolist()",
    ),
    "forward_sequences": STYLES["forward_sequences"].replace(
        "return hs @ Wo + Bo", "return (hs @ Wo + Bo)[:, -1]"
    ),
    "worst_timestep": STYLES["worst_timestep"].replace(
        "return int(np.argmax(per_t)) + 1", "return str(np.argmax(per_t) + 1)"
    ),
}


def _with(base: dict[str, str], **changed: str) -> dict[str, str]:
    return {**base, **changed}


# --- the course, made once ---------------------------------------------------------------


def _nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=AUTOGRADE_TIMEOUT_S,
    )
    if check:
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _teacher_answers(chapter: str) -> dict[str, str]:
    return ng.teacher_answers(BOOK / f"{chapter}.ipynb", le.executed_dir(REPO))


@pytest.fixture(scope="session")
def course(built_book, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("isolated_course")
    ng.write_course(root, BOOK, le.executed_dir(REPO))
    for other in (root / "source").iterdir():
        if other.name not in (CH3, CH8):
            for path in sorted(other.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            other.rmdir()
    with (root / "nbgrader_config.py").open("a") as config:
        for name, value in LIMITS.items():
            config.write(f"c.IsolatedGrading.{name} = {value!r}\n")
    for chapter in (CH3, CH8):
        _nbgrader(root, "generate_assignment", chapter, "--force")
    return root


def _submit(course: Path, chapter: str, student: str, answers: dict[str, str], edit=None) -> None:
    nb = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        name = meta.get("grade_id", "").removesuffix("_answer")
        if meta.get("solution") and name in answers:
            cell.source = answers[name]
    if edit is not None:
        edit(nb)
    target = course / "submitted" / student / chapter / f"{chapter}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


def _drop_answer(name: str):
    def edit(nb):
        nb.cells = [
            c
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") != f"{name}_answer"
        ]

    return edit


def _edit_metadata(nb) -> None:
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "forward_batch_answer":
            meta["grade_id"] = "something_else"  # the answer cell is no longer the one graded
        if meta.get("grade"):
            meta["points"] = 100  # nbgrader puts the teacher's points back


def _graded(course: Path, chapter: str) -> tuple[dict, str]:
    """Autograde every submission of ``chapter``: scores per student and grade cell, and
    the grading log."""
    from nbgrader.api import Gradebook

    result = _nbgrader(course, "autograde", chapter, "--force", check=False)
    log = result.stdout + result.stderr
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(chapter):
            student = submission.student.id
            try:
                notebook = gradebook.find_submission_notebook(chapter, chapter, student)
            except Exception:
                continue
            scores[student] = {g.name: g.score for g in notebook.grades}
            scores[student]["total"] = notebook.score
    return scores, log


RENAMED = STYLES["forward_from"].replace("def forward_from", "def forward_from_h0")
CH3_CLASS = {  # student: (answers, edit, expected total)
    "teacher": (None, None, 6),
    "untouched": ({}, None, 0),
    "styles": (STYLES, None, 6),
    "mistakes": (MISTAKES, None, 0),
    "delegating": (_with(STYLES, **DELEGATING), None, 2),  # forward_sequences/_from honest
    "fakers": (FAKERS, None, 0),
    "one_exit": (_with(STYLES, agree="import os\nos._exit(0)\n"), None, 5),
    "crashers": (_with(STYLES, **CRASHERS), None, 1),
    "renamed": (_with(STYLES, forward_from=RENAMED), None, 5),
    "dropped_cell": (STYLES, _drop_answer("worst_timestep"), 5),
    "edited_meta": (STYLES, _edit_metadata, 6),  # the edits are undone, the answers graded
    "wrong_types": (_with(STYLES, **WRONG_TYPES), None, 3),
}


@pytest.fixture(scope="session")
def chapter3(course) -> tuple[dict, str, Path]:
    teacher = _teacher_answers(CH3)
    for student, (answers, edit, _) in CH3_CLASS.items():
        _submit(course, CH3, student, teacher if answers is None else answers, edit)
    broken = course / "submitted" / "not_a_notebook" / CH3 / f"{CH3}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": "this is not a notebook"', encoding="utf-8")
    scores, log = _graded(course, CH3)
    print(log[-20000:])
    return scores, log, course


@pytest.mark.parametrize("student", list(CH3_CLASS))
def test_chapter_3_scores(chapter3, student):
    scores, log, _ = chapter3
    assert student in scores, f"{student} was not graded:\n{log[-4000:]}"
    assert scores[student]["total"] == CH3_CLASS[student][2], scores[student]


def test_a_file_that_is_not_a_notebook_costs_that_student_only(chapter3):
    scores, log, _ = chapter3
    assert "not_a_notebook" not in scores or scores["not_a_notebook"]["total"] == 0
    assert "not_a_notebook" in log
    assert {s for s in CH3_CLASS} <= set(scores), "everyone else is graded"


def test_the_grading_log_names_student_assignment_and_exercise(chapter3):
    _, log, _ = chapter3
    for student, exercise in [
        ("renamed", "forward_from"),
        ("crashers", "forward_reversed"),
        ("dropped_cell", "worst_timestep"),
        ("wrong_types", "forward_batch"),
        ("fakers", "agree"),
    ]:
        pattern = (
            rf"rnn-lab grading \| student {student} \| assignment {CH3} \| "
            rf"exercise {exercise}_check \| 0/1 \| ✗"
        )
        assert re.search(pattern, log), f"no log line for {student}/{exercise}"
    assert re.search(
        rf"student edited_meta \| assignment {CH3} \| cell [\w-]+ \| edited nbgrader "
        r"metadata something_else put back to forward_batch_answer",
        log,
    )


def _verdicts(course: Path, chapter: str, student: str) -> dict[str, str]:
    nb = nbformat.read(course / "autograded" / student / chapter / f"{chapter}.ipynb", 4)
    return {
        cell.metadata["nbgrader"]["grade_id"].removesuffix("_check"): "".join(
            o.get("text", "") for o in cell.outputs if o.output_type == "stream"
        )
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }


def _in_kernel(chapter_checks: dict[str, str], name: str, source: str):
    namespace = {"np": __import__("numpy"), "rnn_lab": __import__("rnn_lab")}
    exec(source, namespace)
    with redirect_stdout(io.StringIO()):
        return getattr(checks, chapter_checks[name])(namespace[name], time_limit=2.0)


CH3_CHECKS = {
    "forward_reversed": "check_forward_reversed",
    "forward_batch": "check_forward_batch",
    "forward_sequences": "check_forward_sequences",
    "forward_from": "check_forward_from",
    "worst_timestep": "check_worst_timestep",
    "agree": "check_agree",
}


@pytest.mark.parametrize("student, answers", [("mistakes", MISTAKES), ("delegating", DELEGATING)])
def test_the_feedback_names_the_same_mistake_as_the_notebooks_self_check(
    chapter3, student, answers
):
    _, _, course = chapter3
    graded = _verdicts(course, CH3, student)
    for name, source in answers.items():
        expected = _in_kernel(CH3_CHECKS, name, source)
        assert not expected.passed
        assert expected.code not in ("wrong_values", "exception"), (name, expected.code)
        assert graded[name].strip() == expected.message.strip(), name
    _nbgrader(course, "generate_feedback", CH3, "--force", "--student", student)
    feedback = (course / "feedback" / student / CH3 / f"{CH3}.html").read_text(encoding="utf-8")
    for name, source in answers.items():
        headline = _in_kernel(CH3_CHECKS, name, source).message.splitlines()[0]
        assert html.escape(headline, quote=False) in feedback, headline


def test_fakers_fool_only_their_own_kernel():
    """In a kernel, the test cell's own code is fooled by an answer cell that rebinds
    `checks` (the graded notebook of the same student scores 0 above): a learner can fool
    only themself in the notebook."""
    namespace = {"np": __import__("numpy"), "rnn_lab": __import__("rnn_lab"), "checks": checks}
    exec(FAKERS["forward_reversed"], namespace)
    exec(ng.test_source("checks.check_forward_reversed(forward_reversed)", CH3, 0), namespace)
    assert namespace["verdict"].passed


def test_export_works(chapter3):
    _, _, course = chapter3
    _nbgrader(course, "export")
    grades = (course / "grades.csv").read_text(encoding="utf-8")
    assert "styles" in grades and "fakers" in grades


# --- chapter 8 ---------------------------------------------------------------------------

CH8_CHECKS = {
    "momentum_step": "check_momentum_step",
    "amsgrad_step": "check_amsgrad_step",
    "clip_grads": "check_clip_grads",
    "train_sgd": "check_train_sgd",
    "nesterov_step": "check_nesterov_step",
}
MOMENTUM_STYLE = """
def momentum_step(w, g, m, lr, momentum):
    velocity = np.multiply(momentum, m) - np.multiply(lr, g)
    return np.add(w, velocity)
"""
MOMENTUM_WRONG = MOMENTUM_STYLE.replace("- np.multiply", "+ np.multiply")
CH8_CHANGES = {
    "momentum_style": ({"momentum_step": MOMENTUM_STYLE}, 5),
    "momentum_mistake": ({"momentum_step": MOMENTUM_WRONG}, 4),
    # TensorFlow's clip, imported by the answer cell: 0 (refused as delegation, or, under the
    # test's short limits, for the time TensorFlow takes to import in a fresh worker)
    "tensorflow_clip": (
        {
            "clip_grads": """
import tensorflow as tf
def clip_grads(grads, clip_norm):
    clipped, _ = tf.clip_by_global_norm([tf.constant(g) for g in grads], clip_norm)
    return [np.asarray(c) for c in clipped]
"""
        },
        4,
    ),
    "patched": (
        {
            "nesterov_step": """
import rnn_lab.checks.ch08 as ch08
ch08.check_nesterov_step = lambda *a, **k: type("V", (), {"passed": True})()
np.allclose = lambda *a, **k: True
def nesterov_step(w, g, m, lr, momentum):
    return w
"""
        },
        4,
    ),
    "one_exit": ({"amsgrad_step": "import os\nos._exit(1)\n"}, 4),
    "hang": ({"train_sgd": "def train_sgd(*args):\n    while True:\n        pass\n"}, 4),
}


@pytest.fixture(scope="session")
def chapter8(course) -> tuple[dict, str]:
    teacher = _teacher_answers(CH8)
    _submit(course, CH8, "teacher", teacher)
    _submit(course, CH8, "untouched", {})
    for student, (changes, _) in CH8_CHANGES.items():
        _submit(course, CH8, student, {**teacher, **changes})
    return _graded(course, CH8)


@pytest.mark.parametrize(
    "student, expected",
    [("teacher", 5), ("untouched", 0), *((s, e) for s, (_, e) in CH8_CHANGES.items())],
)
def test_chapter_8_scores(chapter8, student, expected):
    scores, log = chapter8
    assert student in scores, log[-4000:]
    assert scores[student]["total"] == expected, scores[student]


def test_the_course_config_names_the_grading_step_and_no_kernel_runs(course):
    config = (course / "nbgrader_config.py").read_text(encoding="utf-8")
    assert ng.GRADING_STEP in config and "nbgrader.preprocessors.Execute" not in config
    assert f"{autograde.__name__}.{autograde.IsolatedGrading.__name__}" == ng.GRADING_STEP
