"""A Sphinx extension that makes the built book work with no internet at all, and light
enough for a phone (and adds the book's few lines of CSS).

A classroom may have no network, and a teacher copies the site to a USB stick: every
file a page loads must be inside the site. Many learners read on a phone: a page must
not make it typeset maths or download what the reader may never look at. So:

- formulas are typeset when the book is built (`rnn_lab.book.prerender_math`: MathJax in
  Node, as SVG with MathML for screen readers): the pages carry no MathJax script;
- what notebook outputs carry inline (figures, the static explorer's numbers) becomes files
  the page loads when it needs them, and the theme's 1.4 MB icon script is left out
  (`rnn_lab.book.page_assets`): its style sheet draws the icons from FontAwesome's fonts,
  cut down to the icons the site shows (`rnn_lab.book.icon_fonts`);
- a page's style sheets arrive as one file, the theme's tab-stop pass no longer lays the
  page out once per code cell, and the site has a favicon and a colour mode for a first
  visit (`rnn_lab.book.page_assets`, `_check_config`);
- sphinx-thebe's scripts stay out of the pages (see `_drop_thebe_scripts`).
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.ext.mathjax import html_visit_displaymath, html_visit_math

from .icon_fonts import subset_icon_fonts
from .node_tools import NodeToolsError, ensure_installed
from .page_assets import (
    ThemeChangedError,
    bundle_site_style_sheets,
    lighten_site,
    write_favicon,
)
from .prerender_math import MATHJAX_PACKAGE, RENDERER, MathError, prerender_site

# The book's own CSS, written to `_static/` and linked from every page.
SITE_CSS_NAME = "rnn-lab.css"
SITE_CSS = """\
/* Keras prints model.summary() with rich, in terminal colours (green and cyan on white,
   below WCAG's contrast minimum); on the page the table keeps its bold, in the text colour. */
.cell_output .output.text_html pre span[style*="color"] { color: inherit !important; }
/* Figures (rnn_lab.plots.alt_text) are PNGs on white: never wider than the column. */
img.rnn-lab-figure { max-width: 100%; height: auto; }
/* A phone lays out and styles only the sections on or near the screen (a chapter is
   thousands of elements, its formulas most of them); the others keep their last size. The
   placeholder is taller than a section usually is on a phone: a checker that asks where a
   skipped section's text would be (axe's contrast check in Lighthouse) then finds it inside
   its own section, not over the next one's coloured output. */
.bd-article section > section { content-visibility: auto; contain-intrinsic-size: auto 5000px; }
/* A long dotted name in running text (rnn_lab.cells.bptt.sequence_backward(...)) may
   break where it must, so that a phone never scrolls sideways. */
code.literal span.pre { white-space: normal; overflow-wrap: anywhere; }
/* The footer's licence links: the theme's link blue on the footer's grey is 4.3:1, below
   WCAG's 4.5:1; the text colour, underlined, reads in light and dark mode. */
.footer-item .extra_footer a { color: var(--pst-color-text-base); text-decoration: underline; }
/* Text coloured by activation (rnn_lab.plots.text): black on its light-to-strong colours
   (5.2:1 on the strongest blue, 6:1 on the strongest red), never the theme's text colour. */
