"""The learner edition in a real notebook client: JupyterLab in Chromium.

A JupyterLab server (the one nbgrader brings, requirements-dev.txt) serves a scratch folder
holding one chapter's student and teacher editions. Each is opened in Chromium, every cell
is run from the Run menu, as a learner would, and the rendered page is read: no `{glue`,
no raw MyST directive, no error or stderr output, and the check cells say "not yet solved"
(student edition) or ✓ (teacher edition), once per exercise. Screenshots of the exercises
go to `_build/screenshots/learner-*.png`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from rnn_lab.book import learner_edition as le

REPO = Path(__file__).resolve().parents[2]
CHAPTER = "01_keras_model.ipynb"
TOKEN = "rnn-lab-test"
SERVER_START_S = 120
# Running the chapter: TensorFlow's import, the Keras models, the checkers' hidden cases.
RUN_ALL_TIMEOUT_S = 600
RUN_ALL_ATTEMPTS = 4
MENU_CLICK_MS = 15_000
RAW_MYST = re.compile(r"\{glue|```\{|:::\{|\{admonition\}|\{note\}|\{dropdown\}")

jupyterlab = pytest.importorskip(
    "jupyterlab",
    reason="\n" + "!" * 78 + "\nJupyterLab is not installed: the learner edition was NOT "
    "tested in a notebook client.\npip install -r requirements-dev.txt\n" + "!" * 78,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def editions(built_book, tmp_path_factory) -> dict[str, Path]:
    """The chapter's two editions, as the build wrote them, in a scratch folder."""
    root = tmp_path_factory.mktemp("learner")
    written = {}
    for which in le.EDITIONS:
        source = built_book.parent / "notebooks" / which / CHAPTER
        target = root / f"{which}_{CHAPTER}"
        shutil.copy(source, target)
        written[which] = target
    return written


@pytest.fixture(scope="module")
def lab_url(editions, tmp_path_factory) -> str:
    """A JupyterLab server on 127.0.0.1, with fresh settings (every cell kept in the page)."""
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Windowing off: every cell stays in the page, so that its text can be read.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    # No "get notified about Jupyter news?" pop-up (and no request for it).
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"})
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    port = _free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={editions['student'].parent}",
    ]  # fmt: skip
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(home / 'server.log').read_text()}")
                time.sleep(1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _run_all(browser, lab_url: str, notebook: Path, screenshot: Path) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    # Offline: the page may reach the server only.
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(lab_url) or route.request.url.startswith("data:")
            else route.abort("internetdisconnected")
        ),
    )
    try:
        tab = context.new_page()
        # A workspace of its own, reset: JupyterLab would otherwise restore the tabs of the
        # previous test and "Run All Cells" could run another notebook.
        workspace = notebook.stem.replace("_", "-")
        tab.goto(f"{lab_url}/lab/workspaces/{workspace}/tree/{notebook.name}?reset&token={TOKEN}")
        tab.locator(".jp-Notebook .jp-Cell").first.wait_for()
        tab.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)
        # A code cell whose source is folded (`source_hidden`) shows no prompt.
        codes = sum(
            c.cell_type == "code" and not c.metadata.get("jupyter", {}).get("source_hidden")
            for c in nbformat.read(notebook, 4).cells
        )
        prompts = tab.locator(".jp-CodeCell .jp-InputArea-prompt")
        dialogs = []
        for _attempt in range(RUN_ALL_ATTEMPTS):
            # A dialog JupyterLab may open on start-up (seen once, on a busy machine) would
            # swallow the clicks: note what it said and close it.
            for dialog in tab.locator(".jp-Dialog").all():
                dialogs.append(dialog.text_content())
                tab.keyboard.press("Escape")
            # Right after loading, the kernel may not be attached yet and the command does
            # nothing: try again until the first cell is queued or has run.
            try:
                tab.locator(".lm-MenuBar-item", has_text="Run").click(timeout=MENU_CLICK_MS)
                run_all = tab.locator(".lm-Menu-item", has_text="Run All Cells").first
                run_all.click(timeout=MENU_CLICK_MS)
                tab.wait_for_function(
                    "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]"
                    ".some((p) => /\\[(\\*|\\d+)\\]/.test(p.textContent))",
                    timeout=30_000,
                )
                break
            except PlaywrightTimeout:
                continue
        deadline = time.monotonic() + RUN_ALL_TIMEOUT_S
        while True:  # every code cell has a number, none is queued or running
            shown = prompts.all_text_contents()
            done = [p for p in shown if re.fullmatch(r"\[\d+\]:", p.strip())]
            if len(done) == codes:
                break
            assert time.monotonic() < deadline, f"cells still running: {shown}; {dialogs}"
            time.sleep(2)
        checks = tab.locator(".jp-CodeCell", has_text="checks.check_")
        verdicts = [
            checks.nth(i).locator(".jp-OutputArea").text_content() for i in range(checks.count())
        ]
        checks.last.scroll_into_view_if_needed()
        tab.screenshot(path=str(screenshot))
        return {
            "markdown": tab.locator(".jp-MarkdownOutput").all_text_contents(),
            "raw_markdown": tab.locator(".jp-MarkdownCell:not(.jp-mod-rendered)").count(),
            "errors": tab.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
            ).all_text_contents(),
            "verdicts": verdicts,
            "math": tab.locator(".jp-MarkdownOutput mjx-container").count(),
        }
    finally:
        context.close()


@pytest.mark.parametrize("which", le.EDITIONS)
def test_a_chapter_runs_and_reads_right_in_jupyterlab(
    which, browser, lab_url, editions, screenshot_dir
):
    notebook = editions[which]
    shot = screenshot_dir / f"learner-{which}-{Path(CHAPTER).stem}.png"
    page = _run_all(browser, lab_url, notebook, shot)
    text = "\n".join(page["markdown"])
    assert "Exercise" in text and len(page["markdown"]) > 10, "the prose is rendered"
    assert not RAW_MYST.search(text), RAW_MYST.search(text)
    assert page["raw_markdown"] == 0, "every Markdown cell is rendered"
    assert page["errors"] == [], page["errors"]
    assert page["math"] > 0, "the math is typeset (JupyterLab's own MathJax)"
    exercises = sum(le.STARTER_TAG in c.metadata.get("tags", []) for c in
                    nbformat.read(notebook, 4).cells)  # fmt: skip
    assert exercises and len(page["verdicts"]) == exercises, page["verdicts"]
    for verdict in page["verdicts"]:
        if which == "student":
            assert "not yet solved" in verdict and "✓" not in verdict, verdict
        else:
            assert verdict.strip().startswith("✓"), verdict
    assert shot.stat().st_size > 10_000
