"""rnn_lab.plots.text: the perplexity figure and the offline HTML activation colouring."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rnn_lab.plots.text import activation_html, plot_perplexity


def test_activation_html_has_one_coloured_span_per_character_and_no_external_resource():
    source = 'if a < b:\n    s = "&"\n'
    values = np.linspace(-1, 1, len(source))
    page = activation_html(source, values, caption="unit 3")
    spans = re.findall(r'<span style="background:#[0-9a-f]{6}" title="[+-]\d\.\d\d">', page)
    assert len(spans) == len(source)
    assert "&lt;" in page and "&amp;" in page and "<b" not in page.replace("<br", "")
    assert not re.search(r"https?://|src=|<script|<link", page)  # offline: nothing fetched
    # Red for positive, blue for negative, white at zero.
    assert 'background:#ff3f3f" title="+1.00"' in page
    assert 'title="-1.00"' in page and "#3f72ff" in page


def test_activation_html_refuses_mismatched_input():
    with pytest.raises(ValueError, match="one value per character"):
        activation_html("abc", np.zeros(2))
    with pytest.raises(ValueError, match="non-empty"):
        activation_html("", np.zeros(0))


def test_plot_perplexity_draws_curves_and_baselines():
    fig, ax = plot_perplexity([0, 10, 20], {"rnn": [90.0, 20.0, 8.0]}, {"bigram": 10.0})
    assert len(ax.lines) == 2
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="checkpoints"):
        plot_perplexity([0, 10], {"rnn": [1.0, 2.0, 3.0]}, {})


def test_the_language_model_comparison_is_labelled_as_cross_entropy():
    from rnn_lab.plots.text import plot_lm_training_comparison

    fig, (top, _) = plot_lm_training_comparison(
        [4.0, 3.5, 3.0], [4.0, 3.5, 3.0], 100, dtype="float64", title="t"
    )
    labels = [line.get_label() for line in top.get_lines()]
    assert "uniform guess, log V = 4.61" in labels and "Keras fit" in labels
    assert "cross-entropy" in top.get_ylabel()


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_activation_colours_keep_black_text_readable_and_the_legend_sets_its_colour():
    # WCAG AA: contrast of at least 4.5 between the black text and every background
    from rnn_lab.plots.text import _colour

    for value in np.linspace(-1, 1, 41):
        assert (_luminance(_colour(value)) + 0.05) / 0.05 >= 4.5, value
    page = activation_html("ab", np.array([-1.0, 1.0]), caption="unit 3")
    legend = page[page.index("<div", 1) :]
    assert "color:#000" in legend.split(">")[0]
