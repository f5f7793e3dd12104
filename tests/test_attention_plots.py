"""Chapter 15's heat maps: one panel per example, the alignment named in the alt text,
malformed input refused."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnn_lab.plots.alt_text import describe_figure
from rnn_lab.plots.attention import alignment, plot_attention_maps


def _one_hot_alignment(target: str, source: str, positions: list[int], pad: int = 0):
    alpha = np.full((len(target), len(source) + pad), 0.01)
    alpha[np.arange(len(target)), positions] = 1.0
    return alpha / alpha.sum(axis=1, keepdims=True)


def test_alignment_names_the_strongest_source_character():
    alpha = _one_hot_alignment("12", "a1b2", [1, 3], pad=2)
    pairs = alignment(alpha, "a1b2", "12")
    assert [(t, s) for t, s, _ in pairs] == [("1", "1"), ("2", "2")]
    assert all(0 < w <= 1 for _, _, w in pairs)


def test_maps_draw_one_panel_per_example_and_describe_it():
    first = _one_hot_alignment("99", "3/3/99", [4, 5])
    second = _one_hot_alignment("03", "3 March", [2, 0], pad=3)
    fig, axes = plot_attention_maps([first, second], ["3/3/99", "3 March"], ["99", "03"])
    assert len(axes) == 2
    assert axes[0].images[0].get_array().shape == (2, 6)
    assert axes[1].images[0].get_array().shape == (2, 7)  # padding columns dropped
    text = describe_figure(fig)
    assert "9→'9'" in text and "0→'M'" in text and "3→'3'" in text
    plt.close(fig)


def test_malformed_input_is_refused():
    with pytest.raises(ValueError, match="non-empty lists of one length"):
        plot_attention_maps([np.ones((2, 2))], ["ab", "cd"], ["xy"])
    with pytest.raises(ValueError, match=r"must be \(T_y, T_x\)"):
        alignment(np.ones((3, 2)), "ab", "xy")
