"""Plots the chapters use. Each takes data (arrays), not models, draws on a given
``ax`` or a new figure, labels its axes in the book's notation, and returns what it drew.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ._validate import as_float_array
from .tolerances import machine_epsilon


def _new_axes(ax, figsize=(7.0, 3.6)):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


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
    fig, ax = _new_axes(ax)
    eps = machine_epsilon(dtype)
    smallest_nonzero = eps
    for label, values in series.items():
        values = as_float_array("errors", values, ndim=1, layout="(T,)", dtype=np.float64)
        if np.any(values < 0):
            raise ValueError("errors must be absolute differences (>= 0)")
        t = np.arange(1, values.size + 1)
        nonzero = values > 0
        (line,) = ax.plot(t[nonzero], values[nonzero], marker="o", ms=3, label=label)
        if nonzero.any():
            smallest_nonzero = min(smallest_nonzero, values[nonzero].min())
        if (~nonzero).any():
            ax.plot(
                t[~nonzero],
                np.full((~nonzero).sum(), smallest_nonzero / 4),
                linestyle="none",
                marker="v",
                color=line.get_color(),
                label=f"exactly 0{'' if label is None else f' ({label})'}",
            )
    ax.axhline(eps, color="0.3", linestyle="--", linewidth=1)
    ax.annotate(
        f"{np.dtype(dtype).name} machine epsilon = {eps:.2e}",
        xy=(1, eps),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
        color="0.3",
    )
    ax.set_yscale("log")
    ax.set_xlabel("timestep t")
    ax.set_ylabel(r"max $|y_t^{Keras} - y_t^{manual}|$")
    ax.set_title(title or "Keras vs manual loop: error per timestep")
    if ax.get_legend_handles_labels()[0]:  # unlabelled single series: no legend
        ax.legend(fontsize=8, loc="lower right")
    return fig, ax
