"""Figures of chapter 13, *Why gates work*: the gradient reaching each timestep for several
cells on one axes, and the delay each cell can bridge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .axes import new_axes


def plot_gradient_reach(norms: Mapping[str, Any], *, ax=None, title: str | None = None):
    """``‖dL/dh_t‖`` over ``t = 1..T`` for several cells (``label -> (T,)``), log scale.

    The loss is on the last step only, so every curve starts (on the right) at
    ``‖dL/dh_T‖``; how fast it falls towards ``t = 1`` is how much of the gradient reaches
    the inputs the task needs.
    """
    if not isinstance(norms, Mapping) or not norms:
        raise TypeError("norms must be a non-empty mapping label -> (T,) array")
    fig, ax = new_axes(ax)
    for label, values in norms.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"norms[{label!r}] must have shape (T,); got {values.shape}")
        ax.plot(np.arange(1, values.size + 1), values, label=label, linewidth=1.5)
    ax.set_yscale("log")
    ax.set_xlabel("timestep t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title(title or "How far back the gradient reaches")
    ax.legend(loc="best", fontsize="small")
    return fig, ax


def plot_delay_sweep(
    delays: Any,
    losses: Mapping[str, Any],
    *,
    baseline: float | None = None,
    threshold: float | None = None,
    ax=None,
    title: str | None = None,
):
    """Final loss against the delay for each cell (``label -> (len(delays),)``), log scale.

    ``baseline`` is the loss of predicting the mean; ``threshold`` the level below which a
    delay counts as bridged.
    """
    delays = np.asarray(delays)
    if delays.ndim != 1 or delays.size == 0:
        raise ValueError(f"delays must be a non-empty 1-D array; got shape {delays.shape}")
    fig, ax = new_axes(ax)
    for (label, values), marker in zip(losses.items(), "osD^v", strict=False):
        values = np.asarray(values, dtype=np.float64)
        if values.shape != delays.shape:
            raise ValueError(
                f"losses[{label!r}] must have one value per delay {delays.shape}; got "
                f"{values.shape}"
            )
        ax.plot(delays, values, marker=marker, label=label)
    if baseline is not None:
        ax.axhline(baseline, color="0.4", linestyle=":", linewidth=1, label="predict the mean")
    if threshold is not None:
        ax.axhline(threshold, color="0.6", linestyle="--", linewidth=1, label="bridged below")
    ax.set_xscale("log")
    ax.set_xticks(delays)
    ax.set_xticklabels([str(int(d)) for d in delays])
    ax.set_yscale("log")
    ax.set_xlabel("delay (steps between the input and the output that needs it)")
    ax.set_ylabel("loss in the last epoch")
    ax.set_title(title or "The delay each cell can bridge")
    ax.legend(loc="best", fontsize="small")
    return fig, ax


def plot_gradient_reach_before_after(
    start: Mapping[str, Any], end: Mapping[str, Any], *, figsize=(9.0, 3.6)
):
    """:func:`plot_gradient_reach` twice, side by side: before and after training."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=figsize, layout="constrained", sharey=True)
    plot_gradient_reach(start, ax=left, title="at the start of training")
    plot_gradient_reach(end, ax=right, title="after training")
    right.set_ylabel("")
    return fig, (left, right)
