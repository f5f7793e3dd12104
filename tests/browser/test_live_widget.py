"""The live explorer in a real browser: a learner's click really does something.

`widget_smoke.ipynb` (beside this file) shows `rnn_lab.explorer.widget.explorer()`. Voilà serves it
with a live kernel on 127.0.0.1; Chromium opens it, drags the first slider with the mouse
and the test waits for the kernel's answer: a new picture and a new summary line.
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

NOTEBOOK = Path(__file__).with_name("widget_smoke.ipynb")
# Bounds, so a broken server or widget fails the test instead of hanging CI.
SERVER_START_SECONDS = 60
# Kernel start, `import tensorflow` and the explorer's first Keras run, on a busy 2-core box.
WIDGET_APPEAR_MS = 60_000
# One update (recompute + redraw + PNG to the browser) takes well under a second idle.
UPDATE_MS = 20_000
SHUTDOWN_SECONDS = 20
# How far to drag the slider's handle, in pixels (the slider is ~15 em wide).
DRAG_PIXELS = 60

# What the widgets show: the picture (Image widget or a figure in an Output), and the
# text the kernel writes (HTML/Label widgets), leaving out the sliders' own labels.
PLOT_SIGNATURE = """() => Array.from(document.querySelectorAll(
        ".widget-image, .jupyter-widgets img, .jupyter-widgets svg:not(.widget-slider svg)"))
    .map((el) => el.src || el.outerHTML).join("|")"""
SUMMARY_TEXT = """() => Array.from(document.querySelectorAll(
        ".widget-html-content, .widget-label, .jupyter-widgets-output-area"))
    .filter((el) => !el.closest(".widget-slider, .widget-inline-hbox.widget-text"))
    .map((el) => el.textContent.trim()).join("|")"""


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


def test_moving_a_slider_redraws_the_explorer(
    chromium_path, offline_context, voila_url, screenshot_dir
):
    context = offline_context(voila_url, viewport={"width": 1280, "height": 1000})
    tab = context.new_page()
    page_errors: list[str] = []
    tab.on("pageerror", lambda error: page_errors.append(str(error)))
    tab.goto(voila_url, wait_until="load")

    handle = tab.locator(".widget-slider .noUi-handle").first
    handle.wait_for(state="visible", timeout=WIDGET_APPEAR_MS)
    tab.wait_for_function(f"() => ({PLOT_SIGNATURE})().length > 0", timeout=UPDATE_MS)
    tab.wait_for_function(f"() => ({SUMMARY_TEXT})().length > 0", timeout=UPDATE_MS)
    errors = tab.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    assert not errors, f"the notebook wrote errors: {errors}"
    readout = tab.locator(".widget-slider .widget-readout").first
    plot_before = tab.evaluate(PLOT_SIGNATURE)
    summary_before = tab.evaluate(SUMMARY_TEXT)
    value_before = readout.inner_text()
    tab.screenshot(path=screenshot_dir / "explorer-live-before.png", full_page=True)

    # Drag the handle with the mouse, as a learner would, and let go.
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    tab.mouse.move(x + DRAG_PIXELS, y, steps=8)
    tab.mouse.up()

    value_after = readout.inner_text()
    assert value_after != value_before, f"the slider did not move (still {value_before})"
    changed = f"""([plot, summary]) => ({PLOT_SIGNATURE})() !== plot
                                    && ({SUMMARY_TEXT})() !== summary"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        tab.wait_for_function(changed, arg=[plot_before, summary_before], timeout=UPDATE_MS)
    except PlaywrightTimeout as error:  # report what the page shows, not only a timeout
        raise AssertionError(
            f"moving the slider {value_before} -> {value_after} did not redraw within "
            f"{UPDATE_MS / 1000:.0f} s; summary now {tab.evaluate(SUMMARY_TEXT)!r}"
        ) from error
    tab.screenshot(path=screenshot_dir / "explorer-live-after.png", full_page=True)
    assert not page_errors, f"uncaught JavaScript exceptions: {page_errors}"
