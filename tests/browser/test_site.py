"""The built website in a real browser, page by page, the way a learner meets it.

Every page listed in `_toc.yml` is opened in Chromium at a desktop and a phone width:
it must load (HTTP 200) without JavaScript exceptions or missing assets, show its
images, its math and its first heading, and leave a non-blank full-page screenshot
under `_build/screenshots/`. Then the prev/next links, the search box and, on notebook
pages, the Binder/Colab/download buttons are used as a reader would use them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from PIL import Image, ImageStat
from site_requests import is_local

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}
# Grey-level variance of a screenshot. A blank (single-colour) page has 0; a page with
# only a title and one line of text on white measured ~320 at 1280 px, the chapters
# 900-2200. 25 only rejects pages that rendered (almost) nothing.
MIN_SCREENSHOT_VARIANCE = 25.0
# A word every version of this book uses; the search must find it.
SEARCH_WORD = "recurrent"
TITLE_SEPARATOR = " \u2014 "  # Sphinx: "<page title> — <book title>"

ARTICLE = "article.bd-article"


@dataclass
class Visit:
    """A page opened in a tab, with everything that went wrong while it was open."""

    tab: object
    status: int | None
    page_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    # Requests the browser dropped, with how many navigations the tab had made when each
    # started: one dropped because the tab then went to another page is no failure.
    aborted: list[tuple[int, str]] = field(default_factory=list)
    navigations: list[int] = field(default_factory=lambda: [0])

    def assert_clean(self) -> None:
        assert not self.page_errors, f"uncaught JavaScript exceptions: {self.page_errors}"
        self.bad_responses += [
            failure for started, failure in self.aborted if started == self.navigations[0]
        ]
        self.aborted.clear()
        assert not self.bad_responses, f"the site's own assets failed: {self.bad_responses}"
        assert not self.external_requests, (
            f"the page asked for files outside the site (offline they fail): "
            f"{self.external_requests}"
        )


def open_page(context, url: str) -> Visit:
    """Open `url`, recording uncaught JS exceptions, failed same-origin requests and every
    request for something outside the site (which the offline context refuses)."""
    tab = context.new_page()
    visit = Visit(tab=tab, status=None)
    tab.on("pageerror", lambda error: visit.page_errors.append(str(error)))

    # A request the browser drops because the reader went on to another page (an image
    # still loading when "next" is clicked) is not a failure of the site.
    navigations = visit.navigations
    started_at: dict = {}
    tab.on(
        "framenavigated",
        lambda frame: (
            navigations.__setitem__(0, navigations[0] + 1) if frame == tab.main_frame else None
        ),
    )

    def on_request(request) -> None:
        started_at[request] = navigations[0]
        if not is_local(request.url, url):
            visit.external_requests.append(request.url)

    def on_response(response) -> None:
        if is_local(response.url, url) and response.status >= 400:
            visit.bad_responses.append(f"HTTP {response.status} {response.url}")

    def on_request_failed(request) -> None:
        if not is_local(request.url, url):
            return
        failure = f"{request.failure} {request.url}"
        if request.failure == "net::ERR_ABORTED":  # judged once the visit is over
            visit.aborted.append((started_at.get(request, navigations[0]), failure))
        else:
            visit.bad_responses.append(failure)

    tab.on("request", on_request)
    tab.on("response", on_response)
    tab.on("requestfailed", on_request_failed)
    response = tab.goto(url, wait_until="load")
    visit.status = response.status if response else None
    return visit


def render_everything(tab) -> None:
    """Lay out every section, also those off screen (the site's CSS lets the browser skip
    them with `content-visibility: auto`), so that widths and axe see the whole page.

    A reader brings sections into view one by one, and the site's script decides each one's
    tab stops as it is rendered; this style tag renders them all at once, which no event
    announces, so the site's script is asked to decide them all, on the final layout (web
    fonts loaded). A page without that script fails here."""
    tab.add_style_tag(content="section { content-visibility: visible !important; }")
    tab.evaluate("() => window.rnnLabTabStops()")


def normalise(text: str) -> str:
    """Letters and digits only, case-folded: compares headings across Markdown and HTML."""
    return re.sub(r"[\W_]+", "", text.casefold())


def without_markdown_math(text: str) -> str:
    return re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", text, flags=re.DOTALL)


def markdown_cells(source: Path) -> list[str]:
    """The Markdown a reader sees: a .md file, or a notebook's visible Markdown cells."""
    if source.suffix == ".md":
        text = source.read_text()
        return [re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)]  # front matter
    cells = json.loads(source.read_text())["cells"]
    return [
        "".join(cell["source"])
        for cell in cells
        if cell["cell_type"] == "markdown"
        and "remove-cell" not in cell.get("metadata", {}).get("tags", [])
    ]


