"""The live explorer driven from Python, as a learner's clicks (or a front end's messages)
would drive it: what the kernel computes and sends to the browser for each change, its
range checks and error handling, and its fallback for front ends without custom widgets.
How the browser draws what it is sent: tests/test_static_explorer.py (the same script) and
tests/browser/test_live_widget.py (the widget in Voilà and Chromium)."""

from __future__ import annotations

import base64
import io
import re

import nbformat
import numpy as np
import pytest
import traitlets
from helpers import max_abs_error
from nbconvert import HTMLExporter
from PIL import Image

from rnn_lab import count_parameters, tolerance_for
from rnn_lab.explorer import renderer
from rnn_lab.explorer.compute import (
    CONTROL_RANGES,
    DIMS,
    N_SAMPLES,
    OUTPUTS,
    ExplorerConfig,
    explore,
)
from rnn_lab.explorer.widget import (
    CONTROLS,
    FALLBACK_DPI,
    FALLBACK_FIGURE_SIZE,
    FALLBACK_MESSAGE,
    ExplorerWidget,
    explorer,
)
from rnn_lab.projection import project_trajectory

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def widget() -> ExplorerWidget:
    return explorer()


def decode(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def check_frame_shows(widget: ExplorerWidget, expected) -> None:
    """The numbers sent to the browser are ``expected``'s, for its chosen sample."""
    frame, config = widget.frame, expected.config
    T, H, sample = config.seq_len, config.hidden_units, config.sample
    assert (frame["hidden_units"], frame["seq_len"], frame["sample"]) == (H, T, sample)
    states = decode(frame["states"], "i1").reshape(T, H) / renderer.STATE_SCALE
    assert max_abs_error(states, expected.sample_states) <= 0.5 / renderer.STATE_SCALE
    np.testing.assert_array_equal(decode(frame["errors"], "<f4"), expected.errors)
    np.testing.assert_array_equal(
        decode(frame["sample_errors"], "<f4"), expected.errors_per_sample[sample]
    )
    projection = project_trajectory(expected.sample_states)
    coords = decode(frame["pca"], "<f4").reshape(T, 2)
    np.testing.assert_allclose(coords, projection.coords, rtol=1e-6, atol=1e-7)
    assert frame["summary"] == expected.summary == widget.summary


def test_starts_with_the_default_configuration_sent(widget):
    assert isinstance(widget, ExplorerWidget)
    assert widget.config == ExplorerConfig()
    assert widget.result is not None and widget.result.config == ExplorerConfig()
    check_frame_shows(widget, explore(ExplorerConfig()))
    assert "H = 5, T = 15" in widget.summary
    assert f"{count_parameters(DIMS, 5, OUTPUTS)['total']} parameters" in widget.summary
    assert widget.error == "" and widget.revision == 1
    assert widget.last_update_seconds > 0
    assert widget.settings["tolerance"] == tolerance_for("float32")
    # the browser's controls take their ranges from here: they are written once, in Python
    assert widget.settings["ranges"] == {name: list(r) for name, r in CONTROL_RANGES.items()}
    assert widget.settings["ranges"]["sample"] == [0, N_SAMPLES - 1]


def test_the_browser_code_is_the_shared_renderer_inlined():
    esm = ExplorerWidget._esm
    esm = str(esm)
    assert esm.startswith(renderer.script())  # the very file the static page runs
    assert esm.rstrip().endswith("export default { render: rnnLabExplorer.render };")
    # Offline: nothing imported, nothing fetched; the only address is SVG's namespace name.
    assert not re.search(r"\bimport\b|fetch\(|XMLHttpRequest", esm)
    assert set(re.findall(r"https?://[^\"' ]+", esm)) == {"http://www.w3.org/2000/svg"}
    assert ".rnn-lab-explorer" in str(ExplorerWidget._css)


def test_every_control_is_a_synced_trait(widget):
    synced = set(widget.keys)
    assert set(CONTROLS) <= synced
    assert {"frame", "settings", "error", "revision", "_esm", "_css"} <= synced


def test_more_hidden_units_send_every_panel_at_the_new_size(widget):
    before = dict(widget.frame)
    widget.hidden_units = 12
    assert widget.result.states.shape == (N_SAMPLES, 15, 12)
    assert widget.frame != before and widget.revision == 2
    assert "H = 12" in widget.summary
    assert f"{count_parameters(DIMS, 12, OUTPUTS)['total']} parameters" in widget.summary
    check_frame_shows(widget, explore(hidden_units=12))


def test_a_longer_sequence_sends_every_panel_at_the_new_length(widget):
    widget.seq_len = 80
    assert widget.result.states.shape == (N_SAMPLES, 80, 5)
    assert "T = 80" in widget.summary
    check_frame_shows(widget, explore(seq_len=80))


def test_recurrent_scale_and_seed_change_the_network(widget):
    widget.recurrent_scale = 2.5
    assert widget.result.config.recurrent_scale == 2.5
    scaled = widget.result.weights.Wh
    widget.recurrent_scale = 1.0
    np.testing.assert_allclose(scaled, 2.5 * widget.result.weights.Wh, rtol=1e-6)
    before = widget.result.weights.Wx
    widget.seed = 7
    assert widget.result.config.seed == 7
    assert not np.array_equal(widget.result.weights.Wx, before)
    check_frame_shows(widget, explore(seed=7))


def test_the_sample_menu_chooses_the_sample_drawn(widget):
    before = widget.frame["states"]
    widget.sample = 3
    assert widget.frame["states"] != before
    check_frame_shows(widget, explore(sample=3))
    np.testing.assert_array_equal(widget.result.sample_states, widget.result.states[3])


def test_the_widget_sends_what_explore_computes(widget):
    widget.hidden_units = 9
    widget.seq_len = 33
    widget.recurrent_scale = 1.5
    expected = explore(hidden_units=9, seq_len=33, recurrent_scale=1.5)
    check_frame_shows(widget, expected)
    assert widget.result.max_error == expected.max_error


def test_a_change_from_the_browser_updates_once(widget):
    """The browser sends every control that changed in one message: one update, one answer."""
    widget.set_state({"hidden_units": 9, "seq_len": 40, "recurrent_scale": 0.5})
    assert widget.revision == 2
    check_frame_shows(widget, explore(hidden_units=9, seq_len=40, recurrent_scale=0.5))


@pytest.mark.parametrize("name", ["hidden_units", "seq_len", "seed", "recurrent_scale"])
def test_out_of_range_values_are_clamped(widget, name):
    low, high = CONTROL_RANGES[name]
    setattr(widget, name, high + 1000)
    assert getattr(widget, name) == high
    assert getattr(widget.result.config, name) == high
    setattr(widget, name, low - 1000)
    assert getattr(widget, name) == low
    assert getattr(widget.result.config, name) == low
    assert widget.error == ""


@pytest.mark.parametrize(
    "name, bad", [("hidden_units", "12"), ("seq_len", 2.5), ("recurrent_scale", float("nan"))]
)
def test_nonsense_is_refused_and_nothing_changes(widget, name, bad):
    before = dict(widget.frame)
    with pytest.raises(traitlets.TraitError):
        setattr(widget, name, bad)
    assert widget.frame == before and widget.config == ExplorerConfig()


def test_a_sample_that_does_not_exist_is_refused_and_nothing_changes(widget):
    before = dict(widget.frame)
    with pytest.raises(traitlets.TraitError, match=f"sample must be in 0..{N_SAMPLES - 1}"):
        widget.sample = N_SAMPLES
    assert widget.sample == 0
    assert widget.frame == before


def test_an_error_is_shown_and_the_widget_keeps_working(widget):
    calls = []

    def failing_once(config):
        calls.append(config)
        if len(calls) == 1:
            raise RuntimeError("simulated failure")
        return explore(config)

    widget.compute = failing_once
    before = dict(widget.frame)
    widget.hidden_units = 6
    assert widget.error == "RuntimeError: simulated failure"
    assert widget.summary.startswith("Update failed: RuntimeError: simulated failure")
    assert widget.frame == before  # the last good picture stays
    assert widget.revision == 2  # and the browser hears the answer
    widget.hidden_units = 7
    assert widget.error == ""  # recovered: the message is gone
    assert "H = 7" in widget.summary
    check_frame_shows(widget, explore(hidden_units=7))


def test_a_configuration_can_be_given():
    widget = explorer(ExplorerConfig(hidden_units=3, seq_len=50, recurrent_scale=0.5, sample=1))
    assert (widget.hidden_units, widget.sample) == (3, 1)
    assert widget.result.states.shape == (N_SAMPLES, 50, 3)
    assert "Wh × 0.5" in widget.summary
    assert repr(widget).startswith("ExplorerWidget(hidden_units=3, seq_len=50")
    with pytest.raises(TypeError, match="ExplorerConfig"):
        ExplorerWidget({"hidden_units": 3})


def test_the_payload_stays_small():
    """What one update sends: a few kilobytes even at the largest size."""
    import json

    widget = explorer(ExplorerConfig(hidden_units=64, seq_len=200))
    size = len(json.dumps(widget.get_state(["frame", "error", "revision"])))
    assert size < 30_000


# ---------------------------------------------------------------- front ends without widgets


def fallback_picture(data: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data["image/png"])))


