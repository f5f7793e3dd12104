"""What the book was built with: the date, the machine's cores and the versions of the
libraries whose numbers the chapters print. The execution-status page executes this
at build time, so it describes the build that produced the pages, not a typed list."""

from __future__ import annotations

import datetime
import os
import platform


def build_environment() -> dict[str, str]:
    """Name -> value of what a reader needs to reproduce the book's numbers.

    Imports TensorFlow (the versions are read from the modules actually imported, not
    from package metadata, so a shadowing install cannot make the page lie).
    """
    import numpy as np

    from ..keras_side.models import import_keras

    keras = import_keras()
    import tensorflow as tf

    built = datetime.datetime.now(datetime.UTC)
    return {
        "build date": built.strftime("%Y-%m-%d %H:%M UTC"),
        "Python": platform.python_version(),
        "NumPy": np.__version__,
        "TensorFlow": tf.__version__,
        "Keras": keras.__version__,
        "CPU cores": str(os.cpu_count()),
        "machine": f"{platform.system()} {platform.machine()}",
    }


def environment_table(environment: dict[str, str]) -> str:
    """The environment as a two-column Markdown table."""
    from .notebook import table_markdown

    return table_markdown(["item", "value"], [[name, value] for name, value in environment.items()])
