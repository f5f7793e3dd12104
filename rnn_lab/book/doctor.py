"""``python -m rnn_lab doctor``: is this environment able to run the book?

Prints the versions that matter, then runs Keras and the manual loop on the same
random weights (non-zero biases) in float32 and float64 and compares them against
the book's tolerances. Exit status 0 means every check passed.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import numpy as np

from ..tolerances import tolerance_for
from ..weights import make_sequences, random_weights

CHECK_SHAPE = {"n_samples": 16, "seq_len": 15, "dims": 3, "hidden_units": 5, "outputs": 5}


def run_doctor(out=sys.stdout) -> int:
    """Print versions and the agreement check; return the exit status (0 = healthy)."""
    print(f"Python      {platform.python_version()}", file=out)
    print(f"NumPy       {np.__version__}", file=out)
    try:
        from ..keras_side.models import import_keras, keras_reference

        keras = import_keras()
        import tensorflow as tf
    except Exception as error:  # any import failure is the diagnosis
        print(f"TensorFlow  NOT IMPORTABLE: {type(error).__name__}: {error}", file=out)
        return 2
    print(f"TensorFlow  {tf.__version__}", file=out)
    print(f"Keras       {keras.__version__} (backend: {keras.backend.backend()})", file=out)
    machine = machine_summary()  # the last bits of a result depend on these
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


def machine_summary() -> dict[str, str]:
    """What the numbers of this run depend on: processor, NumPy's BLAS, TensorFlow.

    ``"cpu"`` (model name), ``"architecture"`` (e.g. ``x86_64``), ``"blas"`` (the
    library NumPy's matmul calls and, via ``threadpoolctl`` when installed, the kernel
    family it picked for this processor) and ``"tensorflow"`` (version, and whether
    its oneDNN kernels are on). Matrix-product kernels are chosen per processor, so
    the last bits of a product may differ from one machine to another.
    """
    return {
        "cpu": _cpu_name(),
        "architecture": platform.machine() or "unknown",
        "blas": _numpy_blas(),
        "tensorflow": _tensorflow_build(),
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("model name", "Processor")):
                    return line.split(":", 1)[1].strip()
    except OSError:  # not Linux
        pass
    if sys.platform == "darwin":
        try:
            command = ["sysctl", "-n", "machdep.cpu.brand_string"]
            return subprocess.run(
                command, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or "unknown processor"


def _numpy_blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                name = {"openblas": "OpenBLAS", "mkl": "MKL", "blis": "BLIS"}.get(
                    pool["internal_api"], pool["internal_api"])  # fmt: skip
                kernel = f", {pool['architecture']} kernels" if pool.get("architecture") else ""
                return f"{name} {pool['version']}{kernel}"
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return f"{config.get('name', 'unknown')} {config.get('version', '')}".strip()


def _tensorflow_build() -> str:
    from ..keras_side.models import import_keras

    import_keras()
    import tensorflow as tf

    try:  # the flag TensorFlow reads from TF_ENABLE_ONEDNN_OPTS and the platform's default
        from tensorflow.python.util import _pywrap_util_port

        onednn = "oneDNN on" if _pywrap_util_port.IsMklEnabled() else "oneDNN off"
    except (ImportError, AttributeError):
        onednn = "oneDNN unknown"
    return f"TensorFlow {tf.__version__}, {onednn}"
