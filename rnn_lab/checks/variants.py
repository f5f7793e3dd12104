"""The forward pass of ``SimpleRNN -> Dense`` done wrong, one known mistake at a time.

    correct:  h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh),  y_t = h_t·Wo + Bo,  h_0 = 0

Each name below is one plausible slip; :func:`forward_variant` computes what a loop
with that slip returns, so a checker can tell which mistake a learner's answer
reproduces. ``None`` is the correct computation (it equals ``manual_forward``).
"""

from __future__ import annotations

import numpy as np

from ..weights import SimpleRNNWeights

#: Every mistake ``forward_variant`` knows; the exercises pick the ones that apply.
FORWARD_MISTAKES = (
    "wh_transposed",  # h_{t-1}·Whᵀ (a column-vector textbook's W_hh h_{t-1})
    "wx_transposed",  # x_t·Wxᵀ: only computable when D = H, otherwise a shape error
    "no_bias",  # Bh left out
    "no_output_bias",  # Bo left out
    "sigmoid",  # 1 / (1 + e^-z) instead of tanh
    "relu",  # max(z, 0) instead of tanh
    "no_activation",  # z itself
    "stale_h",  # every step reads h_0: the new state is never fed back
    "h0_ones",  # starts from ones instead of zeros
    "h0_first_input",  # starts from tanh(x_1·Wx + Bh), then runs all T steps again
    "ignored_h0",  # a given h_0 replaced by zeros
    "h0_as_h1",  # the given h_0 taken as h_1: x_1 never read
    "drop_first",  # steps t = 2..T only
    "drop_last",  # steps t = 1..T-1 only
    "reversed_time",  # steps t = T..1
    "returns_hidden",  # h instead of y = h·Wo + Bo
    "dense_before_activation",  # y = tanh(z_t·Wo + Bo): the Dense layer on z_t, tanh after it
    "activation_on_output",  # y = tanh(h_t·Wo + Bo): tanh applied a second time
    "only_last",  # y_T when every y_t was asked for
    "all_outputs",  # every y_t when only y_T was asked for
    "time_first",  # every y_t stacked as (T, n, O)
    "shifted",  # y_0 .. y_{T-1}: one step late, h_0's output included
)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _activation(mistake: str | None):  # tanh, or the activation the mistake used
    return {
        "sigmoid": _sigmoid,
        "relu": lambda z: np.maximum(z, 0),
        "no_activation": lambda z: z,
    }.get(mistake, np.tanh)


def preactivation(
    x_t: np.ndarray, h_prev: np.ndarray, weights: SimpleRNNWeights, mistake: str | None = None
) -> np.ndarray:
    """``z_t = x_t·Wx + h_{t-1}·Wh + Bh``, or the same sum with ``mistake``
    (``"ignored_h_prev"`` drops the recurrent term)."""
    Wx, Wh, Bh = weights.Wx, weights.Wh, weights.Bh
    if mistake == "wh_transposed":
        Wh = Wh.T
    if mistake == "wx_transposed":
        Wx = Wx.T
    if mistake == "no_bias":
        Bh = np.zeros_like(Bh)
    if mistake == "ignored_h_prev":
        h_prev = np.zeros_like(h_prev)
    return x_t @ Wx + h_prev @ Wh + Bh


def step_variant(
    x_t: np.ndarray, h_prev: np.ndarray, weights: SimpleRNNWeights, mistake: str | None = None
) -> np.ndarray:
    """``h_t = tanh(z_t)``, or the same step with ``mistake``."""
    return _activation(mistake)(preactivation(x_t, h_prev, weights, mistake))


def _initial_state(x, weights, mistake, h0):
    n, H = x.shape[0], weights.hidden_units
    if h0 is not None and mistake != "ignored_h0":
        return np.asarray(h0, dtype=weights.dtype)
    if mistake == "h0_ones":
        return np.ones((n, H), dtype=weights.dtype)
    if mistake == "h0_first_input":
        return np.tanh(x[:, 0, :] @ weights.Wx + weights.Bh)
    return np.zeros((n, H), dtype=weights.dtype)


def _timesteps(T: int, mistake: str | None, h0_given: bool) -> list[int]:
    if mistake == "drop_first" or (mistake == "h0_as_h1" and h0_given):
        return list(range(1, T))
    if mistake == "drop_last":
        return list(range(T - 1))
    if mistake == "reversed_time":
        return list(range(T - 1, -1, -1))
    return list(range(T))


def forward_variant(
    x: np.ndarray,
    weights: SimpleRNNWeights,
    mistake: str | None = None,
    *,
    h0: np.ndarray | None = None,
    return_sequences: bool = False,
) -> np.ndarray:
    """What a loop with ``mistake`` returns for ``x`` ``(n, T, D)``: ``y_T`` ``(n, O)``,
    or every ``y_t`` ``(n, T, O)`` with ``return_sequences=True``."""
    if mistake is not None and mistake not in FORWARD_MISTAKES:
        raise ValueError(f"unknown mistake {mistake!r}; known: {', '.join(FORWARD_MISTAKES)}")
    x = np.asarray(x, dtype=weights.dtype)
    Wo, Bo = weights.Wo, weights.Bo
    if mistake == "no_output_bias":
        Bo = np.zeros_like(Bo)
    h = start = _initial_state(x, weights, mistake, h0)
    activation = _activation(mistake)
    states, preactivations = [], []
    for t in _timesteps(x.shape[1], mistake, h0 is not None):
        h_prev = start if mistake == "stale_h" else h
        z = preactivation(x[:, t, :], h_prev, weights, mistake)
        h = activation(z)
        states.append(h)
        preactivations.append(z)
    if mistake == "shifted":
        states = [start, *states[:-1]]
    hs = np.stack(states, axis=1)  # (n, T', H)
    zs = np.stack(preactivations, axis=1)
    if mistake == "returns_hidden":
        out = hs
    elif mistake == "dense_before_activation":
        out = np.tanh(zs @ Wo + Bo)
    elif mistake == "activation_on_output":
        out = np.tanh(hs @ Wo + Bo)
    else:
        out = hs @ Wo + Bo
    out = out.astype(weights.dtype, copy=False)
    if mistake == "time_first":
        return np.swapaxes(out, 0, 1)
    sequences = (return_sequences and mistake != "only_last") or mistake == "all_outputs"
    return out if sequences else out[:, -1, :]
