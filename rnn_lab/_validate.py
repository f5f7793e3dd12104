"""Input checks shared by the public functions.

Every check raises ``TypeError`` for the wrong kind of thing and ``ValueError`` for the
right kind with the wrong shape or values, and the message says what was expected and
what was given, so that a learner's mistake is explained where it happens rather than
surfacing three calls later as a broadcasting error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

FLOAT_DTYPES = ("float32", "float64")


def check_dtype_name(dtype: Any) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"dtype must be one of {FLOAT_DTYPES}; got {dtype!r}") from error
    if resolved.name not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be one of {FLOAT_DTYPES}; got {resolved.name!r}")
    return resolved


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value}")
    return int(value)


def as_float_array(
    name: str,
    value: Any,
    *,
    ndim: int,
    layout: str,
    dtype: np.dtype | None = None,
) -> np.ndarray:
    """Convert ``value`` to a finite, non-empty floating array of rank ``ndim``.

    ``layout`` names the axes for messages, e.g. ``"(n, T, D)"``. Integers are
    accepted and converted to ``dtype`` (or float64); booleans, complex numbers,
    strings and objects are refused, as are NaN and infinity.
    """
    if value is None:
        raise TypeError(f"{name} must be an array of shape {layout}; got None")
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind not in "fiu":
        raise TypeError(
            f"{name} must hold real numbers (float32 or float64) with shape {layout}; "
            f"got dtype {array.dtype.name}"
        )
    if kind == "f" and array.dtype.name not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64; got {array.dtype.name}")
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must have rank {ndim} with shape {layout}; "
            f"got rank {array.ndim} with shape {array.shape}"
        )
    if 0 in array.shape:
        raise ValueError(f"{name} must not be empty; got shape {array.shape} for {layout}")
    target = dtype if dtype is not None else (array.dtype if kind == "f" else np.float64)
    array = array.astype(target, copy=False)
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} must be finite; got {bad} NaN or infinite value(s)")
    return array


def check_shape(name: str, array: np.ndarray, expected: tuple[int, ...], layout: str) -> None:
    """Raise ``ValueError`` unless ``array.shape == expected``."""
    if array.shape != expected:
        raise ValueError(f"{name} must have shape {layout} = {expected}; got {array.shape}")


def check_record(name: str, value: Any, record: type, *, what: str = "", hint: str = "") -> Any:
    """Return ``value`` if it is an instance of ``record`` (a weights record such as
    ``SimpleRNNWeights`` or ``CellWeights``), else raise ``TypeError``.

    ``what`` replaces "a <record>" in the message (e.g. "Gradients or SimpleRNNWeights");
    ``hint`` is appended to say how to get the right thing.
    """
    if not isinstance(value, record):
        expected = what or f"a {record.__name__}"
        raise TypeError(f"{name} must be {expected}{hint}; got {type(value).__name__}")
    return value


def check_features(name: str, x: np.ndarray, dims: int, expected_by: str) -> None:
    """Raise ``ValueError`` unless ``x``'s last axis holds ``D = dims`` features per timestep.

    ``expected_by`` names the array that fixes ``D``, e.g. ``"Wx"`` or ``"kernel"``.
    """
    if x.shape[-1] != dims:
        raise ValueError(
            f"{name} has D = {x.shape[-1]} features per timestep but {expected_by} expects "
            f"D = {dims}; got {name} of shape {x.shape}"
        )


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run NumPy's matrix products on a single thread while inside.

    The products of the training loops are small (``(32, 128)·(128, 128)``): splitting
    each across threads costs more than it saves, and on a busy machine far more (the
    training loop ran 25 times slower with OpenBLAS's default threads than with one, on a
    loaded 2-core machine). Uses ``threadpoolctl``; without it, nothing changes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is in requirements.txt
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
