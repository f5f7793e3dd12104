"""Student and teacher editions of the chapter notebooks.

    python -m rnn_lab.book.editions --out DIR

writes ``DIR/student/NN_name.ipynb`` (every cell tagged ``solution`` removed: starters,
checkers and the chapter text kept) and ``DIR/teacher/NN_name.ipynb`` (everything but the
build's ``glue`` cells, which neither edition gets) for
every chapter in ``book/``, outputs cleared. The cells are removed by nbconvert's
``TagRemovePreprocessor``, the same mechanism the book's tags use, so what a student
receives is decided by the tags in the chapter and nothing else.

These editions are the chapter *sources* split by tag (MyST roles still raw): the tag
conventions and the exercises' tests use them. What learners and teachers get is
:mod:`rnn_lab.book.learner_edition` (``make notebooks``), made from the executed book.
"""

from __future__ import annotations

import argparse
import sys
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
EDITIONS = ("student", "teacher")
CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"

BANNERS = {
    "student": (
        "> **Student edition** of an [rnn-lab](https://github.com/rnn-lab/rnn-lab) chapter: "
        "the solutions are removed. In each exercise, write your code in the starter cell, "
        "run it, then run the check cell below it: ✓ means correct; ✗ says what to look at."
    ),
    "teacher": (
        "> **Teacher edition** of an [rnn-lab](https://github.com/rnn-lab/rnn-lab) chapter: "
        "the solutions are the cells tagged `solution`. Students get the student edition, "
        "which is this notebook without them."
    ),
}


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


def _exporter(edition: str):
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}; got {edition!r}")
    try:  # a teacher's tool: the package itself does not need nbconvert
        from nbconvert.exporters import NotebookExporter
        from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor
    except ImportError as error:
        raise ImportError(
            "writing the editions needs nbconvert: pip install 'nbconvert>=7.16'"
        ) from error
    exporter = NotebookExporter()
    exporter.register_preprocessor(ClearOutputPreprocessor(), enabled=True)
    removed = {GLUE_TAG, SOLUTION_TAG} if edition == "student" else {GLUE_TAG}
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=removed), enabled=True)
    return exporter


def make_edition(nb: nbformat.NotebookNode, edition: str) -> nbformat.NotebookNode:
    """The ``"student"`` or ``"teacher"`` edition of one chapter notebook, as a new
    notebook with outputs cleared and the edition's banner as its first cell."""
    exporter = _exporter(edition)
    copy = nbformat.from_dict(nb)
    banner = nbformat.v4.new_markdown_cell(BANNERS[edition])
    banner["id"] = f"{edition}-edition-banner"  # fixed, so that rewrites give no diff
    copy.cells.insert(0, banner)
    body, _ = exporter.from_notebook_node(copy)
    edited = nbformat.reads(body, as_version=4)
    nbformat.validate(edited)
    return edited


def write_editions(
    out_dir: Path | str, book_dir: Path | str | None = None
) -> dict[str, list[Path]]:
    """Write both editions of every chapter to ``out_dir/student`` and
    ``out_dir/teacher``; return the written paths per edition."""
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {edition: [] for edition in EDITIONS}
    for source in chapter_notebooks(book_dir):
        nb = nbformat.read(source, as_version=4)
        for edition in EDITIONS:
            target = out_dir / edition / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(make_edition(nb, edition), target)
            written[edition].append(target)
    return written


def count_tagged(nb: nbformat.NotebookNode, tag: str) -> int:
    """How many cells of ``nb`` carry ``tag``."""
    return sum(tag in cell.get("metadata", {}).get("tags", []) for cell in nb.cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnn_lab.book.editions",
        description="Write the student edition (solutions removed) and the teacher edition "
        "(with solutions) of every chapter notebook.",
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument(
        "--book", type=Path, default=None, help="directory of the chapter notebooks (book/)"
    )
    args = parser.parse_args(argv)
    try:
        written = write_editions(args.out, args.book)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for edition, paths in written.items():
        exercises = sum(
            count_tagged(nbformat.read(path, as_version=4), STARTER_TAG) for path in paths
        )
        print(f"{edition}: {len(paths)} notebooks, {exercises} exercises -> {args.out / edition}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
