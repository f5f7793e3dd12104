"""The site offline, accessible and rendered right: every page, with the internet cut off.

Each page of `_toc.yml` is opened at a desktop and a phone width in a browser context that
aborts every request leaving the site, and must show:

- zero requests for anything outside the site, and zero uncaught JavaScript errors;
- every formula typeset when the book was built, in the site's fonts, with MathML;
- no raw markup in its text: Markdown table pipes, `**`, backticks, MyST roles, TeX,
  `nan`/`inf` where a number should be, Python reprs such as `array(`;
- an `alt` on every `<img>` that says what it shows (not a file name, not empty);
- no serious or critical accessibility violation found by axe-core;
- in dark mode, every figure still on its opaque white background.

The counts of each page are written to `_build/site_checks/` (one JSON file per page and
width) so that a run can be summarised. Then the built folder is copied and opened from
`file://`, as a teacher's USB stick would be: navigation, search, math and the static
explorer must work there too.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest
from test_site import ARTICLE, VIEWPORTS, check_math, open_page, render_everything

REPORT_DIR = Path(__file__).resolve().parents[2] / "_build" / "site_checks"
AXE_FAILING_IMPACTS = frozenset({"serious", "critical"})

# Patterns that mean markup was not rendered. Code (pre, code, cell inputs) and typeset
# math are excluded from the text they are searched in; everything else a reader can read,
# including folded solutions and hints, is searched.
RAW_MARKUP = {
    "Markdown table row": re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.MULTILINE),
    "Markdown bold": re.compile(r"\*\*"),
    "backtick": re.compile(r"`"),
    "MyST role": re.compile(r"\{(glue|term|ref|doc|numref|eq|math|download|abbr)[:}]"),
    "TeX source": re.compile(r"\\\(|\\\)|\\\[|\\\]|\\begin\{|\\frac\b|\$[^$\s][^$\n]{0,80}\$"),
    "nan or inf": re.compile(r"(?<![\w.])[-+]?(nan|inf)(?![\w])"),
}
# Python reprs where a reader expects numbers, searched in prose and outputs alike.
PYTHON_REPR = re.compile(
    r"\barray\(|\bnp\.(float|int)(16|32|64)\(|<Figure size|<matplotlib\.|<function |"
    r"\btf\.Tensor\(|<tf\.Variable|object at 0x"
)
# An alt text that names a file or says nothing.
FILE_LIKE_ALT = re.compile(r"\.(png|jpe?g|gif|svg|webp)\b|_images/|^data:", re.IGNORECASE)
GENERIC_ALT = {"image", "figure", "plot", "graph", "chart", "picture", "png", "output"}
MIN_ALT_CHARS = 8  # "Colab logo"; a figure's description is far longer

_READABLE_TEXT_JS = """([selector, skipped]) => {
    const article = document.querySelector(selector);
    const copy = article.cloneNode(true);
    copy.querySelectorAll(skipped).forEach((node) => node.remove());
    // block elements end a line, as innerText would, so that table rows stay lines
    copy.querySelectorAll("p, li, tr, div, h1, h2, h3, h4, dt, dd, br")
        .forEach((node) => node.append("\\n"));
    return copy.textContent;
}"""
PROSE_SKIPPED = (
    "pre, code, script, style, .cell_input, .highlight, mjx-container, .MathJax, "
    "mjx-assistive-mml, .headerlink, .cell_output"
)
OUTPUT_SKIPPED = "script, style, .cell_input, mjx-container, .headerlink"

_IMAGES_JS = """async () => {
    const images = Array.from(document.images);
    images.forEach((img) => { img.loading = "eager"; });
    await Promise.all(images.map((img) => img.decode().catch(() => null)));
    return images.map((img) => ({
        src: (img.currentSrc || img.src).slice(0, 80),
        alt: img.getAttribute("alt"),
    }));
}"""

_DARK_FIGURES_JS = """(selector) => {
    document.documentElement.dataset.theme = "dark";
    document.documentElement.dataset.mode = "dark";
    return Array.from(document.querySelectorAll(selector + " .cell_output img")).map((img) => {
        const canvas = document.createElement("canvas");
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const context = canvas.getContext("2d");
        context.drawImage(img, 0, 0);
        const corners = [[0, 0], [img.naturalWidth - 1, img.naturalHeight - 1]]
            .map(([x, y]) => Array.from(context.getImageData(x, y, 1, 1).data));
        const style = getComputedStyle(img);
        return {corners, filter: style.filter, opacity: style.opacity};
    });
}"""


def readable_text(tab, skipped: str) -> str:
    return tab.evaluate(_READABLE_TEXT_JS, [ARTICLE, skipped])


def raw_markup_hits(prose: str, outputs: str) -> list[str]:
    """Each piece of unrendered markup or repr, with a little of the text around it."""
    hits = []
    for name, pattern in RAW_MARKUP.items():
        for match in pattern.finditer(prose):
            context = prose[max(match.start() - 40, 0) : match.end() + 40]
            hits.append(f"{name}: {' '.join(context.split())!r}")
    for text in (prose, outputs):
        for match in PYTHON_REPR.finditer(text):
            context = text[max(match.start() - 40, 0) : match.end() + 40]
            hits.append(f"Python repr: {' '.join(context.split())!r}")
    return hits


def bad_alt(alt: str | None) -> bool:
    text = (alt or "").strip()
    return (
        len(text) < MIN_ALT_CHARS
        or FILE_LIKE_ALT.search(text) is not None
        or text.casefold() in GENERIC_ALT
    )


def axe_violations(tab) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    # preload off: axe would fetch the stylesheets again itself (for one rule about
    # orientation locks) and resolve the theme's `@import "../basic.css"` against the
    # site's root, a request the page never makes.
    results = Axe().run(tab, options={"resultTypes": ["violations"], "preload": False})
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "nodes": [", ".join(map(str, node["target"])) for node in violation["nodes"]][:5],
        }
        for violation in results.response["violations"]
        if violation["impact"] in AXE_FAILING_IMPACTS
    ]


def write_report(page: str, viewport: str, counts: dict) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    name = f"{page.replace('/', '_')}-{viewport}.json"
    (REPORT_DIR / name).write_text(json.dumps({"page": page, "viewport": viewport, **counts}))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_page_offline_accessible_and_rendered(toc_page, viewport, site_url, offline_context):
    context = offline_context(site_url, viewport=VIEWPORTS[viewport])
    visit = open_page(context, urljoin(site_url, f"{toc_page}.html"))
    tab = visit.tab
    assert visit.status == 200

    formulas = check_math(tab)
    render_everything(tab)
    hits = raw_markup_hits(
        readable_text(tab, PROSE_SKIPPED),
        "\n".join(
            tab.locator(f"{ARTICLE} .cell_output").evaluate_all(
                "(nodes) => nodes.map((n) => n.textContent)"
            )
        ),
    )
    images = tab.evaluate(_IMAGES_JS)
    missing_alt = [image for image in images if bad_alt(image["alt"])]
    violations = axe_violations(tab)
    dark = tab.evaluate(_DARK_FIGURES_JS, ARTICLE)
    unreadable = [
        figure
        for figure in dark
        if any(corner != [255, 255, 255, 255] for corner in figure["corners"])
        or "invert" in figure["filter"]
        or float(figure["opacity"]) < 1
    ]

    counts = {
        "external_requests": len(visit.external_requests),
        "js_errors": len(visit.page_errors),
        "formulas": formulas,
        "raw_markup_hits": len(hits),
        "images": len(images),
        "images_without_meaningful_alt": len(missing_alt),
        "axe_serious_or_critical": sum(len(v["nodes"]) for v in violations),
        "figures_unreadable_in_dark_mode": len(unreadable),
    }
    write_report(toc_page, viewport, counts)

    visit.assert_clean()  # no external request, no JS error, no missing asset
    assert not hits, "raw markup or Python reprs on the page:\n" + "\n".join(hits[:20])
    assert not missing_alt, f"images without a meaningful alt: {missing_alt}"
    assert not violations, f"axe: serious/critical violations: {json.dumps(violations, indent=1)}"
    assert not unreadable, f"figures not on an opaque white background in dark mode: {unreadable}"


# A reader's way through a page: every region the theme may make scrollable is brought into
# view in turn (its section rendered as a reader's scrolling renders it) and every folded
# cell is opened; then, on the final layout, each region that scrolls must be a tab stop.
# Returns the ones that are not.
_SCROLL_THROUGH_JS = """async (selector) => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    const regions = Array.from(document.querySelectorAll(selector));
    for (const el of regions) {
        el.scrollIntoView({block: "center"});
        await frame();
        await frame();
    }
    // then every folded cell opened, as a reader opens "Show code cell source"
    document.querySelectorAll("details:not([open])").forEach((d) => { d.open = true; });
    await frame();
    await frame();
    await document.fonts.ready;
    await frame();
    await frame();
    return regions
        .filter((el) => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight)
        .map((el) => ({
            region: (el.closest("[id]") || el).id + " " + el.tagName.toLowerCase(),
            tabIndex: el.tabIndex,
        }));
}"""
SCROLLABLE_REGIONS = "pre, .cell_output > .output, .pst-scrollable-table-container"


def test_scrollable_regions_take_focus_as_a_reader_scrolls(toc_page, site_url, offline_context):
    """No forced layout here: sections render as they come into view, web fonts arrive when
    they do, and the site's own script must make each region that scrolls a tab stop."""
    context = offline_context(site_url, viewport=VIEWPORTS["phone"])
    visit = open_page(context, urljoin(site_url, f"{toc_page}.html"))
    scrollable = visit.tab.evaluate(_SCROLL_THROUGH_JS, SCROLLABLE_REGIONS)
    unreachable = [region for region in scrollable if region["tabIndex"] < 0]
    assert not unreachable, f"scrollable regions a keyboard cannot reach: {unreachable}"
    visit.assert_clean()


