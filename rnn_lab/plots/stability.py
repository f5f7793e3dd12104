"""Plots for the chapter on precision and stability. Each function takes the arrays or
dicts that :mod:`rnn_lab.stability` returns (not models), draws on a given ``ax`` (or
``axes``) or a new figure, labels the axes in the book's notation, and returns
``(fig, ax)`` or ``(fig, axes)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_float_array
from ..stability import SATURATION_LEVEL, saturated_fraction
from ..tolerances import FLOAT32_ATOL, machine_epsilon, tolerance_for
from .axes import new_axes

#: Colours per precision, shared by the error plots so float32/float64 look alike everywhere.
DTYPE_COLORS = {"float32": "#0072B2", "float64": "#D55E00"}


def _mapping(value: Any, name: str) -> dict:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping; got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must hold at least one entry; got an empty mapping")
    return dict(value)


def _radii(radii: Any, keys) -> dict:
    radii = _mapping(radii, "radii")
    missing = [k for k in keys if k not in radii]
    if missing:
        raise ValueError(f"radii must give a spectral radius for every scale; missing {missing}")
    return {k: float(radii[k]) for k in keys}


def _count(k: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}.get(k, str(k))


def _eigenvalues(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "fiuc":
        raise TypeError(f"{name} must hold (complex) numbers; got dtype {array.dtype.name}")
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must have shape (H,) with H >= 1; got {array.shape}")
    array = array.astype(np.complex128)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def plot_error_growth(
    growth: Mapping[str, Any], rounding32: Any, *, ax=None, title: str | None = None
):
    """``e_t = max |y_t^Keras - y_t^manual|`` per timestep on log-log axes, one curve per dtype.

    ``growth`` is ``stability.error_growth``'s ``{"float32": (T,), "float64": (T,)}``,
    ``rounding32`` the ``(T,)`` ``stability.distance_from_float64`` (grey). Each dtype's
    tolerance is dashed and its machine epsilon ``ε`` dotted; zeros are left out.
    """
    growth = _mapping(growth, "growth")
    rounding32 = as_float_array("rounding32", rounding32, ndim=1, layout="(T,)", dtype=np.float64)
    T = rounding32.size
    series = {}
    for dtype in growth:
        if dtype not in DTYPE_COLORS:
            raise ValueError(f"growth keys must be in {tuple(DTYPE_COLORS)}; got {dtype!r}")
        series[dtype] = as_float_array(dtype, growth[dtype], ndim=1, layout="(T,)")
        if series[dtype].shape != (T,):
            raise ValueError(f"growth[{dtype!r}] must have shape (T,) = ({T},)")
    fig, ax = new_axes(ax, (8, 4))
    t = np.arange(1, T + 1)
    ax.plot(t, rounding32, color="0.6", lw=1, label="float32 manual − float64 manual")
    for dtype, e in series.items():
        color = DTYPE_COLORS[dtype]
        ax.plot(t[e > 0], e[e > 0], color=color, lw=1, label=f"{dtype}: Keras − manual")
        ax.axhline(tolerance_for(dtype), color=color, ls="--", lw=1)
        ax.annotate(f"{dtype} tolerance", xy=(T, tolerance_for(dtype)), xytext=(-4, 3),
                    textcoords="offset points", ha="right", fontsize=8, color=color)  # fmt: skip
        eps = machine_epsilon(dtype)
        ax.axhline(eps, color=color, ls=":", lw=1)
        ax.annotate(f"{dtype} ε", xy=(1, eps), xytext=(2, 3), textcoords="offset points",
                    ha="left", fontsize=8, color=color)  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("timestep t (= sequence length)")
    ax.set_ylabel(r"max $|y_t^{Keras} - y_t^{manual}|$")
    ax.set_title(title or f"Error along a sequence of {T} steps", fontsize=10)
    ax.legend(fontsize=8, loc="center right")
    return fig, ax


def plot_eigenvalues(eigenvalues: Mapping[str, Any], *, ax=None):
    """Eigenvalues ``λ_i`` of one or more ``W_h`` in the complex plane, with the unit
    circle and the circular-law radius ``1/√3`` of ``random_weights``.

    ``eigenvalues`` maps ``label -> (H,)`` complex array; the first is drawn as dots,
    the second as crosses (at most two, so both stay readable).
    """
    eigenvalues = _mapping(eigenvalues, "eigenvalues")
    if len(eigenvalues) > 2:
        raise ValueError(f"eigenvalues holds at most 2 sets; got {len(eigenvalues)}")
    sets = {
        label: _eigenvalues(f"eigenvalues[{label!r}]", lam) for label, lam in eigenvalues.items()
    }
    fig, ax = new_axes(ax, (5, 5))
    circle = np.exp(1j * np.linspace(0, 2 * np.pi, 400))
    ax.plot(circle.real, circle.imag, color="0.4", lw=1, label="unit circle")
    ax.plot(circle.real / np.sqrt(3), circle.imag / np.sqrt(3), color="#0072B2", ls="--", lw=1,
            label=r"radius $1/\sqrt{3}$ (circular law)")  # fmt: skip
    styles = ({"marker": "o", "color": "#0072B2"}, {"marker": "x", "color": "#E69F00"})
    for style, (label, lam) in zip(styles, sets.items(), strict=False):
        ax.scatter(lam.real, lam.imag, s=18, label=label, **style)
    ax.set_aspect("equal")
    ax.set_xlim(-1.25, 1.25)
    ax.set_ylim(-1.25, 1.25)
    ax.set_xlabel("real part")
    ax.set_ylabel("imaginary part")
    ax.set_title(r"Eigenvalues of $W_h$", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    return fig, ax


def plot_hidden_trajectories(
    trajectories: Mapping[float, Any], radii: Mapping[float, float], *, steps: int = 60,
    units: int = 4, sample: int = 0,
):  # fmt: skip
    """``h_t`` of a few units of one sample over the first ``steps`` steps, one panel per
    recurrent scale ``s``, with the saturated bands ``|h| >= SATURATION_LEVEL`` shaded.

    ``trajectories`` maps ``s -> (n, T, H)`` hidden states; ``radii`` maps ``s -> ρ(s·W_h)``.
    Panel titles give ``ρ`` and the saturated fraction over all units, samples and steps.
    """
    trajectories = _mapping(trajectories, "trajectories")
    radii = _radii(radii, trajectories)
    states = {
        s: as_float_array(f"trajectories[{s!r}]", h, ndim=3, layout="(n, T, H)")
        for s, h in trajectories.items()
    }
    fig, axes = plt.subplots(1, len(states), figsize=(11, 3.4), sharey=True, layout="constrained",
                             squeeze=False)  # fmt: skip
    axes = axes[0]
    for ax, (s, h) in zip(axes, states.items(), strict=True):
        shown = h[sample, :steps, :units]
        ax.plot(np.arange(1, shown.shape[0] + 1), shown, lw=1.2, marker=".", ms=3)
        ax.axhspan(SATURATION_LEVEL, 1.05, color="#D55E00", alpha=0.08, lw=0)
        ax.axhspan(-1.05, -SATURATION_LEVEL, color="#D55E00", alpha=0.08, lw=0)
        saturated = saturated_fraction(h)
        ax.set_title(f"s = {s:g}: ρ = {radii[s]:.2f}, {saturated:.0%} saturated", fontsize=10)
        ax.set_xlabel("timestep t")
    axes[0].set_ylabel(f"$h_t$ ({units} units of sample {sample})")
    axes[0].set_ylim(-1.05, 1.05)
    fig.suptitle(
        f"Hidden state for {_count(len(states))} scales of $W_h$ "
        rf"(shaded: $|h| \geq {SATURATION_LEVEL}$, saturated)",
        fontsize=11,
    )
    return fig, axes


def plot_sensitivity(
    memory: Mapping[float, Any], radii: Mapping[float, float], *, delta: float = 1e-9, ax=None
):
    """``d_t = max |h_t - h_t'|`` of two runs started ``delta`` apart, one curve per scale
    ``s`` (``memory`` maps ``s -> (T,)`` from ``stability.sensitivity_to_h0``; ``radii``
    maps ``s -> ρ(s·W_h)``). For ``ρ < 1`` the linear prediction ``δ·ρ^t`` is dotted.
    """
    memory = _mapping(memory, "memory")
    radii = _radii(radii, memory)
    curves = {
        s: as_float_array(f"memory[{s!r}]", d, ndim=1, layout="(T,)") for s, d in memory.items()
    }
    if len({d.size for d in curves.values()}) != 1:
        raise ValueError("every memory curve must have the same length T")
    fig, ax = new_axes(ax, (8, 4))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(curves)))
    T = next(iter(curves.values())).size
    t = np.arange(1, T + 1)
    for color, (s, d) in zip(colors, curves.items(), strict=True):
        rho = radii[s]
        visible = d > 0
        ax.plot(t[visible], d[visible], color=color, lw=1.5, label=f"s = {s:g} (ρ = {rho:.2f})")
        if rho < 1:  # the linear prediction: δ·ρ^t
            ax.plot(t, delta * rho**t, color=color, lw=1, ls=":")
    ax.axhline(delta, color="0.5", lw=0.8)
    ax.annotate("initial difference δ", xy=(T, delta), xytext=(-4, 3), textcoords="offset points",
                ha="right", fontsize=8, color="0.4")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(1e-17, 10)
    ax.set_xlabel("timestep t")
    ax.set_ylabel(r"$d_t = \max |h_t - h_t'|$")
    mantissa, exponent = f"{delta:.0e}".split("e")
    ax.set_title(
        f"Two runs from initial states {mantissa}e{int(exponent)} apart (dotted: δ·ρ^t)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, ax


def plot_scale_sweep(
    sweep: Mapping[str, Any], *, steps: int | None = None, title: str | None = None
):
    """Two panels against ``ρ(s·W_h)`` from ``stability.recurrent_scale_sweep``: the hidden
    state (``max |h_t|`` and the saturated fraction) and the float32 agreement with Keras
    (``max |y^Keras - y^manual|`` against ``FLOAT32_ATOL`` and ``ε``).
    Returns ``(fig, (left, right))``."""
    sweep = _mapping(sweep, "sweep")
    names = ("spectral_radius", "max_abs_h", "saturated_fraction", "keras_error")
    missing = [name for name in names if name not in sweep]
    if missing:
        raise ValueError(f"sweep must hold {names} (run with with_keras=True); missing {missing}")
    cols = {name: as_float_array(name, sweep[name], ndim=1, layout="(k,)") for name in names}
    if len({c.size for c in cols.values()}) != 1:
        raise ValueError("every sweep column must have the same length k")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    rho = cols["spectral_radius"]
    left.plot(rho, cols["max_abs_h"], marker="o", label=r"max $|h_t|$")
    left.plot(rho, cols["saturated_fraction"], marker="s",
              label=rf"fraction with $|h_t| \geq {SATURATION_LEVEL}$")  # fmt: skip
    left.set_xscale("log")
    left.set_xlabel(r"spectral radius $\rho(s\,W_h)$")
    left.set_title("The hidden state", fontsize=10)
    left.legend(fontsize=8, loc="center left")
    right.plot(
        rho, cols["keras_error"], marker="o", color="#D55E00", label="float32, Keras − manual"
    )
    right.axhline(FLOAT32_ATOL, color="#D55E00", ls="--", lw=1, label="FLOAT32_ATOL")
    right.axhline(machine_epsilon("float32"), color="0.4", ls=":", lw=1, label="float32 ε")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel(r"spectral radius $\rho(s\,W_h)$")
    right.set_ylabel(r"max $|y^{Keras} - y^{manual}|$")
    over = f" over {steps} steps" if steps is not None else ""
    right.set_title(f"Agreement with Keras{over}", fontsize=10)
    right.legend(fontsize=8, loc="upper left")
    for ax in (left, right):
        ax.axvline(1.0, color="0.6", lw=0.8)
        ax.set_xticks([0.2, 0.5, 1, 2, 5], ["0.2", "0.5", "1", "2", "5"])
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
    if title:
        fig.suptitle(title, fontsize=11)
    return fig, (left, right)
