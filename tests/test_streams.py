"""What a cell prints reaches the page whole, however the kernel cut it (rnn_lab.book.streams)."""

from __future__ import annotations

import copy

from nbformat.v4 import new_output

from rnn_lab.book import streams


def _stdout(text: str):
    return new_output("stream", name="stdout", text=text)


# `print("loss:", 0.25)` cut by the kernel's output timer between its arguments
CUT_LINE = [_stdout("loss:"), _stdout(" 0.25\nnext line\n")]


def test_pieces_cut_mid_line_are_joined_exactly():
    merged = streams.merge_streams(copy.deepcopy(CUT_LINE))
    assert [output["text"] for output in merged] == ["loss: 0.25\nnext line\n"]


def test_myst_nb_alone_would_break_the_line():
    from myst_nb.core.utils import coalesce_streams

    if getattr(coalesce_streams, "joins_pieces", False):  # pragma: no cover - never patched here
        raise AssertionError("myst_nb.core.utils itself must stay unpatched")
    broken = coalesce_streams(copy.deepcopy(CUT_LINE))
    assert broken[0]["text"] == "loss:\n 0.25\nnext line\n"


def test_every_stream_gathers_in_its_first_piece_and_other_outputs_stay():
    figure = new_output("display_data", data={"text/plain": "<Figure>"})
    error = new_output("stream", name="stderr", text="warn")
    outputs = [
        _stdout("a = "),
        error,
        figure,
        _stdout("1\n"),
        new_output("stream", name="stderr", text="ing\n"),
    ]
    merged = streams.merge_streams(outputs)
    texts = [(o["output_type"], o.get("name"), o.get("text", o.get("data"))) for o in merged]
    assert texts == [
        ("stream", "stdout", "a = 1\n"),
        ("stream", "stderr", "warning\n"),
        ("display_data", None, {"text/plain": "<Figure>"}),
    ]
    # in place: the notebook the build saves is the merged one, each line once
    assert [output.get("text") for output in outputs] == ["a = 1\n", "warning\n", None]


def test_the_extension_makes_myst_nb_render_whole_lines():
    from myst_nb.core import render

    original = render.coalesce_streams
    try:
        streams.setup(None)
        streams.setup(None)  # twice (a second build in one process) wraps once
        assert render.coalesce_streams([*copy.deepcopy(CUT_LINE)])[0]["text"] == (
            "loss: 0.25\nnext line\n"
        )
        assert render.coalesce_streams.__wrapped__ is original
    finally:
        render.coalesce_streams = original