def test_the_display_has_a_fallback_for_front_ends_without_custom_widgets(widget):
    widget.hidden_units = 7
    data, _metadata = widget._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == widget.model_id  # the widget, where it can be shown
    assert FALLBACK_MESSAGE in data["text/plain"] and "H = 7" in data["text/plain"]
    html = data["text/html"]
    assert FALLBACK_MESSAGE in html and "H = 7" in html
    (src,) = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert src == data["image/png"]
    picture = fallback_picture(data)
    assert picture.format == "PNG"
    assert picture.size == tuple(round(v * FALLBACK_DPI) for v in FALLBACK_FIGURE_SIZE)
    assert np.asarray(picture).std() > 10  # something is drawn, not a blank image
    widget.hidden_units = 30  # the picture is of the state when displayed
    assert widget._repr_mimebundle_()[0]["image/png"] != data["image/png"]


def test_a_plain_html_export_shows_the_fallback(widget):
    """nbconvert's HTML export, without saved widget state, picks the fallback: a message
    and the picture, never an empty cell."""
    data, metadata = widget._repr_mimebundle_()
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("explorer()")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    notebook.cells = [cell]
    body, _ = HTMLExporter().from_notebook_node(notebook)
    assert FALLBACK_MESSAGE in body.replace("\n", " ")
    assert f"data:image/png;base64,{data['image/png'][:200]}" in body
    assert WIDGET_VIEW not in body


def test_a_widget_that_never_computed_still_displays_and_explains():
    def failing(config):
        raise RuntimeError("no Keras here")

    widget = ExplorerWidget(compute=failing)
    assert widget.result is None and widget.frame == {}
    assert widget.error == "RuntimeError: no Keras here"
    data, _ = widget._repr_mimebundle_()
    assert FALLBACK_MESSAGE in data["text/html"] and "image/png" not in data
    assert "Update failed: RuntimeError: no Keras here" in data["text/plain"]
