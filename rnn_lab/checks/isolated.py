"""Grade one answer where the learner's code cannot reach the verdict: the answer runs in a
worker process of its own, the checker runs here and only sees plain data.

    grader (this process)            zygote (trusted)               worker (one per answer)
    checker, hidden cases   --fork-->  the chapter's imports  --fork-->  + the answer cell
    verdict                 <--------------- arguments / results as plain data ------------>

A **zygote** process starts once per chapter: a fresh interpreter that runs the chapter's
*context* (its imports and the functions and classes it defines, taken from the teacher's
source notebook, never from a submission) and then only forks. For every answer it forks a
**worker**, which limits itself (``MEMORY_LIMIT_MB`` of address space, CPU time, no file
writes, no output: its stdout and stderr are ``/dev/null``), runs the answer cell and waits
for calls. The checker is the chapter's own ``check_...`` function, given a
:class:`RemoteFunction` in place of the learner's function: each call sends the hidden
case's arguments to the worker (:mod:`.transport`, plain data only) and gets back the
result, which the checker judges here, with its own time limit per call. The worker runs
each call under the same delegation watch (:mod:`.guard`) as the notebook's self-check and
reports what it saw. After the answer, the worker's whole process group is killed.

Each answer cell runs on its own, with the chapter's context but not with the learner's
other answers, and only up to its answer (:func:`answer_part`: a demo after the ``def``
is not run): one answer's crash, exit, endless loop or memory blow-up ends its own worker
and costs that exercise only.

This module is the grader's side; the zygote's and the workers' side is :mod:`.worker`.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import guard, transport
from .core import TIME_LIMIT_S, CheckResult, Exercise
from .worker import COMMAND

#: Address space a worker may add to what the zygote already maps (its imports).
MEMORY_LIMIT_MB = 1024
#: Seconds the answer cell itself may run (its imports and definitions); each call of the
#: learner's function gets the checker's own limit, ``core.TIME_LIMIT_S``.
CELL_TIME_LIMIT_S = TIME_LIMIT_S
#: CPU seconds a worker may use in all, a backstop behind the grader's wall-clock limits.
CPU_LIMIT_S = 60
#: Seconds the zygote may take to start and run the chapter's context (imports).
ZYGOTE_START_S = 120

#: Codes of a verdict reached before the checker could run.
MISSING = "missing"  # the answer cell does not define the name the check needs
CELL_FAILED = "answer_cell_failed"  # the answer cell raised, exited or did not finish

_ENV_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Limits:
    """The limits of one answer's worker (see the module's constants)."""

    call_s: float = TIME_LIMIT_S
    cell_s: float = CELL_TIME_LIMIT_S
    memory_mb: int = MEMORY_LIMIT_MB
    cpu_s: int = CPU_LIMIT_S


class WorkerGone(Exception):
    """The worker ended or broke the protocol; the message says how."""


# --- the grader's side ----------------------------------------------------------------


class Zygote:
    """A trusted process that has run the chapter's ``context`` and forks workers.

    A worker runs as the same user and could kill its parent: then the next fork starts a
    new zygote, so that the answers after it are still graded."""

    def __init__(self, context: str):
        self._context = context
        self._start()

    def _start(self) -> None:
        context = self._context
        self._control, theirs = socket.socketpair()
        self._scratch = tempfile.TemporaryDirectory(prefix="rnn-lab-grading-")
        self._log = open(os.path.join(self._scratch.name, "zygote.log"), "wb")  # noqa: SIM115
        env = {**os.environ, **dict.fromkeys(_ENV_THREADS, "1"), "TF_CPP_MIN_LOG_LEVEL": "3"}
        self._process = subprocess.Popen(
            [sys.executable, "-m", f"{__package__}.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            cwd=self._scratch.name,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        theirs.close()
        self._control.settimeout(ZYGOTE_START_S)
        transport.send(self._control, {"context": context}, to_worker=True)
        try:
            reply = transport.read(self._control, from_worker=True)
        except (OSError, EOFError, transport.TransportError) as error:
            self.close()
            raise RuntimeError(f"the grading process did not start: {error}") from None
        #: What went wrong in the chapter's context, if anything ("" when it all ran).
        self.context_error: str = reply.get("context_error", "")

    def fork(self) -> tuple[int, socket.socket]:
        """A new worker: its pid and the grader's end of its socket."""
        try:
            return self._fork()
        except (OSError, EOFError, transport.TransportError):
            self.close()  # the zygote is gone (a worker killed it): start another
            self._start()
            return self._fork()

    def _fork(self) -> tuple[int, socket.socket]:
        ours, theirs = socket.socketpair()
        socket.send_fds(self._control, [COMMAND.pack(b"fork", 0)], [theirs.fileno()])
        theirs.close()
        reply = transport.read(self._control, from_worker=True)
        return int(reply["pid"]), ours

    def kill(self, pid: int) -> None:
        """Kill a worker's process group and reap it (the zygote is its parent, so the
        pid cannot be reused before this)."""
        try:
            self._control.sendall(COMMAND.pack(b"kill", pid))
            transport.read(self._control, from_worker=True)
        except (OSError, EOFError, transport.TransportError):
            # The zygote is gone and the worker was handed to init: kill it from here.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def close(self) -> None:
        self._control.close()
        self._log.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._scratch.cleanup()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Worker:
    """One answer's worker, seen from the grader."""

    def __init__(self, zygote: Zygote, limits: Limits):
        self.zygote, self.limits = zygote, limits
        self.pid, self.sock = zygote.fork()
        self.alive = True
        self._callbacks: list[Callable] = []

    def request(self, message: dict[str, Any], limit: float) -> dict[str, Any]:
        """Send ``message`` and wait (at most ``limit`` s) for the reply, answering the
        worker's calls of functions passed as arguments on the way."""
        if not self.alive:
            raise WorkerGone("the process running your code has already been stopped")
        try:
            self.sock.settimeout(limit)
            transport.send(self.sock, message, to_worker=True, callbacks=self._callbacks)
            while True:
                reply = transport.read(self.sock, from_worker=True)
                if "callback" not in reply:
                    return reply
                transport.send(self.sock, self._answer_callback(reply), to_worker=True)
        except TimeoutError:
            self.stop()
            raise WorkerGone(f"no answer within {limit:g} s") from None
        except (EOFError, ConnectionError):
            self.stop()
            raise WorkerGone(
                "the process running your code ended (sys.exit, os._exit, a crash, or the "
                f"memory limit of {self.limits.memory_mb} MB)"
            ) from None
        except transport.TransportError as error:
            self.stop()
            raise WorkerGone(
                f"the process running your code sent something else: {error}"
            ) from None
        except BaseException:  # the checker's own time limit (SIGALRM) lands here
            self.stop()
            raise

    def _answer_callback(self, reply: dict[str, Any]) -> dict[str, Any]:
        index, args = reply["callback"], reply.get("args", ())
        if not (isinstance(index, int) and 0 <= index < len(self._callbacks)):
            raise transport.TransportError("a call of a function it was not given")
        try:
            return {"value": self._callbacks[index](*args)}
        except Exception as error:  # a bad argument from the learner's code, as in-kernel
            return {"error": f"{type(error).__name__}: {error}"}

    def stop(self) -> None:
        if self.alive:
            self.alive = False
            self.sock.close()
            self.zygote.kill(self.pid)


