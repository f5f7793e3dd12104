"""A Sphinx extension: what a cell prints, on the page exactly as Jupyter shows it.

The kernel sends a cell's printed text in pieces, cut wherever its output timer fires (every
0.2 s), also in the middle of a line: `print("loss:", loss)` writes its arguments one by one.
Jupyter shows consecutive pieces simply joined. myst-nb's `nb_merge_streams` (the book's
setting: one block for a cell's stdout, one for its stderr) strips the end of every piece and
adds a newline, so the page would print "loss:" and the number on one line or on two,
depending on the machine's load. Here each stream's pieces are first joined exactly; myst-nb's
merge then sees one piece per stream, and the page is the same on every build.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from sphinx.application import Sphinx


def join_stream_pieces(outputs: list) -> list:
    """Every piece of a stream (stdout, stderr) appended, as it is, to the stream's first piece,
    and the other pieces dropped; other outputs kept. In place (and returned): the executed
    notebook the build saves is then the merged one, each line once."""
    first: dict = {}
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream":
            name = output["name"]
            if name in first:
                first[name]["text"] += output["text"]
                continue
            first[name] = output
        kept.append(output)
    outputs[:] = kept
    return outputs


def merge_streams(outputs: list) -> list:
    """What the book's pages show of a cell's outputs: pieces joined exactly, then myst-nb's
    own merge (trailing blank lines trimmed, stderr after stdout, `\\r` and `\\b` applied)."""
    from myst_nb.core.utils import coalesce_streams

    return coalesce_streams(join_stream_pieces(outputs))


def _joining_first(coalesce: Callable[[list], list]) -> Callable[[list], list]:
    @functools.wraps(coalesce)
    def coalesce_whole_streams(outputs: list) -> list:
        return coalesce(join_stream_pieces(outputs))

    coalesce_whole_streams.joins_pieces = True
    return coalesce_whole_streams


def setup(app: Sphinx) -> dict:
    # myst-nb has no setting for this: its renderer calls the function it imported by name.
    from myst_nb.core import render

    if not getattr(render.coalesce_streams, "joins_pieces", False):
        render.coalesce_streams = _joining_first(render.coalesce_streams)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