@pytest.mark.parametrize(
    ("prose", "expected"),
    [
        ("| a | b |\n|---|---|", "Markdown table row"),
        ("a **bold** claim", "Markdown bold"),
        ("the `code` here", "backtick"),
        ("error {glue:text}`ch3_err` here", "MyST role"),
        ("see {term}`hidden state`", "MyST role"),
        ("where \\(h_t\\) is", "TeX source"),
        ("with $h_t = \\tanh(a)$ shown", "TeX source"),
        ("an error of nan at the end", "nan or inf"),
        ("grows to inf.", "nan or inf"),
    ],
)
def test_the_raw_markup_check_catches(prose, expected):
    hits = raw_markup_hits(prose, "")
    assert any(hit.startswith(expected) for hit in hits), hits


def test_the_raw_markup_check_passes_rendered_text():
    prose = "The error is 3.2e-07, within tolerance; |Δ| stays small; NaN is explained here."
    assert raw_markup_hits(prose, "max error 1.0e-07") == []
    assert raw_markup_hits("", "array([1., 2.])")[0].startswith("Python repr")
    assert raw_markup_hits("", "np.float64(0.5)")[0].startswith("Python repr")


def test_alt_texts_that_say_nothing_are_caught():
    assert bad_alt(None) and bad_alt("") and bad_alt("../_images/3f2a9c.png") and bad_alt("  x ")
    assert bad_alt("Figure") and bad_alt("data:image/png;base64,AAAA")
    assert not bad_alt("Hidden units over time: 5 lines; values between −0.70 and 0.71.")


