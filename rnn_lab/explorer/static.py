"""The explorer for the static website: precomputed, drawn by a few lines of JavaScript.

The live widget (:mod:`rnn_lab.explorer.widget`) needs a Python kernel. On the book's website there
is none, so this module runs :func:`~rnn_lab.explorer.compute.explore` ahead of time for a grid of
hidden units ``H`` × sequence lengths ``T`` × recurrent scales and writes one self-contained
HTML block: the numbers (compactly encoded), three sliders, and a small script that draws the
same four panels as the widget as SVG whenever a slider moves. No kernel, no network, no
library: the block works offline wherever HTML and JavaScript do (the built book, a saved
notebook, Jupyter, Colab).

Sizes. The hidden states of one sample are stored once per ``(H, scale)`` for the longest
``T`` (shorter runs are their first steps, see :meth:`ExplorerResult.truncated`), rounded to
``int8`` as ``round(127·h)`` (``|h| ≤ 1``; an error of at most 1/254, far below a pixel).
Errors and the 2-D projections are float32. The default grid weighs under 1 MB of HTML.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from ..projection import project_trajectory
from ..stability import SATURATION_LEVEL
from ..tolerances import machine_epsilon, tolerance_for
from .compute import (
    HIDDEN_UNITS_RANGE,
    N_SAMPLES,
    RECURRENT_SCALE_RANGE,
    SEQ_LEN_RANGE,
    ExplorerConfig,
    ExplorerResult,
    explore,
)

#: The precomputed grid: every combination of these is one view.
STATIC_HIDDEN_UNITS = (1, 2, 3, 5, 8, 16, 32, 64)
STATIC_SEQ_LENS = (5, 15, 30, 60, 100, 200)
STATIC_RECURRENT_SCALES = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
#: The view shown first: the book's running example.
STATIC_DEFAULT = {"hidden_units": 5, "seq_len": 15, "recurrent_scale": 1.0}
#: ``h`` is stored as ``round(STATE_SCALE · h)`` in an int8.
STATE_SCALE = 127
#: Colours per colour map: enough that neighbouring steps are indistinguishable.
COLOUR_STEPS = 64
#: The block must stay light enough for a page on a phone connection.
MAX_HTML_BYTES = 1_500_000

_AXES = ("hidden_units", "seq_len", "recurrent_scale")
_LIMITS = {
    "hidden_units": HIDDEN_UNITS_RANGE,
    "seq_len": SEQ_LEN_RANGE,
    "recurrent_scale": RECURRENT_SCALE_RANGE,
}
_instances = itertools.count(1)


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _check_grid(name: str, values: Any) -> tuple:
    values = tuple(values)
    low, high = _LIMITS[name]
    if not values or any(not low <= v <= high for v in values):
        raise ValueError(f"{name} values must lie in {low}..{high}; got {values}")
    if list(values) != sorted(set(values)):
        raise ValueError(f"{name} values must be increasing, without repeats; got {values}")
    return values


def _colours(name: str) -> list[str]:
    cmap = colormaps[name]
    return [to_hex(cmap(i / (COLOUR_STEPS - 1))) for i in range(COLOUR_STEPS)]


def _run_entry(full: ExplorerResult) -> dict:
    states = np.round(full.sample_states * STATE_SCALE)
    return {"states": _b64(states, "i1"), "errors": _b64(full.errors, "<f4")}


def _view_entry(result: ExplorerResult) -> dict:
    projection = project_trajectory(result.sample_states, 2)
    return {
        "pca": _b64(projection.coords, "<f4"),
        "share": [round(float(s), 4) for s in projection.explained],
        "summary": result.summary,
    }


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
        views.extend(_view_entry(full.truncated(t)) for t in grids["seq_len"])
    default = [
        grids[name].index(STATIC_DEFAULT[name]) if STATIC_DEFAULT[name] in grids[name] else 0
        for name in _AXES
    ]
    return {
        "axes": {name: list(values) for name, values in grids.items()},
        "default": default,
        "t_max": t_max,
        "seed": config.seed,
        "sample": config.sample,
        "n_samples": N_SAMPLES,
        "state_scale": STATE_SCALE,
        "saturation": SATURATION_LEVEL,
        "eps": machine_epsilon(config.dtype),
        "tolerance": tolerance_for(config.dtype),
        "dtype": config.dtype,
        "colours": {
            "units": [to_hex(f"C{j}") for j in range(10)],
            "heat": _colours("RdBu_r"),
            "time": _colours("viridis"),
        },
        "runs": runs,
        "views": views,
    }


_LABELS = {
    "hidden_units": ("hidden units H", "h"),
    "seq_len": ("sequence length T", "t"),
    "recurrent_scale": ("recurrent scale (× Wh)", "s"),
}

_STYLE = """
#__ID__ { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6em 0.8em;
  margin: 0.8em 0; max-width: 100%; box-sizing: border-box; background: #fff; color: #222; }
#__ID__ .rle-controls { display: flex; flex-wrap: wrap; gap: 0.3em 1.6em; }
#__ID__ label { display: flex; align-items: center; gap: 0.5em; margin: 0; }
#__ID__ label span { min-width: 10.5em; }
#__ID__ input[type=range] { width: 9em; max-width: 38vw; }
#__ID__ output { font-weight: bold; min-width: 2.5em; }
#__ID__ .rle-summary { font-family: monospace; font-size: 0.8em; margin: 0.5em 0;
  overflow-wrap: anywhere; }
#__ID__ .rle-panels { display: grid; gap: 0.4em;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr)); }
#__ID__ .rle-panels svg { width: 100%; height: auto; display: block; }
#__ID__ .rle-note { font-size: 0.8em; color: #555; margin: 0.3em 0 0; }
"""

#: The drawing script, package data beside this module (linted by Biome, run in Chromium by
#: the tests). It only reads its own block (found by ``__ID__``, replaced per block), draws SVG
#: strings and listens to its own three sliders; ES5-style, no library.
SCRIPT_FILE = "static_explorer.js"


def _script() -> str:
    return "\n" + resources.files(__package__).joinpath(SCRIPT_FILE).read_text(encoding="utf-8")


def _control(name: str, values: tuple, index: int) -> str:
    text, key = _LABELS[name]
    shown = f"{values[index]:.1f}" if name == "recurrent_scale" else str(values[index])
    return (
        f'<label><span>{text}</span><input type="range" data-role="control-{key}" min="0" '
        f'max="{len(values) - 1}" step="1" value="{index}" aria-label="{text}">'
        f'<output data-role="value-{key}">{shown}</output></label>'
    )


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
        f'<div id="{root_id}" class="rnn-lab-static-explorer">'
        f"<style>{_STYLE.replace('__ID__', root_id)}</style>"
        f'<div class="rle-controls">{controls}</div>'
        '<p class="rle-summary" data-role="summary"></p>'
        f'<div class="rle-panels">{panels}</div>'
        f'<p class="rle-note">{note}</p>'
        "<noscript>This explorer needs JavaScript.</noscript>"
        f'<script type="application/json" data-role="data">{payload}</script>'
        f"<script>{_script().replace('__ID__', root_id)}</script>"
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
