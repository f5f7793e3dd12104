"""How long the live explorer takes to answer a control change.

An update is what happens between a learner releasing a control and the new picture being
ready to send to the browser: run Keras and the manual loop, redraw the three panels and
encode the PNG. Controls are set from Python (the observer runs synchronously), so each
measurement is one whole update. Three kinds of change are timed for each size:

- recurrent scale: every update is a new network (each scale is new, nothing is cached).
  The frames and ticks of the panels usually stay, so only the data are redrawn (blitting);
- sequence length T ± 1: the time axis changes, so the whole figure is redrawn;
- first visit of a new H: Keras layers of that size are built and traced once.

Run: ``python benchmarks/widget_latency.py [--repeats 30]``. Target: a median of at most
150 ms for ``H ≤ 32`` and ``T ≤ 100`` on a 2-core machine. Numbers from a shared machine
vary with its load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np

import rnn_lab
from rnn_lab.explorer.compute import RECURRENT_SCALE_RANGE, explore
from rnn_lab.explorer.widget import SCALE_STEP, explorer

#: (H, T) pairs measured: the book's example, two inside the target, and the largest.
SIZES = [(5, 15), (16, 50), (32, 100), (64, 200)]
TARGET_MS = 150.0


def _fresh_scales(count: int) -> list[float]:
    # Distinct values on the slider's grid, so that every update computes a new network.
    low, high = RECURRENT_SCALE_RANGE
    grid = np.round(np.arange(low, high + SCALE_STEP / 2, SCALE_STEP), 2)
    return [float(v) for v in np.resize(grid[1:], count)]


def _timed(widget, name: str, values) -> np.ndarray:
    """Wall-clock seconds of setting control ``name`` to each of ``values``."""
    times = []
    for value in values:
        started = time.perf_counter()
        widget.controls[name].value = value
        times.append(time.perf_counter() - started)
    assert widget.output.outputs == (), widget.output.outputs  # no update failed
    return np.array(times)


def measure(widget, hidden_units: int, seq_len: int, repeats: int, seed: int) -> dict:
    """Update times in seconds for one size, and the part spent in Keras + the loop."""
    compute_times = []

    def timed_explore(config):
        started = time.perf_counter()
        result = explore(config)
        compute_times.append(time.perf_counter() - started)
        return result

    widget.compute = timed_explore
    widget.controls["seed"].value = seed  # a seed of its own: no cached networks
    cold = None
    if widget.controls["hidden_units"].value != hidden_units:
        cold = _timed(widget, "hidden_units", [hidden_units])[0]
    widget.controls["seq_len"].value = seq_len
    compute_times.clear()
    scale = _timed(widget, "recurrent_scale", _fresh_scales(repeats))
    compute = np.array(compute_times)
    lengths = [seq_len - 1 if i % 2 == 0 else seq_len for i in range(repeats)]
    full = _timed(widget, "seq_len", lengths)
    return {"cold": cold, "scale": scale, "full": full, "compute": compute}


def _ms(values: np.ndarray, q: float) -> str:
    return f"{np.percentile(values, q) * 1e3:5.0f}ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="updates per size and kind")
    args = parser.parse_args()
    rnn_lab.setup_notebook()  # the plot style a reader of the book gets
    widget = explorer()  # imports TensorFlow and draws the default once
    widget.controls["recurrent_scale"].value = 1.05  # warm up matplotlib's caches

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    header = (
        f"{'H':>3} {'T':>4} | scale change: median  p90   | T ± 1 (full redraw): median  p90"
        f"   | compute | first at new H | target (scale change)"
    )
    print(header)
    print("-" * len(header))
    for index, (H, T) in enumerate(SIZES):
        m = measure(widget, H, T, args.repeats, seed=100 + index)
        in_scope = H <= 32 and T <= 100
        met = np.median(m["scale"]) * 1e3 <= TARGET_MS
        verdict = ("met" if met else "MISSED") if in_scope else "(not in scope)"
        first = "(default H)" if m["cold"] is None else f"{m['cold'] * 1e3:.0f}ms"
        print(
            f"{H:>3} {T:>4} |              {_ms(m['scale'], 50)} {_ms(m['scale'], 90)} "
            f"|                     {_ms(m['full'], 50)} {_ms(m['full'], 90)} "
            f"| {_ms(m['compute'], 50)} | {first:>14} | {verdict}"
        )
    print(f"load average after:  {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        "scale change: a new network each time (Keras + loop + redraw of the data + PNG);\n"
        "T ± 1: the same network, the whole figure redrawn; compute: Keras + loop alone;\n"
        "first at new H: also builds and traces Keras layers of that size."
    )


if __name__ == "__main__":
    main()
