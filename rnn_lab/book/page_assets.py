"""Light pages: what a notebook output carries inline becomes a file the page loads when needed.

A notebook must be self-contained (a figure is a base64 PNG inside it, the static explorer
carries its numbers as JSON), and the book's HTML inherits that: chapter 4 weighed 1.8 MB
before its first paint. After Sphinx has written the site, `lighten_site` moves:

- every inline image (`<img src="data:image/png;base64,…">`, as `rnn_lab.plots.alt_text`
  shows figures) into `_images/<sha256>.<ext>`, the name myst-nb gives the image files it
  writes itself; every image of a page gets its `width` and `height` (no layout shift while
  it loads) and, but the first, `loading="lazy"`;
- the static explorer's numbers (`<script type="application/json" data-role="data">`) into
  `_static/explorer-data/<sha256>.js`, a script `explorer.js` adds to the page when the
  explorer comes near the screen (a `<script src>`, not `fetch`: it also works from
  `file://`, where Chromium refuses to fetch local files);
- the theme's FontAwesome script out of every page (1.4 MB that turns `<i class="fa-…">` into
  SVG): the theme's style sheet draws the same icons from FontAwesome's web fonts;
- a style sheet's `@import` of another replaced by that sheet's text (`flatten_css_imports`:
  the theme's `theme.css` imports `basic.css`, one more round trip before the first paint);
- the head's scripts deferred (`defer_head_scripts`): Sphinx and its extensions (search
  index, copy and toggle buttons…) add them as classic scripts, each blocking the first paint;
- a `favicon.ico` at the site's root, linked from every page (`write_favicon`): without one a
  browser asks for `/favicon.ico` anyway and logs the 404 as an error.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

IMAGES_DIR = "_images"
EXPLORER_DATA_DIR = "_static/explorer-data"
# One `<img>` tag; its attributes are read and written by the small helpers below.
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')
_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,([A-Za-z0-9+/=\s]+)$")
_EXPLORER_DATA = re.compile(
    r'<script type="application/json" data-role="data">(?P<payload>.*?)</script>', re.S
)
_FONTAWESOME_SCRIPT = re.compile(
    r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>'
)
_HEAD_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"(?P<src>[^\"]+)\"[^>]*></script>")
#: Scripts that stay blocking: inline code after it in the head reads what it defines
#: (`DOCUMENTATION_OPTIONS.pagename = …`), so it must have run before.
KEEP_BLOCKING = ("documentation_options.js",)
#: A page that still carries an image inline (the tests check no page does).
INLINE_IMAGE = re.compile(r"""(?:src|href)=["']?data:image/""", re.I)
_EXTENSIONS = {"png": "png", "jpeg": "jpg", "gif": "gif", "webp": "webp", "svg+xml": "svg"}


def _prefix(relative: Path) -> str:
    """From a page at `relative` in the site back to the site's root."""
    return "../" * (len(relative.parts) - 1)


def _write_once(path: Path, data: bytes) -> None:
    if not path.is_file():  # named by content: an existing file holds these bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels of a raster image, None for SVG or unreadable data."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # SVG, or anything PIL cannot read: no size then
        return None


def _with_attributes(tag: str, **attributes: str) -> str:
    """`tag` with `attributes` added where it does not have them already."""
    present = {name.lower() for name, _ in _ATTRIBUTE.findall(tag)}
    extra = "".join(
        f' {name.replace("_", "-")}="{value}"'
        for name, value in attributes.items()
        if name.replace("_", "-") not in present
    )
    end = "/>" if tag.endswith("/>") else ">"
    return tag[: -len(end)].rstrip() + extra + " " * (end == "/>") + end


