"""The printable edition: the built website printed by Chromium as one PDF, and one per chapter.

    python -m rnn_lab.book.pdf --site _build/html --out _build/pdf     # what `make pdf` runs

writes ``OUT/rnn-lab-VERSION.pdf`` (a title page with the licence and how to cite, the table of
contents with page numbers, every page of ``_toc.yml`` after the landing page, in order, each
starting on a new page, page numbers at the foot) and ``OUT/chapters/NAME.pdf``, each chapter's
pages of the book for handouts (same page numbers as the book's table of contents).

The pages are the website's own HTML (figures, tables, code, formulas as the site shows them),
put one after the other in a single document beside the chapters, so that links, images and the
site's styles resolve, and printed once by Debian's Chromium through Playwright (never a
downloaded browser). What the website folds away is left out: solutions (cells tagged
``solution`` and the "Solution" dropdowns), hidden cell inputs; hints are printed open. The
print waits for MathJax to finish typesetting when the pages load it (a site that renders its
formulas at build time has nothing to wait for). pypdf reads Chromium's outline to find the page
where each chapter starts, for the table of contents and to cut the chapter PDFs.
"""

from __future__ import annotations

import argparse
import functools
import html
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import release
from .chromium import CHROMIUM_ARGS, INSTALL_HINT, find_chromium
from .toc import toc_pages

# Chromium's PDFs declare a trailer size a few objects short; pypdf reads them right and says
# so on every read. That note is about Chromium, not about the book: keep it out of the output.
logging.getLogger("pypdf").setLevel(logging.ERROR)

#: Written beside the chapters (book/), so that the pages' relative links resolve unchanged.
PRINT_PAGE = "_print_book.html"
NO_CHROMIUM = (
    "make pdf prints the book with Chromium, which was not found (/usr/bin/chromium, chromium "
    f"on PATH, or $RNN_LAB_CHROMIUM): {INSTALL_HINT}."
)
#: How many letters of a chapter's title identify it in Chromium's outline (see chapter_starts).
OUTLINE_PREFIX = 12
#: Upper bound for loading, typesetting and printing the whole book.
TIMEOUT_MS = 300_000
PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-left { content: "%(footer)s"; font: 8pt sans-serif; color: #555; }
  @bottom-right { content: counter(page); font: 9pt sans-serif; } }
@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }
html, body { background: white !important; }
body { font-size: 10.5pt; }
.print-book { max-width: none; margin: 0; padding: 0; }
.print-chapter { break-before: page; }
h1, h2, h3, h4 { break-after: avoid; }
figure, img, table, .cell_output, .admonition { break-inside: avoid; }
img { max-width: 100%% !important; height: auto; }
pre { white-space: pre-wrap !important; word-break: break-word; overflow: visible !important;
  max-height: none !important; }
