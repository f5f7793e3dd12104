"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright.

The book is read the way a learner reads it: the built HTML served over HTTP on
127.0.0.1 and opened in a real browser. Playwright never downloads a browser here;
it drives the system Chromium (`apt-get install -y chromium`, done by `.ci/run`).
Without Chromium the tests are skipped with a loud reason, never silently passed.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from site_requests import is_local

# The one place that says where Debian's Chromium is and how it starts (make pdf uses it too).
from rnn_lab.book.chromium import CHROMIUM_ARGS, find_chromium
from rnn_lab.book.toc import toc_pages as rnn_lab_toc_pages

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "_build" / "screenshots"

# Upper bounds, so a hung page fails a test instead of hanging CI.
LAUNCH_TIMEOUT_MS = 60_000
PAGE_TIMEOUT_MS = 30_000

NO_CHROMIUM = (
    "\n" + "!" * 78 + "\n"
    "NO CHROMIUM FOUND: the real-browser tests of the website DID NOT RUN.\n"
    "Install Debian's Chromium (`apt-get install -y chromium`, as .ci/run does) or point\n"
    "RNN_LAB_CHROMIUM at a Chromium binary. Never run `playwright install`.\n" + "!" * 78
)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Say it again at the very end: the per-test skip reasons scroll away in a long run."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "NO CHROMIUM FOUND" in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} browser tests skipped: no Chromium")
        terminalreporter.write_line(NO_CHROMIUM.strip("\n"), red=True, bold=True)


def toc_pages(root: Path = REPO) -> list[str]:
    """Every page of `_toc.yml` in reading order, as paths without suffix (`book/index`)."""
    return rnn_lab_toc_pages(root)


def page_source(page: str, root: Path = REPO) -> Path:
    """The source file of a toc entry: a notebook or a MyST markdown file."""
    for suffix in (".ipynb", ".md"):
        path = root / f"{page}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {page!r} but neither {page}.ipynb nor .md exists")


@dataclass(frozen=True)
class Book:
    """What the tests need to know about the book's sources (not its HTML)."""

    repo: Path
    pages: list[str]
    config: dict

    def source(self, page: str) -> Path:
        return page_source(page, self.repo)

    def is_notebook(self, page: str) -> bool:
        return self.source(page).suffix == ".ipynb"


@pytest.fixture(scope="session")
def book() -> Book:
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    return Book(repo=REPO, pages=toc_pages(REPO), config=config)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where the page screenshots go (kept as CI artifacts; `_build/` is not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip(NO_CHROMIUM)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str, playwright_driver) -> Iterator:
    """One headless Chromium for the session; Playwright gives it a fresh, temporary profile."""
    chromium = playwright_driver.chromium.launch(
        executable_path=chromium_path,
        args=CHROMIUM_ARGS,
        headless=True,
        timeout=LAUNCH_TIMEOUT_MS,
    )
    try:
        yield chromium
    finally:
        chromium.close()


def _offline_context(browser, base_url: str, **options):
    """A browser context that may only reach `base_url`: everything else is refused.

    The site must work with no internet (a classroom, a copied folder) and CI has none:
    a request that leaves the site is aborted here, and `test_site.open_page` counts it.
    """
    context = browser.new_context(**options)
    context.set_default_timeout(PAGE_TIMEOUT_MS)

    def route(route) -> None:
        if is_local(route.request.url, base_url):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    context.route("**/*", route)
    return context


@pytest.fixture
def offline_context(browser) -> Iterator:
    """Factory `offline_context(base_url, **context_options)`; contexts close at teardown."""
    contexts = []

    def open_context(base_url: str, **options):
        contexts.append(_offline_context(browser, base_url, **options))
        return contexts[-1]

    yield open_context
    for context in contexts:
        context.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".ipynb": "application/json",
    }

    def log_message(self, format: str, *args) -> None:
        pass  # one line per request would drown pytest's output


@pytest.fixture(scope="session")
def site_dir(request: pytest.FixtureRequest) -> Path:
    """The built site's HTML folder: $RNN_LAB_SITE if set, else the suite's own build.

    `built_book` (tests/conftest.py) runs `jupyter-book build . -W --keep-going`;
    RNN_LAB_SITE lets one iterate on these tests against an existing build.
    """
    env = os.environ.get("RNN_LAB_SITE")
    html = Path(env) if env else Path(request.getfixturevalue("built_book"))
    assert (html / "index.html").is_file(), f"no built site at {html}"
    return html


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 (a free port) for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`toc_page` runs a test once per page of `_toc.yml`; `notebook_page` once per notebook."""
    if "toc_page" in metafunc.fixturenames:
        metafunc.parametrize("toc_page", toc_pages())
    if "notebook_page" in metafunc.fixturenames:
        notebooks = [page for page in toc_pages() if page_source(page).suffix == ".ipynb"]
        metafunc.parametrize("notebook_page", notebooks)
