"""Plots of :mod:`rnn_lab.bench` results. Each takes the data (a :class:`BenchResult`, or
its rows), draws on a given ``ax`` or a new figure, and returns what it drew.

Every method keeps one colour and marker in every plot, so a reader can follow it from
the time plot to the ratio plot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from ..plots.axes import new_axes
from .plan import AXES, METHODS, ORIGINAL, REFERENCE, Config
from .results import BenchResult

#: label, colour, marker and line style of each method, the same in every plot
METHOD_STYLES = {
    "per_sample_loop": ("per-sample loop (seed_loop)", "#000000", "s", "-"),
    "numpy_batched": ("batched NumPy (manual_forward)", "#0072B2", "o", "-"),
    "numpy_floor": ("NumPy floor (bare ops × T)", "#0072B2", "", ":"),
    "keras_predict": ("Keras predict", "#D55E00", "v", "-"),
    "keras_call": ("Keras model(x)", "#E69F00", "^", "-"),
    "tf_function": ("tf.function(model)", "#009E73", "D", "-"),
}
AXIS_LABELS = {"n": "batch size n", "T": "sequence length T", "H": "hidden units H"}


def _number(value: float) -> str:
    """Three significant digits, without switching to exponent notation above 1000."""
    return f"{value:.0f}" if value >= 1000 else f"{value:.3g}"


def _duration(seconds: float) -> str:
    """``seconds`` in µs, ms or s, whichever reads best."""
    for unit, scale in (("µs", 1e-6), ("ms", 1e-3)):
        if seconds < 1000 * scale:
            return f"{_number(seconds / scale)} {unit}"
    return f"{_number(seconds)} s"


def _as_result(data: BenchResult | Iterable[Mapping[str, Any]]) -> BenchResult:
    if isinstance(data, BenchResult):
        return data
    rows = tuple(dict(r) for r in data)
    if not rows:
        raise ValueError("no benchmark rows to plot")
    return BenchResult(rows)


def _check_axis(axis: str) -> str:
    if axis not in AXES:
        raise ValueError(f"axis must be one of {AXES}; got {axis!r}")
    return axis


def _series(result: BenchResult, axis: str, method: str, base: Config) -> dict[str, np.ndarray]:
    rows = sorted(
        (r for r in result.select(axis, base) if r["method"] == method), key=lambda r: r[axis]
    )
    return {
        key: np.array([float(r[key]) for r in rows])
        for key in (axis, "median_s", "q25_s", "q75_s", "ratio_to_numpy")
    }


def _fixed_sizes(base: Config, axis: str) -> str:
    return ", ".join(f"{k} = {getattr(base, k)}" for k in ("n", "T", "D", "H") if k != axis)


#: one method's line in a sweep plot: its series and its (label, colour, marker, line style)
Line = tuple[dict[str, np.ndarray], tuple[str, str, str, str]]


def _sweep(
    data, axis: str, base: Config, methods: Sequence[str], ax
) -> tuple[Any, Any, list[Line]]:
    """What both sweep plots start from: ``(fig, ax, lines)``, the axes to draw on and, for
    each of ``methods`` measured along ``axis``, its series and style (:data:`METHOD_STYLES`)."""
    result, axis = _as_result(data), _check_axis(axis)
    fig, ax = new_axes(ax)
    lines = [(_series(result, axis, m, base), METHOD_STYLES[m]) for m in methods]
    return fig, ax, [(s, style) for s, style in lines if s[axis].size]


def _finish_sweep(ax, axis: str, base: Config, lines: list[Line], ylabel: str, title: str) -> None:
    """Log-log, ticks at the measured sizes (not at powers of ten between them), labels."""
    values = np.array([])
    for s, _ in lines:
        values = np.union1d(values, s[axis])
    ax.set_xscale("log")
    ax.set_yscale("log")
    if values.size:
        ax.set_xticks(values, [f"{v:g}" for v in values])
        ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set_xlabel(AXIS_LABELS[axis])
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title} as {axis} grows ({_fixed_sizes(base, axis)})", fontsize=10)


def plot_times(
    data: BenchResult | Iterable[Mapping[str, Any]],
    axis: str,
    *,
    base: Config = ORIGINAL,
    methods: Sequence[str] = METHODS,
    ax=None,
):
    """Median seconds per forward pass against ``axis`` (log-log), one line per method.

    Error bars span the quartiles of the timed rounds. The NumPy floor is dotted:
    nothing written in NumPy can go below it. Returns ``(fig, ax)``.
    """
    fig, ax, lines = _sweep(data, axis, base, methods, ax)
    for s, (label, color, marker, style) in lines:
        spread = [s["median_s"] - s["q25_s"], s["q75_s"] - s["median_s"]]
        ax.errorbar(
            s[axis], s["median_s"], yerr=spread, label=label, color=color, marker=marker,
            linestyle=style, ms=4, capsize=2,
        )  # fmt: skip
    _finish_sweep(ax, axis, base, lines, "seconds per forward pass", "Time")
    return fig, ax


def plot_ratios(
    data: BenchResult | Iterable[Mapping[str, Any]],
    axis: str,
    *,
    base: Config = ORIGINAL,
    methods: Sequence[str] = METHODS,
    ax=None,
):
    """Each method's time divided by batched NumPy's, against ``axis`` (log-log).

    Above the line at 1 a method is slower than ``manual_forward``; in the shaded
    band below it, faster. Returns ``(fig, ax)``.
    """
    others = [m for m in methods if m != REFERENCE]  # the reference is the line at 1
    fig, ax, lines = _sweep(data, axis, base, others, ax)
    lowest, highest = 0.5, 2.0
    for s, (label, color, marker, style) in lines:
        lowest = min(lowest, s["ratio_to_numpy"].min() / 1.5)
        highest = max(highest, s["ratio_to_numpy"].max() * 1.5)
        ax.plot(
            s[axis], s["ratio_to_numpy"], label=label, color=color, marker=marker, linestyle=style,
            ms=4,
        )  # fmt: skip
    _finish_sweep(ax, axis, base, lines, "time ÷ batched NumPy time", "Ratio to NumPy")
    # Extend, never shrink, the limits: panels sharing a y axis are drawn one by one.
    low, high = min(ax.get_ylim()[0], lowest), max(ax.get_ylim()[1], highest)
    ax.axhspan(low, 1.0, color="#009E73", alpha=0.07, lw=0)
    ax.axhline(1.0, color=METHOD_STYLES[REFERENCE][1], linewidth=1.2)
    ax.text(0.02, 0.03, "shaded: faster than batched NumPy", transform=ax.transAxes,
            fontsize=8, color="0.3")  # fmt: skip
    ax.set_ylim(low, high)
    return fig, ax


def plot_sweeps(data: BenchResult | Iterable[Mapping[str, Any]], *, kind: str = "times"):
    """All three sweeps side by side (``kind`` = ``"times"`` or ``"ratios"``), one legend.

    Returns ``(fig, axes)``.
    """
    if kind not in ("times", "ratios"):
        raise ValueError(f"kind must be 'times' or 'ratios'; got {kind!r}")
    result = _as_result(data)
    axes_present = [a for a in AXES if len({r[a] for r in result.select(a)}) > 1]
    if not axes_present:
        raise ValueError("the result holds no sweep (no size takes more than one value)")
    fig, axes = plt.subplots(
        1, len(axes_present), figsize=(3.6 * len(axes_present), 3.6), layout="constrained",
        sharey=True, squeeze=False,
    )  # fmt: skip
    draw = plot_times if kind == "times" else plot_ratios
    base = result.plan.base if result.plan else ORIGINAL
    for axis, ax in zip(axes_present, axes[0], strict=True):
        draw(result, axis, base=base, ax=ax)
        ax.set_title(_fixed_sizes(base, axis), fontsize=9)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8)
    return fig, axes[0]


def plot_ratio_bars(
    data: BenchResult | Iterable[Mapping[str, Any]], *, config: Config = ORIGINAL, ax=None
):
    """How many times slower than batched NumPy each method is at ``config``
    (horizontal bars, log scale, labelled ``×ratio``). Returns ``(fig, ax)``."""
    result = _as_result(data)
    fig, ax = new_axes(ax, figsize=(7.0, 2.8))
    present = [m for m in METHODS if _has_row(result, m, config)]
    ratios = [result.ratio(m, config) for m in present]
    styles = [METHOD_STYLES[m] for m in present]
    _labelled_bars(
        ax, ratios, [s[0] for s in styles], [s[1] for s in styles],
        [f"×{_number(ratio)}" for ratio in ratios],
    )  # fmt: skip
    ax.axvline(1.0, color=METHOD_STYLES[REFERENCE][1], linewidth=1)
    ax.set_xlim(min(ratios) / 2, max(ratios) * 4)
    ax.set_xlabel("time ÷ batched NumPy time (log scale)")
    ax.set_title(f"At {config}", fontsize=10)
    ax.grid(axis="y", visible=False)
    return fig, ax


def _labelled_bars(ax, values, names: list[str], colors: list[str], texts: list[str]) -> None:
    """Horizontal bars on a log scale, the first at the top, each named on the y axis and
    with its value written at its end."""
    y = np.arange(len(values))[::-1]
    ax.barh(y, values, color=colors, alpha=0.85)
    for yi, value, text in zip(y, values, texts, strict=True):
        ax.annotate(
            text, xy=(value, yi), xytext=(3, 0), textcoords="offset points", va="center",
            fontsize=8,
        )  # fmt: skip
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xscale("log")


def _has_row(result: BenchResult, method: str, config: Config) -> bool:
    try:
        result.row(method, config)
    except KeyError:
        return False
    return True


def plot_overheads(probes: BenchResult | Iterable[Mapping[str, Any]], *, ax=None):
    """Microseconds per call of each overhead probe (horizontal bars, log scale).

    ``probes`` is a :class:`BenchResult` or its ``overheads`` rows. Returns ``(fig, ax)``.
    """
    rows = list(probes.overheads if isinstance(probes, BenchResult) else probes)
    if not rows:
        raise ValueError("no overhead probes to plot")
    fig, ax = new_axes(ax, figsize=(7.0, 0.4 * len(rows) + 1.0))
    micros = np.array([float(r["median_s"]) for r in rows]) * 1e6
    colors = ["#0072B2" if r["probe"].startswith("NumPy:") else "#E69F00" for r in rows]
    _labelled_bars(
        ax, micros, [r["probe"] for r in rows], colors, [_duration(v * 1e-6) for v in micros]
    )
    ax.set_xlim(micros.min() / 2, micros.max() * 5)
    ax.set_xlabel("microseconds per call (median, log scale)")
    ax.grid(axis="y", visible=False)
    return fig, ax


def save_all_plots(result: BenchResult, directory: str | Path) -> list[Path]:
    """Write every plot of ``result`` as a PNG in ``directory``; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    figures = {
        "times.png": plot_sweeps(result, kind="times")[0],
        "ratios.png": plot_sweeps(result, kind="ratios")[0],
        "ratio_bars.png": plot_ratio_bars(result)[0],
    }
    if result.overheads:
        figures["overheads.png"] = plot_overheads(result)[0]
    paths = []
    for name, fig in figures.items():
        fig.savefig(directory / name, dpi=120)
        plt.close(fig)
        paths.append(directory / name)
    return paths
