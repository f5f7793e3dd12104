"""The package's rooms and the direction of its imports, read with ``ast`` (nothing is imported).

Layers, lowest first (see the README, "How the code is organised"):

0. the maths: the top-level modules of ``rnn_lab`` (weights, forward, cells, ...);
1. ``rnn_lab.plots``: every figure;
2. ``rnn_lab.explorer``, ``rnn_lab.bench``, ``rnn_lab.book``, ``rnn_lab.checks``: four rooms
   side by side, none importing another;
3. the front door, ``rnn_lab/__init__.py`` and ``rnn_lab/__main__.py``, which may import
   anything (lazily) and which nothing in the package imports.

Inside the maths the rooms are ordered too, lowest first (:data:`MATHS_ORDER`): the
foundation (``_validate``, ``tolerances``), ``weights``, ``cells``, ``keras_side``, the
SimpleRNN modules of chapters 3-7, ``training``, ``language``, ``seq2seq``.

A module may import its own room and any lower layer. Every import counts, including the lazy
ones inside functions, because a lazy import that points up is still a dependency that points
up. The tests fail on an import cycle, on an import that points the wrong way, and on an import
of another module's ``_private`` name.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "rnn_lab"

MATHS, PLOTS, FEATURES, FRONT_DOOR = 0, 1, 2, 3
#: The rooms of layer 2 and the layer-1 room, by subpackage name.
ROOMS = {"plots": PLOTS, "explorer": FEATURES, "bench": FEATURES, "book": FEATURES}
ROOMS["checks"] = FEATURES
FRONT_DOOR_MODULES = {"__init__", "__main__"}
#: The maths, lowest first: a maths module may import its own tier and the tiers below.
MATHS_ORDER = (
    {"_validate", "tolerances"},
    {"weights"},
    {"cells"},
    {"keras_side"},
    {"forward", "backward", "gradcheck", "projection", "stability", "tbptt"},
    {"training"},
    {"language"},
    {"seq2seq"},
)
#: At most this many modules directly in ``rnn_lab/`` (``__init__``, ``__main__`` included).
MAX_TOP_LEVEL_MODULES = 16
#: At most this many lines in a module of the maths.
MAX_MATHS_MODULE_LINES = 500


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name
    names: tuple[str, ...]  # names taken from the target (empty for `import x`)
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(path: Path, root: Path) -> str:
    name = module_name(path, root)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def modules(root: Path) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def is_module(name: str, known: dict[str, Path]) -> bool:
    return name in known


def imports_of(path: Path, root: Path, known: dict[str, Path]) -> list[Import]:
    """Every import of a module of the package made anywhere in ``path``."""
    importer = module_name(path, root)
    package = package_of(path, root)
    top = root.name
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == top or alias.name.startswith(top + "."):
                    found.append(Import(importer, alias.name, (), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target != top and not target.startswith(top + "."):
                continue
            names = tuple(alias.name for alias in node.names)
            plain = tuple(n for n in names if not is_module(f"{target}.{n}", known))
            for name in names:  # `from . import sub` imports the submodule itself
                if is_module(f"{target}.{name}", known):
                    found.append(Import(importer, f"{target}.{name}", (), node.lineno))
            if plain or not names:
                found.append(Import(importer, target, plain, node.lineno))
    return found


def layer_and_room(name: str) -> tuple[int, str]:
    parts = name.split(".")
    if len(parts) == 1 or parts[1] in FRONT_DOOR_MODULES:
        return FRONT_DOOR, "front door"
    if parts[1] in ROOMS:
        return ROOMS[parts[1]], parts[1]
    return MATHS, "maths"


def wrong_way(edges: list[Import]) -> list[str]:
    problems = []
    for edge in edges:
        (low, room_from), (high, room_to) = (
            layer_and_room(edge.importer),
            layer_and_room(edge.target),
        )
        if room_from == room_to:
            continue
        if high >= low:
            problems.append(
                f"{edge.importer} (line {edge.line}, layer {room_from}) imports "
                f"{edge.target} (layer {room_to}): imports must point down"
            )
    return problems


def maths_tier(name: str) -> int | None:
    """The tier of a maths module in :data:`MATHS_ORDER` (``None`` outside the maths)."""
    if layer_and_room(name)[0] != MATHS:
        return None
    room = name.split(".")[1]
    for tier, rooms in enumerate(MATHS_ORDER):
        if room in rooms:
            return tier
    raise AssertionError(f"{name} is in no tier of MATHS_ORDER: give it one")


def wrong_way_in_the_maths(edges: list[Import]) -> list[str]:
    problems = []
    for edge in edges:
        low, high = maths_tier(edge.importer), maths_tier(edge.target)
        if low is not None and high is not None and high > low:
            problems.append(
                f"{edge.importer} (line {edge.line}, maths tier {low}) imports "
                f"{edge.target} (tier {high}): imports in the maths must point down"
            )
    return problems


def private_names(edges: list[Import]) -> list[str]:
    return [
        f"{edge.importer} (line {edge.line}) imports {name} from {edge.target}"
        for edge in edges
        if edge.target != edge.importer
        for name in edge.names
        if name.startswith("_") and not name.startswith("__")
    ]


def cycles(edges: list[Import]) -> list[list[str]]:
    """Every cycle of the module graph, as found by a depth-first search (one per back edge)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if edge.target != edge.importer:
            graph.setdefault(edge.importer, set()).add(edge.target)
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def all_imports(root: Path) -> list[Import]:
    known = modules(root)
    return [edge for path in known.values() for edge in imports_of(path, root, known)]


# ------------------------------------------------------------------ the package itself


