"""What a page of the built site costs a phone before its first paint, compressed.

A page's *weight* is the gzip size (as a static host serves it) of its HTML plus every
file the HTML makes the browser load right away: style sheets, scripts, preloads, icons and
images not marked `loading="lazy"`. What a page loads only on demand (lazy images, the
explorer's numbers, an icon font) is not counted. `tests/test_light_pages.py`
holds every page under `PAGE_WEIGHT_BUDGET`; `benchmarks/lighthouse.py` measures the real
transfer.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Budget of one page's weight (bytes, gzip). The issue's slowest page sent 2.4 MB; after it
#: the chapters weigh 165-225 KB, 110-130 KB of which is the theme's CSS and scripts every
#: page shares (cached after the first page). Under this, a page arrives in about 1.2 s on
#: Lighthouse's simulated slow 4G (1.6 Mbit/s).
PAGE_WEIGHT_BUDGET = 250_000
#: Budget of a page's own HTML (bytes, gzip): the chapters' is 6-61 KB, formulas (as SVG,
#: with their MathML and the page's glyph shapes) included.
#: An image or the explorer's numbers back inline (0.7 MB of JSON) would break it.
PAGE_HTML_BUDGET = 80_000
#: Budget of a page's elements (start tags in its HTML, the hidden glyph shapes included).
#: A phone styles and lays out each one: the longest chapters hold 9,000-10,500, over half of
#: them their formulas' SVG and MathML (about 35 per formula). A page far over this needs
#: splitting, or its formulas or outputs drawn with fewer elements.
PAGE_ELEMENT_BUDGET = 13_000
#: A link's `rel` values that make the browser fetch it at once.
_FETCHED_RELS = {"stylesheet", "preload", "icon", "modulepreload"}


@dataclass
class PageRefs:
    """What a page refers to: files fetched at once, and every URL of a fetched kind."""

    eager: list[str] = field(default_factory=list)
    all_urls: list[str] = field(default_factory=list)


class _RefParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs = PageRefs()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "script" and a.get("src"):
            self._add(a["src"], eager=True)
        elif tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & _FETCHED_RELS:
                self._add(a["href"], eager=True)
        elif tag in {"img", "source", "iframe", "video", "audio", "embed"} and a.get("src"):
            self._add(a["src"], eager=a.get("loading") != "lazy")
        elif tag == "script" and a.get("data-src"):
            self._add(a["data-src"], eager=False)

    def _add(self, url: str, *, eager: bool) -> None:
        self.refs.all_urls.append(url)
        if eager:
            self.refs.eager.append(url)


class _ElementCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.count = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.count += 1

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.count += 1


def element_count(html: str) -> int:
    """How many elements a page's HTML makes (what Lighthouse's DOM size counts, near enough)."""
    counter = _ElementCounter()
    counter.feed(html)
    return counter.count


def page_refs(html: str) -> PageRefs:
    parser = _RefParser()
    parser.feed(html)
    return parser.refs


def is_external(url: str) -> bool:
    """A URL that leaves the site (another host or scheme), inline data excluded."""
    parts = urlsplit(url)
    return bool(parts.scheme and parts.scheme not in {"data", "blob"}) or url.startswith("//")


def local_file(site: Path, page: Path, url: str) -> Path:
    """The file under `site` a relative `url` on `page` (relative to `site`) points to."""
    path = unquote(urlsplit(url).path)
    return (site / page).parent.joinpath(path).resolve()


def compressed_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def page_weight(site: Path, page: Path) -> dict[str, int]:
    """Gzip bytes of `page` (relative to `site`) and of each file it loads at once."""
    site = Path(site)
    weights = {page.as_posix(): compressed_size(site / page)}
    for url in page_refs((site / page).read_text(encoding="utf-8")).eager:
        if url.startswith("data:") or is_external(url):
            continue
        path = local_file(site, page, url)
        weights[path.relative_to(site.resolve()).as_posix()] = compressed_size(path)
    return weights


def site_pages(site: Path) -> list[Path]:
    """Every page of the site a reader opens (the theme's `_static`, `_sources` left out)."""
    site = Path(site)
    return [
        path.relative_to(site)
        for path in sorted(site.rglob("*.html"))
        if not path.relative_to(site).parts[0].startswith("_")
    ]
