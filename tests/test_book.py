"""The book as a whole: notebooks are stored clean, the strict build passes, pages carry
no TensorFlow noise, and executing the chapters again prints the same numbers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from rnn_lab.book.toc import toc_notebooks, toc_pages

REPO = Path(__file__).resolve().parents[1]
NOISE = re.compile(
    r"oneDNN custom operations|absl::InitializeLog|I0000 |W0000 |E0000 |tensorflow/core/"
    r"|cuda_|Traceback \(most recent call last\)|UserWarning|DeprecationWarning|FutureWarning"
)
# Outputs whose content is an id that changes per kernel (ipywidgets' model ids).
VOLATILE_MIME = "application/vnd.jupyter.widget-view+json"
# Cells tagged so print measured times, which no seed can fix (the speed chapter).
TIMING_TAG = "timing"


def toc_files() -> list[str]:
    return toc_pages(REPO)


def chapter_notebooks() -> list[Path]:
    return toc_notebooks(REPO)


def test_toc_lists_only_existing_documents():
    for entry in toc_files():
        assert any((REPO / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), entry


@pytest.mark.parametrize("path", sorted((REPO / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has stored outputs"
            assert cell.execution_count is None, f"{path.name} cell {index} has a count"


@pytest.mark.book
def test_every_page_of_the_toc_is_built(built_book):
    for entry in toc_files():
        page = built_book / f"{entry}.html"
        assert page.exists(), f"{page} was not built"
        assert "<h1" in page.read_text(encoding="utf-8"), f"{page} has no title heading"


@pytest.mark.book
def test_pages_carry_no_tensorflow_noise_or_errors(built_book):
    for entry in toc_files():
        html = (built_book / f"{entry}.html").read_text(encoding="utf-8")
        match = NOISE.search(html)
        assert match is None, f"{entry}.html contains {match.group(0)!r}"
        assert "stderr" not in re.findall(r'class="[^"]*output[^"]*stderr', html)


@pytest.mark.book
def test_executed_notebooks_have_no_stderr_or_errors(built_book):
    executed = sorted((built_book.parent / "jupyter_execute").rglob("*.ipynb"))
    # the chapters, and MyST Markdown pages that are notebooks (a kernelspec: the
    # execution-status page)
    text_notebooks = [
        REPO / f"{entry}.md"
        for entry in toc_files()
        if (REPO / f"{entry}.md").exists() and "kernelspec:" in (REPO / f"{entry}.md").read_text()
    ]
    assert {path.stem for path in executed} == {
        path.stem for path in [*chapter_notebooks(), *text_notebooks]
    }
    for path in executed:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                assert output.get("name") != "stderr", f"{path.name}: {output.get('text')}"
                assert output.get("output_type") != "error", f"{path.name}: {output}"


def _printed(nb, *, merged_by_build: bool) -> list[str]:
    """Everything a reader sees as text or image, cell by cell, in order, except the
    output of cells tagged ``timing`` (measured durations).

    The build merges a cell's printed text into its first stream output
    (`rnn_lab.book.streams.merge_streams`, in place, and saves the notebook that way); how
    `print` calls are split into outputs depends on timing. So a fresh execution is merged
    the same way, and of the build's copy only the first, merged stream output per stream
    is read.
    """
    from rnn_lab.book.streams import merge_streams

    seen = []
    for index, cell in enumerate(nb.cells):
        if TIMING_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        outputs = cell.get("outputs", [])
        if merged_by_build:
            names, kept = set(), []
            for output in outputs:
                if output.get("output_type") == "stream":
                    if output["name"] in names:
                        continue
                    names.add(output["name"])
                kept.append(output)
            outputs = kept
        else:
            outputs = merge_streams(outputs)
        for output in outputs:
            if output.get("output_type") == "stream":
                seen.append(f"{index}:{output['name']}:{output['text']}")
            data = output.get("data", {})
            if VOLATILE_MIME in data:
                continue
            for mime in ("text/plain", "text/markdown", "text/html", "image/png"):
                if mime in data:
                    seen.append(f"{index}:{mime}:{data[mime]}")
    return seen


@pytest.mark.book
@pytest.mark.parametrize("notebook", chapter_notebooks(), ids=lambda p: p.name)
def test_executing_again_prints_identical_numbers(built_book, notebook):
    """Determinism: a second, independent execution gives the build's outputs exactly."""
    from nbclient import NotebookClient

    built = built_book.parent / "jupyter_execute" / notebook.relative_to(REPO)
    again = nbformat.read(notebook, as_version=4)
    NotebookClient(
        again, timeout=600, kernel_name="python3", resources={"metadata": {"path": notebook.parent}}
    ).execute()
    first = _printed(nbformat.read(built, as_version=4), merged_by_build=True)
    second = _printed(again, merged_by_build=False)
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert a == b, f"{notebook.name}: output differs between executions:\n{a[:300]}\n{b[:300]}"