@pytest.fixture(scope="module")
def copied_site(site_dir: Path, tmp_path_factory) -> Path:
    """The built site copied to another folder, as a teacher copies it to a USB stick."""
    target = tmp_path_factory.mktemp("usb-stick") / "rnn-lab"
    shutil.copytree(site_dir, target)
    return target


def test_the_copied_folder_works_from_file_urls(book, copied_site, offline_context):
    """Opened from file:// with the network cut: math, next/previous, search, explorer."""
    base = copied_site.as_uri() + "/"
    context = offline_context(base)
    visit = open_page(context, urljoin(base, f"{book.pages[1]}.html"))
    tab = visit.tab
    assert check_math(tab) > 0, "the first chapter should have formulas to typeset"
    tab.locator("a.right-next").click()
    tab.wait_for_url(urljoin(base, f"{book.pages[2]}.html"))
    tab.locator("a.left-prev").click()
    tab.wait_for_url(urljoin(base, f"{book.pages[1]}.html"))

    tab.goto(urljoin(base, "search.html?q=recurrent"))
    tab.wait_for_function(
        """() => document.querySelectorAll("#search-results ul.search li").length > 0"""
    )

    explorer_page = next(page for page in book.pages if "hidden_state" in page)
    tab.goto(urljoin(base, f"{explorer_page}.html"))
    check_math(tab)
    explorer = tab.locator(".rnn-lab-static-explorer")
    # Its numbers are a script file of the site, loaded when the explorer comes into view.
    explorer.scroll_into_view_if_needed()
    tab.wait_for_selector(".rnn-lab-static-explorer[data-loaded='1']")
    summary = tab.locator(".rnn-lab-static-explorer [data-role=summary]")
    before = summary.text_content()
    slider = tab.locator(".rnn-lab-static-explorer [data-role=control-h]")
    slider.evaluate(
        """(input) => { input.value = input.max;
                        input.dispatchEvent(new Event("input", {bubbles: true})); }"""
    )
    assert summary.text_content() != before, "the static explorer did not redraw offline"
    visit.assert_clean()
