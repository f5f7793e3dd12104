"""The browser side both explorers share: one script, one style, one format for the numbers.

``explorer.js`` (package data beside this module, linted by Biome, run in Chromium by the
tests) draws a *view* of the explorer as four SVG panels and a summary line. A view is a
dict of numbers, the same for both data sources:

- ``hidden_units`` ``H`` and ``seq_len`` ``T``;
- ``states``: ``h_t`` of the sample drawn, ``(T', H)`` with ``T' ≥ T`` (only the first
  ``T`` rows are drawn), stored as ``round(STATE_SCALE · h)`` in int8, base64;
- ``errors``: ``e_t``, the largest ``|y_t(Keras) − y_t(manual)|`` over every sample and
  output, ``(T',)`` float32, base64; optionally ``sample_errors`` (the same for the sample
  drawn) and ``sample``, its index;
- ``pca``: the 2-D path, ``(T, 2)`` float32, base64, and ``share``, the spread each
  direction explains; ``summary``: :attr:`ExplorerResult.summary`.

The static page (:mod:`.static`) stores the views of a grid; the live widget
(:mod:`.widget`) sends one view per update. :func:`settings` gives what does not change
between views (colours, tolerance, machine epsilon, saturation level, the controls' ranges).
"""

from __future__ import annotations

import base64
from importlib import resources
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from ..projection import project_trajectory
from ..stability import SATURATION_LEVEL
from ..tolerances import machine_epsilon, tolerance_for
from .compute import CONTROL_RANGES, N_SAMPLES, ExplorerResult

#: The renderer's file, package data beside this module.
SCRIPT_FILE = "explorer.js"
#: ``h`` is sent as ``round(STATE_SCALE · h)`` in an int8: ``|h| ≤ 1``, so the error is at
#: most 1/254, far below a pixel of the drawn panels.
STATE_SCALE = 127
#: Colours per colour map: enough that neighbouring steps are indistinguishable.
COLOUR_STEPS = 64
#: Step of the live explorer's recurrent-scale slider.
SCALE_STEP = 0.05

#: The explorer's look, for both sources. Scoped by class: every block on a page has the same.
STYLE = """
.rnn-lab-explorer { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6em 0.8em;
  margin: 0.8em 0; max-width: 100%; box-sizing: border-box; background: #fff; color: #222; }
.rnn-lab-explorer .rle-controls { display: flex; flex-wrap: wrap; gap: 0.3em 1.6em; }
.rnn-lab-explorer label { display: flex; align-items: center; gap: 0.5em; margin: 0; }
.rnn-lab-explorer label span { min-width: 10.5em; }
.rnn-lab-explorer input[type=range] { width: 9em; max-width: 38vw; }
.rnn-lab-explorer input[type=number] { width: 6em; }
.rnn-lab-explorer output { font-weight: bold; min-width: 2.5em; }
.rnn-lab-explorer .rle-summary { font-family: monospace; font-size: 0.8em; margin: 0.5em 0;
  overflow-wrap: anywhere; }
.rnn-lab-explorer .rle-panels { display: grid; gap: 0.4em;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr)); }
.rnn-lab-explorer .rle-panels svg { width: 100%; height: auto; display: block; }
.rnn-lab-explorer .rle-panels > div { aspect-ratio: 400 / 290; }
.rnn-lab-explorer .rle-note { font-size: 0.8em; color: #555; margin: 0.3em 0 0; }
.rnn-lab-explorer .rle-output { color: #b00; white-space: pre-wrap; margin: 0.3em 0 0; }
"""


def script() -> str:
    """The text of ``explorer.js``: it defines ``rnnLabExplorer`` (``draw``,
    ``mountStatic``, ``render``) and nothing else."""
    return resources.files(__package__).joinpath(SCRIPT_FILE).read_text(encoding="utf-8")


def module_script() -> str:
    """``explorer.js`` as the ES module anywidget loads (inlined, never fetched)."""
    return script() + "\nexport default { render: rnnLabExplorer.render };\n"


def b64(array: np.ndarray, dtype: str) -> str:
    """``array`` as ``dtype`` bytes (``"i1"``, ``"<f4"``), base64-encoded."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def encode_states(states: np.ndarray) -> str:
    """``h_t`` ``(T, H)`` with ``|h| ≤ 1`` as base64 int8 ``round(STATE_SCALE · h)``."""
    return b64(np.round(np.asarray(states, dtype=np.float64) * STATE_SCALE), "i1")


def _colours(name: str) -> list[str]:
    cmap = colormaps[name]
    return [to_hex(cmap(i / (COLOUR_STEPS - 1))) for i in range(COLOUR_STEPS)]


def settings(dtype: str = "float32") -> dict[str, Any]:
    """What every view of an explorer shares: constants, colours and the controls' ranges."""
    return {
        "n_samples": N_SAMPLES,
        "state_scale": STATE_SCALE,
        "saturation": SATURATION_LEVEL,
        "eps": machine_epsilon(dtype),
        "tolerance": tolerance_for(dtype),
        "dtype": str(np.dtype(dtype)),
        "colours": {
            "units": [to_hex(f"C{j}") for j in range(10)],
            "heat": _colours("RdBu_r"),
            "time": _colours("viridis"),
        },
        "ranges": {name: list(bounds) for name, bounds in CONTROL_RANGES.items()},
        "scale_step": SCALE_STEP,
    }


def projection_view(result: ExplorerResult) -> dict[str, Any]:
    """The part of a view that depends on ``T``: the 2-D path, its shares, the summary."""
    projection = project_trajectory(result.sample_states, 2)
    return {
        "pca": b64(projection.coords, "<f4"),
        "share": [round(float(s), 4) for s in projection.explained],
        "summary": result.summary,
    }


def view(result: ExplorerResult) -> dict[str, Any]:
    """Everything the renderer draws for ``result`` (its chosen sample), as one view."""
    sample = result.config.sample
    return {
        "hidden_units": result.config.hidden_units,
        "seq_len": result.config.seq_len,
        "states": encode_states(result.sample_states),
        "errors": b64(result.errors, "<f4"),
        "sample_errors": b64(result.errors_per_sample[sample], "<f4"),
        "sample": sample,
        **projection_view(result),
    }
