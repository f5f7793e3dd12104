"""How long ``nbgrader autograde`` takes per submission, in the course ``make nbgrader``
writes: the marks decided by workers (``isolated``, the course's configuration) against
nbgrader's own execution of the whole notebook in a kernel (``execute``, before issue 22).

For each assignment a class of ``--students`` submissions is made from the students'
release, each with the chapter's solutions in the answer cells (every answer runs to the
end, as in a class that did the work; their scores are printed as a check). One
``nbgrader autograde ASSIGNMENT`` grades the class, as a teacher does; its log's timestamps
give the seconds each submission took (from its first log line to its last). The first
submission of a run also pays for the grader's start (loading TensorFlow to compute the
hidden cases' references), so the table shows the median over the class and, apart, the
first.

Run: ``python benchmarks/grading.py [--students 3] [--modes isolated execute]
[--assignments 03_manual_loop ...]`` after a book build (it reads the executed book).
Goal (issue 22): a median of at most 4 s per submission on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

from rnn_lab.book import learner_edition as le
from rnn_lab.book import nbgrader_release as ng

REPO = Path(__file__).resolve().parents[1]
LOG_FORMAT = "%(asctime)s.%(msecs)03d [%(name)s | %(levelname)s] %(message)s"
_STAMPED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[")
_SANITIZING = re.compile(r"^\S+ \S+ \[AutogradeApp \| INFO\] Sanitizing ")
_STAMP = "%Y-%m-%d %H:%M:%S.%f"


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip


def _class(course: Path, assignment: str, students: int) -> None:
    chapter = REPO / "book" / f"{assignment}.ipynb"
    answers = ng.teacher_answers(chapter, le.executed_dir(REPO))
    release = course / "release" / assignment / chapter.name
    for index in range(students):
        nb = nbformat.read(release, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            name = meta.get("grade_id", "").removesuffix("_answer")
            if meta.get("solution") and name in answers:
                cell.source = answers[name]
        target = course / "submitted" / f"s{index:02d}" / assignment / chapter.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)


def seconds_per_submission(course: Path, assignment: str) -> list[float]:
    """Autograde the class of ``assignment``; the seconds each submission took, from its
    first log line ("Sanitizing ...") to its last, before the next one's first."""
    result = _nbgrader(course, "autograde", assignment, "--force",
                       f"--Application.log_format={LOG_FORMAT}",
                       "--Application.log_datefmt=%Y-%m-%d %H:%M:%S")  # fmt: skip
    spans: list[list[datetime]] = []
    for line in (result.stdout + result.stderr).splitlines():
        stamp = _STAMPED.match(line)
        if stamp is None:
            continue
        when = datetime.strptime(stamp.group(1), _STAMP)
        if _SANITIZING.match(line) and "/submitted/" in line:
            spans.append([when, when])
        elif spans:
            spans[-1][1] = when
    if result.returncode != 0 or not spans:
        raise RuntimeError(f"autograde {assignment} failed:\n{result.stderr[-3000:]}")
    return [(end - start).total_seconds() for start, end in spans]


def solution_scores(course: Path, assignment: str) -> str:
    """The distinct ``score/max`` of the submissions (all made of the solutions)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        found = []
        for submission in sorted(gradebook.assignment_submissions(assignment),
                                 key=lambda s: s.student.id):  # fmt: skip
            found.append(f"{submission.score:g}/{submission.max_score:g}")
    return " ".join(sorted(set(found)))


def course_for(mode: str, root: Path, assignments: list[str], students: int) -> Path:
    course = root / mode
    ng.write_course(course, REPO / "book", le.executed_dir(REPO))
    if mode == "execute":  # nbgrader's own autograde: every cell run in a kernel
        config = course / "nbgrader_config.py"
        kept = [line for line in config.read_text().splitlines()
                if not line.startswith(("c.Autograde.", "c.IsolatedGrading."))]  # fmt: skip
        config.write_text("\n".join(kept) + "\n")
    for assignment in assignments:
        result = _nbgrader(course, "generate_assignment", assignment, "--force")
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-3000:])
        _class(course, assignment, students)
    return course


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--modes", nargs="+", default=["isolated", "execute"],
                        choices=["isolated", "execute"])  # fmt: skip
    parser.add_argument("--assignments", nargs="*", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as scratch:
        probe = Path(scratch) / "probe"
        written = ng.write_course(probe, REPO / "book", le.executed_dir(REPO))
        assignments = args.assignments or [p.parent.name for p in written]
        rows: dict[str, dict[str, tuple[float, float]]] = {}
        for mode in args.modes:
            course = course_for(mode, Path(scratch), assignments, args.students)
            for assignment in assignments:
                started = time.perf_counter()
                times = seconds_per_submission(course, assignment)
                rows.setdefault(assignment, {})[mode] = (statistics.median(times), times[0])
                print(f"  {mode:8s} {assignment}: {[round(t, 2) for t in times]} "
                      f"({time.perf_counter() - started:.1f} s); solutions score "
                      f"{solution_scores(course, assignment)}", file=sys.stderr)  # fmt: skip
    load = os.getloadavg()[0]
    both = len(args.modes) == 2
    head = " | ".join(f"{m} median s | {m} first s" for m in args.modes)
    head += " | execute / isolated" if both else ""
    print(f"\n{args.students} submissions per assignment; load average {load:.2f}; "
          f"{os.cpu_count()} CPUs\n")  # fmt: skip
    print(f"| assignment | {head} |")
    print("|---|" + "---:|" * (2 * len(args.modes) + both))
    for assignment, by_mode in rows.items():
        cells = " | ".join(f"{by_mode[m][0]:.2f} | {by_mode[m][1]:.2f}" for m in args.modes)
        if both:
            cells += f" | {by_mode['execute'][0] / by_mode['isolated'][0]:.1f}×"
        print(f"| {assignment} | {cells} |")
    medians = {m: statistics.median(r[m][0] for r in rows.values()) for m in args.modes}
    ratio = f" **{medians['execute'] / medians['isolated']:.1f}×** |" if both else ""
    print("| **median over assignments** | "
          + " | ".join(f"**{medians[m]:.2f}** | " for m in args.modes) + " |" + ratio)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