.rnn-lab-activations, .rnn-lab-activations * { color: #000 !important; }
/* Links in light mode: sphinx-book-theme's blue #176de8 is 4.3:1 on the grey of code cells,
   table rows and cards (#f3f4f5), below WCAG's 4.5:1; a shade darker is 5.1:1 there. */
html[data-theme="light"] { --pst-color-primary: #1463d4; }
"""
# The site's own script (deferred, like every head script: it runs once the page is parsed).
# 1. Opened from a copied folder (file://), the browser refuses the fetch() with which Sphinx's
#    search shows a summary under each result (an uncaught error per result); there the
#    results list the pages without summaries. Served over HTTP, nothing changes.
# 2. A code cell or output that scrolls sideways must take keyboard focus (WCAG 2.1.1). The
#    theme would decide that on "load" (and on resize and page changes) by reading each
#    region's size and writing its tab stop, one region at a time: a full layout of the page
#    per region (1.7 s of a throttled phone's main thread on a long chapter), on a layout that
#    can still change (fonts arrive later; sections off screen, `content-visibility: auto`,
#    are laid out when they come into view). So the theme's pass calls this script instead
#    (`page_assets.delegate_theme_tab_stops`), and this script decides each region again
#    whenever its layout may have changed: its box resized (ResizeObserver), a font loaded,
#    its section rendered, its folded cell opened. Tab stops are only added, never taken
#    away; sections still skipped and folded cells are left alone (no forced layout of the
#    whole page) until they are rendered or opened. `window.rnnLabTabStops()` decides every
#    region now (the browser tests call it after laying out every section themselves).
SITE_JS_NAME = "rnn-lab-offline.js"
SITE_JS = """\
if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
}
(() => {
  // the theme's list (pydata-sphinx-theme, addTabStopsToScrollableElements)
  const REGIONS = "pre, .nboutput > .output_area, .cell_output > .output, "
    + ".jp-RenderedHTMLCommon, .pst-scrollable-table-container";
  const laidOut = (el) =>
    !el.checkVisibility || el.checkVisibility({ contentVisibilityAuto: true });
  const scrolls = (el) =>
    el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
  // All reads, then all writes: a tab stop written between two reads would make the
  // browser lay the page out again for the next read (the theme's loop did, once per region).
  const decide = (regions, all) => {
    const open = Array.from(regions).filter((el) => el.tabIndex < 0 && (all || laidOut(el)));
    open.filter(scrolls).forEach((el) => { el.tabIndex = 0; });
  };
  const regionsIn = (root) => root.querySelectorAll(REGIONS);
  const start = () => {
    const observer = new ResizeObserver((entries) => decide(entries.map((e) => e.target)));
    regionsIn(document).forEach((el) => observer.observe(el));
    document.fonts.addEventListener("loadingdone", () => decide(regionsIn(document)));
    document.fonts.ready.then(() => decide(regionsIn(document)));
    window.addEventListener("load", () => decide(regionsIn(document)));
    // fired as the section starts to render, while it still counts as skipped: its
    // regions are decided on the layout it is about to have
    document.addEventListener("contentvisibilityautostatechange", (event) => {
      if (!event.skipped) decide(regionsIn(event.target), true);
    }, true);
    // a folded cell opened ("Show code cell source"): its code was not rendered until now
    document.addEventListener("toggle", (event) => {
      if (event.target.open) decide(regionsIn(event.target), true);
    }, true);
  };
  // what the theme's own tab-stop pass calls instead (rnn_lab.book.page_assets)
  window.rnnLabDecideTabStops = () => decide(regionsIn(document));
  window.rnnLabTabStops = async () => {
    await document.fonts.ready;
    decide(regionsIn(document), true);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
"""


def _check_config(app: Sphinx, config) -> None:
    if config.html_math_renderer != RENDERER:
        raise ExtensionError(
            f"html_math_renderer is {config.html_math_renderer!r}: set `html_math_renderer:"
            f" {RENDERER}` in _config.yml, so that formulas are typeset when the book is built"
            " and no page runs MathJax"
        )
    try:
        ensure_installed(MATHJAX_PACKAGE)  # fail at the start of a build, not after every notebook
    except NodeToolsError as error:
        raise ExtensionError(str(error)) from error
    _drop_thebe_scripts(app)
    # The theme reads the reader's colour mode from localStorage, else from `default_mode`,
    # which Jupyter Book leaves empty: on a first visit the theme then logs "Got invalid theme
    # mode" (a console error on every page) before falling back to "auto", which is set here.
    config.html_context.setdefault("default_mode", "auto")


def _drop_thebe_scripts(app: Sphinx) -> None:
    """Keep sphinx-thebe (a Jupyter Book default) from writing its scripts into pages.

    The book does not use thebe (it would run code on a kernel loaded from a CDN), and
    with Sphinx 7.4 thebe's inline `const THEBE_JS_URL = ...` lands twice in every page:
    an uncaught JavaScript error on every page. Its scripts are added by one listener.
    """
    for listener in list(app.events.listeners.get("env-before-read-docs", [])):
        handler = listener.handler
        if (handler.__module__, handler.__name__) == ("sphinx_thebe", "init_thebe_core"):
            app.disconnect(listener.id)


def _finish_site(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    static = site / "_static"
    (static / SITE_CSS_NAME).write_text(SITE_CSS, encoding="utf-8")
    (static / SITE_JS_NAME).write_text(SITE_JS, encoding="utf-8")
    write_favicon(site)
    try:
        lighten_site(site)
        subset_icon_fonts(site)
        prerender_site(site)
        bundle_site_style_sheets(site)  # last: the maths' sheet is linked by now
    except (MathError, NodeToolsError, ThemeChangedError) as error:
        raise ExtensionError(str(error)) from error


#: After every other extension's and the theme's build-finished listener (Sphinx's default 500).
FINISH_PRIORITY = 900


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.mathjax")  # its visitors write the pages' TeX
    # Sphinx's own MathJax markup, under a renderer of our own: Sphinx adds no MathJax script.
    app.add_html_math_renderer(RENDERER, (html_visit_math, None), (html_visit_displaymath, None))
    app.connect("config-inited", _check_config)
    # Last of the build-finished listeners: the theme rewrites pygments.css in its own (at the
    # default priority 500), and the style sheets bundled here must be the site's final ones.
    app.connect("build-finished", _finish_site, priority=FINISH_PRIORITY)
    app.add_css_file(SITE_CSS_NAME)
    app.add_js_file(SITE_JS_NAME)  # after documentation_options.js (priority 200 < 500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
