"""Grading one answer in a worker process (``rnn_lab.checks.isolated``) and the plain data
that crosses between the worker and the grader (``rnn_lab.checks.transport``).

The verdicts must be the notebook's own: the same code and message as the in-kernel
self-check for honest answers (right, wrong, delegating, printing, raising); and a worker
that exits, hangs, eats memory or floods its output costs that answer only.
"""

from __future__ import annotations

import io
import socket
from contextlib import redirect_stdout

import numpy as np
import pytest

from rnn_lab import checks
from rnn_lab.checks import autograde, isolated, transport
from rnn_lab.checks.ch03 import AGREE_EXERCISE, WORST_EXERCISE
from rnn_lab.weights import SimpleRNNWeights

LIMITS = isolated.Limits(call_s=1.0, cell_s=1.0, memory_mb=300)
CONTEXT = "import numpy as np\nimport rnn_lab\n"

WORST_RIGHT = """
def worst_timestep(keras_y, manual_y):
    e = np.abs(keras_y.astype(np.float64) - manual_y).max(axis=(0, 2))
    return int(np.argmax(e)) + 1
"""
ANSWERS = {  # name: source; each judged in-kernel and in a worker
    "right": WORST_RIGHT,
    "off_by_one": WORST_RIGHT.replace(")) + 1", "))"),
    "no_abs": WORST_RIGHT.replace(
        "np.abs(keras_y.astype(np.float64) - manual_y)", "(keras_y.astype(np.float64) - manual_y)"
    ),
    "delegated": "def worst_timestep(k, m):\n"
    "    return int(rnn_lab.error_per_timestep(k, m).argmax()) + 1\n",
    "printing": WORST_RIGHT.replace("    return", "    print('t', e.argmax())\n    return"),
    "raising": "def worst_timestep(k, m):\n    x = 1\n    return k[0, 0, 0, 0]\n",
    "not_started": "def worst_timestep(k, m):\n    raise NotImplementedError\n",
    "none": "def worst_timestep(k, m):\n    pass\n",
    "string": "def worst_timestep(k, m):\n    return '3'\n",
    "generator": "def worst_timestep(k, m):\n    return (t for t in range(3))\n",
    "not_callable": "worst_timestep = 3\n",
}


@pytest.fixture(scope="module")
def zygote():
    with isolated.Zygote(CONTEXT) as zygote:
        assert zygote.context_error == ""
        yield zygote


def _in_kernel(source: str, checker, name: str):
    namespace = {"np": np, "rnn_lab": __import__("rnn_lab")}
    exec(source, namespace)
    with redirect_stdout(io.StringIO()):
        return checker(namespace[name], time_limit=LIMITS.call_s)


@pytest.mark.parametrize("label", list(ANSWERS))
def test_a_worker_gives_the_notebooks_own_verdict(zygote, label):
    source = ANSWERS[label]
    expected = _in_kernel(source, checks.check_worst_timestep, "worst_timestep")
    got = isolated.run_answer(
        zygote, WORST_EXERCISE, checks.check_worst_timestep, source, "worst_timestep", LIMITS
    )
    assert (got.passed, got.code, got.message) == (expected.passed, expected.code, expected.message)


def test_a_function_argument_is_called_back_in_the_grader(zygote):
    from rnn_lab.checks.ch07_gradcheck import NUMERICAL_EXERCISE

    source = """
def numerical_gradient(f, W, eps):
    grad = np.zeros_like(W)
    for i in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[i] = eps
        grad[i] = (f(W + E) - f(W - E)) / (2 * eps)
    return grad
"""
    expected = _in_kernel(source, checks.check_numerical_gradient, "numerical_gradient")
    got = isolated.run_answer(
        zygote,
        NUMERICAL_EXERCISE,
        checks.check_numerical_gradient,
        source,
        "numerical_gradient",
        LIMITS,
    )
    assert expected.passed and (got.passed, got.message) == (True, expected.message)


BAD = {  # source: expected code; each costs its own answer only
    "import os\nos._exit(3)\n": isolated.CELL_FAILED,
    "import os\ndef agree(a, b):\n    os._exit(0)\n": "exception",
    "import sys\nsys.exit('bye')\n": isolated.CELL_FAILED,
    "while True:\n    pass\n": isolated.CELL_FAILED,
    "def agree(a, b):\n    while True:\n        pass\n": "timeout",
    "def agree(a, b):\n    while True:\n        print('flood' * 1000)\n": "timeout",
    "def agree(a, b):\n    return bytearray(2**40)\n": "exception",
    "hog = [bytearray(10**7) for _ in range(1000)]\n": isolated.CELL_FAILED,
    # no file can be written
    "with open('written.txt', 'w') as f:\n    f.write('x' * 100)\n": isolated.CELL_FAILED,
    # the worker kills its parent, the zygote (and returns None): the next answer still runs
    "def agree(a, b):\n    import os\n    os.kill(os.getppid(), 9)\n": "not_started",
}