@pytest.fixture(scope="module")
def edges() -> list[Import]:
    return all_imports(PACKAGE_DIR)


def test_the_walk_sees_the_packages_imports(edges):
    # guards against a walker that silently finds nothing
    assert len(modules(PACKAGE_DIR)) > 40
    seen = {(e.importer, e.target) for e in edges}
    assert ("rnn_lab.backward", "rnn_lab.forward") in seen
    assert ("rnn_lab.explorer.widget", "rnn_lab.plots.states") in seen
    assert ("rnn_lab.checks.ch09", "rnn_lab.keras_side.models") in seen  # a lazy import counts


def test_there_is_no_import_cycle(edges):
    assert cycles(edges) == []


def test_imports_point_down_the_layers(edges):
    assert wrong_way(edges) == []


def test_imports_point_down_inside_the_maths(edges):
    assert wrong_way_in_the_maths(edges) == []


def test_the_top_level_is_small_and_the_maths_modules_short():
    top = sorted(p.name for p in PACKAGE_DIR.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    long = {
        name: lines
        for name, path in modules(PACKAGE_DIR).items()
        if layer_and_room(name)[0] == MATHS
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MATHS_MODULE_LINES
    }
    assert long == {}


def test_no_module_imports_another_modules_private_names(edges):
    assert private_names(edges) == []


def test_every_subpackage_says_what_it_holds_and_may_import():
    for init in sorted(PACKAGE_DIR.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init} has no docstring"
        assert "import" in doc, f"{init}'s docstring does not say what it may import"


# ------------------------------------------------------------------ the checker catches mistakes


def make_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "rnn_lab"
    for name, source in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root


def test_a_cycle_is_found(tmp_path):
    root = make_package(
        tmp_path,
        {
            "bench/__init__.py": "",
            "bench/harness.py": "def main():\n    from .plots import draw\n",
            "bench/plots.py": "from .harness import main\n",
        },
    )
    assert cycles(all_imports(root)) == [
        ["rnn_lab.bench.harness", "rnn_lab.bench.plots", "rnn_lab.bench.harness"]
    ]


@pytest.mark.parametrize(
    "importer, source",
    [
        ("forward.py", "from .plots.basics import plot\n"),  # maths -> plots
        ("forward.py", "def f():\n    from rnn_lab.book import notebook\n"),  # lazy, absolute
        ("plots/basics.py", "from ..explorer.compute import explore\n"),  # plots -> explorer
        ("bench/harness.py", "from ..book.toc import toc_pages\n"),  # between rooms
        ("checks/core.py", "import rnn_lab\n"),  # the front door
    ],
)
def test_an_import_pointing_the_wrong_way_is_found(tmp_path, importer, source):
    root = make_package(
        tmp_path,
        {
            "forward.py": "",
            "plots/__init__.py": "",
            "plots/basics.py": "",
            "explorer/__init__.py": "",
            "explorer/compute.py": "",
            "bench/__init__.py": "",
            "bench/harness.py": "",
            "book/__init__.py": "",
            "book/notebook.py": "",
            "book/toc.py": "",
            "checks/__init__.py": "",
            "checks/core.py": "",
        }
        | {importer: source},
    )
    problems = wrong_way(all_imports(root))
    assert len(problems) == 1
    assert "imports must point down" in problems[0]


def test_imports_down_and_within_a_room_are_allowed(tmp_path):
    root = make_package(
        tmp_path,
        {
            "_validate.py": "",
            "forward.py": "from ._validate import check\n",
            "plots/__init__.py": "from .basics import plot\n",
            "plots/basics.py": "from ..forward import step\nfrom .axes import new_axes\n",
            "plots/axes.py": "",
            "explorer/__init__.py": "",
            "explorer/widget.py": "from ..plots import basics\nfrom .compute import run\n",
            "explorer/compute.py": "from rnn_lab.forward import step\n",
            "__main__.py": "from .explorer.widget import show\n",
        },
    )
    edges = all_imports(root)
    assert wrong_way(edges) == [] and cycles(edges) == [] and private_names(edges) == []
    assert ("rnn_lab.explorer.widget", "rnn_lab.plots.basics") in {
        (e.importer, e.target) for e in edges
    }


@pytest.mark.parametrize(
    "importer, source",
    [
        ("weights.py", "from .cells.steps import step\n"),  # weights -> cells
        ("cells/bptt.py", "def f():\n    from ..keras_side.models import import_keras\n"),
        ("keras_side/models.py", "from ..training.optimizers import Adam\n"),
        ("forward.py", "from .language.text import softmax\n"),
    ],
)
def test_an_import_pointing_up_inside_the_maths_is_found(tmp_path, importer, source):
    files = {
        "weights.py": "",
        "forward.py": "",
        "cells/__init__.py": "",
        "cells/steps.py": "",
        "cells/bptt.py": "",
        "keras_side/__init__.py": "",
        "keras_side/models.py": "",
        "training/__init__.py": "",
        "training/optimizers.py": "",
        "language/__init__.py": "",
        "language/text.py": "",
    }
    edges = all_imports(make_package(tmp_path, files | {importer: source}))
    problems = wrong_way_in_the_maths(edges)
    assert len(problems) == 1 and "must point down" in problems[0]
    assert wrong_way(edges) == []  # between the layers, all of these are maths to maths


def test_a_private_name_is_found(tmp_path):
    root = make_package(
        tmp_path,
        {
            "forward.py": "def _check_inputs(x):\n    return x\n",
            "backward.py": "from .forward import _check_inputs, manual_forward\n",
        },
    )
    assert private_names(all_imports(root)) == [
        "rnn_lab.backward (line 1) imports _check_inputs from rnn_lab.forward"
    ]
