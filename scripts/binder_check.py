"""Binder readiness: build the environment the way Binder does, then run every chapter in it.

mybinder.org (repo2docker) reads `runtime.txt` for the Python version and runs
`pip install -r requirements.txt` from the repository root; nothing else of ours is
installed. This script does the same in a FRESH virtual environment, then executes the
student edition of every chapter (what the launch buttons open: `make notebooks` writes it
to `_build/notebooks/student`; `--edition book` runs the notebooks of `_toc.yml` instead)
with nbclient, each in its own kernel running in that environment,
and measures the peak memory of the kernel's process tree. It fails if a cell raises or
writes to stderr, or if a notebook's peak exceeds mybinder.org's 2 GB limit.

When every notebook passes, it writes the exact versions the check ran with (``pip freeze`` of
that environment) to ``_build/binder/requirements.txt``: ``scripts/learner_branch.py`` puts
them on the learner branch as ``binder/requirements.txt``, so Binder installs what was checked,
not whatever the loose ranges of ``requirements.txt`` resolve to on the day.

    python scripts/binder_check.py            # what `make binder-check` runs
    python scripts/binder_check.py --venv DIR # keep the environment in DIR to inspect it

Prints one line per notebook (seconds, peak MB) and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
import yaml
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from rnn_lab.book.toc import toc_notebooks

REPO = Path(__file__).resolve().parents[1]
# mybinder.org gives a session 2 GB ("memory limit" of its user pods); the Jupyter server
# itself needs ~100 MB of that, which the kernel-only figure here does not include.
BINDER_LIMIT_MB = 2048
# The kernel's memory is sampled this often; /proc's VmHWM adds the exact peak of the
# kernel process itself, so a spike between two samples is not missed there.
SAMPLE_SECONDS = 0.05
KERNEL_NAME = "binder-check"
STUDENT_EDITION = REPO / "_build" / "notebooks" / "student"
#: The lock this check writes and the learner branch carries (as binder/requirements.txt).
LOCK = REPO / "_build" / "binder" / "requirements.txt"
MB = 1024 * 1024


def runtime_python(repo: Path) -> str:
    """The interpreter `runtime.txt` asks for (`python-3.11`), found on this machine."""
    text = (repo / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)(?:\.\d+)?", text)
    if not match:
        sys.exit("runtime.txt must read like `python-3.11`")
    wanted = tuple(int(part) for part in match.groups())
    if sys.version_info[:2] == wanted:
        return sys.executable
    found = shutil.which("python{}.{}".format(*wanted))
    if not found:
        sys.exit("runtime.txt asks for Python {}.{}, which is not installed here".format(*wanted))
    return found


def create_environment(python: str, venv: Path, repo: Path) -> float:
    """A fresh venv with only `requirements.txt` installed, as repo2docker does it."""
    started = time.perf_counter()
    subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(  # -qq: pip's errors only, as its warnings are about this machine's set-up
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-qq", "-r", "requirements.txt"],
        cwd=repo,
        check=True,
    )
    return time.perf_counter() - started


def requirements_digest(repo: Path) -> str:
    """sha256 of ``requirements.txt`` and ``pyproject.toml``: a lock names the inputs it was made
    from, so the learner branch refuses a lock older than the requirements."""
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((repo / name).read_bytes())
    return digest.hexdigest()


def freeze(venv: Path, repo: Path, python_version: str) -> str:
    """The environment's exact versions as a requirements file Binder installs from the
    learner branch's root (``-e .`` for rnn_lab itself, which the branch holds)."""
    frozen = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable",
         "--exclude", "rnn_lab"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    header = (
        "# The exact versions `make binder-check` ran every chapter with (pip freeze), on\n"
        f"# {python_version}, {platform.system()} {platform.machine()}. Generated: do not edit.\n"
        f"# requirements-digest: {requirements_digest(repo)}\n"
    )
    return header + frozen + "-e .\n"


