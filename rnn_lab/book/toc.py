"""The book's pages in reading order, read from ``_toc.yml``.

One reader for the table of contents, shared by the editions writer, the Binder check
and the tests, so that "every chapter" means the same list everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


def toc_pages(repo: Path) -> list[str]:
    """Every page of ``repo/_toc.yml`` in reading order, as paths without suffix
    (``book/index``, ``book/00_introduction``, ...)."""
    import yaml  # comes with the book tooling; learners never need this module

    toc = yaml.safe_load((Path(repo) / "_toc.yml").read_text(encoding="utf-8"))

    def walk(entries: list[dict]) -> Iterator[str]:
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            yield from walk(entry.get("sections"))

    pages = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        pages.extend(walk(part.get("chapters")))
    return [str(Path(page).with_suffix("")) for page in pages]


def toc_notebooks(repo: Path) -> list[Path]:
    """The pages of the table of contents that are notebooks, as paths, in reading order."""
    paths = [Path(repo) / f"{page}.ipynb" for page in toc_pages(repo)]
    return [path for path in paths if path.exists()]
