"""The explorer for the static website: precomputed, drawn by a few lines of JavaScript.

The live widget (:mod:`rnn_lab.explorer.widget`) needs a Python kernel. On the book's website there
is none, so this module runs :func:`~rnn_lab.explorer.compute.explore` ahead of time for a grid of
hidden units ``H`` × sequence lengths ``T`` × recurrent scales and writes one self-contained
HTML block: the numbers (compactly encoded), three sliders, and the renderer the live widget
uses too (:mod:`.renderer`, ``explorer.js``), which draws the same four panels as SVG
whenever a slider moves. No kernel, no network, no
library: the block works offline wherever HTML and JavaScript do (the built book, a saved
notebook, Jupyter, Colab).

Sizes. The hidden states of one sample are stored once per ``(H, scale)`` for the longest
``T`` (shorter runs are their first steps, see :meth:`ExplorerResult.truncated`), rounded to
``int8`` as ``round(127·h)`` (``|h| ≤ 1``; an error of at most 1/254, far below a pixel).
Errors and the 2-D projections are float32. The default grid weighs under 1 MB of HTML.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from .compute import CONTROL_RANGES, ExplorerConfig, ExplorerResult, explore
from .renderer import STYLE, b64, encode_states, projection_view, script, settings

#: The precomputed grid: every combination of these is one view.
STATIC_HIDDEN_UNITS = (1, 2, 3, 5, 8, 16, 32, 64)
STATIC_SEQ_LENS = (5, 15, 30, 60, 100, 200)
STATIC_RECURRENT_SCALES = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
#: The view shown first: the book's running example.
STATIC_DEFAULT = {"hidden_units": 5, "seq_len": 15, "recurrent_scale": 1.0}
#: The block must stay light enough for a page on a phone connection.
MAX_HTML_BYTES = 1_500_000

_AXES = ("hidden_units", "seq_len", "recurrent_scale")
_instances = itertools.count(1)


def _check_grid(name: str, values: Any) -> tuple:
    values = tuple(values)
    low, high = CONTROL_RANGES[name]
    if not values or any(not low <= v <= high for v in values):
        raise ValueError(f"{name} values must lie in {low}..{high}; got {values}")
    if list(values) != sorted(set(values)):
        raise ValueError(f"{name} values must be increasing, without repeats; got {values}")
    return values


def _run_entry(full: ExplorerResult) -> dict:
    return {"states": encode_states(full.sample_states), "errors": b64(full.errors, "<f4")}


def static_explorer_data(
    hidden_units: Any = STATIC_HIDDEN_UNITS,
    seq_lens: Any = STATIC_SEQ_LENS,
    recurrent_scales: Any = STATIC_RECURRENT_SCALES,
    *,
    seed: int = 0,
    sample: int = 0,
) -> dict:
    """Everything the page draws, for every combination of the three grids.

    ``runs[i·S + k]`` holds hidden units ``hidden_units[i]`` at scale ``recurrent_scales[k]``
    (``S`` scales): the states ``(T_max, H)`` and the error per timestep ``(T_max,)``.
    ``views[(i·S + k)·L + l]`` adds what depends on ``seq_lens[l]`` too (``L`` lengths):
    the projection ``(T, 2)``, its variance shares and the summary line.
    """
    grids = dict(zip(_AXES, (hidden_units, seq_lens, recurrent_scales), strict=True))
    grids = {name: _check_grid(name, values) for name, values in grids.items()}
    config = ExplorerConfig(seed=seed, sample=sample)  # checks seed and sample
    t_max = grids["seq_len"][-1]
    runs, views = [], []
    for h, s in itertools.product(grids["hidden_units"], grids["recurrent_scale"]):
        full = explore(config.with_values(hidden_units=h, seq_len=t_max, recurrent_scale=s))
        runs.append(_run_entry(full))
        views.extend(projection_view(full.truncated(t)) for t in grids["seq_len"])
    default = [
        grids[name].index(STATIC_DEFAULT[name]) if STATIC_DEFAULT[name] in grids[name] else 0
        for name in _AXES
    ]
    return {
        **settings(config.dtype),  # what every view shares, as for the live widget
        "axes": {name: list(values) for name, values in grids.items()},
        "default": default,
        "t_max": t_max,
        "seed": config.seed,
        "sample": config.sample,
        "runs": runs,
        "views": views,
    }


_LABELS = {
    "hidden_units": ("hidden units H", "h"),
    "seq_len": ("sequence length T", "t"),
    "recurrent_scale": ("recurrent scale (× Wh)", "s"),
}


def _control(name: str, values: tuple, index: int) -> str:
    text, key = _LABELS[name]
    shown = f"{values[index]:.1f}" if name == "recurrent_scale" else str(values[index])
    return (
        f'<label><span>{text}</span><input type="range" data-role="control-{key}" min="0" '
        f'max="{len(values) - 1}" step="1" value="{index}" aria-label="{text}">'
        f'<output data-role="value-{key}">{shown}</output></label>'
    )


def static_script(root_id: str) -> str:
    """The block's script: the shared renderer (:mod:`.renderer`), in a function of its own
    so that it defines nothing global, mounted on the block with id ``root_id``."""
    mount = f"rnnLabExplorer.mountStatic(document.getElementById({json.dumps(root_id)}));"
    return f"(function () {{\n{script()}\n{mount}\n}})();"


def static_explorer_html(data: dict) -> str:
    """The self-contained HTML block for ``data`` (from :func:`static_explorer_data`)."""
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    digest = hashlib.sha256(payload.encode()).hexdigest()[:10]
    root_id = f"rnn-lab-explorer-{digest}-{next(_instances)}"
    axes = data["axes"]
    controls = "".join(
        _control(name, tuple(axes[name]), index)
        for name, index in zip(_AXES, data["default"], strict=True)
    )
    panels = "".join(
        f'<div data-role="panel-{name}"></div>'
        for name in ("trajectories", "heatmap", "projection", "errors")
    )
    views = len(data["views"])
    note = (
        f"Precomputed for {views} settings (weights seed {data['seed']}, sample "
        f"{data['sample']}, {data['dtype']}) and drawn by JavaScript in this page: no Python "
        "kernel and no network needed. For any other setting, run the live explorer."
    )
    return (
        f'<div id="{root_id}" class="rnn-lab-explorer rnn-lab-static-explorer">'
        f"<style>{STYLE}</style>"
        f'<div class="rle-controls">{controls}</div>'
        '<p class="rle-summary" data-role="summary"></p>'
        f'<div class="rle-panels">{panels}</div>'
        f'<p class="rle-note">{note}</p>'
        "<noscript>This explorer needs JavaScript.</noscript>"
        f'<script type="application/json" data-role="data">{payload}</script>'
        f"<script>{static_script(root_id)}</script>"
        "</div>"
    )


@dataclass(frozen=True, eq=False)
class StaticExplorer:
    """The block, displayed as HTML by Jupyter and the book (``_repr_html_``)."""

    data: dict
    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        axes = self.data["axes"]
        sizes = " × ".join(f"{len(axes[name])} {name}" for name in _AXES)
        return f"StaticExplorer({sizes}; {len(self.html) / 1e6:.2f} MB of HTML)"


def build_static_explorer(
    hidden_units: Any = STATIC_HIDDEN_UNITS,
    seq_lens: Any = STATIC_SEQ_LENS,
    recurrent_scales: Any = STATIC_RECURRENT_SCALES,
    *,
    seed: int = 0,
    sample: int = 0,
) -> StaticExplorer:
    """Precompute the grid and build the block; put it last in a cell to show it."""
    data = static_explorer_data(hidden_units, seq_lens, recurrent_scales, seed=seed, sample=sample)
    html = static_explorer_html(data)
    if len(html.encode()) > MAX_HTML_BYTES:
        raise ValueError(
            f"the explorer's HTML would be {len(html.encode()) / 1e6:.1f} MB, over the "
            f"{MAX_HTML_BYTES / 1e6:.1f} MB budget: use a smaller grid"
        )
    return StaticExplorer(data, html)
