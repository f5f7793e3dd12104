"""Pictures of the hidden state ``h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)`` of one sample.

Every function takes the states ``(T, H)`` of one sample (``hidden_states(x, w)[i]``),
draws on a given ``ax`` or a new figure, labels the axes in the book's notation and
returns ``(fig, ax)``. ``h_t[j]`` is unit ``j`` (``0 .. H−1``, as in NumPy) at timestep
``t`` (``1 .. T``, as in the equations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .._validate import as_float_array
from ..projection import Projection, project_trajectory
from ..stability import SATURATION_LEVEL
from .axes import new_axes
from .basics import plot_error_per_timestep

#: Units that get their own legend entry; above this a legend would hide the lines.
MAX_LEGEND_UNITS = 8
#: Sequences up to this length get a marker on every timestep (a line of one point
#: is invisible without one).
MAX_MARKED_STEPS = 30


def _one_sample(states: Any) -> np.ndarray:
    array = np.asarray(states) if states is not None else None
    if array is not None and array.ndim == 3:
        raise ValueError(
            "states must be one sample of shape (T, H); got a batch of shape "
            f"{array.shape} (n, T, H): pick one sample, e.g. states[0]"
        )
    return as_float_array("states", states, ndim=2, layout="(T, H)", dtype=np.float64)


def _timesteps(T: int) -> np.ndarray:
    return np.arange(1, T + 1)


def plot_unit_trajectories(states: Any, *, ax=None, title: str | None = None):
    """One line per hidden unit: ``h_t[j]`` against ``t``, for ``j = 0 .. H−1``.

    The bands beyond ``±SATURATION_LEVEL`` are shaded: a unit there sits on tanh's
    flat tail, where ``tanh'(a) = 1 − tanh(a)²`` is nearly 0. The ``H`` lines are one
    ``LineCollection`` (``ax.collections[0]``, one segment per unit), which draws
    much faster than ``H`` separate lines. Returns ``(fig, ax)``.
    """
    states = _one_sample(states)
    T, H = states.shape
    fig, ax = new_axes(ax)
    for bound in (-1, 1):
        ax.axhspan(bound * SATURATION_LEVEL, bound * 1.05, color="0.88", zorder=0, lw=0)
    t = _timesteps(T)
    colours = [f"C{j % 10}" for j in range(H)]
    width = 1.6 if H <= MAX_LEGEND_UNITS else max(0.6, 1.6 - H / 40)
    segments = np.stack([np.broadcast_to(t, (H, T)), states.T], axis=-1)
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=width))
    if T <= MAX_MARKED_STEPS:  # a line of one point is invisible without markers
        ax.scatter(np.tile(t, H), states.T.ravel(), s=9, c=np.repeat(colours, T), zorder=3)
    ax.set_xlim(0.5, T + 0.5)
    ax.set_ylim(-1.05, 1.05)
    ax.set_yticks([-1, -0.5, 0, 0.5, 1])
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.set_xlabel("timestep t")
    ax.set_ylabel("$h_t[j]$")
    ax.set_title(title or f"Hidden units over time (H = {H}; shaded: saturated)")
    if H <= MAX_LEGEND_UNITS:
        handles = [
            Line2D([], [], color=c, lw=width, label=f"j = {j}") for j, c in enumerate(colours)
        ]
        ax.legend(
            handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="unit"
        )
    return fig, ax


def plot_state_heatmap(states: Any, *, ax=None, title: str | None = None, colorbar: bool = True):
    """The matrix ``h_t[j]`` as colours: hidden unit ``j`` down, timestep ``t`` across.

    Red is ``+1``, blue ``−1``, white 0 (the colour scale widens if a value is beyond
    ``±1``, which tanh never gives). Returns ``(fig, ax)``; ``ax.images[0]`` is the map.
    """
    states = _one_sample(states)
    T, H = states.shape
    fig, ax = new_axes(ax)
    limit = max(1.0, float(np.abs(states).max()))
    image = ax.imshow(
        states.T,
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        aspect="auto",
        interpolation="nearest",
        extent=(0.5, T + 0.5, H - 0.5, -0.5),
    )
    ax.grid(False)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.set_xlabel("timestep t")
    ax.set_ylabel("hidden unit j")
    ax.set_title(title or f"$h_t$ as a heat map (H = {H} units × T = {T} steps)")
    if colorbar:
        fig.colorbar(image, ax=ax, label="$h_t[j]$", fraction=0.05, pad=0.02)
    return fig, ax


def plot_projected_trajectory(
    states: Any,
    *,
    ax=None,
    title: str | None = None,
    colorbar: bool = True,
    projection: Projection | None = None,
):
    """The path ``z_1 .. z_T`` of the state projected to 2-D by PCA (``project_trajectory``).

    Points are coloured by timestep; a hollow circle marks the start ``z_1`` and a cross
    the end ``z_T``. The axis labels give the share of the spread each direction holds.
    Pass ``projection = project_trajectory(states)`` if it is already computed.
    Returns ``(fig, ax)``; ``ax.collections[0]`` holds the ``T`` points.
    """
    states = _one_sample(states)
    T = states.shape[0]
    if projection is None:
        projection = project_trajectory(states, 2)
    elif not isinstance(projection, Projection) or projection.coords.shape != (T, 2):
        raise ValueError(
            f"projection must be project_trajectory(states, 2) for these T = {T} states"
        )
    z = projection.coords
    fig, ax = new_axes(ax)
    points = ax.scatter(z[:, 0], z[:, 1], c=_timesteps(T), cmap="viridis", s=14, zorder=3)
    if T > 1:
        points.set_clim(1, T)
    ax.plot(z[:, 0], z[:, 1], color="0.6", lw=0.8, zorder=2)
    ax.plot(*z[0], "o", ms=11, mfc="none", mec="black", mew=1.6, zorder=4, label="start $h_1$")
    ax.plot(*z[-1], "X", ms=10, color="black", zorder=4, label=f"end $h_{{{T}}}$")
    ax.set_aspect("equal", adjustable="datalim")  # distances in state space are real
    share = projection.explained
    ax.set_xlabel(f"principal direction 1 ({share[0]:.0%} of the spread)")
    ax.set_ylabel(f"direction 2 ({share[1]:.0%})")
    ax.set_title(title or "Path of $h_t$ projected to 2-D (PCA)")
    ax.legend(fontsize=8, loc="best")
    if colorbar:
        fig.colorbar(points, ax=ax, label="timestep t", fraction=0.05, pad=0.02)
    return fig, ax


def plot_state_overview(
    states: Any,
    errors: Any,
    *,
    dtype: Any = "float32",
    fig=None,
    title: str | None = None,
):
    """The four views of the explorer in one 2 × 2 figure: unit trajectories, heat map,
    2-D projection, and max ``|y_t(Keras) − y_t(manual)|`` per timestep.

    ``errors`` is a ``(T,)`` array or a mapping ``label -> (T,)`` (as for
    :func:`~rnn_lab.plots.plot_error_per_timestep`). Pass a ``matplotlib.figure.Figure``
    as ``fig`` to draw off-screen (the widget does). Returns ``(fig, axes)`` with
    ``axes`` a dict ``"trajectories"``, ``"heatmap"``, ``"projection"``, ``"errors"``.
    """
    states = _one_sample(states)
    series = dict(errors) if isinstance(errors, Mapping) else {None: errors}
    for values in series.values():
        values = as_float_array("errors", values, ndim=1, layout="(T,)")
        if values.size != states.shape[0]:
            raise ValueError(
                f"errors must have one entry per timestep, T = {states.shape[0]}; got {values.size}"
            )
    if fig is None:
        fig = plt.figure(figsize=(11.0, 7.0), layout="constrained")
    grid = fig.subplots(2, 2)
    axes = dict(zip(("trajectories", "heatmap", "projection", "errors"), grid.flat, strict=True))
    plot_unit_trajectories(states, ax=axes["trajectories"])
    plot_state_heatmap(states, ax=axes["heatmap"])
    plot_projected_trajectory(states, ax=axes["projection"])
    plot_error_per_timestep(errors, dtype=dtype, ax=axes["errors"])
    if title:
        fig.suptitle(title)
    return fig, axes