def move_images(page: str, site: Path, relative: Path) -> str:
    """Inline images to files; size and lazy loading for every image of `page`."""
    seen = 0

    def one(match: re.Match) -> str:
        nonlocal seen
        tag = match[0]
        attributes = dict(_ATTRIBUTE.findall(tag))
        src = attributes.get("src", "")
        data_url = _DATA_URL.match(src)
        if data_url:
            data = base64.b64decode(data_url[2])
            name = f"{hashlib.sha256(data).hexdigest()}.{_EXTENSIONS[data_url[1]]}"
            _write_once(site / IMAGES_DIR / name, data)
            tag = tag.replace(src, f"{_prefix(relative)}{IMAGES_DIR}/{name}", 1)
        else:
            local = (site / relative).parent / src
            data = local.read_bytes() if src and "://" not in src and local.is_file() else b""
        size = image_size(data) if data else None
        extra = {"decoding": "async"}
        if size:
            extra.update(width=str(size[0]), height=str(size[1]))
        if seen:  # the first image may be what the reader sees first: not deferred
            extra["loading"] = "lazy"
        seen += 1
        return _with_attributes(tag, **extra)

    return _IMG.sub(one, page)


def move_explorer_data(page: str, site: Path, relative: Path) -> str:
    """The static explorer's JSON to a script file loaded when the explorer is in view."""

    def one(match: re.Match) -> str:
        payload = match["payload"]
        key = hashlib.sha256(payload.encode()).hexdigest()[:16]
        store = "window.rnnLabExplorerData = window.rnnLabExplorerData || {}"
        script = f'({store})["{key}"] = {payload};\n'
        _write_once(site / EXPLORER_DATA_DIR / f"{key}.js", script.encode())
        src = f"{_prefix(relative)}{EXPLORER_DATA_DIR}/{key}.js"
        return (
            f'<script type="application/json" data-role="data" data-src="{src}"'
            f' data-key="{key}"></script>'
        )

    return _EXPLORER_DATA.sub(one, page)


def drop_fontawesome_script(page: str) -> str:
    return _FONTAWESOME_SCRIPT.sub("", page)


def defer_head_scripts(page: str) -> str:
    """Every classic `<script src>` of the head deferred, but `KEEP_BLOCKING`.

    Deferred scripts still run in document order, once the page is parsed; the head's inline
    scripts only set variables those scripts read when they run (toggle button labels).
    """
    end = page.find("</head>")
    if end < 0:
        return page

    def one(match: re.Match) -> str:
        blocking = not re.search(r"\b(defer|async)\b|type=\"module\"", match[0])
        if not blocking or any(name in match["src"] for name in KEEP_BLOCKING):
            return match[0]
        return match[0].replace("<script", "<script defer", 1)

    return _HEAD_SCRIPT.sub(one, page[:end]) + page[end:]


#: myst-nb names every folded cell's toggle "Toggle hidden content" while it shows "Show code
#: cell source": a screen reader's name must contain the visible words (WCAG 2.5.3).
UNSPOKEN_TOGGLE_LABEL = '<summary aria-label="Toggle hidden content">'


def name_toggles_by_their_text(page: str) -> str:
    """A folded cell's toggle named by the words it shows, not by a label that hides them."""
    return page.replace(UNSPOKEN_TOGGLE_LABEL, "<summary>")


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_EMPTY_CORNER = re.compile(r"<thead>\s*<tr\b[^>]*>\s*<th\b[^>]*>\s*(?:<p>\s*</p>)?\s*</th>")
_FIRST_CELL = re.compile(r"(<tr\b[^>]*>\s*)<td\b([^>]*)>(.*?)</td>", re.S)


def label_row_headers(page: str) -> str:
    """In a table whose top-left header is empty, the first cell of each row is its row's
    header (`<th scope="row">`), as a reader sees it: without it a screen reader gives
    the row labels no header, and axe reports every cell of that column."""

    def one(match: re.Match) -> str:
        table = match[0]
        head_end = table.find("</thead>")
        if head_end < 0 or not _EMPTY_CORNER.search(table[:head_end]):
            return table
        body = _FIRST_CELL.sub(r'\1<th scope="row"\2>\3</th>', table[head_end:])
        return table[:head_end] + body

    return _TABLE.sub(one, page)


FAVICON = "favicon.ico"
#: The icon's colours: the theme's primary teal, a white ring (a recurrent loop).
_FAVICON_COLOURS = ("#0a7d91", "#ffffff")