.headerlink, button, .copybtn, .toggle-button, .bd-header-article, .prev-next-area,
.sd-btn, nav { display: none !important; }
a { color: inherit; text-decoration: none; }
.title-page { height: 240mm; display: flex; flex-direction: column; justify-content: center; }
.title-page .book-title { font-size: 28pt; font-weight: bold; margin-bottom: 4mm; }
.title-page .release { font-size: 13pt; margin-bottom: 30mm; }
.title-page .licence { font-size: 9pt; color: #333; }
.print-toc { break-before: page; }
.print-toc .toc-title { font-size: 20pt; font-weight: bold; }
.print-toc ol { list-style: none; padding: 0; }
.print-toc li { display: flex; gap: 2mm; margin: 1.2mm 0; }
.print-toc .fill { flex: 1; border-bottom: 1px dotted #999; margin-bottom: 1.2mm; }
.print-toc .part { font-weight: bold; margin-top: 4mm; }
.print-toc .number { min-width: 10mm; text-align: right; font-variant-numeric: tabular-nums; }
"""


class PdfError(RuntimeError):
    """The book cannot be printed (the message says what to do)."""


@dataclass
class Chapter:
    """One page of the book in the print: its path in the site, its title, its part."""

    page: str  # book/03_manual_loop
    title: str
    part: str | None

    @property
    def anchor(self) -> str:
        return f"print-{Path(self.page).name}"


def chapters(repo: Path, site: Path) -> list[Chapter]:
    """The pages of ``_toc.yml`` after the landing page, with their titles and parts."""
    import yaml

    toc = yaml.safe_load((repo / "_toc.yml").read_text(encoding="utf-8"))
    part_of = {
        str(Path(entry["file"]).with_suffix("")): part.get("caption")
        for part in toc.get("parts", [])
        for entry in part.get("chapters", [])
    }
    found = []
    for page in toc_pages(repo)[1:]:
        article = _article(site, page)
        heading = article.find("h1")
        if heading is None:
            raise PdfError(f"{page}.html has no title (h1)")
        for link in heading.select(".headerlink"):
            link.decompose()
        found.append(Chapter(page, heading.get_text(" ", strip=True), part_of.get(page)))
    return found


def _article(site: Path, page: str):
    from bs4 import BeautifulSoup  # comes with the book's theme (pydata-sphinx-theme)

    path = site / f"{page}.html"
    if not path.exists():
        raise PdfError(f"no {path}: build the book first (make book)")
    article = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one(
        "article.bd-article"
    )
    if article is None:
        raise PdfError(f"{path}: no <article class='bd-article'>: not a Jupyter Book page")
    return article


def printable_article(site: Path, chapter: Chapter):
    """A chapter's article as the print shows it: solutions and folded inputs removed, hints
    open (its ids and links are made to work in one document by :func:`join_articles`)."""
    article = _article(site, chapter.page)
    for cell in article.select(".tag_solution"):
        cell.decompose()
    for admonition in article.select(".admonition"):
        title = admonition.select_one(".admonition-title")
        if title and title.get_text(strip=True).lower().startswith("solution"):
            admonition.decompose()
        elif "dropdown" in admonition.get("class", []):
            admonition["class"] = [c for c in admonition["class"] if c != "dropdown"]
    for folded in article.select("details.hide"):  # inputs (and cells) the website folds away
        folded.decompose()
    for image in article.select("img[loading]"):  # a lazy image may never load in print
        del image["loading"]
    for link in article.select(".headerlink"):  # the website's "#" after each heading
        link.decompose()
    return article


def join_articles(articles: dict[str, object], book: list[Chapter]) -> str:
    """The chapters' articles as one document: an id used by two chapters (``summary``,
    ``exercises``) gets its chapter's name in front; links between printed pages point inside
    the document. Ids used once are kept, as scripts on the page may look them up."""
    counts: dict[str, int] = {}
    for article in articles.values():
        for element in article.select("[id]"):
            counts[element["id"]] = counts.get(element["id"], 0) + 1

    def new_id(chapter: str, old: str) -> str:
        return f"{chapter}--{old}" if counts.get(old, 0) > 1 else old

    parts = []
    for chapter in book:
        name, article = Path(chapter.page).name, articles[chapter.page]
        for element in article.select("[id]"):
            element["id"] = new_id(name, element["id"])
        for link in article.select("a[href]"):
            target, _, fragment = link["href"].partition("#")
            other = Path(target).stem if target.endswith(".html") else ""
            if other in {Path(c.page).name for c in book}:
                link["href"] = f"#{new_id(other, fragment)}" if fragment else f"#print-{other}"
            elif not target and fragment:
                link["href"] = f"#{new_id(name, fragment)}"
        parts.append(
            f'<section class="print-chapter" id="{chapter.anchor}">'
            f"{article.decode_contents()}</section>"
        )
    return "".join(parts)


def title_page(repo: Path, title: str) -> str:
    cff = release.citation(repo)
    version, date = release.version(repo), cff.get("date-released", "")
    url = release.repository_url(repo)
    content, content_url = release.CONTENT_LICENCE
    authors = ", ".join(a.get("name", "") for a in cff.get("authors", []))
    return f"""<section class="title-page">
<p class="book-title">{html.escape(title)}</p>
<p class="release">Version {version}{f", {date}" if date else ""} · {html.escape(authors)}
<br>{url}</p>
<p class="licence">Text, figures and exercises: © {html.escape(authors)}, {content}
({content_url}): you may copy, adapt and hand them out, crediting rnn-lab. Code: MIT.
Solutions are left out of this edition; they are on the website and in the teacher edition.
Cite as: {html.escape(authors)}, <i>{html.escape(title)}</i>, version {version}, {url}.</p>
</section>"""


def table_of_contents(book: list[Chapter], pages: dict[str, int] | None = None) -> str:
    """The contents, one line per chapter; page numbers are ``000`` until they are known (the
    same width, so the numbers do not move a page break)."""
    lines, part = [], None
    for chapter in book:
        if chapter.part != part and chapter.part:
            lines.append(f'<li class="part">{html.escape(chapter.part)}</li>')
        part = chapter.part
        number = pages.get(chapter.page, "000") if pages else "000"
        lines.append(
            f'<li><a href="#{chapter.anchor}">{html.escape(chapter.title)}</a>'
            f'<span class="fill"></span><span class="number" data-page="{chapter.page}">'
            f"{number}</span></li>"
        )
    heading = '<p class="toc-title">Contents</p>'
    return f'<section class="print-toc">{heading}<ol>{"".join(lines)}</ol></section>'


def print_document(repo: Path, site: Path, book: list[Chapter]) -> str:
    """One HTML document: the first chapter's head (the site's styles and scripts), the title
    page, the contents and every chapter."""
    import yaml
    from bs4 import BeautifulSoup

    first = site / f"{book[0].page}.html"
    head = BeautifulSoup(first.read_text(encoding="utf-8"), "html.parser").head
    title = yaml.safe_load((repo / "_config.yml").read_text(encoding="utf-8"))["title"]
    footer = f"rnn-lab {release.version(repo)} · {release.CONTENT_LICENCE[0]}"
    style = head.new_tag("style", media="print")
    style.string = PRINT_CSS % {"footer": footer}
    head.append(style)
    body = join_articles({c.page: printable_article(site, c) for c in book}, book)
    return (
        f"<!DOCTYPE html><html lang='en'>{head.decode()}"
        f"<body><main class='print-book bd-article'>{title_page(repo, title)}"
        f"{table_of_contents(book)}{body}</main></body></html>"
    )


def _serve(site: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


_WAIT_FOR_PAGE = """async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  await Promise.all(Array.from(document.images).map((img) => img.complete ? null :
    new Promise((done) => { img.onload = img.onerror = done; })));
  await document.fonts.ready;
  return document.querySelectorAll("mjx-container").length;
}"""
_HEADINGS = """() => Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6"))
  .filter((h) => h.getClientRects().length > 0)
  .map((h) => h.textContent.replace(/\\s+/g, " ").trim())"""
_SET_PAGES = """(pages) => {
  for (const span of document.querySelectorAll(".print-toc .number")) {
    span.textContent = String(pages[span.dataset.page]);
  }
}"""


def chapter_starts(pdf: Path, book: list[Chapter]) -> dict[str, int]:
    """The page (1-based) where each chapter starts, from the outline Chromium wrote."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    # Every chapter has one h1 and the title page none, so the outline's top-level entries are
    # the chapters in order. Chromium's outline titles lose spaces at line breaks and may repeat
    # the heading's text: each is checked against its chapter by its first letters only.
    tops = [item for item in reader.outline if not isinstance(item, list)]
    if len(tops) != len(book):
        raise PdfError(f"the printed book's outline has {len(tops)} chapters, not {len(book)}")
    starts = {}
    for chapter, item in zip(book, tops, strict=True):
        wanted = "".join(chapter.title.split())[:OUTLINE_PREFIX]
        if not "".join(item.title.split()).startswith(wanted):
            raise PdfError(f"outline entry {item.title!r} is not the chapter {chapter.title!r}")
        starts[chapter.page] = reader.get_destination_page_number(item) + 1
    return starts


