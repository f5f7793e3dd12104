"""Keras against the manual loop, number by number."""

from __future__ import annotations

import numpy as np

from .forward import manual_forward
from .keras_models import import_keras, keras_reference, weights_from_keras
from .weights import SimpleRNNWeights


def _as_weights(source) -> SimpleRNNWeights:
    if isinstance(source, SimpleRNNWeights):
        return source
    keras = import_keras()
    if isinstance(source, keras.Model):
        return weights_from_keras(source)
    raise TypeError(f"expected a keras.Model or a SimpleRNNWeights; got {type(source).__name__}")


def error_per_timestep(source, x: object, *, h0: object | None = None) -> np.ndarray:
    """``e_t = max over samples and outputs of |y_t(Keras) - y_t(manual)|``, shape ``(T,)``.

    ``source`` is a model from :func:`build_keras_model` (either ``return_sequences``;
    its weights are used) or a :class:`SimpleRNNWeights`. Both sides compute every
    ``y_t = h_t·Wo + Bo`` in the weights' dtype, so ``e_t`` shows how rounding
    differences evolve along the sequence. The last entry is the error of the final
    output, the one a ``return_sequences=False`` model returns.
    """
    weights = _as_weights(source)
    keras_y = keras_reference(weights, x, return_sequences=True, h0=h0)
    manual_y = manual_forward(x, weights, return_sequences=True, h0=h0)
    return np.abs(keras_y.astype(np.float64) - manual_y.astype(np.float64)).max(axis=(0, 2))


def max_abs_error(a: object, b: object) -> float:
    """``max |a - b|`` over all entries, computed in float64; shapes must match."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b)))
