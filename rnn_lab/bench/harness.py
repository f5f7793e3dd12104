"""The timing harness of ``python -m rnn_lab.bench``: how fast is each way of running the
same ``SimpleRNN -> Dense``?

Six ways, timed in one process and one run, on the same float32 weights and inputs:

===================  ===========================================================
``per_sample_loop``  :func:`seed_loop` once per sample: ``n·T`` small NumPy steps
``numpy_batched``    :func:`manual_forward`: ``T`` steps, all ``n`` samples per step
``numpy_floor``      the bare ops of one step, ``tanh(x_t·Wx + h·Wh + Bh)``, × ``T``
``keras_predict``    ``model.predict(x, verbose=0)`` (default ``batch_size=32``)
``keras_call``       ``model(x, training=False)``, executed eagerly
``tf_function``      ``tf.function(lambda x: model(x, training=False))``, traced once
===================  ===========================================================

Absolute times depend on the machine and on what else it is doing, so every time is
reported next to its **ratio** to ``numpy_batched`` (``> 1``: slower than NumPy). Each
method is warmed up first (``predict`` and ``tf.function`` build graphs on their first
call), then timed with :mod:`timeit` in interleaved rounds: round ``r`` times every
method once, so a burst of load from another process hits all of them alike. The
median over rounds is the time; the quartiles are its spread.

The timing lives here; the sizes and methods in :mod:`.plan`, the results, their CSV files
and the text report in :mod:`.results`, the figures in :mod:`.plots`, the command line in
:mod:`.__main__`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
import timeit
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._validate import check_positive_int
from ..forward import manual_forward, seed_loop
from ..tolerances import FLOAT32_ATOL
from ..weights import SimpleRNNWeights, make_sequences, random_weights
from .plan import (
    FULL_PLAN,
    KERAS_METHODS,
    METHODS,
    ORIGINAL,
    QUICK_PLAN,
    REFERENCE,
    Config,
    Plan,
)
from .results import BenchResult

# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """Seconds per call: median, quartiles and minimum over ``repeats`` rounds of
    ``number`` calls each."""

    median_s: float
    q25_s: float
    q75_s: float
    min_s: float
    number: int
    repeats: int

    @classmethod
    def from_rounds(cls, per_call: Iterable[float], number: int) -> Timing:
        values = np.asarray(list(per_call), dtype=np.float64)
        q25, median, q75 = np.percentile(values, [25, 50, 75])
        return cls(float(median), float(q25), float(q75), float(values.min()), number, values.size)

    def scaled(self, factor: float) -> Timing:
        """The same timing multiplied by ``factor`` (the floor: one step times ``T``)."""
        return Timing(
            self.median_s * factor,
            self.q25_s * factor,
            self.q75_s * factor,
            self.min_s * factor,
            self.number,
            self.repeats,
        )


def calibrate(timer: timeit.Timer, min_time: float) -> int:
    """The smallest ``number`` in 1, 2, 5, 10, 20, 50, ... whose round takes ``>= min_time``.

    Like :meth:`timeit.Timer.autorange`, with a chosen threshold instead of 0.2 s.
    """
    number = 1
    while True:
        for multiple in (1, 2, 5):
            if timer.timeit(number * multiple) >= min_time:
                return number * multiple
        number *= 10


def time_interleaved(
    functions: Mapping[str, Callable[[], Any]], *, repeats: int, min_time: float
) -> dict[str, Timing]:
    """Time every function in ``repeats`` interleaved rounds; return seconds per call.

    Call each function once first if it needs warming up: this only calibrates.
    ``timeit`` switches the garbage collector off while timing, so a collection
    triggered by one method is not billed to another.
    """
    timers = {name: timeit.Timer(fn, timer=time.perf_counter) for name, fn in functions.items()}
    numbers = {name: calibrate(timer, min_time) for name, timer in timers.items()}
    rounds: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            rounds[name].append(timer.timeit(numbers[name]) / numbers[name])
    return {name: Timing.from_rounds(rounds[name], numbers[name]) for name in timers}


# --------------------------------------------------------------------------- the methods


def _numpy_methods(x: np.ndarray, weights: SimpleRNNWeights) -> dict[str, Callable]:
    def per_sample_loop():
        return np.stack([seed_loop(sample, weights)[-1] for sample in x])

    def numpy_batched():
        return manual_forward(x, weights)

    return {"per_sample_loop": per_sample_loop, "numpy_batched": numpy_batched}


def floor_step(x: np.ndarray, weights: SimpleRNNWeights) -> Callable[[], np.ndarray]:
    """One step's bare operations, ``tanh(x_t·Wx + h·Wh + Bh)``, on ready-made arrays.

    No validation, no slicing of ``x``, no storing of ``h_t``: the least NumPy can
    do per step, so ``T`` times this is a floor for any NumPy forward pass.
    """
    Wx, Wh, Bh = weights.Wx, weights.Wh, weights.Bh
    x_t = np.ascontiguousarray(x[:, 0, :])
    h = np.tanh(x_t @ Wx + Bh)  # a realistic h_1, not zeros

    def step():
        return np.tanh(x_t @ Wx + h @ Wh + Bh)

    return step


def _keras_methods(config: Config, x: np.ndarray, weights: SimpleRNNWeights) -> dict[str, Callable]:
    from ..keras_side.models import build_keras_model, import_keras, set_keras_weights

    import_keras()
    import tensorflow as tf

    model = build_keras_model(config.T, config.D, config.H, config.O, dtype=weights.dtype.name)
    set_keras_weights(model, weights)
    compiled = tf.function(lambda inputs: model(inputs, training=False))

    # All three take the NumPy x and return a NumPy array, like the NumPy methods.
    def keras_predict():
        return model.predict(x, verbose=0)

    def keras_call():
        return np.asarray(model(x, training=False))

    def tf_function():
        return np.asarray(compiled(x))

    return {"keras_predict": keras_predict, "keras_call": keras_call, "tf_function": tf_function}


def _check_agreement(outputs: Mapping[str, np.ndarray], config: Config) -> dict[str, float]:
    # A benchmark of methods that compute different things would be meaningless.
    reference = outputs[REFERENCE].astype(np.float64)
    diffs = {}
    for name, output in outputs.items():
        diff = float(np.max(np.abs(np.asarray(output, dtype=np.float64) - reference)))
        if not diff <= FLOAT32_ATOL:
            raise RuntimeError(
                f"{name} disagrees with {REFERENCE} by {diff:.2e} > {FLOAT32_ATOL:.0e} at {config}"
            )
        diffs[name] = diff
    return diffs


def measure_config(
    config: Config,
    *,
    methods: Iterable[str] = METHODS,
    repeats: int = 7,
    min_time: float = 0.05,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Time ``methods`` at one size; one row (see ``CSV_COLUMNS``) per method.

    Every method is called once to warm up and its output checked against
    ``numpy_batched`` (``max_abs_diff``); a disagreement beyond ``FLOAT32_ATOL``
    raises, because then the methods would not be computing the same thing.
    """
    methods = _check_methods(methods)
    x = make_sequences(config.n, config.T, config.D, seed=seed)
    weights = random_weights(config.D, config.H, config.O, seed=seed + 1)
    functions = _numpy_methods(x, weights)
    if any(m in KERAS_METHODS for m in methods):
        functions |= _keras_methods(config, x, weights)
    functions["numpy_floor"] = floor_step(x, weights)
    timed = {name: functions[name] for name in methods if name in functions}
    outputs = {name: fn() for name, fn in timed.items() if name != "numpy_floor"}
    diffs = _check_agreement(outputs, config)
    timings = time_interleaved(timed, repeats=repeats, min_time=min_time)
    if "numpy_floor" in timings:
        timings["numpy_floor"] = timings["numpy_floor"].scaled(config.T)
    reference = timings[REFERENCE].median_s
    return [
        {
            "method": name,
            **asdict(config),
            **asdict(timing),
            "ratio_to_numpy": timing.median_s / reference,
            "max_abs_diff": diffs.get(name, float("nan")),
        }
        for name, timing in timings.items()
    ]


