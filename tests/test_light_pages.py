"""Every page of the built site is light and self-sufficient (issue 26), read from the files.

The causes of a slow page on a phone, checked on every page the build wrote (whatever the
table of contents holds): no image inline, no maths typeset in the browser (every formula
arrives as SVG with MathML for screen readers, not as web-font text to lay out), nothing
asked of another host, a compressed weight under `PAGE_WEIGHT_BUDGET`, elements under
`PAGE_ELEMENT_BUDGET`, and the theme's script not laying the page out once per scrollable
region. `make lighthouse` measures the effect.
"""

from __future__ import annotations

import re

import pytest

from rnn_lab.book.page_assets import (
    DELEGATED_TAB_STOPS,
    EXPLORER_DATA_DIR,
    FAVICON,
    INLINE_IMAGE,
    THEME_SCRIPT,
    THEME_TAB_STOP_LOOP,
    UNSPOKEN_TOGGLE_LABEL,
)
from rnn_lab.book.page_weight import (
    PAGE_ELEMENT_BUDGET,
    PAGE_HTML_BUDGET,
    PAGE_WEIGHT_BUDGET,
    element_count,
    is_external,
    local_file,
    page_refs,
    page_weight,
    site_pages,
)
from rnn_lab.book.prerender_math import CSS_NAME, GLYPHS_ID, STATIC_SUBDIR, UNRENDERED

# A script that typesets maths in the browser, by file name or by its configuration.
CLIENT_MATH = re.compile(
    r'<script\b[^>]*\bsrc="[^"]*(mathjax|katex)|<script\b[^>]*>[^<]*\b(MathJax|katex)\b', re.I
)
_MJX = re.compile(r'<mjx-container\b[^>]*\bjax="SVG"')
_MATHML = re.compile(r"<mjx-assistive-mml\b[^>]*><math\b")
_IMG = re.compile(r"<img\b[^>]*>")


@pytest.fixture(scope="module")
def pages(built_book):
    found = site_pages(built_book)
    assert len(found) >= 10, f"only {len(found)} pages under {built_book}"
    return {page: (built_book / page).read_text(encoding="utf-8") for page in found}


def test_no_page_carries_an_image_inline(pages):
    inline = [page.as_posix() for page, html in pages.items() if INLINE_IMAGE.search(html)]
    assert not inline, f"pages with base64 images: {inline}"


def test_every_folded_cell_toggle_is_named_by_its_visible_text(pages):
    unspoken = [page.as_posix() for page, html in pages.items() if UNSPOKEN_TOGGLE_LABEL in html]
    assert not unspoken, f"toggles whose accessible name hides their visible text: {unspoken}"


def test_no_page_typesets_maths_in_the_browser(pages, built_book):
    typesetting = [page.as_posix() for page, html in pages.items() if CLIENT_MATH.search(html)]
    assert not typesetting, f"pages that load or configure MathJax/KaTeX: {typesetting}"
    left = [page.as_posix() for page, html in pages.items() if UNRENDERED.search(html)]
    assert not left, f"pages with TeX left for the browser: {left}"
    with_maths = 0
    for page, html in pages.items():
        formulas = len(_MJX.findall(html))
        if not formulas:
            continue
        with_maths += 1
        assert len(_MATHML.findall(html)) == formulas, f"{page}: a formula without MathML"
        sheets = [u for u in page_refs(html).eager if u.split("?")[0].endswith(".css")]
        styles = "".join(local_file(built_book, page, u).read_text() for u in sheets)
        assert 'mjx-container[jax="SVG"]' in styles, f"{page}: no maths style sheet"
        assert 'data-mml-node="merror"' not in html, f"{page}: a TeX error"
        assert html.count(f'id="{GLYPHS_ID}"') == 1, f"{page}: its glyph shapes, once"
        assert 'jax="CHTML"' not in html, f"{page}: formulas as web-font text to lay out"
    assert with_maths >= 5, "the chapters' formulas are missing"
    css = (built_book / "_static" / STATIC_SUBDIR / CSS_NAME).read_text()
    assert "@font-face" not in css, "the formulas' style sheet loads web fonts"


