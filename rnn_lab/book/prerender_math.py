"""Every formula of the site typeset when the book is built, so that no page runs MathJax.

Typesetting 50–200 formulas in the browser kept a phone's main thread busy for seconds
after each page loaded. Here MathJax 3 (npm `mathjax-full`, pinned in `package-lock.json`)
does it once, at build time, in Node (`prerender_math.cjs`): each formula becomes the SVG
that MathJax would have put in the page, with its MathML beside it (`<mjx-assistive-mml>`,
what a screen reader reads). Each page carries the shapes of the glyphs it draws once
(MathJax's global font cache, a hidden `<svg>` at the top of the body, which every formula
draws from with `<use>`), and one small style sheet serves every page
(`_static/mathjax/svg.css`). SVG rather than MathJax's CommonHTML: a CommonHTML formula is
text in MathJax's web fonts, laid out box by box, then laid out again when a font arrives;
on a long chapter that doubled the time a phone spent styling and laying out the page. The
shapes are drawn in `currentColor`, so formulas follow the text colour (dark mode too).

The pages are written by Sphinx exactly as for MathJax (`html_visit_math` and
`html_visit_displaymath` of `sphinx.ext.mathjax`: `\\(…\\)` in `<span class="math">`,
`\\[…\\]` in `<div class="math">`), under a math renderer of our own so that Sphinx adds
no MathJax script; `prerender_site` then replaces each formula's TeX by its rendering.
A TeX error or an undefined macro fails the build, naming the page and the formula.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .node_tools import ensure_installed, run_node

#: The math renderer's name (`html_math_renderer` in `_config.yml`).
RENDERER = "rnn_lab_prerendered"
#: Under the site's `_static/`: the style sheet and the fonts it names.
STATIC_SUBDIR = "mathjax"
CSS_NAME = "svg.css"
#: The hidden `<svg>` holding a page's glyph shapes (MathJax's SVG.FONTCACHEID).
GLYPHS_ID = "MJX-SVG-global-cache"
NODE_SCRIPT = Path(__file__).with_name("prerender_math.cjs")
MATHJAX_PACKAGE = "mathjax-full"

# What sphinx.ext.mathjax writes (its visitors are reused): the TeX is HTML-escaped text.
_INLINE = re.compile(
    r'(?P<open><span class="math notranslate nohighlight">)\\\((?P<tex>[^<]*?)\\\)</span>', re.S
)
_DISPLAY = re.compile(
    r'(?P<open><div class="math notranslate nohighlight"[^>]*>'
    r'\s*(?:<span class="eqno">.*?</span>)?)'
    r"(?P<tex>[^<]*)</div>",  # escaped TeX holds no "<": a rendered formula does
    re.S,
)
#: A page still holding TeX for the browser to typeset (checked after rendering).
UNRENDERED = re.compile(
    r'class="math notranslate nohighlight"[^>]*>(?:<span class="eqno">.*?</span>)?\s*\\[(\[]', re.S
)


class MathError(ValueError):
    """A formula MathJax cannot typeset."""


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool


def _display_tex(body: str) -> str:
    body = body.strip()
    if body.startswith("\\[") and body.endswith("\\]"):
        body = body[2:-2]
    return html.unescape(body)


def formulas_in(page: str) -> list[Formula]:
    """The formulas of one page, in order (inline and display)."""
    found = [Formula(html.unescape(m["tex"]), False) for m in _INLINE.finditer(page)]
    found += [Formula(_display_tex(m["tex"]), True) for m in _DISPLAY.finditer(page)]
    return found


@dataclass
class RenderedPage:
    """One page's formulas as SVG (by formula) and the glyph shapes they draw with."""

    formulas: dict[Formula, str]
    glyphs: str


def render_pages(pages: list[list[Formula]]) -> tuple[list[RenderedPage], str]:
    """Each page's distinct formulas as SVG with assistive MathML, and the style sheet for all.

    Raises MathError listing every formula MathJax refused (with the index of its page).
    """
    distinct = [list(dict.fromkeys(formulas)) for formulas in pages]
    ensure_installed(MATHJAX_PACKAGE)
    request = {"pages": [[{"tex": f.tex, "display": f.display} for f in page] for page in distinct]}
    answer = json.loads(run_node(NODE_SCRIPT, json.dumps(request)))
    if answer["errors"]:
        lines = [
            f"  {distinct[e['page']][e['index']].tex!r} (page {e['page']}): {e['message']}"
            for e in answer["errors"]
        ]
        raise MathError("MathJax cannot typeset:\n" + "\n".join(lines))
    rendered = [
        RenderedPage(dict(zip(formulas, page["html"], strict=True)), page["glyphs"])
        for formulas, page in zip(distinct, answer["pages"], strict=True)
    ]
    return rendered, answer["css"]


def render_formulas(formulas: list[Formula]) -> tuple[dict[Formula, str], str]:
    """The formulas of one page as SVG; see `render_pages`."""
    pages, css = render_pages([formulas])
    return pages[0].formulas, css


