"""What a learner's function may not do while a checker runs it, and what it must leave
as it found it.

**Delegation.** An exercise that asks for a loop is not solved by calling the library
function that runs the loop. While the learner's function runs, a profiler
(``sys.setprofile``, in the thread that runs the call) looks at every Python function
called, and compares its code object with the code of the forbidden reference
implementations. Code objects, not names: ``from rnn_lab.forward import manual_forward
as mf``, a ``lambda`` around it or ``functools.partial`` all run the same code and are
all seen. Frameworks are recognised by the module a called function lives in
(``keras``, ``tf_keras``, ``torch``) and by a few TensorFlow entry points that do the
whole job (``tf.GradientTape.gradient``, ``tf.clip_by_global_norm``). NumPy, the
weights record's accessors and the helpers an exercise hands out are never listed, so
they keep working. The previous profiler is put back afterwards.

**Global state.** NumPy's error handling (``np.seterr``), its print options and its
global random generator are saved before the call and restored after it; a function
that changed them is told so. What the function prints is captured: a few lines are
shown, a flood is cut.
"""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from functools import cache
from types import CodeType, FrameType
from typing import Any

import numpy as np

#: Modules whose functions count as "calling the framework" in an exercise that must be
#: written without it. TensorFlow itself is not listed as a whole: building a
#: ``tf.constant`` is not delegation (it gets its own message about the type returned).
FRAMEWORK_MODULES = ("keras", "tf_keras", "torch")
#: TensorFlow functions that do a whole exercise's job on their own.
TENSORFLOW_ROUTES = (
    "tensorflow.GradientTape.gradient",
    "tensorflow.clip_by_global_norm",
    "tensorflow.keras.Model.fit",
)
#: Lines of the learner's own printing shown under the verdict; the rest is counted.
PRINTED_LINES_SHOWN = 10


def _resolve(dotted: str) -> Any:
    """The object named by ``dotted`` (``"rnn_lab.manual_forward"``,
    ``"rnn_lab.training.optimizers.SGD.step"``): attributes first, as ``rnn_lab.replay`` means
    the function the package exports; where that path fails (``rnn_lab.replay`` is a
    function, so ``rnn_lab.replay.merge_directions`` is not its attribute), the longest
    importable module followed by attributes."""
    parts = dotted.split(".")
    try:
        obj = importlib.import_module(parts[0])
        for name in parts[1:]:
            obj = getattr(obj, name)
        return obj
    except (ImportError, AttributeError):
        pass
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
            for name in parts[split:]:
                obj = getattr(obj, name)
        except (ImportError, AttributeError):
            continue
        return obj
    raise ImportError(f"no function or module named {dotted}")


def _codes_of(obj: Any) -> list[CodeType]:
    """The code objects that run when ``obj`` is called (a function, a method, a class
    whose ``__init__``/``__call__``/``__new__`` are Python code)."""
    obj = getattr(obj, "__wrapped__", obj)
    obj = getattr(obj, "__func__", obj)
    code = getattr(obj, "__code__", None)
    if code is not None:
        return [code]
    if isinstance(obj, type):
        codes = []
        for name in ("__new__", "__init__", "__call__"):
            member = obj.__dict__.get(name)
            if member is not None:
                codes.extend(_codes_of(member))
        return codes
    return []


@cache
def forbidden_codes(names: tuple[str, ...]) -> dict[CodeType, str]:
    """``{code object: public name}`` of the reference implementations ``names``."""
    codes: dict[CodeType, str] = {}
    for name in names:
        try:
            target = _resolve(name)
        except ImportError:
            if name.startswith("rnn_lab."):
                raise  # a misspelt route would silently allow what it should refuse
            continue  # an optional framework that is not installed cannot be called either
        for code in _codes_of(target):
            codes[code] = name
    return codes


def _tensorflow_codes() -> dict[CodeType, str]:
    if "tensorflow" not in sys.modules:  # not imported yet: nothing to look up (nor cache)
        return {}
    return _imported_tensorflow_codes()


@cache
def _imported_tensorflow_codes() -> dict[CodeType, str]:
    return {
        code: name.replace("tensorflow.", "tf.")
        for code, name in forbidden_codes(TENSORFLOW_ROUTES).items()
    }


