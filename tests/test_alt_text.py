"""Alt text is read off the figure: titles, labels, what is drawn and the range of values."""

from __future__ import annotations

import base64
import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from rnn_lab.plots.alt_text import (
    describe_figure,
    figure_html,
    format_number,
    plain_text,
    set_alt_text,
    show_figures_with_alt_text,
)
from rnn_lab.plots.states import plot_state_heatmap, plot_unit_trajectories


def states(T=15, H=5, seed=0):
    return np.tanh(np.random.default_rng(seed).normal(size=(T, H)))


def test_unit_trajectories_say_what_they_show():
    h = states()
    fig, ax = plot_unit_trajectories(h)
    alt = describe_figure(fig)
    assert plain_text(ax.get_title()) in alt
    assert "5 lines" in alt
    assert "timestep t from 1 to 15" in alt
    assert f"values between {format_number(h.min())} and {format_number(h.max())}" in alt


def test_the_numbers_follow_the_data():
    first = describe_figure(plot_unit_trajectories(states(seed=1))[0])
    second = describe_figure(plot_unit_trajectories(states(seed=2))[0])
    third = describe_figure(plot_unit_trajectories(states(T=7, H=3, seed=1))[0])
    assert first != second
    assert "3 lines" in third and "from 1 to 7" in third


def test_heat_map_gives_its_shape_and_range():
    h = states(T=12, H=4)
    alt = describe_figure(plot_state_heatmap(h)[0])
    assert "4 × 12 colour map" in alt
    assert "panel" not in alt  # the colour bar is part of the heat map, not a panel
    assert format_number(h.min()) in alt and format_number(h.max()) in alt


def test_panels_bars_points_and_log_scale():
    fig, (left, right) = plt.subplots(1, 2)
    fig.suptitle("Two views")
    left.bar(["a", "b", "c"], [1.0, 2.5, 4.0])
    left.set_title("bars")
    right.scatter([1, 2], [1e-7, 1e-3])
    right.set_yscale("log")
    right.set_title(r"$\rho$ and $\|W_h\|$")
    alt = describe_figure(fig)
    assert alt.startswith("Figure with 2 panels: Two views.")
    assert "panel 1 of 2, bars: 3 bars" in alt and "values between 1 and 4" in alt
    assert "panel 2 of 2, ρ and ‖W_h‖: 2 points" in alt and "(log scale)" in alt


def test_plain_text_and_numbers_read_aloud():
    assert plain_text(r"max $|y_t^{Keras} - y_t^{manual}|$") == "max |y_t^Keras - y_t^manual|"
    assert plain_text(r"$\Delta h_t$") == "Δ h_t"
    assert format_number(-0.7012) == "−0.70"
    assert format_number(15.0) == "15"
    assert format_number(3.21e-07) == "3.2e−07"


def test_non_finite_values_are_left_out_of_the_range():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [0.5, np.nan, np.inf])
    assert "values all 0.50" in describe_figure(fig)


def test_explicit_alt_text_wins_and_is_checked():
    fig, _ = plot_unit_trajectories(states())
    set_alt_text(fig, "A diagram of the recurrent cell")
    assert describe_figure(fig) == "A diagram of the recurrent cell"
    with pytest.raises(ValueError, match="non-empty"):
        set_alt_text(fig, "  ")
    with pytest.raises(TypeError, match="matplotlib Figure"):
        set_alt_text("not a figure", "text")


def test_html_is_an_opaque_png_with_escaped_alt():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title('quotes " and <tags>')
    fig.patch.set_alpha(0.0)  # even a transparent figure is drawn on white
    markup = figure_html(fig)
    alt = re.search(r'alt="([^"]*)"', markup).group(1)
    assert "&quot;" in alt and "&lt;tags&gt;" in alt
    png = re.search(r"base64,([A-Za-z0-9+/=]+)", markup).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(png))).convert("RGBA")
    assert image.getpixel((0, 0)) == (255, 255, 255, 255)
    assert figure_html(plt.figure()) is None  # nothing drawn, nothing shown


def test_the_display_hook_gives_figures_an_img_with_alt():
    from IPython.core.interactiveshell import InteractiveShell

    assert show_figures_with_alt_text() is False  # not in IPython: nothing to do
    shell = InteractiveShell.instance()
    try:
        assert show_figures_with_alt_text() is True
        fig, _ = plot_unit_trajectories(states())
        data, _ = shell.display_formatter.format(fig)
        assert f'alt="{describe_figure(fig)}"' in data["text/html"]
        # what the inline backend does when pyplot starts in a kernel: drop Figure's
        # formatters and register its own
        from IPython.core.pylabtools import select_figure_formats

        select_figure_formats(shell, {"png"})
        data, _ = shell.display_formatter.format(fig)
        assert "image/png" in data and "alt=" in data["text/html"]
    finally:
        InteractiveShell.clear_instance()
