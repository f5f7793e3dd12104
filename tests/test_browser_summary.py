"""Without Chromium the browser tests skip, and the run says so again in its final summary.

A pytest run in a subprocess loads the real ``tests/browser/conftest.py`` with Chromium
made unfindable (``find_chromium`` returns None, as on a machine without it), so what is
checked is the hook a newcomer's ``make test`` runs, not a copy of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BROWSER_CONFTEST = REPO / "tests" / "browser" / "conftest.py"

CONFTEST = f"""
import importlib.util
import sys

spec = importlib.util.spec_from_file_location("browser_conftest", {str(BROWSER_CONFTEST)!r})
browser_conftest = importlib.util.module_from_spec(spec)
sys.modules["browser_conftest"] = browser_conftest  # dataclasses look their module up
spec.loader.exec_module(browser_conftest)
browser_conftest.find_chromium = lambda: None  # a machine without Chromium

chromium_path = browser_conftest.chromium_path
pytest_terminal_summary = browser_conftest.pytest_terminal_summary
"""

TESTS = """
import pytest

@pytest.mark.parametrize("page", ["index", "chapter"])
def test_needs_a_browser(chromium_path, page):
    raise AssertionError("must have been skipped")

def test_plain():
    assert True

def test_skipped_for_another_reason():
    pytest.skip("unrelated")
"""


def _run(tmp_path: Path, conftest: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(conftest))
    (tmp_path / "test_fake_browser.py").write_text(textwrap.dedent(TESTS))
    env = {
        **os.environ,
        # the browser conftest imports its helpers (site_requests) from its own folder
        "PYTHONPATH": os.pathsep.join(
            [str(REPO), str(BROWSER_CONFTEST.parent), os.environ.get("PYTHONPATH", "")]
        ),
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-ra", str(tmp_path)]
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


def test_missing_chromium_is_repeated_once_at_the_end(tmp_path):
    result = _run(tmp_path, CONFTEST)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "1 passed, 3 skipped" in out
    assert out.count("browser tests skipped: no Chromium") == 1
    summary = out.index("2 browser tests skipped: no Chromium")
    assert "NO CHROMIUM FOUND" in out[summary:]
    # in the terminal summary: after every test's progress, next to the final counts
    assert out.index("[100%]") < summary < out.rindex("1 passed, 3 skipped")


def test_no_extra_summary_when_chromium_is_found(tmp_path):
    # with a (pretend) Chromium the browser tests run, and here fail on purpose
    result = _run(tmp_path, CONFTEST.replace("lambda: None", "lambda: '/bin/true'"))
    assert "2 failed, 1 passed, 1 skipped" in result.stdout
    assert "browser tests skipped" not in result.stdout
    assert "NO CHROMIUM FOUND" not in result.stdout