@pytest.mark.parametrize("source", list(BAD))
def test_a_bad_answer_costs_that_answer_only(zygote, source):
    got = isolated.run_answer(zygote, AGREE_EXERCISE, checks.check_agree, source, "agree", LIMITS)
    assert not got.passed and got.code == BAD[source], got.message
    right = isolated.run_answer(
        zygote, WORST_EXERCISE, checks.check_worst_timestep, WORST_RIGHT, "worst_timestep", LIMITS
    )
    assert right.passed, "the next answer is graded as usual"


def test_the_context_comes_from_the_source_notebooks_imports_and_definitions():
    import nbformat

    code = nbformat.v4.new_code_cell
    cells = [
        code("try:\n    import rnn_lab\nexcept ImportError:\n    %pip x\n"),
        code("import numpy as np\nmodel = train()\ndef helper(x):\n    return x"),
        code("def forward(x):\n    return 1", metadata={"nbgrader": {"solution": True}}),
        code("verdict = checks.check_a(forward)", metadata={"nbgrader": {"grade": True}}),
    ]
    context = autograde.context_code(cells)
    assert context.split("\n")[:3] == ["import rnn_lab", "import numpy as np", "def helper(x):"]
    assert "train()" not in context and "forward" not in context
    assert autograde.checker_call("verdict = checks.check_agree(agree)\nassert verdict.passed") == (
        "check_agree",
        "agree",
    )
    assert autograde.checker_call("x = 1") is None


# --- transport ---------------------------------------------------------------------------


def _roundtrip(value, *, to_worker: bool):
    a, b = socket.socketpair()
    with a, b:
        transport.send(a, {"v": value}, to_worker=to_worker)
        return transport.read(b, from_worker=not to_worker)["v"]


def test_plain_data_crosses_as_it_was():
    value = {"a": [1, 2.5, None, True, "s", (np.float32(1.5), np.arange(6.0).reshape(2, 3))]}
    back = _roundtrip(value, to_worker=False)
    assert back["a"][:5] == [1, 2.5, None, True, "s"] and isinstance(back["a"][5], tuple)
    assert type(back["a"][5][0]) is np.float32
    np.testing.assert_array_equal(back["a"][5][1], value["a"][5][1])
    assert float("nan") != _roundtrip(float("nan"), to_worker=False)  # NaN stays NaN


def test_arguments_keep_records_generators_and_read_only_flags():
    w = SimpleRNNWeights(np.ones((2, 3)), np.eye(3), np.zeros(3), np.ones((3, 1)), np.zeros(1))
    frozen = np.arange(3.0)
    frozen.flags.writeable = False
    rng = np.random.default_rng(5)
    back_w, back_frozen, back_rng = _roundtrip((w, frozen, rng), to_worker=True)
    assert isinstance(back_w, SimpleRNNWeights) and np.array_equal(back_w.Wh, w.Wh)
    assert not back_frozen.flags.writeable
    assert back_rng.random() == np.random.default_rng(5).random()


def test_what_is_not_plain_data_comes_back_inert():
    class Tensor:
        def numpy(self):
            return 1

        def __repr__(self):
            return "<a tensor>"

    back = _roundtrip(Tensor(), to_worker=False)
    assert type(back).__name__ == "Tensor" and repr(back) == "<a tensor>" and back.numpy is None
    assert (
        _roundtrip(np.array([1, "a"], dtype=object), to_worker=False).__class__.__name__
        == "ndarray"
    )


@pytest.mark.parametrize(
    "tree, buffers",
    [
        (["record", "rnn_lab.weights.SimpleRNNWeights", {}], []),  # only the grader sends records
        (["array", 0, "|O", [1], False, False], [b"\0" * 8]),  # no Python objects
        (["array", 0, "<f8", [3], False, False], [b"\0" * 8]),  # size and shape disagree
        (["callback", 0], []),
        (["eval", "__import__('os')"], []),
        (["dict", [[1, ["none"]]]], []),  # keys are strings
    ],
)
def test_anything_else_from_a_worker_is_refused(tree, buffers):
    with pytest.raises(transport.TransportError):
        transport.decode(tree, buffers, from_worker=True)


def test_deep_nesting_is_refused():
    tree = ["none"]
    for _ in range(transport.MAX_DEPTH + 2):
        tree = ["list", [tree]]
    with pytest.raises(transport.TransportError, match="deeper"):
        transport.decode(tree, [], from_worker=True)


def test_only_the_answer_part_of_a_cell_runs():
    source = "EPS = 1\ndef f(x):\n    return x\nprint(f(1)); build()\n@wrap\ndef g():\n    pass\n"
    part = isolated.answer_part(source, "f").split("\n")
    assert part[:3] == ["EPS = 1", "def f(x):", "    return x"]
    assert part[3] == "" and part[4:7] == ["@wrap", "def g():", "    pass"]
    assert isolated.answer_part("import os\nos._exit(0)\n", "f") == "import os\nos._exit(0)\n"
    assert isolated.answer_part('p = "b"\nprint(p)', "p") == 'p = "b"\n'
