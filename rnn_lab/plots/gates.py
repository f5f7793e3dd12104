"""Plots for the LSTM, GRU and porting chapters: gates over time, states over time, and
where each gate's weights live in Keras's and PyTorch's arrays.

Like :mod:`rnn_lab.plots.basics`, each function takes arrays (not models), labels its axes in
the book's notation and returns ``(fig, axes)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from .._validate import as_float_array
from ..cells.weights import GATE_ORDER
from ..keras_side.porting import (
    TORCH_FROM_KERAS,
    TORCH_GATE_ORDER,
    keras_to_torch,
    labelled_weights,
)
from .axes import new_axes

#: Colour range and TeX label of each gate: sigmoid gates live in [0, 1], tanh ones in
#: [-1, 1]; the LSTM cell state is unbounded (None: symmetric around 0 from the data).
GATE_STYLE: dict[str, tuple[tuple[float, float] | None, str]] = {
    "i": ((0.0, 1.0), r"input gate $i_t$"),
    "f": ((0.0, 1.0), r"forget gate $f_t$"),
    "o": ((0.0, 1.0), r"output gate $o_t$"),
    "c_tilde": ((-1.0, 1.0), r"candidate $\tilde c_t$"),
    "c": (None, r"cell state $c_t$"),
    "z": ((0.0, 1.0), r"update gate $z_t$"),
    "r": ((0.0, 1.0), r"reset gate $r_t$"),
    "h_tilde": ((-1.0, 1.0), r"candidate $\tilde h_t$"),
    "h": ((-1.0, 1.0), r"hidden state $h_t$"),
}
_GATE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00"]  # Okabe–Ito


def plot_gate_heatmaps(gates: Mapping[str, Any], *, suptitle: str | None = None):
    """One heatmap per gate: unit (rows) by timestep (columns), for one sample.

    ``gates`` maps a gate name (``i, f, c_tilde, o, c, h`` or ``z, r, h_tilde, h``; see
    :data:`GATE_STYLE`) to a ``(T, H)`` array, e.g. ``{k: v[0] for k, v in
    trace_gates(...).items()}``. Gates in ``[0, 1]`` share one colour scale, those in
    ``[-1, 1]`` another, so panels can be compared by eye.
    """
    if not isinstance(gates, Mapping) or not gates:
        raise ValueError("gates must be a non-empty mapping gate name -> (T, H) array")
    unknown = sorted(set(gates) - set(GATE_STYLE))
    if unknown:
        raise ValueError(f"unknown gate name(s) {unknown}; known: {sorted(GATE_STYLE)}")
    arrays = {k: as_float_array(k, v, ndim=2, layout="(T, H)") for k, v in gates.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1:
        raise ValueError(f"all gates must have the same (T, H) shape; got {sorted(shapes)}")
    T, H = shapes.pop()
    fig, axes = plt.subplots(
        1,
        len(arrays),
        figsize=(2.2 * len(arrays) + 0.6, 0.22 * H + 1.9),
        layout="constrained",
        squeeze=False,
    )
    for ax, (name, values) in zip(axes[0], arrays.items(), strict=True):
        limits, label = GATE_STYLE[name]
        if limits is None:
            bound = float(np.max(np.abs(values))) or 1.0
            limits = (-bound, bound)
        cmap = "viridis" if limits[0] >= 0 else "RdBu_r"
        image = ax.imshow(
            values.T,
            aspect="auto",
            cmap=cmap,
            vmin=limits[0],
            vmax=limits[1],
            interpolation="nearest",
            extent=(0.5, T + 0.5, H - 0.5, -0.5),
        )
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("timestep t")
        ax.grid(False)
        fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
    axes[0, 0].set_ylabel("unit")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig, axes[0]


def plot_state_lines(
    series: Mapping[str, Any],
    *,
    ax=None,
    ylabel: str = "value",
    title: str | None = None,
    first_t: int = 1,
):
    """Lines over time: ``series`` maps a label to an array of values at
    ``t = first_t, first_t + 1, ...`` (``first_t`` is 1 for a whole sequence)."""
    if not isinstance(series, Mapping) or not series:
        raise ValueError("series must be a non-empty mapping label -> (T,) array")
    fig, ax = new_axes(ax, figsize=(7.0, 3.4))
    for label, values in series.items():
        values = as_float_array(str(label), values, ndim=1, layout="(T,)")
        t = np.arange(first_t, first_t + values.size)
        ax.plot(t, values, marker="o", ms=3, label=label)
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.set_xlabel("timestep t")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig, ax


def _draw_blocks(
    ax, codes: np.ndarray, names: dict[int, str], G: int, title: str, *, along_cols: bool
) -> None:
    """``codes`` holds a Keras block number (1..G, sign ignored) or 0 for 'no counterpart';
    the gate blocks follow one another along the columns (Keras) or the rows (PyTorch)."""
    cmap = ListedColormap(["#d9d9d9", *_GATE_COLOURS[:G]])
    ax.imshow(np.abs(codes), cmap=cmap, vmin=-0.5, vmax=G + 0.5, aspect="auto")
    rows, cols = codes.shape
    line = codes[0] if along_cols else codes[:, 0]
    start = 0
    for end in range(1, line.size + 1):
        if end == line.size or line[end] != line[start]:
            centre = (start + end - 1) / 2
            xy = (centre, (rows - 1) / 2) if along_cols else ((cols - 1) / 2, centre)
            ax.text(*xy, names[int(abs(line[start]))], ha="center", va="center", fontsize=8)
            if end < line.size:
                if along_cols:
                    ax.axvline(end - 0.5, color="white", linewidth=2)
                else:
                    ax.axhline(end - 0.5, color="white", linewidth=2)
            start = end
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def plot_weight_layout(kind: str, dims: int, hidden_units: int, *, reset_after: bool = True):
    """Keras's arrays (left) next to PyTorch's (right), coloured by gate.

    The right-hand side is not drawn by hand: weights labelled with their Keras gate
    (:func:`rnn_lab.keras_side.porting.labelled_weights`) go through
    :func:`rnn_lab.keras_side.porting.keras_to_torch`, so the figure shows what the conversion does.
    """
    weights = labelled_weights(kind, dims, hidden_units, reset_after=reset_after)
    torch_state = keras_to_torch(weights)
    keras_names = dict(enumerate(GATE_ORDER[kind], start=1))
    keras_names[0] = "0"
    torch_of = {}
    for k, keras_block in enumerate(TORCH_FROM_KERAS[kind]):
        torch_name, keras_name = TORCH_GATE_ORDER[kind][k], GATE_ORDER[kind][keras_block]
        same = torch_name == keras_name
        torch_of[keras_block + 1] = torch_name if same else f"{torch_name}\n(Keras {keras_name})"
    torch_of[0] = "0"
    G = len(GATE_ORDER[kind])
    keras_arrays = {
        f"kernel ({dims}, {G * hidden_units})": weights.kernel,
        f"recurrent_kernel ({hidden_units}, {G * hidden_units})": weights.recurrent_kernel,
    }
    bias = weights.bias
    if bias.ndim == 2:
        keras_arrays[f"bias[0] of ({2}, {G * hidden_units})"] = bias[:1]
        keras_arrays[f"bias[1] of ({2}, {G * hidden_units})"] = bias[1:]
    else:
        keras_arrays[f"bias ({G * hidden_units},)"] = bias[None, :]
    torch_arrays = {
        f"weight_ih_l0\n({G * hidden_units}, {dims})": torch_state["weight_ih_l0"],
        f"weight_hh_l0\n({G * hidden_units}, {hidden_units})": torch_state["weight_hh_l0"],
        f"bias_ih_l0\n({G * hidden_units},)": torch_state["bias_ih_l0"][:, None],
        f"bias_hh_l0\n({G * hidden_units},)": torch_state["bias_hh_l0"][:, None],
    }
    fig = plt.figure(figsize=(9.5, 4.4), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.25, 1])
    heights = [a.shape[0] + 0.8 for a in keras_arrays.values()]
    keras_axes = left.subplots(len(keras_arrays), 1, height_ratios=heights)
    for ax, (title, array) in zip(keras_axes, keras_arrays.items(), strict=True):
        _draw_blocks(ax, array, keras_names, G, title, along_cols=True)
    left.suptitle(f"Keras {kind}: gates side by side in columns", fontsize=10)
    widths = [max(a.shape[1] + 0.8, 2.4) for a in torch_arrays.values()]  # room for titles
    torch_axes = right.subplots(1, len(torch_arrays), width_ratios=widths)
    for ax, (title, array) in zip(torch_axes, torch_arrays.items(), strict=True):
        _draw_blocks(ax, array, torch_of, G, title, along_cols=False)
    module = "RNN" if kind == "SimpleRNN" else kind
    right.suptitle(f"PyTorch nn.{module}: gates in rows", fontsize=10)
    return fig, (keras_axes, torch_axes)
