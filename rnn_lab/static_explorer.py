"""The explorer for the static website: precomputed, drawn by a few lines of JavaScript.

The live widget (:mod:`rnn_lab.widgets`) needs a Python kernel. On the book's website there
is none, so this module runs :func:`~rnn_lab.explorer.explore` ahead of time for a grid of
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
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from .explorer import (
    HIDDEN_UNITS_RANGE,
    N_SAMPLES,
    RECURRENT_SCALE_RANGE,
    SEQ_LEN_RANGE,
    ExplorerConfig,
    ExplorerResult,
    explore,
)
from .projection import project_trajectory
from .stability import SATURATION_LEVEL
from .tolerances import machine_epsilon, tolerance_for

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

# The drawing code. It only reads its own block (found by id), draws SVG strings and
# listens to its own three sliders; ES2015, no library.
_SCRIPT = r"""
(function () {
  "use strict";
  var root = document.getElementById("__ID__");
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var part = function (role) { return root.querySelector('[data-role="' + role + '"]'); };
  var data = JSON.parse(part("data").textContent);
  var W = 400, H = 290, M = { l: 62, r: 14, t: 30, b: 48 };
  var axes = data.axes, nS = axes.recurrent_scale.length, nT = axes.seq_len.length;

  function decode(text, Kind) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return new Kind(bytes.buffer);
  }
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function n1(v) { return v.toFixed(1); }
  function label(v) {
    var a = Math.abs(v);
    if (a === 0) { return "0"; }
    if (a >= 1e4 || a < 1e-2) { return v.toExponential(0); }
    return String(Math.round(v * 1000) / 1000);
  }
  function ticks(lo, hi, count, integer) {
    if (!(hi > lo)) { return [lo]; }
    var raw = (hi - lo) / count, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p, step = (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p, out = [];
    if (integer) { step = Math.max(1, Math.round(step)); }
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }
  function text(x, y, content, extra) {
    return '<text x="' + n1(x) + '" y="' + n1(y) + '" ' + (extra || "") + ">" +
      esc(content) + "</text>";
  }
  function frame(o) {
    var right = o.right || M.r, pw = W - M.l - right, ph = H - M.t - M.b;
    var f = o.logy ? Math.log10 : function (v) { return v; };
    var sx = function (v) { return M.l + (v - o.x0) / (o.x1 - o.x0) * pw; };
    var sy = function (v) { return M.t + ph - (f(v) - f(o.y0)) / (f(o.y1) - f(o.y0)) * ph; };
    var s = ['<rect x="' + M.l + '" y="' + M.t + '" width="' + pw + '" height="' + ph +
      '" fill="none" stroke="#444" stroke-width="0.8"/>'];
    o.xticks.forEach(function (v) {
      var x = sx(v);
      s.push('<line x1="' + n1(x) + '" x2="' + n1(x) + '" y1="' + (M.t + ph) + '" y2="' +
        (M.t + ph + 4) + '" stroke="#444"/>');
      s.push(text(x, M.t + ph + 17, label(v), 'text-anchor="middle"'));
    });
    o.yticks.forEach(function (v) {
      var y = sy(v);
      s.push('<line x1="' + (M.l - 4) + '" x2="' + M.l + '" y1="' + n1(y) + '" y2="' +
        n1(y) + '" stroke="#444"/>');
      s.push(text(M.l - 6, y + 5, o.logy ? "1e" + Math.round(Math.log10(v)) : label(v),
        'text-anchor="end"'));
    });
    s.push(text(M.l + pw / 2, H - 8, o.xlabel, 'text-anchor="middle"'));
    s.push(text(15, M.t + ph / 2, o.ylabel,
      'text-anchor="middle" transform="rotate(-90 15 ' + n1(M.t + ph / 2) + ')"'));
    s.push(text(M.l + pw / 2, 18, o.title, 'text-anchor="middle" font-size="14"'));
    return { sx: sx, sy: sy, pw: pw, ph: ph, svg: s.join("") };
  }
  function svg(name, body) {
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + " " + H +
      '" role="img" aria-label="' + esc(name) + '" font-family="sans-serif" font-size="13">' +
      '<rect width="' + W + '" height="' + H + '" fill="#fff"/>' + body + "</svg>";
  }
  function colourOf(list, fraction) {
    var i = Math.round(Math.min(1, Math.max(0, fraction)) * (list.length - 1));
    return list[i];
  }
  function colourBar(list, x, y0, y1, lo, hi) {
    var s = [], n = list.length, h = (y1 - y0) / n;
    for (var i = 0; i < n; i++) {
      s.push('<rect x="' + x + '" y="' + n1(y1 - (i + 1) * h) + '" width="10" height="' +
        n1(h + 0.6) + '" fill="' + list[i] + '"/>');
    }
    s.push(text(x + 13, y1, label(lo), ""));
    s.push(text(x + 13, y0 + 9, label(hi), ""));
    return s.join("");
  }

  function trajectories(states, T, Hu) {
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: -1.05, y1: 1.05, xticks: ticks(1, T, 6, true),
      yticks: [-1, -0.5, 0, 0.5, 1], xlabel: "timestep t", ylabel: "h_t[j]",
      title: "Units over time (H = " + Hu + ", grey: saturated)" });
    var band = function (a, b) {
      return '<rect class="saturated" x="' + M.l + '" y="' + n1(f.sy(b)) + '" width="' + f.pw +
        '" height="' + n1(f.sy(a) - f.sy(b)) + '" fill="#e0e0e0"/>';
    };
    var s = [band(data.saturation, 1.05), band(-1.05, -data.saturation)];
    var width = Hu <= 8 ? 1.6 : Math.max(0.6, 1.6 - Hu / 40);
    for (var j = 0; j < Hu; j++) {
      var colour = data.colours.units[j % 10], points = [], dots = [];
      for (var t = 0; t < T; t++) {
        var x = n1(f.sx(t + 1)), y = n1(f.sy(states[t * Hu + j] / data.state_scale));
        points.push(x + "," + y);
        if (T <= 30) { dots.push('<circle cx="' + x + '" cy="' + y + '" r="2"/>'); }
      }
      s.push('<g class="unit" fill="' + colour + '"><polyline fill="none" stroke="' + colour +
        '" stroke-width="' + width + '" points="' + points.join(" ") + '"/>' +
        dots.join("") + "</g>");
    }
    return svg("hidden units over time", s.join("") + f.svg);
  }

  function heatmap(states, T, Hu) {
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: Hu - 0.5, y1: -0.5, xticks: ticks(1, T, 6, true),
      yticks: ticks(0, Hu - 1, 5, true), xlabel: "timestep t", ylabel: "hidden unit j",
      title: "h_t as a heat map (H = " + Hu + ", T = " + T + ")", right: 54 });
    var list = data.colours.heat, s = [], cw = f.pw / T, rh = f.ph / Hu;
    for (var j = 0; j < Hu; j++) {
      var start = 0;
      for (var t = 1; t <= T; t++) {  // one rectangle per run of equal colours
        var c0 = colourOf(list, (states[start * Hu + j] / data.state_scale + 1) / 2);
        var c1 = t < T ? colourOf(list, (states[t * Hu + j] / data.state_scale + 1) / 2) : "";
        if (c1 !== c0) {
          s.push('<rect class="cell" x="' + n1(M.l + start * cw) + '" y="' + n1(M.t + j * rh) +
            '" width="' + n1((t - start) * cw + 0.4) + '" height="' + n1(rh + 0.4) +
            '" fill="' + c0 + '"/>');
          start = t;
        }
      }
    }
    s.push(colourBar(list, W - 46, M.t, M.t + f.ph, -1, 1));
    return svg("hidden state heat map", s.join("") + f.svg);
  }

  function projection(view, T) {
    var z = decode(view.pca, Float32Array), xs = [], ys = [];
    for (var t = 0; t < T; t++) { xs.push(z[2 * t]); ys.push(z[2 * t + 1]); }
    var range = function (v) {
      var lo = Math.min.apply(null, v), hi = Math.max.apply(null, v), pad = (hi - lo) * 0.08;
      return hi - lo > 1e-12 ? [lo - pad, hi + pad] : [lo - 1, hi + 1];
    };
    var rx = range(xs), ry = range(ys), right = 54;
    // Equal scales on both axes, as distances in state space are real distances.
    var pw = W - M.l - right, ph = H - M.t - M.b;
    var unit = Math.max((rx[1] - rx[0]) / pw, (ry[1] - ry[0]) / ph);
    var widen = function (r, size) {
      var centre = (r[0] + r[1]) / 2;
      return [centre - unit * size / 2, centre + unit * size / 2];
    };
    rx = widen(rx, pw);
    ry = widen(ry, ph);
    var f = frame({ x0: rx[0], x1: rx[1], y0: ry[0], y1: ry[1], xticks: ticks(rx[0], rx[1], 5),
      yticks: ticks(ry[0], ry[1], 5), right: right,
      xlabel: "direction 1 (" + Math.round(100 * view.share[0]) + "% of the spread)",
      ylabel: "direction 2 (" + Math.round(100 * view.share[1]) + "%)",
      title: "Path of h_t in 2-D (PCA)" });
    var line = [], dots = [];
    for (t = 0; t < T; t++) {
      var x = n1(f.sx(xs[t])), y = n1(f.sy(ys[t]));
      line.push(x + "," + y);
      dots.push('<circle class="point" cx="' + x + '" cy="' + y + '" r="3" fill="' +
        colourOf(data.colours.time, T > 1 ? t / (T - 1) : 0) + '"/>');
    }
    var sx = f.sx(xs[0]), sy = f.sy(ys[0]), ex = f.sx(xs[T - 1]), ey = f.sy(ys[T - 1]);
    var marks = '<circle class="start" cx="' + n1(sx) + '" cy="' + n1(sy) +
      '" r="7" fill="none" stroke="#000" stroke-width="1.6"/>' +
      '<path class="end" d="M' + n1(ex - 5) + " " + n1(ey - 5) + "L" + n1(ex + 5) + " " +
      n1(ey + 5) + "M" + n1(ex - 5) + " " + n1(ey + 5) + "L" + n1(ex + 5) + " " + n1(ey - 5) +
      '" stroke="#000" stroke-width="2.5"/>';
    var key = text(M.l + 6, M.t + 15, "○ start h_1   ✕ end h_" + T, 'font-size="12"');
    return svg("hidden state path, 2-D projection",
      '<polyline fill="none" stroke="#999" stroke-width="0.8" points="' + line.join(" ") +
      '"/>' + dots.join("") + marks + key +
      colourBar(data.colours.time, W - 46, M.t, M.t + f.ph, 1, T) + f.svg);
  }

  function errors(values, T) {
    var positive = [];
    for (var t = 0; t < T; t++) { if (values[t] > 0) { positive.push(values[t]); } }
    var lo = Math.min.apply(null, positive.concat([data.eps])) / 6;
    var hi = Math.max(data.tolerance, Math.max.apply(null, positive.concat([0]))) * 6;
    var decades = [];
    for (var d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) {
      decades.push(d);
    }
    var every = Math.ceil(decades.length / 7);
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: lo, y1: hi, logy: true,
      xticks: ticks(1, T, 6, true),
      yticks: decades.filter(function (d, i) { return i % every === 0; })
        .map(function (d) { return Math.pow(10, d); }),
      xlabel: "timestep t", ylabel: "max |y_t Keras − y_t loop|",
      title: "Keras vs loop, max over " + data.n_samples + " samples" });
    var s = [], line = [];
    var level = function (v, colour, name) {
      var y = n1(f.sy(v));
      s.push('<line class="reference" x1="' + M.l + '" x2="' + (M.l + f.pw) + '" y1="' + y +
        '" y2="' + y + '" stroke="' + colour + '" stroke-dasharray="5 3"/>');
      s.push(text(M.l + 4, f.sy(v) - 4, name, 'font-size="12" fill="' + colour + '"'));
    };
    level(data.eps, "#555", data.dtype + " machine epsilon " + data.eps.toExponential(2));
    level(data.tolerance, "#b00", "tolerance " + data.tolerance.toExponential(0));
    for (t = 0; t < T; t++) {
      var x = n1(f.sx(t + 1));
      if (values[t] > 0) {
        var y = n1(f.sy(values[t]));
        line.push(x + "," + y);
        s.push('<circle class="error" cx="' + x + '" cy="' + y + '" r="2.2" fill="#0072B2"/>');
      } else {  // exactly equal: a log axis has no place for 0, mark it on the bottom edge
        var b = M.t + f.ph;
        s.push('<path class="exact" d="M' + x + " " + n1(b - 2) + "l-4 -7h8z" +
          '" fill="#0072B2"/>');
      }
    }
    s.unshift('<polyline fill="none" stroke="#0072B2" stroke-width="1" points="' +
      line.join(" ") + '"/>');
    return svg("error per timestep", s.join("") + f.svg);
  }

  var controls = { h: part("control-h"), t: part("control-t"), s: part("control-s") };
  function draw() {
    var i = +controls.h.value, l = +controls.t.value, k = +controls.s.value;
    var Hu = axes.hidden_units[i], T = axes.seq_len[l], run = data.runs[i * nS + k];
    var view = data.views[(i * nS + k) * nT + l];
    var states = decode(run.states, Int8Array), errs = decode(run.errors, Float32Array);
    part("value-h").textContent = String(Hu);
    part("value-t").textContent = String(T);
    part("value-s").textContent = axes.recurrent_scale[k].toFixed(1);
    part("summary").textContent = view.summary;
    part("panel-trajectories").innerHTML = trajectories(states, T, Hu);
    part("panel-heatmap").innerHTML = heatmap(states, T, Hu);
    part("panel-projection").innerHTML = projection(view, T);
    part("panel-errors").innerHTML = errors(errs, T);
  }
  ["h", "t", "s"].forEach(function (name) {
    controls[name].addEventListener("input", draw);
  });
  draw();
})();
"""


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
        f"<script>{_SCRIPT.replace('__ID__', root_id)}</script>"
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