def _framework_name(frame: FrameType) -> str | None:
    module = frame.f_globals.get("__name__", "") or ""
    top = module.split(".", 1)[0]
    if top in FRAMEWORK_MODULES:
        label = {"keras": "Keras", "tf_keras": "Keras", "torch": "PyTorch"}[top]
        return f"{label}: {module}.{frame.f_code.co_name}"
    return None


@dataclass
class Watch:
    """The first forbidden call seen while watching, if any."""

    codes: dict[CodeType, str]
    frameworks: bool
    called: str | None = None
    _previous: Any = field(default=None, repr=False)

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        name = self.codes.get(frame.f_code)
        if name is None and self.frameworks:
            name = _framework_name(frame)
        if name is not None:
            self.called = name
            sys.setprofile(self._previous)  # one is enough: stop paying for the profiler

    def wrap(self, fn: Callable) -> Callable:
        """``fn`` run under this watch, in whichever thread calls it."""

        def watched(*args: Any) -> Any:
            self._previous = sys.getprofile()
            sys.setprofile(self._profile)
            try:
                return fn(*args)
            finally:
                sys.setprofile(self._previous)

        return watched


def watch(forbidden: tuple[str, ...], frameworks: bool) -> Watch:
    codes = dict(forbidden_codes(tuple(forbidden)))
    if frameworks:
        codes.update(_tensorflow_codes())
    return Watch(codes, frameworks)


# --- printing and global NumPy state ---------------------------------------------------


class PrintedLines(io.TextIOBase):
    """A stdout that keeps the first ``PRINTED_LINES_SHOWN`` lines and counts the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.lines = 0
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = self._partial + str(text)
        *complete, self._partial = text.split("\n")
        for line in complete:
            self.lines += 1
            if len(self.kept) < PRINTED_LINES_SHOWN:
                self.kept.append(line)
        return len(text)

    def finish(self) -> None:
        if self._partial:
            self.write("\n")


@dataclass
class StateReport:
    """What the learner's calls changed in NumPy's global state (already undone)."""

    changed: set[str] = field(default_factory=set)


_STATE_LABELS = {
    "seterr": "NumPy's error handling (np.seterr)",
    "printoptions": "NumPy's print options (np.set_printoptions)",
    "random": "NumPy's global random generator (np.random.seed)",
}


@contextmanager
def numpy_state_kept(report: StateReport) -> Iterator[None]:
    """Save NumPy's global settings, run the block, record what changed and restore them."""
    errors, options, random_state = np.geterr(), np.get_printoptions(), np.random.get_state()  # noqa: NPY002 (the learner's global generator)
    try:
        yield
    finally:
        if np.geterr() != errors:
            report.changed.add("seterr")
            np.seterr(**errors)
        if np.get_printoptions() != options:
            report.changed.add("printoptions")
            np.set_printoptions(**options)
        after = np.random.get_state()  # noqa: NPY002 (the learner's global generator)
        if after[0] != random_state[0] or not np.array_equal(after[1], random_state[1]):
            report.changed.add("random")
            np.random.set_state(random_state)  # noqa: NPY002


@contextmanager
def printing_captured(printed: PrintedLines) -> Iterator[None]:
    with redirect_stdout(printed):
        yield


def notes(printed: PrintedLines, report: StateReport) -> list[str]:
    """Lines that follow the verdict: the learner's own printing (cut) and the global
    settings the checker had to put back."""
    printed.finish()
    lines = []
    if printed.lines:
        lines.append(f"Your function printed {printed.lines} line(s) while being checked:")
        lines.extend(f"  | {line}" for line in printed.kept)
        if printed.lines > len(printed.kept):
            lines.append(
                f"  | … {printed.lines - len(printed.kept)} more line(s) not shown: "
                "remove debugging prints once the code works."
            )
    if report.changed:
        what = ", ".join(_STATE_LABELS[key] for key in sorted(report.changed))
        lines.append(
            f"Note: your function changed {what}; the checker put it back as it was. "
            "Change such settings only inside `with np.errstate(...):` or "
            "`with np.printoptions(...):`, and use np.random.default_rng(seed) for random numbers."
        )
    return lines
