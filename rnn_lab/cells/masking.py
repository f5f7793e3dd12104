"""Batches of sequences of different lengths: padding, the mask, a masked loss.

Sequences of lengths ``T_1, ..., T_n`` are padded at the end to a common ``T`` with a
padding value (0 by default); the mask ``m (n, T)`` is 1 (``True``) where a step is real::

    m[s, t] = 1  if t < T_s   else 0

Keras makes the same mask in three ways: ``keras.layers.Masking(mask_value)`` sets
``m_t = any(x_t != mask_value)`` over the ``D`` features (and zeroes the masked steps),
``Embedding(..., mask_zero=True)`` sets ``m_t = (id_t != 0)``, and a recurrent layer also
accepts ``mask=`` directly. At a masked step the layer carries its state through unchanged
and repeats its previous output (:mod:`rnn_lab.replay`).

A loss over a ``return_sequences`` output must ignore the padded steps. Keras 3 weights each
step's loss ``ℓ_{s,t}`` by the mask and divides by the number of real steps::

    L = Σ_{s,t} m_{s,t}·ℓ_{s,t} / Σ_{s,t} m_{s,t}       ℓ = mean over the O outputs

which is :func:`masked_mse`. A sample whose mask is all ``False`` (a sequence of length 0)
contributes nothing to that sum; its layer outputs are zeros and its final states are the
initial states (zeros by default): Keras does not refuse it, and neither does this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import FLOAT_DTYPES, as_float_array, check_dtype_name, check_shape


def check_mask(mask: object, n: int, T: int) -> np.ndarray:
    """``mask`` as booleans ``(n, T)``; ``TypeError``/``ValueError`` naming what was given.

    Accepts booleans or 0/1 numbers. The shape must match the batch: ``n`` samples, ``T``
    timesteps.
    """
    if mask is None:
        raise TypeError(f"mask must be booleans of shape (n, T) = {(n, T)}; got None")
    array = np.asarray(mask)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"mask must be booleans (or 0/1) of shape (n, T) = {(n, T)}; got dtype {array.dtype}"
        )
    if array.shape != (n, T):
        raise ValueError(
            f"mask must have shape (n, T) = {(n, T)}, one entry per sample and timestep of "
            f"the batch; got {array.shape}"
        )
    if array.dtype.kind != "b" and not np.all((array == 0) | (array == 1)):
        bad = array[(array != 0) & (array != 1)].ravel()[0]
        raise ValueError(f"mask must hold only True/False (or 1/0) values; got {bad!r}")
    return array.astype(bool)


def pad_sequences(
    sequences: Sequence[Any], *, value: float = 0.0, dtype: Any = "float32"
) -> tuple[np.ndarray, np.ndarray]:
    """Pad ``T_s x D`` arrays at the end to ``x (n, T, D)`` with ``T = max T_s``; also
    return the mask ``(n, T)``, ``True`` on real steps. ``value`` must be finite (Keras's
    ``Masking`` compares with it, and NaN never compares equal)."""
    dtype = check_dtype_name(dtype)
    if not np.isfinite(value):
        raise ValueError(f"padding value must be a finite number; got {value!r}")
    if isinstance(sequences, np.ndarray) or len(sequences) == 0:
        raise ValueError("sequences must be a non-empty list of (T_s, D) arrays")
    arrays = [
        as_float_array(f"sequences[{s}]", seq, ndim=2, layout="(T_s, D)", dtype=dtype)
        for s, seq in enumerate(sequences)
    ]
    D = arrays[0].shape[1]
    for s, array in enumerate(arrays):
        if array.shape[1] != D:
            raise ValueError(
                f"every sequence needs the same D = {D} features; sequences[{s}] has "
                f"shape {array.shape}"
            )
    T = max(array.shape[0] for array in arrays)
    x = np.full((len(arrays), T, D), value, dtype=dtype)
    mask = np.zeros((len(arrays), T), dtype=bool)
    for s, array in enumerate(arrays):
        x[s, : len(array)] = array
        mask[s, : len(array)] = True
    return x, mask


def mask_from_padding(x: object, mask_value: float = 0.0) -> np.ndarray:
    """Keras's ``Masking(mask_value)``: ``m_t = any(x_t != mask_value)`` over the features,
    ``(n, T)``. ``x (n, T, D)`` must be finite everywhere, padding included."""
    if not np.isfinite(mask_value):
        raise ValueError(f"mask_value must be a finite number; got {mask_value!r}")
    array = np.asarray(x)
    if array.dtype.kind == "f" and array.ndim == 3 and not np.all(np.isfinite(array)):
        where = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            "x must be finite, padding included (NaN never equals the mask value, so a NaN "
            f"pad would count as a real step); got {array[tuple(where)]} at index "
            f"{tuple(int(i) for i in where)}"
        )
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)")
    return np.any(x != x.dtype.type(mask_value), axis=-1)


def lengths_from_mask(mask: object) -> np.ndarray:
    """The number of real steps of each sample, ``(n,)`` ints."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"mask must have shape (n, T); got {array.shape}")
    return check_mask(array, *array.shape).sum(axis=1)


def last_real_output(outputs: object, mask: object) -> np.ndarray:
    """``y_{T_s}`` for every sample ``s``: the output at its last real step, ``(n, H)``.

    With a mask, Keras's ``return_sequences=False`` output is exactly this (the masked
    steps repeat it to the end). A sample with no real step gets zeros, as in Keras.
    """
    y = np.asarray(outputs)
    if y.ndim != 3:
        raise ValueError(f"outputs must have shape (n, T, H); got {y.shape}")
    keep = check_mask(mask, y.shape[0], y.shape[1])
    lengths = keep.sum(axis=1)
    last = y[np.arange(y.shape[0]), np.maximum(lengths - 1, 0)]
    return np.where((lengths > 0)[:, None], last, 0).astype(y.dtype)


def masked_mse(y_pred: object, y_true: object, mask: object) -> tuple[float, np.ndarray]:
    """Keras 3's masked mean-squared error and its gradient ``dL/dy_pred``.

    ``y_pred``, ``y_true`` are ``(n, T, O)``; ``L = Σ m·ℓ / Σ m`` with ``ℓ_{s,t}`` the mean
    over the ``O`` outputs, so ``dL/dy = 2 m (y − ŷ) / (O·Σ m)``: zero on padded steps.
    """
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.name not in FLOAT_DTYPES:
        raise TypeError(f"y_pred must be float32 or float64; got {y_pred.dtype}")
    y_pred = as_float_array("y_pred", y_pred, ndim=3, layout="(n, T, O)")
    y_true = as_float_array("y_true", y_true, ndim=3, layout="(n, T, O)", dtype=y_pred.dtype)
    check_shape("y_true", y_true, y_pred.shape, "(n, T, O) like y_pred")
    n, T, O = y_pred.shape
    keep = check_mask(mask, n, T)
    count = int(keep.sum())
    if count == 0:
        raise ValueError("the mask has no real step in the whole batch: the loss is undefined")
    m = keep[:, :, None].astype(y_pred.dtype)
    error = y_pred - y_true
    per_step = np.mean(np.square(error), axis=-1)
    loss = float(np.sum(per_step * keep) / count)
    return loss, m * error * y_pred.dtype.type(2.0 / (O * count))
