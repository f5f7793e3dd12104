"""Backpropagation through time (BPTT) for ``SimpleRNN -> Dense`` with a mean-squared-error loss.

The forward pass, in the book's notation (row vectors, as in Keras)::

    a_t = x_t·Wx + h_{t-1}·Wh + Bh        (n, H)   pre-activation
    h_t = tanh(a_t)                       (n, H)
    y_t = h_t·Wo + Bo                     (n, O)

The loss is ``keras.losses.MeanSquaredError()`` with its default reduction
(``"sum_over_batch_size"``): the squared errors are averaged over the ``O`` outputs, then
over the ``n`` samples (and the ``T`` timesteps with ``return_sequences=True``), which is
the plain mean of all ``n·O`` (or ``n·T·O``) squared errors::

    L = mean((y_T - ŷ)²)                  last output only
    L = mean((y_t - ŷ_t)², over t too)    return_sequences=True

The backward pass, with ``g_t = dL/dh_t`` (the *total* derivative: through ``y_t`` and
through every later step) and ``δ_t = dL/da_t``::

    dy_t = 2 (y_t - ŷ_t) / N              N = number of squared errors averaged
    g_t  = dy_t·Woᵀ + δ_{t+1}·Whᵀ         (the second term is absent at t = T)
    δ_t  = g_t ⊙ (1 - h_t ⊙ h_t)          tanh'(a_t) = 1 - tanh(a_t)²
    dWo = Σ_t h_tᵀ·dy_t        dBo = Σ_t Σ_rows dy_t
    dWx = Σ_t x_tᵀ·δ_t         dWh = Σ_t h_{t-1}ᵀ·δ_t        dBh = Σ_t Σ_rows δ_t
    dh_0 = δ_1·Whᵀ

(Without ``return_sequences`` only ``dy_T`` is non-zero.) The weights are shared by every
timestep, so their gradients are sums over ``t``: forgetting the sum is the classic mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, check_shape
from .cells.bptt import backward_from_trace, simple_rnn_trace
from .cells.weights import cell_weights_from_simple_rnn
from .forward import check_inputs, check_weights, hidden_states, initial_state
from .weights import SimpleRNNWeights


@dataclass(frozen=True, eq=False)
class Gradients:
    """What :func:`manual_backward` returns.

    ``grads`` holds ``dL/dWx, dL/dWh, dL/dBh, dL/dWo, dL/dBo`` as a
    :class:`SimpleRNNWeights` (same shapes and order as the weights, so an optimiser can
    pair them field by field); ``Wx`` ... ``Bo`` are shortcuts to its fields. ``dh`` is
    ``dL/dh_t`` for ``t = 1..T``, shape ``(n, T, H)``; ``dh0`` is ``dL/dh_0``, ``(n, H)``;
    ``loss`` is ``L`` itself.
    """

    loss: float
    grads: SimpleRNNWeights
    dh: np.ndarray
    dh0: np.ndarray

    @property
    def Wx(self) -> np.ndarray:
        return self.grads.Wx

    @property
    def Wh(self) -> np.ndarray:
        return self.grads.Wh

    @property
    def Bh(self) -> np.ndarray:
        return self.grads.Bh

    @property
    def Wo(self) -> np.ndarray:
        return self.grads.Wo

    @property
    def Bo(self) -> np.ndarray:
        return self.grads.Bo

    def as_list(self) -> list[np.ndarray]:
        """``[dWx, dWh, dBh, dWo, dBo]``, the order of ``model.trainable_variables``."""
        return self.grads.as_list()

    def dh_norms(self) -> np.ndarray:
        """``‖dL/dh_t‖`` for ``t = 1..T`` (Frobenius norm over samples and units), ``(T,)``."""
        return np.sqrt(np.sum(np.square(self.dh, dtype=np.float64), axis=(0, 2)))


def check_targets(
    y_true: object, n: int, T: int, weights: SimpleRNNWeights, return_sequences: bool
) -> np.ndarray:
    """``y_true`` as an array of the model's output shape: ``(n, O)`` or ``(n, T, O)``."""
    O = weights.outputs
    if return_sequences:
        expected, layout = (n, T, O), "(n, T, O)"
    else:
        expected, layout = (n, O), "(n, O)"
    y_true = as_float_array(
        "y_true", y_true, ndim=len(expected), layout=layout, dtype=weights.dtype
    )
    check_shape("y_true", y_true, expected, layout)
    return y_true