def _check_methods(methods: Iterable[str]) -> tuple[str, ...]:
    methods = tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {METHODS}")
    if REFERENCE not in methods:  # ratios are relative to it
        methods = (REFERENCE, *methods)
    return methods


# --------------------------------------------------------------------------- BLAS threads

#: The environment variables through which common BLAS libraries read their thread count.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def numpy_in_subprocess(
    config: Config, *, blas_threads: int, repeats: int = 5, min_time: float = 0.05, seed: int = 0
) -> Timing:
    """Time ``manual_forward`` at ``config`` in a fresh process whose BLAS uses ``blas_threads``.

    A BLAS library reads its thread count once, when it is loaded, so another count needs
    another process. On a machine whose cores are busy, one BLAS thread can beat two: the
    threads of a split matrix product wait for each other, and wait longer when another
    program holds a core. Same inputs and weights as :func:`measure_config`.
    """
    threads = check_positive_int("blas_threads", blas_threads)
    arguments = json.dumps({**asdict(config), "repeats": repeats, "min_time": min_time,
                            "seed": seed})  # fmt: skip
    code = (
        f"from rnn_lab.bench.harness import _subprocess_timing; _subprocess_timing({arguments!r})"
    )
    env = os.environ | dict.fromkeys(BLAS_THREAD_VARIABLES, str(threads))
    completed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"timing subprocess failed:\n{completed.stderr[-2000:]}")
    return Timing(**json.loads(completed.stdout.strip().splitlines()[-1]))