class RemoteFunction:
    """Stands in for the learner's function in the checker: calls go to the worker.

    ``delegated_to`` is the forbidden function the worker saw called, if any."""

    def __init__(self, worker: Worker, name: str, exercise: Exercise, checker: str):
        self.worker, self.__name__, self.exercise, self.checker = worker, name, exercise, checker
        self.delegated_to: str | None = None

    def __call__(self, *args: Any) -> Any:
        return self._request({"call": list(args)}, args)

    def repeat(self, times: int, *args: Any) -> list:
        """The results of ``times`` calls with the same arguments (a random generator
        among them advancing from call to call), made in one round trip."""
        return self._request({"call": list(args), "repeat": int(times)}, args)

    def _request(self, message: dict[str, Any], args: tuple) -> Any:
        try:
            reply = self.worker.request(message, self.worker.limits.call_s + 1.0)
        except WorkerGone as gone:
            raise _remote_error("ProcessEnded", str(gone), "") from None
        self.delegated_to = self.delegated_to or reply.get("delegated")
        # A random generator argument goes on from where the worker's copy stopped.
        for arg, state in zip(args, reply.get("rng_states") or (), strict=False):
            if isinstance(arg, np.random.Generator) and state is not None:
                try:
                    transport.set_generator_state(arg, state)
                except transport.TransportError as error:
                    self.worker.stop()
                    raise _remote_error("ProcessEnded", str(error), "") from None
        _replay(reply.get("printed", []), reply.get("lines", 0))
        if "raised" in reply:
            raise _remote_error(reply["raised"], reply.get("message", ""), reply.get("where", ""))
        return reply.get("result")

    def run_extra(self) -> tuple[str, str] | None:
        """The exercise's extra test (e.g. "only the loop over time"), run beside the
        function in the worker, where it can watch how the function uses its inputs."""
        try:
            reply = self.worker.request({"extra": self.checker}, self.worker.limits.call_s + 1.0)
        except WorkerGone:
            return None  # the values were right; the worker's end is reported elsewhere
        problem = reply.get("problem")
        if isinstance(problem, (list, tuple)) and len(problem) == 2:
            return str(problem[0]), str(problem[1])
        return None