def write_favicon(site: Path) -> Path:
    """The site's icon, drawn here (a loop on the theme's teal): `favicon.ico` at the root."""
    from PIL import ImageDraw

    size = 64
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    background, ring = _FAVICON_COLOURS
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=12, fill=background)
    draw.arc((14, 14, 50, 50), start=40, end=340, fill=ring, width=7)
    draw.polygon([(52, 22), (52, 38), (40, 30)], fill=ring)  # the loop's arrow head
    path = Path(site) / FAVICON
    image.save(path, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return path


def link_favicon(page: str, relative: Path) -> str:
    link = f'<link rel="icon" href="{_prefix(relative)}{FAVICON}" sizes="any" />'
    if 'rel="icon"' in page or "</head>" not in page:
        return page
    return page.replace("</head>", f"    {link}\n  </head>", 1)


def lighten_page(page: str, site: Path, relative: Path) -> str:
    page = move_explorer_data(page, site, relative)
    page = move_images(page, site, relative)
    page = label_row_headers(link_favicon(page, relative))
    return name_toggles_by_their_text(defer_head_scripts(drop_fontawesome_script(page)))


#: What a site-wide pass does to one file: its new text, from its text and its path below the site.
Rewrite = Callable[[str, Path], str]

_CSS_IMPORT = re.compile(r'@import\s+(?:url\()?["\']?(?P<url>[^"\')]+)["\']?\)?\s*;')


_CSS_URL = re.compile(r"url\(\s*(?P<quote>[\"']?)(?P<url>[^\"')]+)(?P=quote)\s*\)")


def _rewrite_files(site: Path, paths: Iterable[Path], rewrite: Rewrite) -> list[str]:
    """Each file of `paths` (below `site`) replaced by `rewrite(text, relative)` where that
    differs; returns the files changed (relative to `site`)."""
    changed = []
    for path in sorted(paths):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(site)
        new = rewrite(text, relative)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(relative.as_posix())
    return changed


def _rebased_urls(css: str, origin: Path, destination: Path) -> str:
    """`css`, read from a sheet in the folder `origin`, with its relative `url()`s rewritten
    for a sheet in the folder `destination`."""

    def moved(found: re.Match) -> str:
        inner = found["url"]
        if re.match(r"(data:|[a-z]+://|#|/)", inner):
            return found[0]
        new = os.path.relpath(origin / inner, destination.resolve())
        return f'url("{Path(new).as_posix()}")'

    return _CSS_URL.sub(moved, css)


def _inlined(sheet: Path, match: re.Match) -> str:
    """The sheet `match` imports into `sheet`, its relative `url()`s rewritten for `sheet`."""
    url = match["url"]
    target = (sheet.parent / url).resolve()
    if "://" in url or not target.is_file():
        return match[0]
    return _rebased_urls(target.read_text(encoding="utf-8"), target.parent, sheet.parent)


def flatten_css_imports(site: Path) -> list[str]:
    """Every relative `@import` in the site's style sheets replaced by the imported sheet.

    Returns the sheets changed (relative to `site`).
    """
    site = Path(site)

    def flattened(text: str, relative: Path) -> str:
        return _CSS_IMPORT.sub(lambda match: _inlined(site / relative, match), text)

    return _rewrite_files(site, (site / "_static").rglob("*.css"), flattened)


_STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>\s*")
BUNDLE_PREFIX = "_static/styles-"


def _sheet_path(site: Path, relative: Path, href: str) -> Path | None:
    """The local file a page's stylesheet `href` names, or None (another host, no file)."""
    if re.match(r"([a-z]+:|//)", href):
        return None
    path = ((site / relative).parent / href.split("?", 1)[0]).resolve()
    return path if path.is_file() else None


def _bundle_text(site: Path, sheets: list[Path], bundle: Path) -> str:
    """The sheets one after the other, their relative `url()`s rewritten for `bundle`."""
    parts = []
    for sheet in sheets:
        text = _rebased_urls(sheet.read_text(encoding="utf-8"), sheet.parent, bundle.parent)
        parts.append(f"/* {sheet.relative_to(site.resolve()).as_posix()} */\n{text}\n")
    return "".join(parts)


def bundle_style_sheets(page: str, site: Path, relative: Path) -> str:
    """A page's style sheets as one file, in their order (the cascade is unchanged).

    Sphinx, the theme and each extension link their own sheet: eleven render-blocking
    requests, most a few hundred bytes, each one more round trip before the first paint on
    a phone's connection. The bundle is named by its content, so pages linking the same
    sheets share one cached file.
    """
    head_end = page.find("</head>")
    links = list(_STYLESHEET_LINK.finditer(page, 0, head_end if head_end > 0 else 0))
    hrefs = [re.search(r'href="([^"]+)"', link[0]) for link in links]
    sheets = [_sheet_path(site, relative, href[1]) if href else None for href in hrefs]
    if (
        len(links) < 2
        or any(sheet is None for sheet in sheets)
        or "media=" in "".join(link[0] for link in links)
    ):
        return page
    site = Path(site)
    key = hashlib.sha256("\n".join(str(s) for s in sheets).encode()).hexdigest()[:8]
    probe = site / f"{BUNDLE_PREFIX}{key}.css"
    text = _bundle_text(site, sheets, probe)
    name = f"{BUNDLE_PREFIX}{hashlib.sha256(text.encode()).hexdigest()[:16]}.css"
    _write_once(site / name, text.encode())
    link = f'<link rel="stylesheet" type="text/css" href="{_prefix(relative)}{name}" />\n'
    first, rest = links[0], links[1:]
    for match in reversed(rest):
        page = page[: match.start()] + page[match.end() :]
    return page[: first.start()] + link + page[first.end() :]


def bundle_site_style_sheets(site: Path) -> list[str]:
    """`bundle_style_sheets` on every page of `site` (after every sheet is linked)."""
    site = Path(site)
    return _rewrite_files(
        site, site.rglob("*.html"), lambda page, relative: bundle_style_sheets(page, site, relative)
    )


THEME_SCRIPT = "_static/scripts/pydata-sphinx-theme.js"
# The theme's tab-stop pass (pydata-sphinx-theme 0.15/0.16, minified): for every region,
# read its scroll size, then write its tabIndex.
THEME_TAB_STOP_LOOP = re.compile(
    r'document\.querySelectorAll\(\["pre",[^\]]*\]\.join\(", "\)\)\.forEach\((?P<v>\w+)=>\{'
    r"(?P=v)\.tabIndex=(?P=v)\.scrollWidth>(?P=v)\.clientWidth\|\|"
    r"(?P=v)\.scrollHeight>(?P=v)\.clientHeight\?0:-1\}\)"
)
#: What the theme's pass becomes: the site's own decision (rnn_lab.book.offline_site SITE_JS).
DELEGATED_TAB_STOPS = "window.rnnLabDecideTabStops&&window.rnnLabDecideTabStops()"


class ThemeChangedError(RuntimeError):
    """The theme's script no longer has the code `delegate_theme_tab_stops` replaces."""


def delegate_theme_tab_stops(site: Path) -> bool:
    """The theme's tab-stop pass handed to the site's script; True if the file changed.

    The theme reads every scrollable region's size and writes its `tabIndex` in one loop:
    each write invalidates the layout the next read needs, so the page is laid out once per
    region, off-screen sections included, a long task of seconds on a phone. The site's
    script decides the same thing lazily and in one layout (see `offline_site.SITE_JS`).
    A theme whose script no longer matches fails the build instead of going slow unseen.
    """
    script = Path(site) / THEME_SCRIPT
    if not script.is_file():
        return False
    text = script.read_text(encoding="utf-8")
    if DELEGATED_TAB_STOPS in text:
        return False
    patched, count = THEME_TAB_STOP_LOOP.subn(DELEGATED_TAB_STOPS, text)
    if count != 1:
        raise ThemeChangedError(
            f"{THEME_SCRIPT}: the theme's tab-stop loop was not found ({count} matches);"
            " update rnn_lab.book.page_assets.THEME_TAB_STOP_LOOP for this theme version"
        )
    script.write_text(patched, encoding="utf-8")
    return True


def lighten_site(site: Path) -> list[str]:
    """Apply `lighten_page` to every page under `site`, in place; the pages changed."""
    site = Path(site)
    changed = _rewrite_files(
        site, site.rglob("*.html"), lambda page, relative: lighten_page(page, site, relative)
    )
    if delegate_theme_tab_stops(site):
        changed.append(THEME_SCRIPT)
    return changed + flatten_css_imports(site)
