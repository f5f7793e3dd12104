"""The live explorer driven from Python, as a learner's clicks would drive it."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import traitlets
from PIL import Image

from rnn_lab import count_parameters, tolerance_for
from rnn_lab.explorer.compute import (
    DIMS,
    HIDDEN_UNITS_RANGE,
    N_SAMPLES,
    OUTPUTS,
    RECURRENT_SCALE_RANGE,
    SEED_RANGE,
    SEQ_LEN_RANGE,
    ExplorerConfig,
    explore,
)
from rnn_lab.explorer.widget import FIGURE_DPI, FIGURE_SIZE, ExplorerWidget, explorer


@pytest.fixture
def widget() -> ExplorerWidget:
    return explorer()


def picture(widget: ExplorerWidget) -> Image.Image:
    return Image.open(io.BytesIO(widget.image.value))


def panel(widget: ExplorerWidget, name: str):
    return widget.live_figure.axes[name]


def test_starts_with_the_default_configuration_drawn(widget):
    assert isinstance(widget, ExplorerWidget)
    assert widget.config == ExplorerConfig()
    assert widget.result is not None and widget.result.config == ExplorerConfig()
    image = picture(widget)
    assert image.format == "PNG"
    assert image.size == (int(FIGURE_SIZE[0] * FIGURE_DPI), int(FIGURE_SIZE[1] * FIGURE_DPI))
    assert "H = 5, T = 15" in widget.summary.value
    assert f"{count_parameters(DIMS, 5, OUTPUTS)['total']} parameters" in widget.summary.value
    assert widget.output.outputs == ()
    assert widget.last_update_seconds > 0
    (tolerance,) = [
        line for line in panel(widget, "errors").get_lines() if line.get_label() == "tolerance"
    ]
    assert tolerance.get_ydata()[0] == tolerance_for("float32")
    assert panel(widget, "errors").get_ylim()[1] > tolerance_for("float32")  # and it is visible


def test_every_control_is_shown(widget):
    shown = []

    def walk(box):
        for child in box.children:
            shown.append(child)
            if hasattr(child, "children"):
                walk(child)

    walk(widget)
    for control in widget.controls.values():
        assert control in shown
    assert widget.image in shown and widget.summary in shown and widget.output in shown


def test_more_hidden_units_redraw_every_panel_at_the_new_size(widget):
    before_png, before_summary = widget.image.value, widget.summary.value
    widget.controls["hidden_units"].value = 12
    assert widget.result.states.shape == (N_SAMPLES, 15, 12)
    assert widget.image.value != before_png
    assert widget.summary.value != before_summary
    assert "H = 12" in widget.summary.value
    assert f"{count_parameters(DIMS, 12, OUTPUTS)['total']} parameters" in widget.summary.value
    segments = panel(widget, "trajectories").collections[0].get_segments()
    assert len(segments) == 12
    np.testing.assert_allclose(np.array(segments)[:, :, 1], widget.result.sample_states.T)
    assert len(panel(widget, "projection").collections[0].get_offsets()) == 15


def test_a_longer_sequence_redraws_every_panel_at_the_new_length(widget):
    widget.controls["seq_len"].value = 80
    assert widget.result.states.shape == (N_SAMPLES, 80, 5)
    assert "T = 80" in widget.summary.value
    segments = panel(widget, "trajectories").collections[0].get_segments()
    assert all(len(segment) == 80 for segment in segments)
    assert len(panel(widget, "projection").collections[0].get_offsets()) == 80
    assert widget.live_figure.time_colours.get_clim() == (1, 80)  # the colour bar of time follows T
    assert panel(widget, "errors").get_xlim() == panel(widget, "trajectories").get_xlim()
    error_points = sum(
        len(line.get_xdata())
        for line in panel(widget, "errors").get_lines()
        if line.get_label() == f"max over {N_SAMPLES} samples"
        or line.get_label().startswith(f"exactly 0 (max over {N_SAMPLES}")
    )
    assert error_points == 80


def test_panels_are_redrawn_not_piled_up(widget):
    for value in (3, 9, 4):
        widget.controls["hidden_units"].value = value
    trajectories = panel(widget, "trajectories")
    assert len(trajectories.collections) == 2  # the lines and their markers, once
    assert len(trajectories.patches) == 2  # the two saturation bands, once
    assert len(panel(widget, "projection").collections) == 1
    labels = [line.get_label() for line in panel(widget, "errors").get_lines()]
    assert labels.count("sample 0") == 1
    assert len(widget.live_figure.figure.axes) == 3  # three panels,
    assert len(panel(widget, "projection").child_axes) == 1  # and one colour bar (of time)


def test_recurrent_scale_and_seed_change_the_network(widget):
    widget.controls["recurrent_scale"].value = 2.5
    assert widget.result.config.recurrent_scale == 2.5
    scaled = widget.result.weights.Wh
    widget.controls["recurrent_scale"].value = 1.0
    np.testing.assert_allclose(scaled, 2.5 * widget.result.weights.Wh, rtol=1e-6)
    before = widget.result.weights.Wx
    widget.controls["seed"].value = 7
    assert widget.result.config.seed == 7
    assert not np.array_equal(widget.result.weights.Wx, before)


def test_the_sample_menu_chooses_the_sample_drawn(widget):
    before = widget.image.value
    widget.controls["sample"].value = 3
    segments = panel(widget, "trajectories").collections[0].get_segments()
    np.testing.assert_allclose(np.array(segments)[:, :, 1], widget.result.states[3].T)
    assert widget.image.value != before
    assert "sample 3" in [line.get_label() for line in panel(widget, "errors").get_lines()]


def test_the_widget_shows_what_explore_computes(widget):
    widget.controls["hidden_units"].value = 9
    widget.controls["seq_len"].value = 33
    widget.controls["recurrent_scale"].value = 1.5
    expected = explore(hidden_units=9, seq_len=33, recurrent_scale=1.5)
    assert widget.summary.value == expected.summary.replace("&", "&amp;")
    assert widget.result.max_error == expected.max_error


@pytest.mark.parametrize(
    "name, bounds",
    [
        ("hidden_units", HIDDEN_UNITS_RANGE),
        ("seq_len", SEQ_LEN_RANGE),
        ("seed", SEED_RANGE),
        ("recurrent_scale", RECURRENT_SCALE_RANGE),
    ],
)
def test_out_of_range_values_are_clamped(widget, name, bounds):
    control = widget.controls[name]
    low, high = bounds
    control.value = high + 1000
    assert control.value == high
    assert getattr(widget.result.config, name) == high
    control.value = low - 1000
    assert control.value == low
    assert getattr(widget.result.config, name) == low
    assert widget.output.outputs == ()


def test_a_sample_that_does_not_exist_is_refused_and_nothing_changes(widget):
    before = widget.image.value
    with pytest.raises(traitlets.TraitError):
        widget.controls["sample"].value = N_SAMPLES
    assert widget.controls["sample"].value == 0
    assert widget.image.value == before


def test_an_error_is_shown_and_the_widget_keeps_working(widget):
    calls = []

    def failing_once(config):
        calls.append(config)
        if len(calls) == 1:
            raise RuntimeError("simulated failure")
        return explore(config)

    widget.compute = failing_once
    before_png = widget.image.value
    widget.controls["hidden_units"].value = 6
    (message,) = widget.output.outputs
    assert "RuntimeError: simulated failure" in message["text"]
    assert "Update failed" in widget.summary.value
    assert widget.image.value == before_png  # the last good picture stays
    widget.controls["hidden_units"].value = 7
    assert widget.output.outputs == ()  # recovered: the message is gone
    assert "H = 7" in widget.summary.value
    assert widget.image.value != before_png


def test_a_configuration_can_be_given():
    widget = explorer(ExplorerConfig(hidden_units=3, seq_len=50, recurrent_scale=0.5, sample=1))
    assert widget.controls["hidden_units"].value == 3
    assert widget.controls["sample"].value == 1
    assert widget.result.states.shape == (N_SAMPLES, 50, 3)
    assert "Wh × 0.5" in widget.summary.value


def test_a_partial_redraw_gives_exactly_the_picture_of_a_full_one(widget):
    """Updates that keep the frames and ticks only redraw the data over a saved
    background; the result must be the picture a redraw from scratch gives."""
    widget.controls["hidden_units"].value = 12
    widget.controls["seq_len"].value = 40
    blitted = []
    for scale in (0.5, 0.55, 0.6):
        widget.controls["recurrent_scale"].value = scale
        blitted.append(widget.live_figure.blitted)
    widget.controls["sample"].value = 2
    blitted.append(widget.live_figure.blitted)
    assert any(blitted)  # the partial redraw was exercised
    partial = np.asarray(picture(widget))
    full = np.asarray(Image.open(io.BytesIO(widget.live_figure.render(full=True))))
    np.testing.assert_array_equal(partial, full)


def test_a_new_time_axis_is_drawn_from_scratch(widget):
    widget.controls["seq_len"].value = 20
    assert not widget.live_figure.blitted
    axis = panel(widget, "trajectories")
    assert axis.get_xlim() == (0.5, 20.5)