def _remote_error(name: str, message: str, where: str) -> Exception:
    """An exception that reads like the one raised in the worker: the built-in class of
    that name where there is one, otherwise a class of the same name."""
    if name == "NotImplementedError":
        return NotImplementedError(message)
    known = getattr(builtins, name, None) if str(name).isidentifier() else None
    if isinstance(known, type) and issubclass(known, Exception):
        error = known(message)
    else:
        cls = type(name if str(name).isidentifier() else "Error", (Exception,), {})
        error = cls(message)
    error.learner_line = where
    return error


def _replay(kept: list, lines: int) -> None:
    # The checker counts and shows the lines printed during its calls; the worker sent
    # the first few and the count: print those, then empty lines for the rest.
    kept = [str(line) for line in kept][: guard.PRINTED_LINES_SHOWN]
    for line in kept:
        print(line)
    extra = max(0, int(lines) - len(kept))
    if extra:
        print("\n" * (extra - 1))


_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _binds(node: ast.stmt, name: str) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names)
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return any(isinstance(t, ast.Name) and t.id == name for t in targets)


def answer_part(source: str, name: str) -> str:
    """The part of an answer cell that is run to grade ``name``: everything up to the last
    statement that defines it, then only imports, functions and classes. Whatever follows
    the answer (a demo that builds a model or prints a result) is left out, line for line,
    so that line numbers in a diagnosis are the cell's own; a cell that never defines
    ``name`` at its top level runs whole."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return source
    last = max((i for i, node in enumerate(body) if _binds(node, name)), default=None)
    if last is None:
        return source
    lines = source.split("\n")
    kept = {
        line
        for i, node in enumerate(body)
        if i <= last or isinstance(node, _DEFINITIONS)
        for line in range(
            min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]),
            (node.end_lineno or node.lineno) + 1,
        )
    }
    dropped = {
        line
        for i, node in enumerate(body)
        if not (i <= last or isinstance(node, _DEFINITIONS))
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    return "\n".join(
        "" if number in dropped and number not in kept else text
        for number, text in enumerate(lines, start=1)
    )


def run_answer(
    zygote: Zygote,
    exercise: Exercise,
    checker: Callable[..., CheckResult],
    answer_cell: str,
    answer_name: str,
    limits: Limits,
) -> CheckResult:
    """The verdict on one answer cell: ``checker`` judges ``answer_name`` as defined by
    ``answer_cell`` run in a fresh worker; what the checker prints is not shown here."""
    worker = Worker(zygote, limits)
    try:
        try:
            job = {
                "cell": answer_part(answer_cell, answer_name),
                "name": answer_name,
                "forbidden": list(exercise.refuses.routes),
                "frameworks": exercise.refuses.frameworks,
                "memory_mb": limits.memory_mb,
                "cpu_s": limits.cpu_s,
            }
            ready = worker.request(job, limits.cell_s)
        except WorkerGone as gone:
            return _verdict(exercise, CELL_FAILED, f"✗ the answer cell did not run: {gone}.")
        if "raised" in ready:
            where = ready.get("where", "")
            return _verdict(
                exercise,
                CELL_FAILED,
                f"✗ the answer cell raised {ready['raised']}: {ready.get('message', '')}{where}.",
            )
        if not ready.get("defined"):
            return _verdict(
                exercise,
                MISSING,
                f"✗ the answer cell does not define `{answer_name}` (renamed or deleted?).",
            )
        if exercise.is_function and ready.get("callable"):
            answer: Any = RemoteFunction(worker, answer_name, exercise, checker.__name__)
        else:
            answer = ready.get("value")
        with contextlib.redirect_stdout(io.StringIO()):
            if exercise.is_function:
                return checker(answer, time_limit=limits.call_s)
            return checker(answer)
    finally:
        worker.stop()


def _verdict(exercise: Exercise, code: str, message: str) -> CheckResult:
    return CheckResult(exercise.name, False, code, message)
