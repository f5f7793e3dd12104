"""The live explorer in a real browser: a learner's click or key press really does something.

`widget_smoke.ipynb` (beside this file) shows `rnn_lab.explorer.widget.explorer()`. Voilà serves it
with a live kernel on 127.0.0.1; Chromium opens it (offline: only 127.0.0.1 answers). The widget
is an anywidget whose front end is the renderer the static explorer runs: the test moves the
H and T sliders with the keyboard, 20 times, and after each move waits until the SVG panels show
the new state (as many unit lines as H, each with T points, and the summary line of that
state). In the page it measures the time from each input event to the redrawn SVG and prints
the median and p90 (reported, never asserted: timings on a shared machine are not a test).
Then it drags a slider with the mouse, as a learner would.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rnn_lab.explorer.compute import SEQ_LEN_RANGE

NOTEBOOK = Path(__file__).with_name("widget_smoke.ipynb")
# Bounds, so a broken server or widget fails the test instead of hanging CI.
SERVER_START_SECONDS = 60
# Kernel start, `import tensorflow` and the explorer's first Keras run, on a busy 2-core box.
WIDGET_APPEAR_MS = 60_000
# One update (recompute, a few KB to the browser, SVG redrawn) takes well under a second idle.
UPDATE_MS = 20_000
SHUTDOWN_SECONDS = 20
# How far to drag the slider's thumb, in pixels (the slider is 9 em wide).
DRAG_PIXELS = 40
# The T slider's range, to find its thumb.
SEQ_LEN_MIN, SEQ_LEN_MAX = SEQ_LEN_RANGE

# Every move is checked, and its latency measured, from inside the page. The observer runs
# right after the renderer has replaced the SVG panels (and marked what it drew).
INSTRUMENT = """() => {
  const root = document.querySelector(".rnn-lab-live-explorer");
  const log = { inputs: [], draws: [] };
  root.addEventListener("input", (event) => log.inputs.push(
    { t: performance.now(), role: event.target.getAttribute("data-role"),
      value: event.target.value }), true);
  new MutationObserver(() => log.draws.push(
    { t: performance.now(), drawn: root.getAttribute("data-drawn") }))
    .observe(root.querySelector('[data-role="panel-trajectories"]'), { childList: true });
  window.__explorerLog = log;
}"""
# What the panels show now: H and T as drawn (unit lines, points per line) and the summary.
SHOWN = """() => {
  const root = document.querySelector(".rnn-lab-live-explorer");
  const svg = root.querySelector('[data-role="panel-trajectories"] svg');
  const lines = Array.from(svg.querySelectorAll("g.unit polyline"));
  return { drawn: root.getAttribute("data-drawn"), units: lines.length,
    bands: svg.querySelectorAll(".saturated").length,
    points: lines.map((line) => line.getAttribute("points").trim().split(/\\s+/).length),
    errors: root.querySelectorAll('[data-role="panel-errors"] svg .error, ' +
      '[data-role="panel-errors"] svg .exact').length,
    summary: root.querySelector('[data-role="summary"]').textContent,
    output: root.querySelector('[data-role="output"]').textContent };
}"""
# (slider, key) for the 20 moves: H and T in turn, mostly up, some down.
MOVES = [
    (role, key)
    for keys in (["ArrowRight"] * 3 + ["ArrowLeft"] + ["ArrowRight"] * 4 + ["ArrowLeft"] * 2)
    for role, key in (("control-h", keys), ("control-t", keys))
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Voilà exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"Voilà did not listen within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    """Voilà serving the smoke notebook on 127.0.0.1; it and its kernel are always stopped."""
    if importlib.util.find_spec("voila") is None:
        pytest.fail("Voilà is missing: pip install -r requirements-dev.txt")
    port = _free_port()
    log = tmp_path / "voila.log"
    env = {
        **os.environ,
        # A private Jupyter config and runtime folder: no user settings, no stray files.
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    command = [
        sys.executable,
        "-m",
        "voila",
        str(NOTEBOOK),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True",
    ]
    with log.open("w") as sink:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kernel is stopped with it
        )
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.send_signal(signal.SIGINT)  # Jupyter servers shut their kernels down on ^C
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=SHUTDOWN_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of our own group
        process.wait(timeout=SHUTDOWN_SECONDS)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _value(tab, role: str) -> int:
    return int(tab.evaluate(f"() => document.querySelector('[data-role=\"{role}\"]').value"))


def _wait_for_state(tab, H: int, T: int, what: str) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    expected = f"{H},{T}"
    try:
        tab.wait_for_function(
            f"(expected) => ({SHOWN})().drawn === expected", arg=expected, timeout=UPDATE_MS
        )
    except PlaywrightTimeout as error:  # report what the page shows, not only a timeout
        raise AssertionError(
            f"{what}: the explorer did not show H = {H}, T = {T} within "
            f"{UPDATE_MS / 1000:.0f} s; the page shows {tab.evaluate(SHOWN)!r}"
        ) from error
    shown = tab.evaluate(SHOWN)
    assert shown["units"] == H, shown  # the SVG holds the new state, not the old one
    assert shown["points"] == [T] * H, shown
    assert shown["errors"] == T, shown
    assert shown["bands"] == 2, shown  # the saturation bands, above and below
    assert f"H = {H}, T = {T}," in shown["summary"], shown
    assert shown["output"] == "", shown  # no update failed
    return shown


def test_keys_and_the_mouse_move_the_sliders_and_redraw_the_explorer(
    chromium_path, offline_context, voila_url, screenshot_dir
):
    context = offline_context(voila_url, viewport={"width": 1280, "height": 1000})
    tab = context.new_page()
    page_errors: list[str] = []
    outside: list[str] = []
    tab.on("pageerror", lambda error: page_errors.append(str(error)))
    # Code from outside 127.0.0.1 (a CDN) would break offline use. Voilà's own page template
    # links Font Awesome's stylesheet from a CDN (refused here; icons only), so stylesheets
    # and fonts are not counted: the explorer uses neither.
    tab.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if request.resource_type in ("script", "fetch", "xhr", "document")
            and not request.url.startswith((voila_url, "data:", "blob:"))
            else None
        ),
    )
    tab.goto(voila_url, wait_until="load")

    slider_h = tab.locator('.rnn-lab-live-explorer [data-role="control-h"]')
    slider_h.wait_for(state="visible", timeout=WIDGET_APPEAR_MS)
    errors = tab.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    assert not errors, f"the notebook wrote errors: {errors}"
    H, T = _value(tab, "control-h"), _value(tab, "control-t")
    _wait_for_state(tab, H, T, "the first view")
    tab.evaluate(INSTRUMENT)
    tab.screenshot(path=screenshot_dir / "explorer-live-before.png", full_page=True)

    # 20 moves with the keyboard, each checked, each timed in the page.
    latencies = []
    for move, (role, key) in enumerate(MOVES):
        slider = tab.locator(f'.rnn-lab-live-explorer [data-role="{role}"]')
        slider.focus()
        before = _value(tab, role)
        inputs_before = tab.evaluate("() => window.__explorerLog.inputs.length")
        tab.keyboard.press(key)
        after = _value(tab, role)
        assert after == before + (1 if key == "ArrowRight" else -1), (role, key, before, after)
        H, T = (after, T) if role == "control-h" else (H, after)
        _wait_for_state(tab, H, T, f"move {move + 1} ({role} {key})")
        log = tab.evaluate("() => window.__explorerLog")
        (event,) = log["inputs"][inputs_before:]  # one key press, one input event
        drawn = [d["t"] for d in log["draws"] if d["t"] >= event["t"] and d["drawn"] == f"{H},{T}"]
        latencies.append(drawn[0] - event["t"])

    median, p90 = _percentile(latencies, 50), _percentile(latencies, 90)
    report = (
        f"live explorer, {len(latencies)} key presses on the H and T sliders: input event to "
        f"redrawn SVG median {median:.0f} ms, p90 {p90:.0f} ms "
        f"(all: {', '.join(f'{v:.0f}' for v in latencies)})"
    )
    print(report)
    (screenshot_dir / "explorer-live-latency.txt").write_text(report + "\n")

    # The mouse: drag the T slider's thumb to the right and let go.
    slider_t = tab.locator('.rnn-lab-live-explorer [data-role="control-t"]')
    box = slider_t.bounding_box()
    fraction = (T - SEQ_LEN_MIN) / (SEQ_LEN_MAX - SEQ_LEN_MIN)
    x, y = box["x"] + 8 + fraction * (box["width"] - 16), box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    tab.mouse.move(x + DRAG_PIXELS, y, steps=8)
    tab.mouse.up()
    dragged = _value(tab, "control-t")
    assert dragged > T, f"dragging did not move the slider (still {dragged})"
    _wait_for_state(tab, H, dragged, "the mouse drag")
    tab.screenshot(path=screenshot_dir / "explorer-live-after.png", full_page=True)
    assert not page_errors, f"uncaught JavaScript exceptions: {page_errors}"
    assert not outside, f"the page asked for code outside 127.0.0.1: {outside}"
