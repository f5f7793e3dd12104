"""The learner edition: every chapter as a notebook that reads right in plain Jupyter.

    python -m rnn_lab.book.learner_edition --out _build/notebooks

reads each chapter ``book/NN_name.ipynb`` together with what the book build left in
``_build/jupyter_execute/book/`` (the executed notebook, and ``NN_name.glue.json``, the
values myst-nb glued) and writes

- ``OUT/student/NN_name.ipynb``: the solutions removed (their code, their output, their
  explanation), hints kept: what Binder, Colab and the download button open;
- ``OUT/teacher/NN_name.ipynb``: everything, each exercise's solution before its check.

In both, every ``{glue:...}`` role is replaced by the value the build computed (a sentence
glued as Markdown becomes prose), MyST-only syntax is translated to Markdown and HTML that
Jupyter, JupyterLab and Colab render (:mod:`.myst_markdown`: admonitions and dropdowns become
quotes and ``<details>``), the set-up cell is visible with one sentence saying what it does, a note
at the top says where the numbers in the text come from, and outputs are cleared.

A glue name without a value, a role or directive with no Markdown form, or a solution cell
without its ``solution`` tag stops the command with a :class:`LearnerEditionError` naming
the chapter, the cell and the name: no notebook is written with a hole in it.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from . import release
from .editions import GLUE_TAG, SOLUTION_TAG, STARTER_TAG, notebook_pages
from .myst_markdown import format_glue, split_glue_body, translate_markdown

EDITIONS = ("student", "teacher")
#: Where ``jupyter-book build`` leaves the executed chapters and their glue values.
EXECUTED_DIR = Path("_build") / "jupyter_execute" / "book"
#: Tags that only mean something on the website; in a notebook they would only confuse.
WEBSITE_TAGS = frozenset(
    {"remove-cell", "remove-input", "remove-output", "hide-cell", "hide-input", "hide-output"}
)
#: Cells with these tags are folded away on the website; in Jupyter their source is collapsed.
COLLAPSED_TAGS = frozenset({"remove-cell", "remove-input", "hide-input"})
NUMBERS_NOTE = (
    "The numbers quoted in the text were computed by this notebook's cells when the book "
    "was built; running the cells recomputes them on your machine (measured times, and "
    "anything else that depends on your hardware or library versions, may differ)."
)
EDITION_NOTES = {
    "student": (
        "**Student edition** of a chapter of [rnn-lab](https://github.com/rnn-lab/rnn-lab), "
        "the executable book on recurrent networks. In each exercise, write your code in the "
        "starter cell, run it, then run the check cell under it: ✓ means correct, ✗ says "
        "what to look at, and *not yet solved* means the starter is still empty."
    ),
    "teacher": (
        "**Teacher edition** of a chapter of [rnn-lab](https://github.com/rnn-lab/rnn-lab): "
        "each exercise's starter is followed by its solution and the check, which prints ✓. "
        "Students get the student edition, which is this notebook without the solutions."
    ),
}
SETUP_SENTENCE = (
    "The next cell sets the notebook up: it installs `rnn_lab`, the small package of this "
    "book, where it is missing (as on Colab), at the release this notebook was made from, "
    "then fixes the random seeds and silences TensorFlow's start-up messages, so that your "
    "numbers match the text."
)
SETUP_CALL = "rnn_lab.setup_notebook()"
LICENCE_CELL_ID = "learner-licence-note"
#: The set-up cell of a chapter installs rnn_lab from the repository's head; its learner
#: edition installs it from the release's tag instead (``release.install_requirement``).
UNPINNED_INSTALL = re.compile(r'"rnn_lab @ git\+(?P<url>[^"@]+)"')

EXERCISE_HEADING = re.compile(r"^###\s+(?P<title>Exercise[^\n]*)", re.MULTILINE)


class LearnerEditionError(ValueError):
    """A chapter that cannot become a learner notebook (the message says where and why)."""


@dataclass
class Exercise:
    """The cells of one exercise, as indices into a chapter's cells."""

    title: str
    name: str  # what the starter defines: the function (or value) the check receives
    starter: int
    check: int
    solutions: list[int]


# --- glue values ----------------------------------------------------------------------------


def executed_dir(repo: Path | str | None = None) -> Path:
    """``_build/jupyter_execute/book`` of the repository (the book build writes it)."""
    return (Path(repo) if repo is not None else _repo()) / EXECUTED_DIR


def _repo() -> Path:
    return release.repository_root()


def glue_values(chapter: Path, executed: Path) -> dict[str, dict]:
    """The glued MIME bundles of ``chapter`` (name -> ``{"text/plain": ..., ...}``), from the
    ``.glue.json`` the book build wrote beside the executed notebook."""
    notebook = executed / chapter.name
    if not notebook.exists():
        raise LearnerEditionError(
            f"{chapter.name}: no executed notebook at {notebook}; build the book first "
            "(make book, or jupyter-book build . --all)"
        )
    _check_same_cells(chapter, notebook)
    glue_file = executed / f"{chapter.stem}.glue.json"
    if not glue_file.exists():  # myst-nb writes the file only for chapters that glue
        return {}
    return {
        name: output["data"]
        for name, output in json.loads(glue_file.read_text(encoding="utf-8")).items()
    }


