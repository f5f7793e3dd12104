"""Sphinx extension: the website's download button offers the student edition.

sphinx-book-theme's "download .ipynb" button links to the copy of the page's source that
Sphinx keeps in ``_build/html/_sources/``, which for a chapter is the authors' notebook
(solutions included, glue roles raw). When the HTML build has finished, this extension
writes the chapter's student edition (:mod:`rnn_lab.book.learner_edition`, made from the
notebooks the build has just executed) over that copy, and the same editions to
``_build/notebooks/``. The Binder and Colab buttons are configured in ``_config.yml``
(``repository.branch``, the branch that holds the student edition); pages that branch does
not hold (a MyST Markdown notebook such as the execution status) get no launch button.

Listed in ``_config.yml`` under ``sphinx: extra_extensions``. A chapter that cannot become
a learner notebook fails the build, naming the chapter, the cell and the name.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .learner_edition import EDITIONS, learner_editions, save_notebook


def offer_student_edition(app, exception: Exception | None) -> None:
    """``build-finished``: student editions over ``_sources``, both editions to
    ``_build/notebooks``."""
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    executed = outdir.parent / "jupyter_execute" / "book"
    book = Path(app.srcdir) / "book"
    for chapter, notebooks in learner_editions(book, executed):
        source_copy = outdir / "_sources" / "book" / chapter.name
        if source_copy.exists():
            nbformat.write(notebooks["student"], source_copy)
        for which in EDITIONS:
            save_notebook(notebooks[which], outdir.parent / "notebooks" / which / chapter.name)


def launch_only_learner_pages(app, pagename: str, templatename, context, doctree) -> None:
    """``html-page-context``, after sphinx-book-theme's buttons: no Binder/Colab button on a
    page the learner branch does not hold. The branch holds the notebook pages
    (:func:`~rnn_lab.book.editions.notebook_pages`); a MyST Markdown notebook such as the
    execution-status page is executed by the build but is not on it, so its launch link
    would open nothing."""
    source = Path(app.env.doc2path(pagename))
    if source.suffix == ".ipynb":
        return
    buttons = context.get("header_buttons")
    if buttons:
        context["header_buttons"] = [b for b in buttons if b.get("label") != "launch-buttons"]


def setup(app) -> dict:
    app.connect("build-finished", offer_student_edition)
    app.connect("html-page-context", launch_only_learner_pages, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