def first_heading(source: Path) -> str:
    for text in markdown_cells(source):
        in_fence = False
        for line in text.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            elif not in_fence and line.startswith("# "):
                return line[2:].strip()
    raise AssertionError(f"{source} has no `# Title` heading")


def prose(source: Path) -> str:
    """Markdown prose without code, math, fenced blocks or link targets (what search indexes)."""
    text = "\n".join(markdown_cells(source))
    text = re.sub(r"(```|~~~).*?\1", " ", text, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`|\]\([^)]*\)|<!--.*?-->", " ", without_markdown_math(text))
    return text


def screenshot_variance(path: Path) -> float:
    with Image.open(path) as image:
        return ImageStat.Stat(image.convert("L")).var[0]


def check_images(tab) -> None:
    """Every <img> (figures, logos) has loaded: lazy ones are forced to load first."""
    images = tab.evaluate(
        """async () => {
            const images = Array.from(document.images);
            images.forEach((img) => { img.loading = "eager"; });
            await Promise.all(images.map((img) => img.decode().catch(() => null)));
            return images.map((img) => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
        }"""
    )
    broken = [image["src"][:120] for image in images if image["width"] <= 0]
    assert not broken, f"images that did not load: {broken}"
    figures = tab.evaluate(
        f"""() => Array.from(document.querySelectorAll("{ARTICLE} .cell_output svg"))
                .filter((svg) => svg.getBoundingClientRect().width <= 0).length"""
    )
    assert figures == 0, f"{figures} inline SVG figure(s) have no size"


def check_math(tab) -> int:
    """Every formula arrives typeset (rnn_lab.book.prerender_math): nothing typesets in the
    browser, each formula is drawn (SVG whose every glyph the page defines) and carries
    MathML for screen readers, without TeX errors; returns how many formulas the article has."""
    selector = f"{ARTICLE} .math"
    state = tab.evaluate(
        f"""async () => {{
            const math = Array.from(document.querySelectorAll("{selector}"));
            const uses = Array.from(document.querySelectorAll("{selector} svg use"));
            return {{
                mathjax: typeof window.MathJax !== "undefined",
                scripts: Array.from(document.scripts).map((s) => s.src)
                    .filter((src) => /mathjax|katex/i.test(src)),
                count: math.length,
                untypeset: math.filter((el) => !el.querySelector("mjx-container"))
                    .map((el) => el.textContent.slice(0, 80)),
                without_mathml: math.filter((el) => !el.querySelector("mjx-assistive-mml math"))
                    .length,
                empty: math.filter((el) => {{
                    const box = el.querySelector("mjx-container > svg");
                    return !box || box.getBoundingClientRect().width <= 0;
                }}).length,
                missing_glyphs: uses.map((use) => use.getAttribute("xlink:href")
                        || use.getAttribute("href"))
                    .filter((ref) => !document.getElementById(ref.slice(1))),
                glyphs_used: uses.length,
                errors: Array.from(document.querySelectorAll(
                        "mjx-merror, merror, [data-mml-node=merror]"))
                    .map((el) => el.textContent.slice(0, 80)),
            }};
        }}"""
    )
    assert not state["mathjax"] and not state["scripts"], (
        f"a page typesets maths in the browser: {state['scripts']}"
    )
    assert not state["untypeset"], f"formulas left as TeX: {state['untypeset'][:5]}"
    assert state["without_mathml"] == 0, "formulas without MathML for screen readers"
    assert state["empty"] == 0, f"{state['empty']} formulas drawn with no width"
    assert not state["errors"], f"MathJax could not typeset: {state['errors']}"
    assert not state["missing_glyphs"], f"glyphs the page lacks: {state['missing_glyphs'][:5]}"
    if state["count"]:
        assert state["glyphs_used"] > 0, "formulas without a single drawn glyph"
    return state["count"]


def check_heading_and_title(tab, source: Path, book_title: str) -> None:
    """The page shows the chapter's `# Title` as its <h1> and in the window title."""
    expected = normalise(without_markdown_math(first_heading(source)))
    heading = tab.locator(f"{ARTICLE} h1").first
    assert heading.is_visible(), "the page's first heading is not visible"
    shown = heading.evaluate(
        """(h1) => {
            const copy = h1.cloneNode(true);
            copy.querySelectorAll(".math, mjx-container, .headerlink").forEach((n) => n.remove());
            return copy.textContent;
        }"""
    )
    assert normalise(shown) == expected, f"<h1> {shown!r} is not the source's title"
    title = tab.title()
    assert title.endswith(TITLE_SEPARATOR + book_title), f"window title {title!r}"
    page_title = re.sub(r"\\\(.*?\\\)", "", title.removesuffix(TITLE_SEPARATOR + book_title))
    assert normalise(page_title) == expected, f"window title {title!r} lacks the page title"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_page_renders(toc_page, viewport, book, site_url, offline_context, screenshot_dir):
    context = offline_context(site_url, viewport=VIEWPORTS[viewport])
    visit = open_page(context, urljoin(site_url, f"{toc_page}.html"))
    assert visit.status == 200
    tab = visit.tab

    check_images(tab)
    check_math(tab)
    check_heading_and_title(tab, book.source(toc_page), book.config["title"])
    render_everything(tab)
    readable = tab.locator(ARTICLE).inner_text()
    assert len(readable.strip()) > 0, "the article has no visible text"
    width = tab.evaluate("() => document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"], (
        f"the page is {width} px wide: a {viewport} reader would have to scroll sideways"
    )

    shot = screenshot_dir / f"{toc_page.replace('/', '_')}-{viewport}.png"
    tab.screenshot(path=shot, full_page=True)
    variance = screenshot_variance(shot)
    assert variance > MIN_SCREENSHOT_VARIANCE, f"{shot} looks blank (variance {variance:.1f})"
    visit.assert_clean()


def test_site_root_opens_the_book(book, site_url, offline_context):
    visit = open_page(offline_context(site_url), site_url)
    visit.tab.wait_for_url(urljoin(site_url, f"{book.pages[0]}.html"))
    visit.assert_clean()


def test_next_and_previous_follow_the_toc(book, site_url, offline_context):
    """Clicking "next" from the first page visits every page in order, "previous" walks back."""
    visit = open_page(offline_context(site_url), urljoin(site_url, f"{book.pages[0]}.html"))
    tab = visit.tab
    for expected in book.pages[1:]:
        tab.locator("a.right-next").click()
        tab.wait_for_url(urljoin(site_url, f"{expected}.html"))
    assert tab.locator("a.right-next").count() == 0, "the last page still has a 'next' link"
    for expected in reversed(book.pages[:-1]):
        tab.locator("a.left-prev").click()
        tab.wait_for_url(urljoin(site_url, f"{expected}.html"))
    assert tab.locator("a.left-prev").count() == 0, "the first page has a 'previous' link"
    visit.assert_clean()


def test_search_finds_the_book(book, site_url, offline_context):
    """Typing a word of the book into the search box lists the pages that use it."""
    visit = open_page(offline_context(site_url), urljoin(site_url, f"{book.pages[0]}.html"))
    tab = visit.tab
    tab.locator(".search-button__button:visible").first.click()
    field_ = tab.locator("#pst-search-dialog input[name=q]")
    field_.fill(SEARCH_WORD)
    field_.press("Enter")
    tab.wait_for_url("**/search.html?q=*")
    tab.wait_for_function(
        """() => {
            const summary = document.querySelector("#search-results .search-summary");
            return summary && summary.textContent.trim().length > 0;
        }"""
    )
    links = tab.locator("#search-results ul.search li > a").evaluate_all(
        "(links) => links.map((a) => a.href)"
    )
    found = {urlsplit(link).path.lstrip("/").removesuffix(".html") for link in links}
    assert found, f"searching for {SEARCH_WORD!r} found nothing"
    assert found <= set(book.pages), f"search results outside the book: {found - set(book.pages)}"
    word = re.compile(rf"\b{SEARCH_WORD}", re.IGNORECASE)
    expected = {page for page in book.pages if word.search(prose(book.source(page)))}
    assert expected <= found, f"pages using {SEARCH_WORD!r} not found: {expected - found}"
    visit.assert_clean()


def test_launch_and_download_buttons(notebook_page, book, site_dir, site_url, offline_context):
    """Binder and Colab open this notebook on the learner branch of _config.yml; download
    offers its student edition."""
    repository = book.config["repository"]
    launch = book.config["launch_buttons"]
    org_repo = urlsplit(repository["url"]).path.strip("/")
    branch = repository.get("branch", "main")
    notebook = "/".join(
        part for part in (repository.get("path_to_book", "").strip("/"), notebook_page) if part
    )
    notebook += ".ipynb"
    interface = {"classic": "tree/", "jupyterlab": "lab/tree/"}[launch["notebook_interface"]]

    visit = open_page(offline_context(site_url), urljoin(site_url, f"{notebook_page}.html"))
    tab = visit.tab
    tab.locator("button[aria-label='Launch interactive content']").click()
    # Bootstrap moves `title` into a tooltip, so find the buttons by their visible label.
    binder = tab.locator(".dropdown-launch-buttons a", has_text="Binder")
    colab = tab.locator(".dropdown-launch-buttons a", has_text="Colab")
    assert binder.is_visible() and colab.is_visible(), "launch menu does not open"

    binder_url = binder.get_attribute("href")
    prefix = f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/{branch}?"
    assert binder_url.startswith(prefix), f"Binder link {binder_url!r}, expected {prefix}..."
    assert parse_qs(urlsplit(binder_url).query)["urlpath"] == [interface + notebook]
    colab_url = f"{launch['colab_url'].rstrip('/')}/github/{org_repo}/blob/{branch}/{notebook}"
    assert colab.get_attribute("href") == colab_url

    tab.keyboard.press("Escape")
    tab.locator("button[aria-label='Download this page']").click()
    download = tab.locator("a.btn-download-source-button")
    assert download.is_visible(), "download menu does not open"
    href = urljoin(tab.url, download.get_attribute("href"))
    assert href.endswith(".ipynb"), f"the download button offers {href}, not the notebook"
    response = tab.request.get(href)
    assert response.status == 200, f"downloading {href}: HTTP {response.status}"
    offered = json.loads(response.body())
    student = site_dir.parent / "notebooks" / "student" / f"{Path(notebook_page).name}.ipynb"
    assert offered == json.loads(student.read_text()), (
        "the downloadable notebook is not the student edition the build wrote"
    )
    visit.assert_clean()


def test_dark_mode_switch_and_its_icons(book, site_url, offline_context):
    """The colour-mode button switches the page to dark and back, and the theme's icons are
    drawn from the site's (cut-down) FontAwesome fonts: the 1.4 MB icon script is gone."""
    visit = open_page(offline_context(site_url), urljoin(site_url, f"{book.pages[1]}.html"))
    tab = visit.tab
    button = tab.locator(".theme-switch-button:visible").first
    modes = []
    for _ in range(3):  # auto -> light -> dark (the theme's cycle); record each
        button.click()
        modes.append(tab.evaluate("() => document.documentElement.dataset.theme"))
    assert "dark" in modes and "light" in modes, f"the colour mode went {modes}"
    icons = tab.evaluate(
        """async () => {
            await document.fonts.ready;
            const shown = Array.from(document.querySelectorAll("i.fa-solid, i.fa-brands"))
                .filter((i) => i.getClientRects().length > 0);
            return {
                script: Array.from(document.scripts).some((s) => /fontawesome/.test(s.src)),
                shown: shown.length,
                empty: shown.filter((i) => i.getBoundingClientRect().width <= 0)
                    .map((i) => i.className),
                svg: document.querySelectorAll("svg.svg-inline--fa").length,
                fonts: Array.from(document.fonts)
                    .filter((f) => f.family.includes("Font Awesome") && f.status === "loaded")
                    .map((f) => f.family),
            };
        }"""
    )
    assert not icons["script"] and icons["svg"] == 0, "the FontAwesome script is on the page"
    assert icons["shown"] > 0 and not icons["empty"], f"icons without a glyph: {icons}"
    assert icons["fonts"], "no FontAwesome font was loaded for the icons"
    visit.assert_clean()