def test_every_page_is_under_its_element_budget(pages):
    counts = {page.as_posix(): element_count(html) for page, html in pages.items()}
    large = {page: n for page, n in counts.items() if n > PAGE_ELEMENT_BUDGET}
    assert not large, f"pages over {PAGE_ELEMENT_BUDGET} elements: {large}"
    assert max(counts.values()) > 1_000, "element counts this low mean nothing was counted"


def test_the_theme_lays_out_the_page_once_for_its_tab_stops(built_book):
    script = (built_book / THEME_SCRIPT).read_text(encoding="utf-8")
    assert DELEGATED_TAB_STOPS in script
    assert not THEME_TAB_STOP_LOOP.search(script), "the theme's read-write loop is back"


def test_a_favicon_and_a_colour_mode_for_a_first_visit(pages, built_book):
    from PIL import Image

    with Image.open(built_book / FAVICON) as icon:
        assert icon.format == "ICO"
    for page, html in pages.items():
        if "</head>" not in html:  # the root's redirect to the first page
            continue
        assert re.search(r'<link rel="icon" href="(\.\./)*favicon\.ico"', html), page
        assert '|| "";' not in html, f"{page}: an empty colour mode (the theme logs an error)"


def test_every_image_is_a_sized_file_and_all_but_the_first_load_lazily(pages, built_book):
    for page, html in pages.items():
        for index, tag in enumerate(_IMG.findall(html)):
            src = re.search(r'src="([^"]+)"', tag)[1]
            assert local_file(built_book, page, src).is_file(), f"{page}: {src} is missing"
            if not src.endswith(".svg"):
                assert re.search(r'width="\d+" height="\d+"', tag), f"{page}: unsized {tag}"
            assert ('loading="lazy"' in tag) == (index > 0), f"{page}: {tag[:200]}"


def test_nothing_is_asked_of_another_host(pages, built_book):
    for page, html in pages.items():
        for url in page_refs(html).all_urls:
            assert not is_external(url), f"{page} loads {url}"
            if not url.startswith("data:"):
                path = local_file(built_book, page, url)
                assert path.is_file(), f"{page}: {url} is not in the site"


def test_the_explorers_numbers_wait_in_a_file(pages, built_book):
    explorers = {p: h for p, h in pages.items() if "rnn-lab-static-explorer" in h}
    assert explorers, "no page holds the static explorer"
    for page, html in explorers.items():
        assert '"runs":' not in html, f"{page} still carries the explorer's numbers"
        for url in page_refs(html).all_urls:
            if EXPLORER_DATA_DIR in url:
                assert local_file(built_book, page, url).is_file()


def test_every_page_is_under_its_weight_budget(pages, built_book):
    weights = {page: page_weight(built_book, page) for page in pages}
    heavy = {
        page.as_posix(): sum(parts.values())
        for page, parts in weights.items()
        if sum(parts.values()) > PAGE_WEIGHT_BUDGET
    }
    assert not heavy, f"pages over {PAGE_WEIGHT_BUDGET} bytes (gzip): {heavy}"
    heavy_html = {
        page.as_posix(): parts[page.as_posix()]
        for page, parts in weights.items()
        if parts[page.as_posix()] > PAGE_HTML_BUDGET
    }
    assert not heavy_html, f"pages whose HTML is over {PAGE_HTML_BUDGET} bytes: {heavy_html}"
    fontawesome = [
        p.as_posix() for p, parts in weights.items() if any("fontawesome" in f for f in parts)
    ]
    assert not fontawesome, f"pages loading the FontAwesome script: {fontawesome}"


def test_the_bundled_style_sheets_are_the_sites_final_ones(pages, built_book):
    """Each page's one style sheet holds the site's sheets as the build left them: the theme
    rewrites pygments.css (its accessible code colours) when the build finishes, so a bundle
    made before that would colour code below WCAG contrast."""
    bundles = {
        ref
        for page in pages.values()
        for ref in re.findall(r'href="([^"]*styles-[^"]+\.css)"', page)
    }
    assert bundles, "no page links a bundled style sheet"
    final = (built_book / "_static" / "pygments.css").read_text(encoding="utf-8")
    assert "html[data-theme=" in final  # the theme's light and dark code colours
    for ref in bundles:
        text = (built_book / "_static" / ref.rsplit("/", 1)[-1]).read_text(encoding="utf-8")
        assert "/* _static/pygments.css */\n" + final in text, f"{ref}: not the final pygments.css"
