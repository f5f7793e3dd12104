"""A Sphinx extension that makes the built book work with no internet at all (and
adds the book's few lines of CSS).

A classroom may have no network, and a teacher copies the site to a USB stick: every
file a page loads must be inside the site. Sphinx loads MathJax from a CDN unless
`mathjax_path` is relative (then it is relative to `_static/`); this extension puts
MathJax 3 there. The files come from PyPI, the registry the project already uses:
the `django-static-mathjax` wheel is MathJax's own release (`es5/` folder) and does
not import Django. `_config.yml` sets `mathjax_path: mathjax/tex-mml-chtml.js`.

Only the parts `tex-mml-chtml.js` can load are copied (CommonHTML output and its fonts,
TeX extensions loaded on demand, the accessibility menu and its speech rules), not the
other combined bundles or the SVG fonts.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

STATIC_SUBDIR = "mathjax"
MATHJAX_ENTRY = "tex-mml-chtml.js"
# Other ready-made bundles and the SVG output: never loaded by `tex-mml-chtml.js`.
UNUSED = (
    "tex-chtml.js",
    "tex-chtml-full.js",
    "tex-chtml-full-speech.js",
    "tex-mml-svg.js",
    "tex-svg.js",
    "tex-svg-full.js",
    "mml-chtml.js",
    "mml-svg.js",
    "node-main.js",
    "svg",
    "svg.js",
)
# The book's own CSS, written to `_static/` and linked from every page.
SITE_CSS_NAME = "rnn-lab.css"
SITE_CSS = """\
/* Keras prints model.summary() with rich, in terminal colours (green and cyan on white,
   below WCAG's contrast minimum); on the page the table keeps its bold, in the text colour. */
.cell_output .output.text_html pre span[style*="color"] { color: inherit !important; }
/* Figures (rnn_lab.plots.alt_text) are PNGs on white: never wider than the column. */
img.rnn-lab-figure { max-width: 100%; height: auto; }
/* A long dotted name in running text (rnn_lab.gated_backward.sequence_backward(...)) may
   break where it must, so that a phone never scrolls sideways. */
code.literal span.pre { white-space: normal; overflow-wrap: anywhere; }
"""
# Opened from a copied folder (file://), the browser refuses the fetch() with which Sphinx's
# search shows a summary under each result (an uncaught error per result); there the
# results list the pages without summaries. Served over HTTP, nothing changes.
SITE_JS_NAME = "rnn-lab-offline.js"
SITE_JS = """\
if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
}
"""
INSTALL_HINT = "pip install -r requirements-dev.txt (it installs django-static-mathjax)"


def mathjax_es5_dir() -> Path:
    """The `es5/` folder of MathJax 3 installed from PyPI (`django-static-mathjax`)."""
    try:
        root = resources.files("mathjax")
    except ModuleNotFoundError as error:
        raise ExtensionError(f"MathJax is not installed: {INSTALL_HINT}") from error
    es5 = Path(str(root)) / "static" / "mathjax" / "es5"
    if not (es5 / MATHJAX_ENTRY).is_file():
        raise ExtensionError(f"no {MATHJAX_ENTRY} under {es5}: {INSTALL_HINT}")
    return es5


def copy_mathjax(target: Path) -> Path:
    """Copy MathJax's browser files to `target` (the site's `_static/mathjax`)."""
    shutil.copytree(
        mathjax_es5_dir(), target, ignore=shutil.ignore_patterns(*UNUSED), dirs_exist_ok=True
    )
    return target


def _check_config(app: Sphinx, config) -> None:
    path = config.mathjax_path
    if "://" in path or path.startswith("//"):
        raise ExtensionError(
            f"mathjax_path is {path!r}, a URL: set `mathjax_path: {STATIC_SUBDIR}/{MATHJAX_ENTRY}`"
            " in _config.yml so that the site works offline"
        )
    mathjax_es5_dir()  # fail at the start of a build, not after every notebook ran
    _drop_thebe_scripts(app)


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


def _copy_on_finish(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        copy_mathjax(static / STATIC_SUBDIR)
        (static / SITE_CSS_NAME).write_text(SITE_CSS, encoding="utf-8")
        (static / SITE_JS_NAME).write_text(SITE_JS, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _check_config)
    app.connect("build-finished", _copy_on_finish)
    app.add_css_file(SITE_CSS_NAME)
    app.add_js_file(SITE_JS_NAME)  # after documentation_options.js (priority 200 < 500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
