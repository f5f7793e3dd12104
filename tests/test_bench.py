"""The benchmark harness: run ``python -m rnn_lab.bench --quick`` once and check the
*structure* of what it produced. No test here asserts a speed: speeds are reported by
the harness (and by chapter 5), never asserted, because they depend on the machine.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
import timeit
from dataclasses import asdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnn_lab.bench import (
    CSV_COLUMNS,
    KERAS_METHODS,
    METHODS,
    ORIGINAL,
    OVERHEAD_COLUMNS,
    QUICK_PLAN,
    REFERENCE,
    BenchResult,
    Config,
    Plan,
    Timing,
    calibrate,
    load_csv,
    measure_config,
    numpy_in_subprocess,
    overheads_path,
    time_interleaved,
)
from rnn_lab.bench.harness import _check_agreement
from rnn_lab.bench.plots import (
    plot_overheads,
    plot_ratio_bars,
    plot_ratios,
    plot_sweeps,
    plot_times,
)
from rnn_lab.tolerances import FLOAT32_ATOL

#: The quick run must not hang CI; its own budget is 20 s on an idle machine.
QUICK_RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    csv_path, plots = out / "bench.csv", out / "plots"
    completed = subprocess.run(
        [sys.executable, "-m", "rnn_lab.bench", "--quick", "--csv", csv_path, "--plots", plots],
        capture_output=True,
        text=True,
        timeout=QUICK_RUN_TIMEOUT_S,
        check=False,
    )
    return {"completed": completed, "csv": csv_path, "plots": plots}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- the --quick run


def test_quick_run_succeeds_and_prints_the_summary(quick_run):
    completed = quick_run["completed"]
    assert completed.returncode == 0, completed.stderr[-2000:]
    for method in METHODS:
        assert method in completed.stdout
    assert "crossover" in completed.stdout
    assert f"at {ORIGINAL}" in completed.stdout


def test_csv_has_the_columns_and_every_method_at_every_size(quick_run):
    path = quick_run["csv"]
    with path.open(newline="") as handle:
        assert tuple(next(csv.reader(handle))) == CSV_COLUMNS
    rows = _rows(path)
    expected = {(m, c) for m in METHODS for c in QUICK_PLAN.configs()}
    found = {(r["method"], Config(*(int(r[k]) for k in ("n", "T", "D", "H", "O")))) for r in rows}
    assert found == expected
    assert len(rows) == len(expected)  # no duplicates


def test_times_and_ratios_are_positive_finite_and_consistent(quick_run):
    result = load_csv(quick_run["csv"])
    for r in result.rows:
        for key in ("median_s", "q25_s", "q75_s", "min_s", "ratio_to_numpy"):
            assert math.isfinite(r[key]) and r[key] > 0, (r["method"], key, r[key])
        assert r["min_s"] <= r["q25_s"] <= r["median_s"] <= r["q75_s"]
        assert r["number"] >= 1 and r["repeats"] == QUICK_PLAN.repeats
        reference = result.row(REFERENCE, Config(*(r[k] for k in ("n", "T", "D", "H", "O"))))
        assert r["ratio_to_numpy"] == pytest.approx(r["median_s"] / reference["median_s"], 1e-5)
    for config in QUICK_PLAN.configs():
        assert result.ratio(REFERENCE, config) == 1.0


def test_every_timed_method_computed_the_same_outputs(quick_run):
    # The harness checks each method's output against manual_forward before timing it.
    for r in load_csv(quick_run["csv"]).rows:
        if r["method"] == "numpy_floor":
            assert math.isnan(r["max_abs_diff"])  # the floor computes one step, not y
        else:
            assert 0 <= r["max_abs_diff"] <= FLOAT32_ATOL


def test_floor_is_measured_at_every_size(quick_run):
    result = load_csv(quick_run["csv"])
    for config in QUICK_PLAN.configs():
        floor = result.row("numpy_floor", config)
        assert floor["median_s"] > 0 and floor["ratio_to_numpy"] > 0


def test_overheads_csv_lists_every_probe(quick_run):
    path = overheads_path(quick_run["csv"])
    with path.open(newline="") as handle:
        assert tuple(next(csv.reader(handle))) == OVERHEAD_COLUMNS
    probes = _rows(path)
    assert len(probes) >= 5
    assert any(p["probe"].startswith("NumPy") for p in probes)
    assert any(p["probe"].startswith("tf.data") for p in probes)
    assert all(float(p["median_s"]) > 0 for p in probes)


def test_plots_are_written(quick_run):
    names = {p.name for p in quick_run["plots"].glob("*.png")}
    assert names == {"times.png", "ratios.png", "ratio_bars.png", "overheads.png"}
    assert all(p.stat().st_size > 10_000 for p in quick_run["plots"].glob("*.png"))


# --------------------------------------------------------------------------- the parts


def test_config_validates_and_changes_one_axis():
    assert ORIGINAL.with_("H", 64) == Config(100, 15, 3, 64, 5)
    with pytest.raises(ValueError, match="axis"):
        ORIGINAL.with_("D", 4)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        Config(0, 15, 3, 5, 5)
    with pytest.raises(TypeError, match="T must be an integer"):
        Config(100, 1.5, 3, 5, 5)


def test_plan_lists_each_configuration_once_base_first():
    plan = Plan(sweeps={"n": (10, 100), "T": (15, 30)})
    assert plan.configs() == [ORIGINAL, ORIGINAL.with_("n", 10), ORIGINAL.with_("T", 30)]


def test_calibrate_finds_the_smallest_number_reaching_min_time():
    clock = {"now": 0.0}

    def work():  # each call "takes" 1 ms on a fake clock
        clock["now"] += 1e-3

    timer = timeit.Timer(work, timer=lambda: clock["now"])
    assert calibrate(timer, 0.004) == 5
    assert calibrate(timer, 0.001) == 1
    assert calibrate(timer, 0.015) == 20


def test_timing_statistics():
    timing = Timing.from_rounds([4.0, 1.0, 3.0, 2.0, 5.0], number=10)
    assert (timing.min_s, timing.q25_s, timing.median_s, timing.q75_s) == (1.0, 2.0, 3.0, 4.0)
    assert (timing.number, timing.repeats) == (10, 5)
    assert timing.scaled(15).median_s == 45.0


def test_time_interleaved_times_every_function():
    timings = time_interleaved({"a": lambda: None, "b": lambda: sum(range(100))}, repeats=3,
                               min_time=1e-4)  # fmt: skip
    assert set(timings) == {"a", "b"}
    assert all(t.repeats == 3 and t.median_s > 0 for t in timings.values())


def test_disagreeing_methods_are_refused():
    outputs = {REFERENCE: np.zeros((2, 1)), "keras_call": np.full((2, 1), 1e-3)}
    with pytest.raises(RuntimeError, match="keras_call disagrees"):
        _check_agreement(outputs, ORIGINAL)


def test_measure_config_rejects_unknown_methods():
    with pytest.raises(ValueError, match="unknown method"):
        measure_config(ORIGINAL, methods=("numpy_batched", "pytorch"))


def test_measure_config_numpy_only_always_includes_the_reference():
    rows = measure_config(Config(4, 3, 2, 3, 1), methods=("numpy_floor",), repeats=2,
                          min_time=1e-4)  # fmt: skip
    assert {r["method"] for r in rows} == {"numpy_batched", "numpy_floor"}


def test_numpy_in_subprocess_times_the_same_forward_pass():
    timing = numpy_in_subprocess(Config(4, 3, 2, 3, 1), blas_threads=1, repeats=2, min_time=1e-3)
    assert timing.repeats == 2 and timing.number >= 1
    assert 0 < timing.min_s <= timing.median_s
    with pytest.raises(ValueError, match="blas_threads"):
        numpy_in_subprocess(ORIGINAL, blas_threads=0)


# --------------------------------------------------------------------------- crossover, plots


def _synthetic(ratios: dict[int, float], method: str = "tf_function") -> BenchResult:
    rows = []
    for H, ratio in ratios.items():
        config = ORIGINAL.with_("H", H)
        for name, r in ((REFERENCE, 1.0), (method, ratio)):
            rows.append({"method": name, **asdict(config), "median_s": r * 1e-3,
                         "q25_s": r * 0.9e-3, "q75_s": r * 1.1e-3, "min_s": r * 0.8e-3,
                         "number": 1, "repeats": 3, "ratio_to_numpy": r,
                         "max_abs_diff": 0.0})  # fmt: skip
    return BenchResult(tuple(rows))


def test_crossover_is_where_keras_stays_faster():
    assert _synthetic({5: 10.0, 64: 2.0, 256: 0.8, 1024: 0.5}).crossover("tf_function", "H") == 256
    assert _synthetic({5: 10.0, 64: 2.0}).crossover("tf_function", "H") is None
    # faster at one size, slower again above it: not overtaken there
    assert _synthetic({5: 0.9, 64: 2.0, 256: 0.5}).crossover("tf_function", "H") == 256


def test_plots_draw_one_line_per_method_and_reject_bad_axes():
    result = _synthetic({5: 10.0, 64: 2.0, 256: 0.8})
    _, ax = plot_times(result, "H")
    assert len(ax.lines) >= 2 and ax.get_xscale() == ax.get_yscale() == "log"
    _, ax = plot_ratios(result, "H")
    assert [line.get_label() for line in ax.lines][:1] == ["tf.function(model)"]
    fig, axes = plot_sweeps(result, kind="ratios")
    assert len(axes) == 1  # only H was swept
    _, ax = plot_ratio_bars(result)
    assert len(ax.patches) == 2
    with pytest.raises(ValueError, match="axis"):
        plot_times(result, "D")
    with pytest.raises(ValueError, match="kind"):
        plot_sweeps(result, kind="bars")
    with pytest.raises(ValueError, match="no benchmark rows"):
        plot_times([], "n")
    with pytest.raises(ValueError, match="no overhead"):
        plot_overheads([])
    assert set(KERAS_METHODS) < set(METHODS)
    plt.close("all")