def _outline_nodes(parent) -> Iterator:
    """The outline's entries under ``parent``, depth first (the order of the headings)."""
    node = parent.get("/First")
    while node is not None:
        node = node.get_object()
        yield node
        yield from _outline_nodes(node)
        node = node.get("/Next")


def retitle_outline(pdf: Path, headings: list[str]) -> bool:
    """Give the outline's entries the headings' own text: Chromium's drop the spaces at line
    breaks and may repeat a heading's text, which a reader sees in the bookmarks. Changes
    nothing (and returns False) unless there is one entry per heading."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=pdf)
    outline = writer.root_object.get("/Outlines")
    nodes = list(_outline_nodes(outline.get_object())) if outline is not None else []
    if len(nodes) != len(headings):
        return False
    for node, heading in zip(nodes, headings, strict=True):
        node[NameObject("/Title")] = TextStringObject(heading)
    with pdf.open("wb") as stream:
        writer.write(stream)
    return True


def build_pdf(site: Path, out: Path, repo: Path | None = None) -> tuple[Path, list[Path]]:
    """Print the book; return the book's PDF and the chapters' PDFs."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    repo = Path(repo or release.repository_root())
    site = Path(site)
    if not (site / "index.html").exists():
        raise PdfError(f"no built book in {site}: run `make book` first")
    executable = find_chromium()
    if executable is None:
        raise PdfError(NO_CHROMIUM)
    book = chapters(repo, site)
    document = site / Path(book[0].page).parent / PRINT_PAGE
    document.write_text(print_document(repo, site, book), encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"rnn-lab-{release.version(repo)}.pdf"
    server, root = _serve(site)
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{root}/{document.relative_to(site).as_posix()}", wait_until="load")
            page.evaluate(_WAIT_FOR_PAGE)
            options = {"format": "A4", "print_background": True, "outline": True, "tagged": True}
            page.pdf(path=target, prefer_css_page_size=True, **options)
            starts = chapter_starts(target, book)
            page.evaluate(_SET_PAGES, starts)  # same widths: no page break moves
            page.pdf(path=target, prefer_css_page_size=True, **options)
            headings = page.evaluate(_HEADINGS)
            browser.close()
    finally:
        server.shutdown()
        document.unlink(missing_ok=True)
    if chapter_starts(target, book) != starts:
        raise PdfError("the page numbers moved when the contents were filled in")
    retitle_outline(target, headings)
    reader = PdfReader(target)
    ends = [*list(starts.values())[1:], len(reader.pages) + 1]
    handouts = []
    (out / "chapters").mkdir(exist_ok=True)
    for chapter, first, end in zip(book, starts.values(), ends, strict=True):
        writer = PdfWriter()
        for number in range(first - 1, end - 1):
            writer.add_page(reader.pages[number])
        writer.add_metadata({"/Title": f"{chapter.title} (rnn-lab {release.version(repo)})"})
        handout = out / "chapters" / f"{Path(chapter.page).name}.pdf"
        with handout.open("wb") as stream:
            writer.write(stream)
        handouts.append(handout)
    return target, handouts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnn_lab.book.pdf",
        description="Print the built book as one PDF, and one PDF per chapter.",
    )
    parser.add_argument("--site", type=Path, default=Path("_build/html"), help="the built site")
    parser.add_argument("--out", type=Path, default=Path("_build/pdf"), help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="only check that Chromium is there (before a build)"
    )
    args = parser.parse_args(argv)
    if args.check:
        if find_chromium() is None:
            print(f"error: {NO_CHROMIUM}", file=sys.stderr)
            return 2
        return 0
    try:
        book, handouts = build_pdf(args.site, args.out)
    except PdfError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from pypdf import PdfReader

    pages = len(PdfReader(book).pages)
    print(f"{book}: {pages} pages, {book.stat().st_size / 1e6:.1f} MB")
    print(f"{len(handouts)} chapters -> {args.out / 'chapters'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
