"""What the editions of a chapter are cut from: the cell tags and the list of chapters.

A chapter marks its exercises with tags: ``starter`` (the code a learner starts from),
``solution`` (its code, its check and its explanation) and ``glue`` (build plumbing that no
edition gets). :func:`chapter_notebooks` and :func:`notebook_pages` say which notebooks there
are, in the table of contents' order. The one edition writer is
:mod:`rnn_lab.book.learner_edition` (``make notebooks``), made from the executed book; the
nbgrader release (:mod:`rnn_lab.book.nbgrader_release`) starts from the same learner notebook.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import nbformat

from .toc import toc_notebooks

#: Cells with this tag hold a solution (its code, its ✓ check, its explanation).
SOLUTION_TAG = "solution"
#: Cells with this tag hold the code a learner starts from.
STARTER_TAG = "starter"
#: Cells with this tag are build plumbing (``rnn_lab.glue`` calls that hand numbers to the
#: website's prose): hidden on the website (with ``remove-cell``), left out of every edition.
GLUE_TAG = "glue"
CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"


def _default_book_dir() -> Path:
    # An editable install (the repository) has book/ next to the package; otherwise
    # the current directory is expected to be the repository root.
    beside_package = Path(__file__).resolve().parents[2] / "book"
    return beside_package if beside_package.is_dir() else Path.cwd() / "book"


def chapter_notebooks(book_dir: Path | str | None = None) -> list[Path]:
    """The chapter notebooks ``NN_name.ipynb`` of ``book_dir``, in reading order: the
    table of contents (``_toc.yml`` beside ``book_dir``, read by
    :func:`rnn_lab.book.toc.toc_notebooks`) decides which chapters there are."""
    book_dir = Path(book_dir) if book_dir is not None else _default_book_dir()
    if not book_dir.is_dir():
        raise FileNotFoundError(f"no book directory at {book_dir}")
    repo = book_dir.resolve().parent
    if not (repo / "_toc.yml").is_file():
        raise FileNotFoundError(f"no table of contents _toc.yml beside {book_dir}")
    return [
        path
        for path in toc_notebooks(repo)
        if path.parent.resolve() == book_dir.resolve() and fnmatch(path.name, CHAPTER_GLOB)
    ]


def notebook_pages(book_dir: Path | str | None = None) -> list[Path]:
    """Every notebook page of ``book_dir`` in the table of contents, in reading order: the
    chapters (:func:`chapter_notebooks`) and reference pages such as the notation, which
    the chapters link to and so must travel with them."""
    book_dir = Path(book_dir) if book_dir is not None else _default_book_dir()
    chapter_notebooks(book_dir)  # the same checks: a book folder with its _toc.yml
    repo = book_dir.resolve().parent
    return [
        path
        for path in toc_notebooks(repo)
        if path.parent.resolve() == book_dir.resolve() and path.suffix == ".ipynb"
    ]


def count_tagged(nb: nbformat.NotebookNode, tag: str) -> int:
    """How many cells of ``nb`` carry ``tag``."""
    return sum(tag in cell.get("metadata", {}).get("tags", []) for cell in nb.cells)
