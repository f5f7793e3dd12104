"""Plots for the chapters on gradients and training: how ``‖dL/dh_t‖`` changes with the
distance from the end, how truncation and clipping change the gradient, and training runs
compared step by step. Each function takes arrays (not models), draws on a given ``ax``
or a new figure, and returns ``(fig, ax)`` (or ``(fig, axes)``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_float_array
from ..tolerances import machine_epsilon
from .axes import epsilon_line, new_axes


def _series(values: Any, name: str) -> dict[Any, np.ndarray]:
    items = dict(values) if isinstance(values, Mapping) else {None: values}
    if not items:
        raise ValueError(f"{name} must hold at least one array; got an empty mapping")
    return {
        label: as_float_array(name, array, ndim=1, layout="(steps,)", dtype=np.float64)
        for label, array in items.items()
    }


def _legend(ax, **kwargs) -> None:
    if any(not label.startswith("_") for label in ax.get_legend_handles_labels()[1]):
        ax.legend(fontsize=8, **kwargs)


def plot_gradient_norms(norms: Any, *, ax=None, title: str | None = None):
    """``‖dL/dh_t‖`` against the distance ``T - t`` from the last timestep, on a log scale.

    ``norms`` is one ``(T,)`` array ordered ``t = 1..T`` (``Gradients.dh_norms()``) or a
    mapping ``label -> (T,)`` array, e.g. one per spectral radius of ``Wh``. A straight
    line on this plot is geometric growth or decay: the slope is ``log`` of the factor
    each step back multiplies the gradient by.
    """
    series = _series(norms, "norms")
    fig, ax = new_axes(ax)
    for label, values in series.items():
        if np.any(values < 0):
            raise ValueError("norms must be >= 0")
        distance = np.arange(values.size)[::-1]  # T - t for t = 1..T
        shown = values > 0
        ax.plot(distance[shown], values[shown], marker="o", ms=2.5, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("distance from the end, $T - t$ (steps back in time)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title(title or "How far back the gradient reaches")
    _legend(ax, loc="best")
    return fig, ax


def plot_truncation_errors(
    errors: Mapping[Any, tuple[Any, Any]], *, ax=None, dtype: Any = "float64"
):
    """Relative error of the truncated-BPTT gradient against the full one, per window ``k``.

    ``errors`` maps ``label -> (ks, relative_errors)``. Errors of exactly 0 (a log axis
    cannot show them) are drawn as triangles at machine epsilon.
    """
    if not errors:
        raise ValueError("errors must hold at least one (ks, relative_errors) pair")
    fig, ax = new_axes(ax)
    eps = machine_epsilon(dtype)
    for label, (ks, values) in errors.items():
        ks = as_float_array("ks", ks, ndim=1, layout="(K,)", dtype=np.float64)
        values = as_float_array("relative_errors", values, ndim=1, layout="(K,)", dtype=np.float64)
        if ks.shape != values.shape:
            raise ValueError(
                f"ks and relative_errors must have the same length; got {ks.size} and {values.size}"
            )
        (line,) = ax.plot(ks[values > 0], values[values > 0], marker="o", ms=3, label=label)
        if np.any(values == 0):
            ax.plot(ks[values == 0], np.full((values == 0).sum(), eps), "v", color=line.get_color())
    epsilon_line(ax, dtype, label=f"{np.dtype(dtype).name} machine epsilon (▼: exactly equal)")
    ax.set_yscale("log")
    ax.set_xlabel("truncation window $k$ (steps back-propagated)")
    ax.set_ylabel("relative error of the gradient")
    ax.set_title("Truncated BPTT(k) against full BPTT")
    _legend(ax, loc="best")
    return fig, ax


def plot_loss_curves(
    curves: Any,
    *,
    ax=None,
    baseline: float | None = None,
    baseline_label: str = "predict the mean",
    title: str | None = None,
    log: bool = True,
):
    """Loss per update step for one or several runs (``label -> (steps,)`` losses).

    Labels containing "Keras" are drawn dashed so that a Keras curve lying exactly on a
    manual one stays visible. ``baseline`` adds a horizontal reference line.
    """
    series = _series(curves, "losses")
    fig, ax = new_axes(ax)
    for label, values in series.items():
        dashed = label is not None and "keras" in str(label).lower()
        ax.plot(
            np.arange(1, values.size + 1),
            values,
            linestyle=(0, (4, 3)) if dashed else "-",
            linewidth=1.8 if dashed else 1.2,
            label=label,
        )
    if baseline is not None:
        ax.axhline(float(baseline), color="0.4", linestyle=":", linewidth=1, label=baseline_label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("update step")
    ax.set_ylabel("loss (mean squared error)")
    ax.set_title(title or "Training loss")
    _legend(ax, loc="best")
    return fig, ax


def plot_training_comparison(
    manual: Any,
    keras: Any,
    *,
    dtype: Any = "float32",
    baseline: float | None = None,
    title: str | None = None,
):
    """Two panels: the manual and Keras loss curves overlaid, then their relative
    difference ``|L_manual - L_Keras| / L_Keras`` at every step with machine epsilon marked.
    Returns ``(fig, (ax_loss, ax_difference))``."""
    manual = as_float_array("manual", manual, ndim=1, layout="(steps,)", dtype=np.float64)
    keras = as_float_array("keras", keras, ndim=1, layout="(steps,)", dtype=np.float64)
    if manual.shape != keras.shape:
        raise ValueError(
            "manual and keras must have the same number of steps; "
            f"got {manual.size} and {keras.size}"
        )
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7.0, 5.2), sharex=True, layout="constrained", height_ratios=(3, 2)
    )
    plot_loss_curves(
        {"manual loop": manual, "Keras fit": keras}, ax=top, baseline=baseline, title=title
    )
    top.set_xlabel("")
    difference = np.abs(manual - keras) / np.abs(keras)
    steps = np.arange(1, manual.size + 1)
    shown = difference > 0
    bottom.plot(steps[shown], difference[shown], ".", ms=3, color="C2")
    if (~shown).any():
        eps = machine_epsilon(dtype)
        bottom.plot(
            steps[~shown],
            np.full((~shown).sum(), eps / 4),
            "v",
            ms=3,
            color="C2",
            label="exactly equal",
        )
    epsilon_line(bottom, dtype, label=f"{np.dtype(dtype).name} machine epsilon")
    bottom.set_yscale("log")
    bottom.set_xlabel("update step")
    bottom.set_ylabel("relative difference")
    _legend(bottom, loc="lower right")
    return fig, (top, bottom)


def plot_predictions(
    y_true: Any, predictions: Mapping[Any, Any], *, ax=None, title: str | None = None
):
    """Predicted against true targets (one point per sample), with the diagonal ``ŷ = y``.

    ``predictions`` maps ``label -> (n,)`` or ``(n, 1)`` predictions; the first is drawn
    as filled dots, the others as open circles on top, so identical predictions coincide.
    """
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    if not predictions:
        raise ValueError("predictions must hold at least one array")
    fig, ax = new_axes(ax, figsize=(4.6, 4.2))
    for index, (label, values) in enumerate(predictions.items()):
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if values.shape != y_true.shape:
            raise ValueError(
                f"predictions {label!r} have {values.size} values for {y_true.size} targets"
            )
        if index == 0:
            ax.plot(y_true, values, "o", ms=3.5, alpha=0.8, label=label)
        else:
            ax.plot(y_true, values, "o", ms=6, mfc="none", mew=0.8, label=label)
    low, high = y_true.min(), y_true.max()
    ax.plot(
        [low, high], [low, high], color="0.3", linewidth=1, label="perfect: prediction = target"
    )
    ax.set_xlabel("target $\\hat y$")
    ax.set_ylabel("prediction $y_T$")
    ax.set_title(title or "Predictions on unseen sequences")
    ax.set_aspect("equal", adjustable="datalim")
    _legend(ax, loc="upper left")
    return fig, ax


def plot_clipping(
    losses: Mapping[Any, Any],
    grad_norms: Mapping[Any, Any],
    *,
    clip: float,
    baseline: float | None = None,
):
    """Two panels for runs with and without gradient clipping: the loss per update step
    (with an optional ``baseline``), and the global norm ``‖g‖`` of the gradient before
    clipping, with the threshold ``κ = clip`` dashed.

    ``losses`` and ``grad_norms`` map ``label -> (steps,)`` (``TrainingResult.losses`` and
    ``.grad_norms``) with the same labels. Returns ``(fig, (ax_loss, ax_norm))``.
    """
    if not isinstance(losses, Mapping) or not isinstance(grad_norms, Mapping):
        raise TypeError("losses and grad_norms must be mappings label -> (steps,) array")
    if list(losses) != list(grad_norms):
        raise ValueError(
            f"losses and grad_norms must have the same labels; got {list(losses)} "
            f"and {list(grad_norms)}"
        )
    clip = float(clip)
    if not np.isfinite(clip) or clip <= 0:
        raise ValueError(f"clip must be a finite threshold > 0; got {clip}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    plot_loss_curves(losses, ax=left, baseline=baseline)
    plot_loss_curves(grad_norms, ax=right, title="Gradient norm before clipping")
    right.set_ylabel(r"$\|g\|$")
    right.axhline(clip, color="0.3", linestyle="--", linewidth=1)
    return fig, (left, right)
