"""The forward pass of ``SimpleRNN -> Dense`` written out in NumPy.

    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)        (n, H)
    y_t = h_t·Wo + Bo                           (n, O)

Row vectors, as in Keras: ``x_t`` is ``(n, D)``, so it multiplies ``Wx (D, H)`` from
the left. All arithmetic happens in the weights' dtype, as a Keras layer computes
in its own dtype whatever the input's.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_shape
from .weights import SimpleRNNWeights


def _check_weights(weights: SimpleRNNWeights) -> SimpleRNNWeights:
    if not isinstance(weights, SimpleRNNWeights):
        raise TypeError(
            "weights must be a SimpleRNNWeights (use weights_from_keras(model) or "
            f"weights_from_list(model.get_weights())); got {type(weights).__name__}"
        )
    return weights


def _check_inputs(x: object, weights: SimpleRNNWeights) -> np.ndarray:
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    if x.shape[2] != weights.dims:
        raise ValueError(
            f"x has D = {x.shape[2]} features per timestep but Wx expects D = {weights.dims} "
            f"(Wx has shape (D, H) = {weights.Wx.shape}); got x of shape {x.shape}"
        )
    return x


def _initial_state(h0: object, n: int, weights: SimpleRNNWeights) -> np.ndarray:
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
    weights = _check_weights(weights)
    sample = as_float_array("sample", sample, ndim=2, layout="(T, D)", dtype=weights.dtype)
    if sample.shape[1] != weights.dims:
        raise ValueError(
            f"sample has D = {sample.shape[1]} features per timestep but Wx expects "
            f"D = {weights.dims}; got sample of shape {sample.shape}"
        )
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
    weights = _check_weights(weights)
    x = _check_inputs(x, weights)
    n, T, _ = x.shape
    h_t = _initial_state(h0, n, weights)
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
