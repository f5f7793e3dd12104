"""Shared fixtures. The book is built once per test session, the way `make book` builds it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # tests draw figures without a display

REPO = Path(__file__).resolve().parents[1]
BUILD_COMMAND = ["jupyter-book", "build", ".", "--all", "-W", "--keep-going"]


def _jupyter_book() -> str:
    # The jupyter-book next to this interpreter, so the suite uses the venv it runs in.
    candidate = Path(sys.executable).with_name("jupyter-book")
    return str(candidate) if candidate.exists() else "jupyter-book"


@pytest.fixture(autouse=True)
def _close_figures():
    """Every figure a test draws is closed after it, so that none piles up in pyplot."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")  # only where a test has drawn with it
    if pyplot is not None:
        pyplot.close("all")


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book with warnings as errors and every notebook executed; return _build/html.

    Set RNN_LAB_REUSE_BUILD=1 to reuse an existing `_build/html` while iterating on tests.
    """
    html = REPO / "_build" / "html"
    if os.environ.get("RNN_LAB_REUSE_BUILD") == "1" and (html / "index.html").exists():
        return html
    command = [_jupyter_book(), *BUILD_COMMAND[1:]]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    log = REPO / "_build" / "build.log"
    log.parent.mkdir(exist_ok=True)
    log.write_text(result.stdout + "\n--- stderr ---\n" + result.stderr)
    assert result.returncode == 0, (
        f"`{' '.join(BUILD_COMMAND)}` failed (exit {result.returncode}); see {log}.\n"
        + "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    )
    return html


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run. Its sync API runs an event loop for as long as
    it is open, so a second ``sync_playwright()`` in the same process would refuse to start:
    every test that drives Chromium launches it from this one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the `playwright` package is missing: pip install -r requirements-dev.txt")
    with sync_playwright() as driver:
        yield driver