def _subprocess_timing(arguments: str) -> None:
    # Runs inside numpy_in_subprocess's child process; prints one JSON line.
    a = json.loads(arguments)
    config = Config(*(a[k] for k in ("n", "T", "D", "H", "O")))
    x = make_sequences(config.n, config.T, config.D, seed=a["seed"])
    weights = random_weights(config.D, config.H, config.O, seed=a["seed"] + 1)
    functions = _numpy_methods(x, weights)
    functions[REFERENCE]()  # warm up
    timing = time_interleaved(
        {REFERENCE: functions[REFERENCE]}, repeats=a["repeats"], min_time=a["min_time"]
    )[REFERENCE]
    print(json.dumps(asdict(timing)))


# --------------------------------------------------------------------------- overheads


def framework_overheads(*, repeats: int = 5, min_time: float = 0.01) -> list[dict[str, Any]]:
    """The fixed cost of one call to each layer of machinery, at the original size.

    A tiny step (``100 × 5`` numbers) costs almost nothing to compute, so these
    times are almost all overhead: NumPy's per-call cost, TensorFlow's eager op
    dispatch, entering a traced graph, converting arrays, and the ``tf.data``
    pipeline ``predict`` builds on every call.
    """
    from ..keras_side.models import import_keras

    import_keras()
    import tensorflow as tf

    c = ORIGINAL
    x = make_sequences(c.n, c.T, c.D)
    weights = random_weights(c.D, c.H, c.O)
    x_t, h = np.ascontiguousarray(x[:, 0, :]), np.tanh(x[:, 0, :] @ weights.Wx)
    tx_t, tWx, th = tf.constant(x_t), tf.constant(weights.Wx), tf.constant(h)
    graph_tanh = tf.function(tf.tanh)
    probes = {
        "NumPy: np.tanh on (100, 5)": lambda: np.tanh(h),
        "NumPy: (100, 3) @ (3, 5)": lambda: x_t @ weights.Wx,
        "TF eager: tf.tanh on (100, 5)": lambda: tf.tanh(th),
        "TF eager: tf.matmul (100, 3) @ (3, 5)": lambda: tf.matmul(tx_t, tWx),
        "tf.function: call a traced tanh": lambda: graph_tanh(th),
        "NumPy → tensor → NumPy": lambda: tf.constant(x).numpy(),
        "tf.data: build and iterate batches of 32": lambda: list(
            tf.data.Dataset.from_tensor_slices(x).batch(32)
        ),
    }
    for fn in probes.values():  # warm up: the first tf.function call traces
        fn()
    timings = time_interleaved(probes, repeats=repeats, min_time=min_time)
    return [{"probe": name, **asdict(timing)} for name, timing in timings.items()]


# --------------------------------------------------------------------------- the run


# --------------------------------------------------------------------------- the run


def machine_info() -> dict[str, Any]:
    """CPU count, load average (1 min) and library versions, to print next to the times."""
    import numpy

    info = {
        "cpus": os.cpu_count(),
        "load_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "machine": platform.machine(),
        # BLAS threads matter on a busy machine (see chapter 5); unset means "all cores"
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
    }
    if "tensorflow" in sys.modules:
        info["tensorflow"] = sys.modules["tensorflow"].__version__
    return info


def run_benchmark(
    plan: Plan | None = None,
    *,
    quick: bool = False,
    methods: Iterable[str] = METHODS,
    overheads: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Measure every configuration of ``plan`` (``FULL_PLAN``, or ``QUICK_PLAN`` if ``quick``).

    Returns a :class:`BenchResult`; ``progress`` (e.g. ``print``) is told about each size.
    """
    plan = plan or (QUICK_PLAN if quick else FULL_PLAN)
    start, load_before = time.perf_counter(), machine_info()["load_1min"]
    rows: list[dict[str, Any]] = []
    for config in plan.configs():
        if progress:
            progress(f"timing {config}")
        rows += measure_config(
            config, methods=methods, repeats=plan.repeats, min_time=plan.min_time
        )
    probes = framework_overheads(repeats=plan.repeats) if overheads else []
    machine = machine_info() | {
        "load_1min_before": load_before,
        "seconds": time.perf_counter() - start,
    }
    return BenchResult(tuple(rows), tuple(probes), machine, plan)
