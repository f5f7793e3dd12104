"""The execution-status page reports the environment the build really ran in."""

from __future__ import annotations

import datetime
import os
import platform
import re

import numpy as np
from markdown_it import MarkdownIt

from rnn_lab.book.build_status import build_environment, environment_table


def test_environment_is_read_from_this_process():
    import keras
    import tensorflow as tf

    environment = build_environment()
    assert environment["Python"] == platform.python_version()
    assert environment["NumPy"] == np.__version__
    assert environment["TensorFlow"] == tf.__version__
    assert environment["Keras"] == keras.__version__
    assert environment["CPU cores"] == str(os.cpu_count())
    built = datetime.datetime.strptime(environment["build date"], "%Y-%m-%d %H:%M UTC")
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs(now - built) < datetime.timedelta(minutes=5)


def test_environment_table_is_a_table():
    html = (
        MarkdownIt("commonmark")
        .enable("table")
        .render(environment_table({"Python": "3.11.7", "odd | name": "x"}))
    )
    assert html.count("<tr>") == 3
    assert re.search(r"<td>odd \| name</td>", html)