def _check_same_cells(chapter: Path, notebook: Path) -> None:
    source = nbformat.read(chapter, as_version=4)
    built = nbformat.read(notebook, as_version=4)
    mine = [(cell.cell_type, cell.source) for cell in source.cells]
    theirs = [(cell.cell_type, cell.source) for cell in built.cells]
    if mine != theirs:
        changed = next(
            (i for i, pair in enumerate(zip(mine, theirs, strict=False)) if pair[0] != pair[1]),
            min(len(mine), len(theirs)),
        )
        raise LearnerEditionError(
            f"{chapter.name}: cell {changed}: differs from the executed notebook {notebook}: "
            "the build is older than the chapter; build the book again"
        )


# --- exercises ------------------------------------------------------------------------------


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _defined_names(source: str) -> set[str]:
    """Top-level names a code cell defines (functions and assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def find_exercises(cells, chapter: str) -> list[Exercise]:
    """Every exercise of a chapter, with its cells; a solution cell without its tag is an
    error naming the chapter, the cell and what it defines."""
    starters = [i for i, cell in enumerate(cells) if STARTER_TAG in _tags(cell)]
    exercises = []
    for number, start in enumerate(starters):
        end = starters[number + 1] - 1 if number + 1 < len(starters) else len(cells)
        headings = [m["title"] for c in cells[:start] for m in EXERCISE_HEADING.finditer(c.source)]
        title = headings[-1].strip() if headings else f"exercise {number + 1}"
        names = _defined_names(cells[start].source)
        if len(names) != 1:
            raise LearnerEditionError(
                f"{chapter}: cell {start}: a starter cell must define exactly one name; "
                f"it defines {sorted(names)}"
            )
        (name,) = names
        check = start + 1
        if check >= len(cells) or "checks.check_" not in cells[check].source:
            raise LearnerEditionError(
                f"{chapter}: cell {check}: the cell under the starter of {title!r} must be "
                "its check (checks.check_...)"
            )
        solutions = []
        for index in range(check + 1, end):
            cell = cells[index]
            if SOLUTION_TAG in _tags(cell):
                solutions.append(index)
                continue
            why = _looks_like_solution(cell, name, cells[check].source)
            if why:
                raise LearnerEditionError(
                    f"{chapter}: cell {index}: {why} of {title!r} (`{name}`) but lacks the "
                    f"tag {SOLUTION_TAG!r}; tag it, or the student edition would show it"
                )
        exercises.append(Exercise(title, name, start, check, solutions))
    return exercises


def _looks_like_solution(cell, name: str, check: str) -> str | None:
    if cell.cell_type == "code" and name in _defined_names(cell.source):
        return "it defines the answer"
    if cell.cell_type == "code" and cell.source.strip() == check.strip():
        return "it repeats the check"
    if cell.cell_type == "markdown" and re.search(r"\{admonition\}\s*Solution", cell.source):
        return "it is the solution's explanation"
    return None


# --- the learner notebook -------------------------------------------------------------------


def learner_notebook(chapter: Path, executed: Path) -> nbformat.NotebookNode:
    """``chapter`` with its prose finished, set-up explained and outputs cleared; every cell
    but the build's glue cells (solutions included) is kept with its tags, for the editions
    to select from."""
    values = glue_values(chapter, executed)
    nb = nbformat.read(chapter, as_version=4)
    find_exercises(nb.cells, chapter.name)  # refuses untagged solutions before any writing
    cells = []
    for index, cell in enumerate(nb.cells):
        if GLUE_TAG in _tags(cell):  # the website's plumbing, not the learner's code
            continue
        cell = nbformat.from_dict(cell)
        if cell.cell_type == "markdown":
            cell.source = _finished_prose(cell.source, values, chapter.name, index)
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if SETUP_CALL in cell.source and not any(c.cell_type == "code" for c in cells):
                cell.source = pin_install(cell.source, chapter.name, index)
                explain = nbformat.v4.new_markdown_cell(SETUP_SENTENCE)
                explain["id"] = "learner-setup-note"
                cells.append(explain)
        is_setup = cell.cell_type == "code" and SETUP_CALL in cell.source
        if cell.cell_type == "code" and COLLAPSED_TAGS & set(_tags(cell)) and not is_setup:
            # JupyterLab and Notebook 7 show the cell folded, its output visible
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        tags = [tag for tag in _tags(cell) if tag not in WEBSITE_TAGS]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        cells.append(cell)
    # Under the edition's own note, every notebook made from this one (student, teacher,
    # nbgrader) says which release it is, under which licences, and how to cite it.
    licence = nbformat.v4.new_markdown_cell(f"> {release.licence_note()}")
    licence["id"] = LICENCE_CELL_ID
    nb.cells = [licence, *cells]
    return nb


def pin_install(source: str, chapter: str = "", index: int = 0) -> str:
    """The set-up cell's ``%pip install "rnn_lab @ git+URL"`` made to install this release
    (``git+URL@vX.Y.Z``), so a learner's notebook gets exactly the code it was built with."""
    requirement = release.install_requirement()
    pinned, count = UNPINNED_INSTALL.subn(f'"{requirement}"', source)
    if count != 1:
        raise LearnerEditionError(
            f"{chapter}: cell {index}: the set-up cell must install rnn_lab once, as "
            f'"rnn_lab @ git+URL" (tests/test_colab.py); found {count} such installs'
        )
    return pinned


