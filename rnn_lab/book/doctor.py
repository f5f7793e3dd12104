"""``python -m rnn_lab doctor``: is this environment able to run the book?

Prints the versions that matter, then runs Keras and the manual loop on the same
random weights (non-zero biases) in float32 and float64 and compares them against
the book's tolerances. Exit status 0 means every check passed.
"""

from __future__ import annotations

import platform
import sys

import numpy as np

from ..data import make_sequences
from ..tolerances import tolerance_for
from ..weights import random_weights

CHECK_SHAPE = {"n_samples": 16, "seq_len": 15, "dims": 3, "hidden_units": 5, "outputs": 5}


def run_doctor(out=sys.stdout) -> int:
    """Print versions and the agreement check; return the exit status (0 = healthy)."""
    print(f"Python      {platform.python_version()}", file=out)
    print(f"NumPy       {np.__version__}", file=out)
    try:
        from ..keras_models import import_keras, keras_reference

        keras = import_keras()
        import tensorflow as tf
    except Exception as error:  # any import failure is the diagnosis
        print(f"TensorFlow  NOT IMPORTABLE: {type(error).__name__}: {error}", file=out)
        return 2
    print(f"TensorFlow  {tf.__version__}", file=out)
    print(f"Keras       {keras.__version__} (backend: {keras.backend.backend()})", file=out)
    from ..stability import machine_summary  # the last bits of a result depend on these

    machine = machine_summary()
    print(f"Processor   {machine['cpu']} ({machine['architecture']})", file=out)
    print(f"NumPy BLAS  {machine['blas']}", file=out)
    print(f"TF kernels  {machine['tensorflow']}", file=out)

    from ..forward import manual_forward

    c = CHECK_SHAPE
    healthy = True
    for dtype in ("float32", "float64"):
        x = make_sequences(c["n_samples"], c["seq_len"], c["dims"], seed=1, dtype=dtype)
        weights = random_weights(c["dims"], c["hidden_units"], c["outputs"], seed=2, dtype=dtype)
        error = float(
            np.max(
                np.abs(
                    keras_reference(weights, x, return_sequences=True)
                    - manual_forward(x, weights, return_sequences=True)
                )
            )
        )
        tolerance = tolerance_for(dtype)
        verdict = "ok" if error <= tolerance else "FAIL"
        healthy &= error <= tolerance
        print(
            f"{dtype}: max |Keras - manual| = {error:.3e} (tolerance {tolerance:.0e}) {verdict}",
            file=out,
        )
    print(
        "Environment OK: the book will run here."
        if healthy
        else "Keras and the manual loop disagree beyond tolerance: please report this.",
        file=out,
    )
    return 0 if healthy else 1
