"""rnn_lab.plots.gates: the gated cells' figures (the gates over time, a unit's state,
Keras's and PyTorch's weight layouts) draw what they claim and refuse what they cannot draw."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import random_cell_weights, trace_gates
from rnn_lab.plots.gates import plot_gate_heatmaps, plot_state_lines, plot_weight_layout


def test_gate_plots_draw_and_validate():
    trace = trace_gates(random_cell_weights("GRU", 2, 3), np.ones((1, 4, 2)))
    fig, axes = plot_gate_heatmaps({name: values[0] for name, values in trace.items()})
    assert [ax.get_title() for ax in axes] == [
        "update gate $z_t$",
        "reset gate $r_t$",
        r"candidate $\tilde h_t$",
        "hidden state $h_t$",
    ]
    fig2, ax = plot_state_lines({"h unit 0": trace["h"][0, :, 0]}, first_t=2)
    assert ax.get_lines()[0].get_xdata()[0] == 2
    with pytest.raises(ValueError, match=r"unknown gate name\(s\) \['q'\]"):
        plot_gate_heatmaps({"q": np.ones((4, 3))})
    with pytest.raises(ValueError, match="same"):
        plot_gate_heatmaps({"z": np.ones((4, 3)), "r": np.ones((5, 3))})
    with pytest.raises(ValueError, match="non-empty"):
        plot_state_lines({})


def test_layout_figure_is_drawn_from_the_conversion():
    fig, (keras_axes, torch_axes) = plot_weight_layout("GRU", 3, 2)
    labels = [text.get_text() for text in torch_axes[0].texts]
    assert labels == ["r", "z", "n\n(Keras h)"]  # PyTorch rows, top to bottom
    assert [text.get_text() for text in keras_axes[0].texts] == ["z", "r", "h"]
    fig, (_, torch_axes) = plot_weight_layout("LSTM", 3, 2)
    assert [text.get_text() for text in torch_axes[3].texts] == ["0"]  # bias_hh: zeros
