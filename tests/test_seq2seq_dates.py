"""The date task: deterministic, correct targets, disjoint held-out dates, longer inputs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from rnn_lab.seq2seq.dates import (
    MONTHS,
    STYLES,
    TARGET_VOCAB,
    date_task,
    decode_targets,
    encode_sources,
    encode_targets,
    ordinal,
    render,
)


def test_render_and_ordinals():
    day = dt.date(1999, 3, 3)
    assert render(day, "nth of month yyyy") == "3rd of March 1999"
    assert render(day, "d/m/yy") == "3/3/99"
    assert render(day, "weekday, month d, yyyy") == "Wednesday, March 3, 1999"
    assert [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"
    ]  # fmt: skip


def test_task_is_deterministic_and_split_by_date():
    a, b = (
        date_task(3, n_train=300, n_held_out=50, n_longer=50),
        date_task(3, n_train=300, n_held_out=50, n_longer=50),
    )
    assert a == b
    assert date_task(4, n_train=300, n_held_out=50, n_longer=50).train != a.train
    assert not set(a.train.targets) & set(a.held_out.targets)
    assert not set(a.train.targets) & set(a.longer.targets)
    longest = max(len(s) for s in a.train.sources + a.held_out.sources)
    assert longest <= a.max_length < min(len(s) for s in a.longer.sources)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_parses_back_to_its_target(style):
    rng = np.random.default_rng(0)
    for _ in range(20):
        day = dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(36524)))
        text = render(day, style)
        encode_sources([text])  # every character is in the vocabulary
        month = MONTHS[day.month - 1]
        assert f"{day.year % 100:02d}" in text and str(day.day) in text
        assert month[:3] in text or month.lower() in text or f"{day.month}" in text


def test_encoding_round_trip_and_teacher_forcing():
    ids, mask = encode_sources(["3/3/99", "3rd of March 1999"])
    assert ids.shape == mask.shape == (2, 17)
    assert mask.sum(axis=1).tolist() == [6, 17]
    assert np.all(ids[~mask] == 0)
    read, write = encode_targets(["1999-03-03"])
    assert decode_targets(write) == ["1999-03-03"]
    assert read[0, 0] == 0 and np.array_equal(read[0, 1:], write[0, :-1])
    assert TARGET_VOCAB.size == 12


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match=r"sources\[1\].*'#'"):
        encode_sources(["3/3/99", "3#3#99"])
    with pytest.raises(ValueError, match="10 characters"):
        encode_targets(["99-03-03"])
    with pytest.raises(ValueError, match="style must be one of"):
        render(dt.date(2000, 1, 1), "dd-mm")
    with pytest.raises(ValueError, match="max_length"):
        date_task(max_length=5)
