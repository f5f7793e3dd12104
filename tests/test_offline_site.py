"""The site's build-time tools: formulas typeset by MathJax in Node, inline data made files.

Unit tests of `rnn_lab.book.prerender_math`, `rnn_lab.book.page_assets` and the extension's
configuration guard. What the built site holds is checked in tests/test_light_pages.py.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pydata_sphinx_theme
import pytest
from fontTools.ttLib import TTFont
from PIL import Image
from sphinx.errors import ExtensionError

from rnn_lab.book.icon_fonts import (
    FONT_DIR,
    THEME_CSS,
    icon_code_points,
    prune_icon_rules,
    subset_icon_fonts,
)
from rnn_lab.book.offline_site import _check_config
from rnn_lab.book.page_assets import (
    EXPLORER_DATA_DIR,
    IMAGES_DIR,
    INLINE_IMAGE,
    THEME_SCRIPT,
    ThemeChangedError,
    bundle_style_sheets,
    defer_head_scripts,
    delegate_theme_tab_stops,
    drop_fontawesome_script,
    flatten_css_imports,
    label_row_headers,
    lighten_page,
    link_favicon,
    write_favicon,
)
from rnn_lab.book.page_weight import is_external, page_refs, page_weight
from rnn_lab.book.prerender_math import (
    CSS_NAME,
    GLYPHS_ID,
    RENDERER,
    STATIC_SUBDIR,
    UNRENDERED,
    Formula,
    MathError,
    formulas_in,
    prerender_site,
    render_formulas,
    render_pages,
    slim_svg,
)

# What sphinx.ext.mathjax's visitors write (the renderer reuses them).
INLINE = '<span class="math notranslate nohighlight">'
EQNO = '<span class="eqno">(1)<a class="headerlink" href="#equation-one">#</a></span>'
PAGE = f"""<html><head>
  </head><body>