def _finished_prose(source: str, values: dict, chapter: str, index: int) -> str:
    def glue(kind: str, body: str) -> str:
        try:
            name, spec = split_glue_body(kind, body)
            if name not in values:
                raise KeyError(f"glue name {name!r} has no value in the built book")
            return format_glue(name, kind, spec, values[name])
        except (KeyError, ValueError) as error:
            raise LearnerEditionError(f"{chapter}: cell {index}: {error.args[0]}") from None

    try:
        return translate_markdown(source, glue)
    except KeyError as error:
        raise LearnerEditionError(f"{chapter}: cell {index}: {error.args[0]}") from None


def edition(nb: nbformat.NotebookNode, which: str, chapter: str) -> nbformat.NotebookNode:
    """The ``"student"`` or ``"teacher"`` edition of a learner notebook."""
    if which not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}; got {which!r}")
    exercises = find_exercises(nb.cells, chapter)
    if which == "student":
        drop = {i for ex in exercises for i in ex.solutions}
    else:  # the solution ends with the same check, so the first one would only say "not yet"
        drop = {ex.check for ex in exercises}
    copy = nbformat.from_dict(nb)
    copy.cells = [cell for i, cell in enumerate(nb.cells) if i not in drop]
    note = nbformat.v4.new_markdown_cell(f"> {EDITION_NOTES[which]}\n>\n> {NUMBERS_NOTE}")
    note["id"] = f"{which}-edition-note"  # fixed, so that rewrites give no diff
    copy.cells.insert(0, note)
    nbformat.validate(copy)
    return copy


def learner_editions(
    book_dir: Path | str | None = None, executed: Path | str | None = None
) -> Iterator[tuple[Path, dict[str, nbformat.NotebookNode]]]:
    """(chapter, {edition: notebook}) for every notebook page (the chapters and the pages they
    link to, such as the notation), all checked before any is returned."""
    executed = Path(executed) if executed is not None else executed_dir()
    chapters = notebook_pages(book_dir)
    if not chapters:
        raise LearnerEditionError(f"no chapter notebooks in {book_dir}")
    made = []
    for chapter in chapters:
        nb = learner_notebook(chapter, executed)
        made.append((chapter, {which: edition(nb, which, chapter.name) for which in EDITIONS}))
    return iter(made)


def write_learner_editions(
    out_dir: Path | str,
    book_dir: Path | str | None = None,
    executed: Path | str | None = None,
) -> dict[str, list[Path]]:
    """Write ``out_dir/student`` and ``out_dir/teacher``; return the paths per edition.
    Every chapter is translated and checked first, so an error writes nothing."""
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {which: [] for which in EDITIONS}
    for chapter, notebooks in learner_editions(book_dir, executed):
        for which, nb in notebooks.items():
            written[which].append(save_notebook(nb, out_dir / which / chapter.name))
    return written


def save_notebook(nb: nbformat.NotebookNode, target: Path) -> Path:
    """Write ``nb`` to ``target``, making its folder first; returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def run_writer(
    argv: list[str] | None,
    write: Callable[[Path, Path | None, Path | None], Any],
    report: Callable[[Path, Any], None],
    *,
    prog: str,
    description: str,
    out_help: str = "output directory",
) -> int:
    """The command line of a writer made from the executed book: ``--out``, ``--book`` and
    ``--executed`` go to ``write``, what it returns to ``report(out, written)``; exit status 0,
    or 2 once it has printed why nothing was written (a chapter that cannot be made, a
    missing folder)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--out", required=True, type=Path, help=out_help)
    parser.add_argument("--book", type=Path, default=None, help="the chapters (book/)")
    parser.add_argument(
        "--executed", type=Path, default=None, help=f"the executed book ({EXECUTED_DIR})"
    )
    args = parser.parse_args(argv)
    try:
        written = write(args.out, args.book, args.executed)
    except (LearnerEditionError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report(args.out, written)
    return 0


def _report(out: Path, written: dict[str, list[Path]]) -> None:
    for which, paths in written.items():
        cells = sum(len(nbformat.read(p, as_version=4).cells) for p in paths)
        print(f"{which}: {len(paths)} notebooks, {cells} cells -> {out / which}")


def main(argv: list[str] | None = None) -> int:
    return run_writer(
        argv,
        write_learner_editions,
        _report,
        prog="python -m rnn_lab.book.learner_edition",
        description="Write the student and teacher editions of every chapter, with the prose "
        "finished from the executed book (run `make book` first).",
    )


if __name__ == "__main__":
    sys.exit(main())
