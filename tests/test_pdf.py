"""The printable edition (`make pdf`): the built book printed by Chromium, read back as text.

The book of this session (`built_book`) is printed once by `python -m rnn_lab.book.pdf`, run
from another directory; `pdftotext` (poppler-utils, installed by .ci/run) reads it back. Every
chapter of `_toc.yml` must be there, in order, starting on the page the contents give; no raw
TeX or MyST may be left; no solution may be printed; the figures must be in it; each chapter's
handout must be its pages of the book.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from rnn_lab.book import pdf, release

REPO = Path(__file__).resolve().parents[1]
#: What a printed page must never show: TeX that was not typeset, MyST that was not rendered.
RAW = {
    "TeX fraction": r"\frac",
    "display-math delimiter $$": "$$",
    "inline-math delimiter \\(": "\\(",
    "display-math delimiter \\[": "\\[",
    "TeX environment": "\\begin{",
    "glue role": "{glue",
    "MyST directive": "```{",
    "MyST colon directive": ":::{",
    "MyST math role": "{math}",
}
#: A chapter of this book prints on 1 to 40 pages (the longest is about 30 today).
MAX_PAGES_PER_CHAPTER = 40
PRINT_TIMEOUT = 900


def _spaceless(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def printed(built_book, tmp_path_factory) -> dict:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (.ci/run does)")
    out = tmp_path_factory.mktemp("pdf")
    elsewhere = tmp_path_factory.mktemp("cwd")  # the command must not depend on the cwd
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "rnn_lab.book.pdf", "--site", str(built_book), "--out", str(out)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=PRINT_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (book,) = out.glob("rnn-lab-*.pdf")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(book), "-"], capture_output=True, text=True, check=True
    ).stdout
    return {
        "book": book,
        "pages": text.split("\f")[:-1],  # pdftotext ends every page with a form feed
        "handouts": sorted((out / "chapters").glob("*.pdf")),
        "chapters": pdf.chapters(REPO, built_book),
        "site": built_book,
        "log": result.stdout,
    }


def test_the_book_is_named_by_its_version(printed):
    assert printed["book"].name == f"rnn-lab-{release.version(REPO)}.pdf"
    assert f"{len(printed['pages'])} pages" in printed["log"]


def test_title_page_and_contents(printed):
    title, contents = printed["pages"][0], printed["pages"][1]
    assert "Version " + release.version(REPO) in title
    assert "CC BY 4.0" in title and "MIT" in title
    assert "Contents" in contents


def test_every_chapter_in_order_on_the_page_the_contents_give(printed):
    pages, chapters = printed["pages"], printed["chapters"]
    assert len(chapters) >= 15
    # the contents as laid out: "title ....... page" on one line
    layout = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "3", str(printed["book"]), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    contents = {
        _spaceless(m["title"]): int(m["page"])
        for m in re.finditer(r"^\s*(?P<title>\S.*?)\s{2,}(?P<page>\d+)\s*$", layout, re.M)
    }
    previous = 0
    for chapter in chapters:
        start = contents.get(_spaceless(chapter.title))
        assert start is not None, f"{chapter.title!r} is not in the contents: {contents}"
        assert start > previous, f"{chapter.title}: page {start} is not after page {previous}"
        assert _spaceless(chapter.title) in _spaceless(pages[start - 1]), (
            f"{chapter.title!r} is not on page {start}, where the contents say it starts"
        )
        assert _spaceless(pages[start - 1]).endswith(str(start)), "the page's number is printed"
        previous = start


def test_no_raw_tex_or_myst(printed):
    for number, text in enumerate(printed["pages"], start=1):
        for what, raw in RAW.items():
            assert raw not in text, f"page {number} shows a raw {what}: {raw!r}"


def test_the_page_count_is_sane(printed):
    count, chapters = len(printed["pages"]), len(printed["chapters"])
    assert len(PdfReader(printed["book"]).pages) == count
    assert chapters + 2 <= count <= MAX_PAGES_PER_CHAPTER * chapters + 2


def test_no_solution_is_printed(printed):
    """Lines that only solution cells hold (their code and output) are not in the PDF."""
    text = _spaceless("".join(printed["pages"]))
    solution_lines, elsewhere = set(), []
    for chapter in printed["chapters"]:
        html = (printed["site"] / f"{chapter.page}.html").read_text(encoding="utf-8")
        article = BeautifulSoup(html, "html.parser").select_one("article.bd-article")
        for cell in article.select(".tag_solution"):
            solution_lines |= {line.strip() for line in cell.get_text().splitlines()}
            cell.decompose()
        elsewhere.append(_spaceless(article.get_text()))
    elsewhere_text = "\n".join(elsewhere)
    checked = 0
    for line in sorted(solution_lines):
        # long enough to be distinctive, short enough not to wrap, and only in a solution
        if 20 <= len(line) <= 70 and _spaceless(line) not in elsewhere_text:
            checked += 1
            assert _spaceless(line) not in text, f"a solution is printed: {line!r}"
    assert checked > 20, "no solution lines were checked: the test lost its subject"


def test_the_figures_are_printed(printed):
    """Every raster figure of the website (bar the solutions') is an image in the PDF (an SVG
    figure is printed as vector graphics, which pdfimages does not list)."""
    site = printed["site"]
    figures = 0
    for chapter in printed["chapters"]:
        images = pdf.printable_article(site, chapter).select("img")
        figures += sum(not image.get("src", "").lower().endswith(".svg") for image in images)
    listing = subprocess.run(
        ["pdfimages", "-list", str(printed["book"])], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]  # two header lines, then one line per image
    images = len(listing)
    assert figures > 10, "the book's figures are gone from the site"
    assert images >= figures


def test_each_handout_is_its_chapters_pages(printed):
    handouts, chapters = printed["handouts"], printed["chapters"]
    assert [h.stem for h in handouts] == sorted(Path(c.page).name for c in chapters)
    total = sum(len(PdfReader(h).pages) for h in handouts)
    assert total + 2 == len(printed["pages"]), "title and contents, then every chapter once"
    for chapter in chapters:
        handout = next(h for h in handouts if h.stem == Path(chapter.page).name)
        first = subprocess.run(
            ["pdftotext", "-l", "1", str(handout), "-"], capture_output=True, text=True
        ).stdout
        assert _spaceless(chapter.title) in _spaceless(first)


def test_without_a_built_book_it_says_to_build(tmp_path):
    with pytest.raises(pdf.PdfError, match="make book"):
        pdf.build_pdf(tmp_path / "html", tmp_path / "out", REPO)


def test_without_chromium_it_says_what_to_install(tmp_path, monkeypatch):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "index.html").write_text("<html></html>")
    monkeypatch.setattr(pdf, "find_chromium", lambda: None)  # as on a machine without it
    with pytest.raises(pdf.PdfError, match="apt-get install chromium"):
        pdf.build_pdf(tmp_path / "html", tmp_path / "out", REPO)
    assert pdf.main(["--check"]) == 2


def test_the_bookmarks_are_the_chapters(printed):
    """An e-reader's bookmarks: one per chapter, titled as the chapter is."""
    reader = PdfReader(printed["book"])
    tops = [item.title for item in reader.outline if not isinstance(item, list)]
    assert tops == [chapter.title for chapter in printed["chapters"]]
