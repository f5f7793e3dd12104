"""The other side of :mod:`.isolated`: the zygote and the workers it forks, run as
``python -m rnn_lab.checks.worker FD``.

The zygote runs the chapter's context once, then only forks. A worker limits itself
(address space, CPU time, no file writes, no output), runs one answer cell and answers the
grader's calls of the learner's function under the delegation watch (:mod:`.guard`),
sending back plain data only (:mod:`.transport`). It never sees a checker or a hidden
case's expected answer.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import struct
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from . import guard, transport

#: Most calls a checker may batch into one round trip (``RemoteFunction.repeat``).
MAX_REPEAT = 100_000
#: A zygote command: b"fork" (with the worker's fd), or b"kill" and a pid.
COMMAND = struct.Struct("!4sQ")


class _Stub:
    """``get_ipython()`` for cells with IPython syntax (``%timeit`` ...): does nothing."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def _where(error: BaseException, filename: str) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    if not frames or not frames[-1].line:
        return ""
    return f" (line {frames[-1].lineno}: `{frames[-1].line.strip()}`)"


def _exec(code: str, namespace: dict, filename: str) -> None:
    exec(compile(code, filename, "exec"), namespace)


def _serve_zygote(control: socket.socket) -> None:
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        namespace: dict[str, Any] = {"__name__": "__main__", "get_ipython": _Stub}
        message = transport.read(control, from_worker=False)
        error = ""
        try:
            _exec(message["context"], namespace, "<context>")
        except BaseException as failure:
            error = f"{type(failure).__name__}: {failure}"
        transport.send(control, {"context_error": error}, to_worker=False)
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(control, COMMAND.size, 1)
                while data and len(data) < COMMAND.size:
                    more = control.recv(COMMAND.size - len(data))
                    data = data + more if more else b""
            except OSError:
                return
            if not data:
                return
            command, pid = COMMAND.unpack(data)
            if command == b"fork" and fds:
                pid = os.fork()
                if pid == 0:
                    control.close()
                    _run_worker(socket.socket(fileno=fds[0]), namespace)
                os.close(fds[0])
                transport.send(control, {"pid": pid}, to_worker=False)
            elif command == b"kill":
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError, ChildProcessError):
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                transport.send(control, {"done": True}, to_worker=False)


def _limit_myself(memory_mb: int, cpu_s: int) -> None:
    os.setpgid(0, 0)  # the grader kills the whole group, grandchildren included
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    address_space = mapped + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    used = int(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]))
    resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_s, used + cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file can be written
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run_worker(sock: socket.socket, namespace: dict) -> None:
    # After the fork: this process belongs to one answer and never returns.
    try:
        _serve_answer(sock, dict(namespace))
    finally:
        os._exit(0)


def _callback_stub(sock: socket.socket) -> Callable[[int], Callable]:
    def make(index: int) -> Callable:
        def call(*args: Any) -> Any:
            transport.send(sock, {"callback": index, "args": list(args)}, to_worker=False)
            reply = transport.read(sock, from_worker=False)
            if "error" in reply:
                raise ValueError(reply["error"])
            return reply.get("value")

        return call

    return make


def _serve_answer(sock: socket.socket, namespace: dict) -> None:
    job = transport.read(sock, from_worker=False)
    _limit_myself(job["memory_mb"], job["cpu_s"])
    printed = guard.PrintedLines()
    name = job["name"]
    try:
        with contextlib.redirect_stdout(printed):
            _exec(job["cell"], namespace, "<answer cell>")
    except BaseException as error:
        # Code after the answer (a demo using the notebook's variables) may fail here, as
        # it would not in the notebook: what the exercise judges is the answer it defined.
        if name not in namespace:
            _reply(sock, {"raised": type(error).__name__, "message": str(error)[:300],
                          "where": _where(error, "<answer cell>")})  # fmt: skip
            return
    if name not in namespace:
        _reply(sock, {"defined": False})
        return
    answer = namespace[name]
    _reply(sock, {"defined": True, "callable": callable(answer), "value": answer})
    forbidden, frameworks = tuple(job["forbidden"]), job["frameworks"]
    make_callback = _callback_stub(sock)
    while True:
        request = transport.read(sock, from_worker=False, callback=make_callback)
        if "extra" in request:
            _reply(sock, {"problem": _extra(request["extra"], answer)})
        else:
            times = request.get("repeat")
            _reply(sock, _call(answer, request["call"], forbidden, frameworks, times))


def _call(
    fn: Callable, args: list, forbidden: tuple, frameworks: bool, times: int | None = None
) -> dict[str, Any]:
    watch, printed = guard.watch(forbidden, frameworks), guard.PrintedLines()
    reply: dict[str, Any] = {}
    try:
        with contextlib.redirect_stdout(printed):
            watched = watch.wrap(fn)
            if times is None:
                reply["result"] = watched(*args)
            else:
                reply["result"] = [watched(*args) for _ in range(min(times, MAX_REPEAT))]
    except BaseException as error:
        reply.update(raised=type(error).__name__, message=str(error)[:500],
                     where=_where(error, "<answer cell>"))  # fmt: skip
    printed.finish()
    reply.update(delegated=watch.called, printed=printed.kept, lines=printed.lines)
    reply["rng_states"] = [
        transport.generator_state(a) if isinstance(a, np.random.Generator) else None for a in args
    ]
    return reply


def _extra(checker: str, answer: Callable) -> Any:
    from .catalogue import EXERCISES  # the extra tests are the catalogue's own

    for entry in EXERCISES:
        if entry.checker == checker and entry.exercise().extra is not None:
            with contextlib.redirect_stdout(guard.PrintedLines()):
                return entry.exercise().extra(answer)
    return None


def _reply(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        transport.send(sock, message, to_worker=False)
    except (transport.TransportError, ValueError, RecursionError) as error:
        fallback = {k: v for k, v in message.items() if k not in ("result", "value")}
        fallback.update(raised="TypeError", message=f"what it returned cannot be graded: {error}")
        transport.send(sock, fallback, to_worker=False)


if __name__ == "__main__":
    _serve_zygote(socket.socket(fileno=int(sys.argv[1])))
