"""The first chapters' figures: one sample's inputs ``x_t``, the weight matrices, and the
Keras-vs-loop error per timestep. Each takes data (arrays), not models, draws on a given
``ax`` or a new figure, labels its axes in the book's notation, and returns what it drew.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_float_array
from ..tolerances import machine_epsilon
from .axes import epsilon_line, new_axes


def plot_error_per_timestep(
    errors: Any,
    *,
    dtype: Any = "float32",
    ax=None,
    title: str | None = None,
):
    """Max |Keras − manual| at each timestep on a log scale, with machine epsilon marked.

    ``errors`` is one ``(T,)`` array (from :func:`error_per_timestep`) or a mapping
    ``label -> (T,)`` array to compare configurations. Timesteps where the two agree
    exactly (error 0, which a log axis cannot show) are drawn as triangles on the
    bottom edge. Returns ``(fig, ax)``.
    """
    series = dict(errors) if isinstance(errors, Mapping) else {None: errors}
    if not series:
        raise ValueError("errors must hold at least one (T,) array; got an empty mapping")
    fig, ax = new_axes(ax)
    eps = machine_epsilon(dtype)
    smallest_nonzero, largest = eps, eps
    for label, values in series.items():
        values = as_float_array("errors", values, ndim=1, layout="(T,)", dtype=np.float64)
        if np.any(values < 0):
            raise ValueError("errors must be absolute differences (>= 0)")
        t = np.arange(1, values.size + 1)
        nonzero = values > 0
        (line,) = ax.plot(t[nonzero], values[nonzero], marker="o", ms=3, label=label)
        if nonzero.any():
            smallest_nonzero = min(smallest_nonzero, values[nonzero].min())
            largest = max(largest, values.max())
        if (~nonzero).any():
            ax.plot(
                t[~nonzero],
                np.full((~nonzero).sum(), smallest_nonzero / 4),
                linestyle="none",
                marker="v",
                color=line.get_color(),
                label=f"exactly 0{'' if label is None else f' ({label})'}",
            )
    epsilon_line(ax, dtype)
    ax.annotate(
        f"{np.dtype(dtype).name} machine epsilon = {eps:.2e}",
        xy=(0, eps),
        xycoords=("axes fraction", "data"),
        xytext=(4, 4),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=8,
        color="0.3",
        # readable even where data lines run along epsilon
        bbox={
            "boxstyle": "round,pad=0.15",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.85,
        },
    )
    ax.set_yscale("log")
    # at least a decade around epsilon and the data, so the log axis always has labelled ticks
    ax.set_ylim(smallest_nonzero / 6, largest * 6)
    ax.set_xlabel("timestep t")
    ax.set_ylabel(r"max $|y_t^{Keras} - y_t^{manual}|$")
    ax.set_title(title or "Keras vs manual loop: error per timestep")
    if ax.get_legend_handles_labels()[0]:  # unlabelled single series: no legend
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, ax


def plot_inputs(sample: Any, *, ax=None):
    """One input sequence ``x`` of shape ``(T, D)``: each feature as a line over time.
    Returns ``(fig, ax)``."""
    sample = as_float_array("sample", sample, ndim=2, layout="(T, D)", dtype=np.float64)
    fig, ax = new_axes(ax, figsize=(7.0, 3.0))
    t = np.arange(1, sample.shape[0] + 1)
    for d in range(sample.shape[1]):
        ax.plot(t, sample[:, d], marker="o", ms=3, label=f"feature {d + 1}")
    ax.set_xlabel("timestep t")
    ax.set_ylabel("$x_t$")
    ax.set_title(f"One sample: T = {sample.shape[0]} timesteps, D = {sample.shape[1]} features")
    ax.legend(fontsize=8, ncols=min(sample.shape[1], 4), loc="upper right")
    return fig, ax


def plot_weight_matrices(weights):
    """The five arrays ``Wx, Wh, Bh, Wo, Bo`` as colour maps on one shared scale, each
    titled with its shape, so a reader sees which axis is which. Returns ``(fig, axes)``."""
    arrays = weights.as_list()
    names = ["W_x", "W_h", "B_h", "W_o", "B_o"]
    axis_names = [("D", "H"), ("H", "H"), ("H", ""), ("H", "O"), ("O", "")]
    limit = max(float(np.max(np.abs(a))) for a in arrays) or 1.0
    fig, axes = plt.subplots(
        1,
        5,
        figsize=(10.0, 2.8),
        layout="constrained",
        gridspec_kw={"width_ratios": [a.shape[-1] if a.ndim == 2 else 1 for a in arrays]},
    )
    for ax, name, array, (rows, cols) in zip(axes, names, arrays, axis_names, strict=True):
        matrix = array if array.ndim == 2 else array[:, None]
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"${name}$ {array.shape}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(rows, fontsize=9)
        ax.set_xlabel(cols, fontsize=9)
        ax.grid(False)
    fig.colorbar(image, ax=axes, shrink=0.8, label="value")
    return fig, axes
