"""The book's input data: ``n`` samples of ``T`` timesteps with ``D`` features each."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import check_dtype_name, check_positive_int


def make_sequences(
    n_samples: int = 100,
    seq_len: int = 15,
    dims: int = 3,
    *,
    seed: int = 0,
    dtype: Any = "float32",
) -> np.ndarray:
    """Random inputs ``x`` of shape ``(n, T, D)``, uniform in ``[0, 1)``.

    The same ``seed`` always gives the same array, in float32 and float64 alike
    (the float32 array is the float64 one rounded), so the two precisions can be
    compared on the same numbers.
    """
    n = check_positive_int("n_samples", n_samples)
    T = check_positive_int("seq_len", seq_len)
    D = check_positive_int("dims", dims)
    dtype = check_dtype_name(dtype)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer; got {type(seed).__name__} {seed!r}")
    rng = np.random.default_rng(seed)
    return rng.random((n, T, D)).astype(dtype)