def mse_loss(y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
    """``L = mean((y - ŷ)²)`` over every entry, and ``dL/dy = 2 (y - ŷ) / N``.

    ``N = y.size``: Keras's ``sum_over_batch_size`` reduction of the per-sample means
    over outputs is exactly this plain mean, because every sample has the same ``O``.
    """
    error = y_pred - y_true
    loss = float(np.mean(np.square(error)))
    return loss, error * error.dtype.type(2.0 / error.size)


def backpropagate_through_time(
    h: np.ndarray, e: np.ndarray, Wh: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full BPTT, the backward walk itself. ``e[:, t] = dy_t·Woᵀ`` reaches ``h_t`` through ``y_t``.

    Walks back from ``t = T``: ``g_t = e_t + δ_{t+1}·Whᵀ``, ``δ_t = g_t ⊙ (1 - h_t ⊙ h_t)``.
    ``h`` holds every state ``h_1 .. h_T``, ``(n, T, H)``; ``e`` is ``(n, T, H)``; ``Wh`` is
    ``(H, H)``. Returns ``dh = g`` ``(n, T, H)``, ``δ`` ``(n, T, H)`` and ``dh0 = δ_1·Whᵀ``.
    """
    h = as_float_array("h", h, ndim=3, layout="(n, T, H)")
    n, T, H = h.shape
    e = as_float_array("e", e, ndim=3, layout="(n, T, H)", dtype=h.dtype)
    check_shape("e", e, (n, T, H), "(n, T, H)")
    Wh = as_float_array("Wh", Wh, ndim=2, layout="(H, H)", dtype=h.dtype)
    check_shape("Wh", Wh, (H, H), "(H, H)")
    dh = np.empty_like(h)
    delta = np.empty_like(h)
    from_later = np.zeros_like(h[:, 0, :])  # δ_{T+1}·Whᵀ: nothing comes after the last step
    for t in reversed(range(T)):
        dh[:, t] = e[:, t] + from_later  # g_t: through y_t, and through h_{t+1}
        delta[:, t] = dh[:, t] * (1 - h[:, t] * h[:, t])  # back through tanh
        from_later = delta[:, t] @ Wh.T  # back through h_{t-1}·Wh, to the step before
    return dh, delta, from_later


def manual_backward(
    x: object,
    y_true: object,
    weights: SimpleRNNWeights,
    *,
    return_sequences: bool = False,
    h0: object | None = None,
    truncate: int | None = None,
) -> Gradients:
    """``L`` and its gradients for ``SimpleRNN -> Dense`` on a batch, by hand.

    ``x`` is ``(n, T, D)``; ``y_true`` is ``(n, O)``, or ``(n, T, O)`` with
    ``return_sequences=True``; ``h0`` is ``(n, H)``, zeros by default. The equations are in
    the module docstring; all arithmetic is in ``weights.dtype``.

    ``truncate=k`` gives truncated BPTT(k): the gradient of each loss term ``L_s`` (only
    ``L_T`` without ``return_sequences``) flows back through at most ``k`` applications
    of the recurrence, ``h_s, h_{s-1}, ..., h_{s-k+1}``, reaches ``h_{s-k}`` and stops
    there, as if ``h_{s-k}`` were ``tf.stop_gradient``-ed when differentiating ``L_s``.
    So ``dh[:, t]`` only collects terms with ``s - k <= t <= s``, and dependencies longer
    than ``k`` steps are invisible to the weight gradients. ``k >= T`` gives full BPTT.
    """
    weights = check_weights(weights)
    x = check_inputs(x, weights)
    n, T, _ = x.shape
    y_true = check_targets(y_true, n, T, weights, bool(return_sequences))
    h_0 = initial_state(h0, n, weights)
    Wo, Bo = weights.Wo, weights.Bo

    h = hidden_states(x, weights, h0=h_0)  # chapter 3's forward pass, in the book's sum order

    if return_sequences:
        loss, dy = mse_loss(h @ Wo + Bo, y_true)  # dy: (n, T, O)
    else:
        loss, dy_T = mse_loss(h[:, -1] @ Wo + Bo, y_true)
        dy = np.zeros((n, T, weights.outputs), dtype=weights.dtype)
        dy[:, -1] = dy_T
    e = dy @ Wo.T  # gradient reaching h_t through y_t only

    # The recurrent layer's walk is the package's one backward pass through time, through
    # the states computed above (a SimpleRNN's trace is its states): it gives g_t, δ_t, dh_0.
    trace = simple_rnn_trace(cell_weights_from_simple_rnn(weights), x, h, h_0)
    layer = backward_from_trace(trace, e, truncate=truncate)
    delta = layer.da

    # The same weights act at every step, so their gradients sum over t (and over samples):
    # flattening (n, T) into one axis turns Σ_t a_tᵀ·b_t into a single matrix product.
    def summed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])

    h_prev = np.concatenate([h_0[:, None, :], h[:, :-1, :]], axis=1)  # h_{t-1} for every t
    grads = SimpleRNNWeights(
        Wx=summed(x, delta),
        Wh=summed(h_prev, delta),
        Bh=delta.sum(axis=(0, 1)),
        Wo=summed(h, dy),
        Bo=dy.sum(axis=(0, 1)),
    )
    return Gradients(loss=loss, grads=grads, dh=layer.dh, dh0=layer.initial[0])