def kernel_spec_dir(venv: Path, where: Path) -> Path:
    """A kernelspec whose kernel runs in the fresh environment (not in this one)."""
    spec = where / KERNEL_NAME
    spec.mkdir(parents=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec_json = {"argv": argv, "display_name": "Binder check", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(spec_json))
    return where


def kernel_environment(venv: Path) -> dict[str, str]:
    """This process's environment without its own Python settings, the venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


class PeakMemory(threading.Thread):
    """Samples the resident memory (RSS) of a process and all its children."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree if p.is_running())
            except psutil.NoSuchProcess:
                return
            self.peak_bytes = max(self.peak_bytes, rss)
            self._stop_event.wait(SAMPLE_SECONDS)

    def high_water_mark(self) -> int:
        """The kernel process's own peak RSS (Linux's VmHWM); 0 where /proc is missing."""
        status = Path(f"/proc/{self.process.pid}/status")
        if not status.exists():
            return 0
        match = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
        return int(match.group(1)) * 1024 if match else 0

    def stop(self) -> int:
        """Stop sampling; the peak in bytes (call while the kernel is still alive)."""
        peak = max(self.peak_bytes, self.high_water_mark())
        self._stop_event.set()
        self.join(timeout=5)
        return peak


def run_notebook(
    path: Path, specs: Path, env: dict[str, str], timeout: int
) -> tuple[float, int, list[str]]:
    """Execute one notebook in a kernel of the fresh environment: seconds, peak bytes, problems."""
    notebook = nbformat.read(path, as_version=4)
    manager = KernelManager(
        kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)])
    )
    started = time.perf_counter()
    # The kernel process's own stderr (ipykernel's start-up notice, C++ logs) goes to a log
    # beside the scratch kernelspec; what the notebook's code prints is in its outputs.
    with (specs / f"{path.stem}.kernel.log").open("w") as log:
        manager.start_kernel(cwd=str(path.parent), env=env, stdout=log, stderr=log)
    memory = PeakMemory(manager.provisioner.pid)
    memory.start()
    problems: list[str] = []
    try:
        client = NotebookClient(notebook, km=manager, timeout=timeout, allow_errors=False)
        try:
            client.execute()
        except CellExecutionError as error:
            problems.append(str(error).strip().splitlines()[-1])
        peak = memory.stop()
        seconds = time.perf_counter() - started
    finally:
        manager.shutdown_kernel(now=False)
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                problems.append(f"cell {index} wrote to stderr: {output['text'][:200]!r}")
    return seconds, peak, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, help="build the environment here and keep it")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse --venv if it exists (to iterate on this script)"
    )
    parser.add_argument("--limit-mb", type=float, default=BINDER_LIMIT_MB)
    parser.add_argument(
        "--edition",
        choices=("student", "book"),
        default="student",
        help="the student edition (what Binder opens, default) or the book's own notebooks",
    )
    args = parser.parse_args()

    config = yaml.safe_load((REPO / "_config.yml").read_text())
    timeout = int(config.get("execute", {}).get("timeout", 600))
    if args.edition == "book":
        notebooks = toc_notebooks(REPO)
    else:
        notebooks = sorted(STUDENT_EDITION.glob("[0-9][0-9]_*.ipynb"))
        if not notebooks:
            sys.exit(f"no student edition in {STUDENT_EDITION}: run `make notebooks` first")
    python = runtime_python(REPO)
    with tempfile.TemporaryDirectory(prefix="binder-check-") as scratch:
        venv = args.venv.resolve() if args.venv else Path(scratch) / "venv"
        reuse = args.reuse and (venv / "bin" / "python").exists()
        install_seconds = 0.0 if reuse else create_environment(python, venv, REPO)
        version = subprocess.run(
            [str(venv / "bin" / "python"), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        print(f"fresh environment ({version}) from requirements.txt: {install_seconds:.0f} s")
        print(f"running the {args.edition} edition: {len(notebooks)} notebooks")
        specs = kernel_spec_dir(venv, Path(scratch) / "kernels")
        env = kernel_environment(venv)

        lock = freeze(venv, REPO, version)
        failures: list[str] = []
        peaks: dict[str, float] = {}
        total = time.perf_counter()
        for path in notebooks:
            name = str(path.relative_to(REPO))
            seconds, peak, problems = run_notebook(path, specs, env, timeout)
            peaks[name] = peak / MB
            verdict = "ok" if not problems and peaks[name] <= args.limit_mb else "FAILED"
            print(f"{name:40s} {seconds:6.1f} s  peak {peaks[name]:6.0f} MB  {verdict}", flush=True)
            failures += [f"{name}: {problem}" for problem in problems]
            if peaks[name] > args.limit_mb:
                failures.append(f"{name}: peak {peaks[name]:.0f} MB > {args.limit_mb:.0f} MB")

    if not notebooks:
        failures.append("_toc.yml lists no notebook")
    else:
        largest = max(peaks, key=peaks.get)
        print(
            f"{len(notebooks)} notebooks in {time.perf_counter() - total:.0f} s; largest peak "
            f"{peaks[largest]:.0f} MB ({largest}), Binder's limit {args.limit_mb:.0f} MB"
        )
    for failure in failures:
        print("FAILED:", failure, file=sys.stderr)
    if failures:
        return 1
    if args.edition == "student":  # what Binder runs: its exact versions go to the learner branch
        LOCK.parent.mkdir(parents=True, exist_ok=True)
        LOCK.write_text(lock)
        print(f"exact versions ({lock.count('==')} packages) -> {LOCK.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
