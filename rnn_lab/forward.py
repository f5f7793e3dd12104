"""The forward pass of ``SimpleRNN -> Dense`` written out in NumPy.

    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)        (n, H)
    y_t = h_t·Wo + Bo                           (n, O)

Row vectors, as in Keras: ``x_t`` is ``(n, D)``, so it multiplies ``Wx (D, H)`` from
the left. All arithmetic happens in the weights' dtype, as a Keras layer computes
in its own dtype whatever the input's.

:func:`error_per_timestep` puts Keras's own forward pass (:mod:`rnn_lab.keras_side.models`)
next to this one, step by step.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_features, check_record, check_shape
from .keras_side.models import import_keras, keras_reference, weights_from_keras
from .weights import SimpleRNNWeights

#: How to get a SimpleRNNWeights, said when something else is passed.
WEIGHTS_HINT = " (use weights_from_keras(model) or weights_from_list(model.get_weights()))"


def check_weights(weights: object, name: str = "weights") -> SimpleRNNWeights:
    """Return ``weights`` if it is a :class:`SimpleRNNWeights`, else raise ``TypeError``."""
    return check_record(name, weights, SimpleRNNWeights, hint=WEIGHTS_HINT)


def check_inputs(x: object, weights: SimpleRNNWeights) -> np.ndarray:
    """``x`` as a finite ``(n, T, D)`` array in the weights' dtype, with ``D`` the rows of
    ``Wx``; raises ``TypeError``/``ValueError`` otherwise."""
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    check_features("x", x, weights.dims, "Wx")
    return x


def initial_state(h0: object, n: int, weights: SimpleRNNWeights) -> np.ndarray:
    """``h_0`` of shape ``(n, H)``: zeros if ``h0`` is None, else ``h0`` checked."""
    if h0 is None:
        return np.zeros((n, weights.hidden_units), dtype=weights.dtype)
    h0 = as_float_array("h0", h0, ndim=2, layout="(n, H)", dtype=weights.dtype)
    check_shape("h0", h0, (n, weights.hidden_units), "(n, H)")
    return h0


def rnn_step(x_t: np.ndarray, h_prev: np.ndarray, weights: SimpleRNNWeights) -> np.ndarray:
    """One timestep: ``h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)``.

    ``x_t`` is ``(n, D)`` (or ``(D,)``), ``h_prev`` is ``(n, H)`` (or ``(H,)``).
    Unchecked, because it is the inner loop; the public functions check once.
    """
    return np.tanh(x_t @ weights.Wx + h_prev @ weights.Wh + weights.Bh)


def seed_loop(sample: object, weights: SimpleRNNWeights) -> list[np.ndarray]:
    """The original notebook's loop: one sample ``(T, D)``, one timestep at a time.

    Returns ``[y_1, ..., y_T]``, each ``y_t = h_t·Wo + Bo`` of shape ``(O,)``; the
    last one is what ``SimpleRNN(return_sequences=False) -> Dense`` returns.
    """
    weights = check_weights(weights)
    sample = as_float_array("sample", sample, ndim=2, layout="(T, D)", dtype=weights.dtype)
    check_features("sample", sample, weights.dims, "Wx")
    Wx, Wh, Bh, Wo, Bo = weights.as_list()
    h_t = np.zeros(weights.hidden_units, dtype=weights.dtype)  # h_0: no history yet
    outputs = []
    for x_t in sample:
        h_t = np.tanh(x_t.dot(Wx) + h_t.dot(Wh) + Bh)
        y_t = h_t.dot(Wo) + Bo
        outputs.append(y_t)
    return outputs


def hidden_states(x: object, weights: SimpleRNNWeights, *, h0: object | None = None) -> np.ndarray:
    """Every hidden state ``h_1 .. h_T`` for a batch, shape ``(n, T, H)``.

    The loop over time stays (``h_t`` needs ``h_{t-1}``); each step handles all
    ``n`` samples in one matrix product. ``h0`` is ``(n, H)``, zeros by default.
    """
    weights = check_weights(weights)
    x = check_inputs(x, weights)
    n, T, _ = x.shape
    h_t = initial_state(h0, n, weights)
    states = np.empty((n, T, weights.hidden_units), dtype=weights.dtype)
    for t in range(T):
        h_t = rnn_step(x[:, t, :], h_t, weights)
        states[:, t, :] = h_t
    return states


def manual_forward(
    x: object,
    weights: SimpleRNNWeights,
    *,
    return_sequences: bool = False,
    h0: object | None = None,
) -> np.ndarray:
    """The batched forward pass: ``y_T`` of shape ``(n, O)``, or every ``y_t`` as
    ``(n, T, O)`` with ``return_sequences=True``; ``y_t = h_t·Wo + Bo``.
    """
    states = hidden_states(x, weights, h0=h0)
    if return_sequences:
        return states @ weights.Wo + weights.Bo
    return states[:, -1, :] @ weights.Wo + weights.Bo


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
