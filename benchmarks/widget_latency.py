"""How long the live explorer's kernel takes to answer a control change, and what it sends.

An update is what the kernel does between receiving a control's new value and handing the
browser its answer: run Keras and the manual loop (``explore``), turn the result into the
numbers of one view (:func:`rnn_lab.explorer.renderer.view`) and encode the message as JSON.
The browser then draws the view as SVG (``explorer.js``); that part is measured in a real
browser by ``tests/browser/test_live_widget.py``. Controls are set from Python (the observer
runs synchronously), so each measurement is one whole kernel-side update. For each size:

- recurrent scale: a new network each time (each scale is new, nothing is cached);
- T ± 1: the same network, a view of another length;
- seed: a new network; sample: the same network, another sample drawn;
- H ± 1: a new network of another size (a fresh seed each time, so nothing is cached);
- first visit of a new H: the first network of that size in this process.

Run: ``python benchmarks/widget_latency.py [--repeats 30]``. Target (issue 19): a median of
at most 40 ms for every kind of change at ``H ≤ 32`` and ``T ≤ 100``, on a 2-core machine.
Numbers from a shared machine vary with its load; the load average is printed with them.
The old explorer (a matplotlib PNG drawn in the kernel) no longer exists; its numbers are
quoted from the issue, clearly labelled, under the new ones.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import rnn_lab
from rnn_lab.explorer.compute import RECURRENT_SCALE_RANGE, explore
from rnn_lab.explorer.renderer import SCALE_STEP
from rnn_lab.explorer.widget import explorer

#: (H, T) pairs measured: the book's example, two inside the target, and the largest.
SIZES = [(5, 15), (16, 50), (32, 100), (64, 200)]
TARGET_MS = 40.0
#: What the kernel sends the browser after an update.
ANSWER = ["frame", "error", "revision"]
#: Issue 19's table for the old explorer (matplotlib drawing a PNG in the kernel), measured
#: with this script's earlier version (``--repeats 10``) on the same kind of 2-core machine:
#: (H, T): (scale change median/p90, T ± 1 median/p90, compute alone, first visit of a new H).
OLD_FROM_ISSUE = {
    (5, 15): ("88 / 214", "252 / 271", "12", "—"),
    (16, 50): ("122 / 131", "221 / 269", "17", "579"),
    (32, 100): ("143 / 150", "248 / 279", "21", "479"),
}


def _fresh_scales(count: int, offset: int) -> list[float]:
    # Distinct values on the slider's grid, so that every update computes a new network.
    low, high = RECURRENT_SCALE_RANGE
    grid = np.round(np.arange(low, high + SCALE_STEP / 2, SCALE_STEP), 2)[1:]
    return [float(v) for v in np.roll(grid, -offset)[:count]]


def _timed(widget, changes: list[dict]) -> tuple[np.ndarray, list[int]]:
    """Kernel-side seconds of each change (``set_state``, as a message from the browser,
    then the answer encoded as the kernel would), and each answer's size in bytes."""
    times, sizes = [], []
    for change in changes:
        revision = widget.revision
        started = time.perf_counter()
        widget.set_state(change)
        message = json.dumps(widget.get_state(ANSWER))
        times.append(time.perf_counter() - started)
        sizes.append(len(message.encode()))
        assert widget.revision == revision + 1, change  # exactly one update answered
    assert widget.error == "", widget.error  # no update failed
    return np.array(times), sizes


def measure(widget, H: int, T: int, repeats: int, seed: int) -> dict:
    """Update times in seconds for one size and each kind of change, and answer sizes."""
    compute_times = []

    def timed_explore(config):
        started = time.perf_counter()
        result = explore(config)
        compute_times.append(time.perf_counter() - started)
        return result

    widget.compute = timed_explore
    new_size = widget.hidden_units != H
    first, _ = _timed(widget, [{"hidden_units": H, "seq_len": T, "seed": seed}])
    compute_times.clear()
    m = {"first": first[0] if new_size else None}
    m["scale"], sizes = _timed(
        widget, [{"recurrent_scale": s} for s in _fresh_scales(repeats, seed)]
    )
    m["compute"] = np.array(compute_times)
    m["length"], _ = _timed(widget, [{"seq_len": T - 1 + i % 2} for i in range(repeats)])
    m["seed"], _ = _timed(widget, [{"seed": seed + 1 + i} for i in range(repeats)])
    m["sample"], _ = _timed(widget, [{"sample": (i + 1) % 8} for i in range(repeats)])
    fresh = seed + 1000
    m["hidden"], _ = _timed(
        widget,
        [{"hidden_units": H - 1 + i % 2, "seed": fresh + i} for i in range(repeats)],
    )
    m["kb"] = np.median(sizes) / 1e3
    return m


def _ms(values: np.ndarray) -> str:
    return f"{np.median(values) * 1e3:3.0f} / {np.percentile(values, 90) * 1e3:3.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="updates per size and kind")
    args = parser.parse_args()
    rnn_lab.setup_notebook()
    widget = explorer()  # imports TensorFlow and traces Keras's function, once for all sizes
    widget.recurrent_scale = 1.02  # warm up (off the grid of scales measured below)

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        "\nNEW explorer (numbers sent, SVG drawn in the browser): kernel-side time per "
        "update, median / p90 in ms"
    )
    header = (
        f"{'H':>3} {'T':>4} | scale change | T ± 1     | seed      | sample    | H ± 1     "
        f"| compute | first visit of H | payload | target {TARGET_MS:.0f} ms"
    )
    print(header)
    print("-" * len(header))
    for index, (H, T) in enumerate(SIZES):
        m = measure(widget, H, T, args.repeats, seed=100 + 50 * index)
        kinds = ("scale", "length", "seed", "sample", "hidden")
        in_scope = H <= 32 and T <= 100
        first = "(default H)" if m["first"] is None else f"{m['first'] * 1e3:.0f}"
        worst = max([np.median(m[kind]) for kind in kinds] + [m["first"] or 0]) * 1e3
        verdict = ("met" if worst <= TARGET_MS else "MISSED") if in_scope else "(not in scope)"
        print(
            f"{H:>3} {T:>4} |    {_ms(m['scale'])} | {_ms(m['length'])} | {_ms(m['seed'])} "
            f"| {_ms(m['sample'])} | {_ms(m['hidden'])} | {np.median(m['compute']) * 1e3:5.0f}"
            f"   | {first:>13}    | {m['kb']:4.1f} KB | {verdict}"
        )
    print(f"load average after:  {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        "update: Keras + loop + the view's numbers + the answer as JSON; compute: Keras + loop\n"
        "alone (scale changes); first visit of H: the first network of that size in this\n"
        "process (Keras is traced once for every size); payload: the JSON answer of one update."
    )
    print(
        "\nOLD explorer (matplotlib PNG drawn in the kernel), QUOTED FROM ISSUE 19, not measured "
        "here:\nthat code path no longer exists. Median / p90 in ms; PNG payload not reported."
    )
    print(f"{'H':>3} {'T':>4} | scale change | T ± 1      | compute | first visit of H")
    for (H, T), (scale, length, compute, first) in OLD_FROM_ISSUE.items():
        print(f"{H:>3} {T:>4} | {scale:>12} | {length:>10} | {compute:>7} | {first:>16}")


if __name__ == "__main__":
    main()