<p>The state {INLINE}\\(h_t = \\tanh(x_t W_x + h_{{t-1}} W_h + B_h)\\)</span>
and {INLINE}\\(a &lt; b\\)</span>.</p>
<div class="math notranslate nohighlight" id="equation-one">
{EQNO}\\[y_t = h_t W_o + B_o\\]</div>
<pre>a literal \\(not maths\\)</pre>
</body></html>
"""


def test_formulas_are_found_as_sphinx_writes_them():
    found = formulas_in(PAGE)
    assert Formula("h_t = \\tanh(x_t W_x + h_{t-1} W_h + B_h)", False) in found
    assert Formula("a < b", False) in found  # HTML-unescaped before MathJax reads it
    assert Formula("y_t = h_t W_o + B_o", True) in found
    assert len(found) == 3  # the <pre> is not maths


def test_mathjax_renders_svg_with_mathml_for_screen_readers():
    rendered, css = render_formulas([Formula("x^2", True), Formula("a < b", False)])
    display = rendered[Formula("x^2", True)]
    assert display.startswith('<mjx-container class="MathJax" jax="SVG" display="true"')
    assert "<mjx-assistive-mml" in display
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in display
    assert "<mo>&lt;</mo>" in rendered[Formula("a < b", False)]
    # drawn in the text's colour (dark mode), glyphs used from the page's cache, no web font
    assert 'fill="currentColor"' in display and 'xlink:href="#MJX-TEX-I-1D465"' in display
    assert "@font-face" not in css and 'mjx-container[jax="SVG"]' in css


def test_each_page_carries_the_glyphs_it_draws_and_no_more():
    pages, _ = render_pages([[Formula("x^2", False)], [Formula("y", False)]])
    assert 'id="MJX-TEX-I-1D465"' in pages[0].glyphs  # x
    assert 'id="MJX-TEX-I-1D466"' not in pages[0].glyphs  # y: only on the other page
    assert 'id="MJX-TEX-I-1D466"' in pages[1].glyphs and "1D465" not in pages[1].glyphs
    assert pages[0].glyphs.startswith(f'<svg style="display: none;" id="{GLYPHS_ID}"')


def test_an_undefined_macro_fails_instead_of_showing_red():
    with pytest.raises(MathError, match=r"\\notamacro"):
        render_formulas([Formula("x + \\notamacro{y}", False)])


def test_prerender_site_replaces_the_tex_and_links_the_style_sheet(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "page.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "index.html").write_text("<html><head></head><body>no maths</body></html>")
    counts = prerender_site(tmp_path)
    assert counts == {"book/page.html": 3}
    page = (tmp_path / "book" / "page.html").read_text(encoding="utf-8")
    assert not UNRENDERED.search(page)
    assert page.count("<mjx-container") == 3 and page.count("<mjx-assistive-mml") == 3
    assert page.count(f'id="{GLYPHS_ID}"') == 1  # the glyphs once, for every formula
    assert f'href="../_static/{STATIC_SUBDIR}/{CSS_NAME}"' in page
    assert '<span class="eqno">(1)' in page  # the equation's number and link stay
    assert page.count('<mjx-container tabindex="0"') == 1  # the display formula: it may scroll
    assert "a literal \\(not maths\\)" in page
    assert CSS_NAME not in (tmp_path / "index.html").read_text()
    static = tmp_path / "_static" / STATIC_SUBDIR
    assert (static / CSS_NAME).is_file()
    before = page
    prerender_site(tmp_path)  # nothing left to render: the page stays as it is
    assert (tmp_path / "book" / "page.html").read_text(encoding="utf-8") == before


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_inline_images_become_sized_lazy_files(tmp_path):
    png = _png(30, 20)
    data = base64.b64encode(png).decode()
    page = (
        f'<p><img src="data:image/png;base64,{data}" alt="first" class="rnn-lab-figure"/></p>'
        f'<p><img src="data:image/png;base64,{data}" alt="again"/></p>'
    )
    lighter = lighten_page(page, tmp_path, Path("book/page.html"))
    assert not INLINE_IMAGE.search(lighter)
    files = list((tmp_path / IMAGES_DIR).iterdir())
    assert len(files) == 1 and files[0].read_bytes() == png  # one file per distinct image
    src = f"../{IMAGES_DIR}/{files[0].name}"
    assert lighter.count(f'src="{src}"') == 2
    assert 'alt="first"' in lighter and 'width="30" height="20"' in lighter
    first, second = lighter.split("</p>")[:2]
    assert 'loading="lazy"' not in first  # the first image may be what is seen first
    assert 'loading="lazy"' in second


def test_explorer_numbers_move_to_a_script_file(tmp_path):
    payload = json.dumps({"axes": {"h": [1, 2]}, "note": "</b>"}).replace("</", "<\\/")
    page = f'<div><script type="application/json" data-role="data">{payload}</script></div>'
    lighter = lighten_page(page, tmp_path, Path("index.html"))
    assert payload not in lighter
    (script,) = (tmp_path / EXPLORER_DATA_DIR).iterdir()
    assert f'data-src="{EXPLORER_DATA_DIR}/{script.name}"' in lighter
    key = script.stem
    assert f'data-key="{key}"' in lighter
    text = script.read_text()
    assert text.startswith("(window.rnnLabExplorerData") and f'["{key}"] = {payload};' in text


def test_the_fontawesome_script_is_left_out():
    head = (
        '<link rel="stylesheet" href="_static/styles/theme.css" />\n'
        '  <script defer src="_static/scripts/fontawesome.js?digest=55c"></script>\n'
        '  <link rel="preload" as="script" href="_static/scripts/bootstrap.js" />'
    )
    lighter = drop_fontawesome_script(head)
    assert "fontawesome" not in lighter and "bootstrap.js" in lighter


def test_only_the_build_time_renderer_is_accepted():
    app = SimpleNamespace(events=SimpleNamespace(listeners={}))
    with pytest.raises(ExtensionError, match="no page runs MathJax"):
        _check_config(app, SimpleNamespace(html_math_renderer="mathjax"))
    config = SimpleNamespace(html_math_renderer=RENDERER, html_context={})
    _check_config(app, config)
    # a first visit's colour mode: not empty, which the theme logs as an error on every page
    assert config.html_context["default_mode"] == "auto"


def test_icon_fonts_keep_only_the_icons_the_pages_use(tmp_path):
    css = '.fa-sun:before{content:"\\f185"}.fa-moon:before,.fa-x:before{content:"\\f186"}'
    assert icon_code_points(css, {"fa-sun", "fa-lg"}) == {0xF185}
    pydata = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    (tmp_path / FONT_DIR).parent.mkdir(parents=True)
    fonts = tmp_path / FONT_DIR
    shutil.copytree(pydata / "static/vendor/fontawesome/webfonts", fonts)
    (tmp_path / THEME_CSS).parent.mkdir(parents=True)
    shutil.copy(pydata / "static/styles/pydata-sphinx-theme.css", tmp_path / THEME_CSS)
    (tmp_path / "index.html").write_text('<i class="fa-solid fa-sun"></i>')
    before = (fonts / "fa-solid-900.woff2").stat().st_size
    sizes = subset_icon_fonts(tmp_path)
    assert sizes["fa-solid-900.woff2"] < before / 20
    kept = set(TTFont(fonts / "fa-solid-900.woff2").getBestCmap())
    assert 0xF185 in kept and 0xF186 not in kept  # the sun, not the moon nobody shows


def test_head_scripts_are_deferred_but_the_one_inline_code_reads():
    head = (
        "<html><head>\n"
        '<script src="_static/documentation_options.js?v=1"></script>\n'
        '<script src="_static/doctools.js?v=2"></script>\n'
        "<script>let toggleHintShow = 'Click to show';</script>\n"
        '<script async src="_static/a.js"></script>\n'
        '<script type="module" src="_static/m.js"></script>\n'
        "<script>DOCUMENTATION_OPTIONS.pagename = 'x';</script>\n"
        '<script src="searchindex.js"></script>\n'
        '</head><body><script src="_static/body.js"></script></body></html>'
    )
    lighter = defer_head_scripts(head)
    assert '<script src="_static/documentation_options.js?v=1">' in lighter
    assert '<script defer src="_static/doctools.js?v=2">' in lighter
    assert '<script defer src="searchindex.js">' in lighter
    assert '<script async src="_static/a.js">' in lighter
    assert '<script type="module" src="_static/m.js">' in lighter
    assert "<script>let toggleHintShow" in lighter
    assert '<body><script src="_static/body.js">' in lighter  # the body is left alone
    assert defer_head_scripts(lighter) == lighter


def test_unused_icon_rules_are_pruned_from_the_theme_css():
    css = (
        '.fa-sun:before{content:"\\f185"}.fa-moon:before,.fa-x:before{content:"\\f186"}'
        ".fa{display:inline-block}"
    )
    pruned = prune_icon_rules(css, {"fa-sun", "fa-x"})
    assert pruned == css  # every rule draws an icon shown
    pruned = prune_icon_rules(css, {"fa-sun"})
    assert pruned == '.fa-sun:before{content:"\\f185"}.fa{display:inline-block}'


def test_a_css_import_is_inlined_with_its_urls_rewritten(tmp_path):
    styles = tmp_path / "_static" / "styles"
    styles.mkdir(parents=True)
    (tmp_path / "_static" / "basic.css").write_text(
        "li { background-image: url(file.png); } a { background: url(data:image/png;base64,AA); }"
    )
    (styles / "theme.css").write_text('/* theme */\n@import "../basic.css";\nbody { margin: 0 }')
    assert flatten_css_imports(tmp_path) == ["_static/styles/theme.css"]
    flat = (styles / "theme.css").read_text()
    assert "@import" not in flat and "body { margin: 0 }" in flat
    assert 'url("../file.png")' in flat and "url(data:image/png;base64,AA)" in flat
    assert flatten_css_imports(tmp_path) == []


def test_a_pages_weight_counts_what_it_loads_at_once(tmp_path):
    html = (
        '<head><link rel="stylesheet" href="../_static/a.css"><link rel="next" href="b.html">'
        '<script defer src="../_static/s.js"></script></head><body>'
        '<img src="../_images/first.png"><img loading="lazy" src="../_images/later.png">'
        '<script type="application/json" data-src="../_static/explorer-data/k.js"></script>'
    )
    refs = page_refs(html)
    assert refs.eager == ["../_static/a.css", "../_static/s.js", "../_images/first.png"]
    assert "../_images/later.png" in refs.all_urls and "b.html" not in refs.all_urls
    assert "../_static/explorer-data/k.js" in refs.all_urls
    assert is_external("https://cdn.example/x.js") and is_external("//cdn.example/x.js")
    assert not is_external("../_static/a.css") and not is_external("data:image/png;base64,AA")
    for name in ("_static/a.css", "_static/s.js", "_images/first.png", "_images/later.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * 1000)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "p.html").write_text(html)
    weights = page_weight(tmp_path, Path("book/p.html"))
    assert set(weights) == {"book/p.html", "_static/a.css", "_static/s.js", "_images/first.png"}


def test_the_themes_tab_stop_loop_is_handed_to_the_sites_script(tmp_path):
    pydata = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    script = tmp_path / THEME_SCRIPT
    script.parent.mkdir(parents=True)
    shutil.copy(pydata / "static/scripts/pydata-sphinx-theme.js", script)
    assert delegate_theme_tab_stops(tmp_path)
    text = script.read_text()
    assert "window.rnnLabDecideTabStops()" in text and "e.tabIndex=e.scrollWidth" not in text
    assert not delegate_theme_tab_stops(tmp_path)  # once only
    script.write_text("function other(){}")  # a theme whose loop moved: the build says so
    with pytest.raises(ThemeChangedError, match="tab-stop loop"):
        delegate_theme_tab_stops(tmp_path)


def test_the_favicon_is_an_icon_linked_from_every_depth(tmp_path):
    with Image.open(write_favicon(tmp_path)) as icon:
        assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    page = "<html><head><title>t</title></head><body></body></html>"
    assert 'href="../favicon.ico"' in link_favicon(page, Path("book/a.html"))
    assert 'href="favicon.ico"' in link_favicon(page, Path("index.html"))
    linked = link_favicon(page, Path("index.html"))
    assert link_favicon(linked, Path("index.html")) == linked


def test_a_tables_row_labels_become_row_headers_when_its_corner_is_empty():
    table = (
        '<table class="table"><thead><tr class="row-odd"><th class="head"><p></p></th>'
        '<th class="head"><p>f64</p></th></tr></thead><tbody>'
        '<tr class="row-even"><td><p>dL/dWx</p></td><td><p>1e-16</p></td></tr></tbody></table>'
    )
    labelled = label_row_headers(table)
    assert '<th scope="row"><p>dL/dWx</p></th><td><p>1e-16</p></td>' in labelled
    assert label_row_headers(labelled) == labelled
    named = table.replace('<th class="head"><p></p></th>', '<th class="head"><p>x</p></th>')
    assert label_row_headers(named) == named  # a named first column is data


def test_a_pages_style_sheets_become_one_in_their_order(tmp_path):
    static = tmp_path / "_static"
    (static / "styles").mkdir(parents=True)
    (static / "styles" / "theme.css").write_text('a{color:red}b{background:url("../img/x.png")}')
    (static / "site.css").write_text("a{color:blue}")
    page = (
        "<html><head>"
        '<link href="../_static/styles/theme.css?digest=1" rel="stylesheet" />\n'
        '<link rel="stylesheet" type="text/css" href="../_static/site.css?v=2" />\n'
        "</head><body></body></html>"
    )
    bundled = bundle_style_sheets(page, tmp_path, Path("book/page.html"))
    links = re.findall(r'<link rel="stylesheet" type="text/css" href="([^"]+)"', bundled)
    assert len(links) == 1 and links[0].startswith("../_static/styles-")
    text = (tmp_path / "book" / links[0]).resolve().read_text()
    assert text.index("color:red") < text.index("color:blue")  # the cascade's order
    assert 'url("img/x.png")' in text  # relative to the bundle, still _static/img/x.png


def test_a_slimmed_formula_draws_the_same_glyphs_with_fewer_elements():
    rendered, _ = render_formulas(
        [
            Formula("h_t = \\tanh(x_t W_x + h_{t-1} W_h)", False),
            Formula("\\begin{array}{|c|}a\\end{array}", False),
        ]
    )
    for formula in rendered.values():
        slim = slim_svg(formula)
        glyphs = re.findall(r'href="#(MJX-[^"]+)"', formula)
        assert re.findall(r' href="#(MJX-[^"]+)"', slim) == [g for g in glyphs]  # same glyphs
        assert slim.count("<") < formula.count("<") and "data-c=" not in slim
        assert slim.count("<g") == slim.count("</g>")  # still well nested
        assert "<math" in slim  # the MathML for screen readers is untouched
    table = slim_svg(rendered[Formula("\\begin{array}{|c|}a\\end{array}", False)])
    assert 'data-mml-node="mtable"' in table  # its lines are styled by that name