#: Node kinds whose `<g>` the SVG style sheet selects (errors, table lines): kept named.
_STYLED_NODES = ("merror", "mtable")
_SVG_TAG = re.compile(r"<(?P<end>/?)g\b(?P<attributes>[^>]*)>")
_UNSTYLED_NODE = re.compile(
    rf'\s(?:data-mml-node="(?!(?:{"|".join(_STYLED_NODES)})")[^"]*"|data-mjx-texclass="[^"]*")'
)


def slim_svg(container: str) -> str:
    """A rendered formula with what only MathJax's own menu and explorer read taken out.

    Each MathML node is a `<g data-mml-node=…>` around its glyphs (`<use data-c=…>`); once the
    node names are gone (the assistive MathML beside the picture says what it is), a `<g>`
    with no attribute does nothing to the drawing and is unwrapped: about a third fewer
    elements for a phone to style, and a smaller page. The SVG's namespaces are implied in
    HTML, and `href` is SVG 2's `xlink:href`.
    """
    container = re.sub(r'\sdata-c="[^"]*"', "", container)
    container = container.replace(' xmlns="http://www.w3.org/2000/svg"', "")
    container = container.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    container = container.replace(' xlink:href="#', ' href="#')
    unwrapped = []  # for each open <g>, whether its tags were dropped

    def one(match: re.Match) -> str:
        if match["end"]:
            return "" if unwrapped.pop() else match[0]
        attributes = _UNSTYLED_NODE.sub("", match["attributes"]).strip()
        unwrapped.append(not attributes)
        return "" if not attributes else f"<g {attributes}>"

    return _SVG_TAG.sub(one, container)


def _scrollable(container: str) -> str:
    """A display formula reachable by keyboard: on a phone a wide one scrolls sideways in its
    box (the theme's `overflow: auto`), and a scrollable region must take focus (WCAG 2.1.1;
    MathJax in the browser made every formula focusable for its menu)."""
    return container.replace("<mjx-container ", '<mjx-container tabindex="0" ', 1)


def replace_formulas(page: str, rendered: dict[Formula, str]) -> str:
    """`page` with every formula's TeX replaced by its rendering."""

    def inline(match: re.Match) -> str:
        formula = rendered[Formula(html.unescape(match["tex"]), False)]
        return match["open"] + slim_svg(formula) + "</span>"

    def display(match: re.Match) -> str:
        formula = rendered[Formula(_display_tex(match["tex"]), True)]
        return match["open"] + _scrollable(slim_svg(formula)) + "</div>"

    return _DISPLAY.sub(display, _INLINE.sub(inline, page))


def add_glyphs(page: str, glyphs: str) -> str:
    """`page` with the hidden `<svg>` of its glyph shapes first in its body."""
    if GLYPHS_ID in page:
        return page
    return re.sub(r"(<body\b[^>]*>)", lambda m: m[1] + glyphs, page, count=1)


def link_style_sheet(page: str, relative: Path) -> str:
    """`page` (at `relative` in the site) with the formulas' style sheet linked in its head."""
    href = "../" * (len(relative.parts) - 1) + f"_static/{STATIC_SUBDIR}/{CSS_NAME}"
    link = f'<link rel="stylesheet" type="text/css" href="{href}" />'
    if link in page:
        return page
    return page.replace("</head>", f"    {link}\n  </head>", 1)


def prerender_site(site: Path) -> dict[str, int]:
    """Typeset the formulas of every page under `site` in place; formulas per page.

    Writes `_static/mathjax/svg.css`. Pages already rendered are left as they are (nothing to
    find), so running it twice changes nothing.
    """
    site = Path(site)
    pages = {path: path.read_text(encoding="utf-8") for path in sorted(site.rglob("*.html"))}
    per_page = {path: found for path, text in pages.items() if (found := formulas_in(text))}
    if not per_page:
        return {}
    paths = list(per_page)
    try:
        rendered, css = render_pages([per_page[path] for path in paths])
    except MathError as error:
        where = [
            f"page {index}: {path.relative_to(site)}"
            for index, path in enumerate(paths)
            if f"(page {index})" in str(error)
        ]
        raise MathError(f"{error}\n({'; '.join(where) or 'the site'})") from error
    counts = {}
    for path, page in zip(paths, rendered, strict=True):
        text = replace_formulas(pages[path], page.formulas)
        text = link_style_sheet(add_glyphs(text, page.glyphs), path.relative_to(site))
        if UNRENDERED.search(text):
            raise MathError(f"{path.relative_to(site)}: a formula was left for the browser")
        path.write_text(text, encoding="utf-8")
        counts[str(path.relative_to(site))] = len(per_page[path])
    target = site / "_static" / STATIC_SUBDIR
    shutil.rmtree(target, ignore_errors=True)  # ours: nothing an older build left may linger
    target.mkdir(parents=True)
    (target / CSS_NAME).write_text(css, encoding="utf-8")
    return counts
