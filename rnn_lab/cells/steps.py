"""One timestep of Keras's three recurrent cells, in NumPy, in the book's row-vector notation,
and a whole sequence with every gate kept (:func:`trace_gates`).

The weights are :class:`~rnn_lab.cells.weights.CellWeights` (gate blocks side by side, as
Keras packs them). Everything is computed in the weights' dtype, as a Keras layer computes
in its own.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validate import (
    as_float_array,
    check_features,
    check_record,
    check_shape,
)
from .weights import Activation, CellWeights, check_kind, sigmoid

# --- one timestep --------------------------------------------------------------------------


def simple_rnn_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    weights: CellWeights,
    *,
    activation: Activation = np.tanh,
) -> np.ndarray:
    """``h_t = tanh((x_t·Wx + Bh) + h_{t-1}·Wh)``, shape ``(n, H)``.

    ``Wx`` is ``kernel (D,H)``, ``Wh`` ``recurrent_kernel (H,H)``, ``Bh`` ``bias (H,)``
    (left out when ``use_bias=False``); ``tanh`` is the layer's ``activation``. The sum is
    formed in Keras's order, bias first: floating-point addition is not associative, and
    chapter 6 shows that this order is what makes the loop agree with Keras bit for bit
    (the book writes the same sum as ``x_t·Wx + h_{t-1}·Wh + Bh``).
    Unchecked: this is the inner loop; callers check once.
    """
    z = x_t @ weights.kernel
    if weights.bias is not None:
        z = z + weights.bias
    return activation(z + h_prev @ weights.recurrent_kernel)


class LSTMGates(NamedTuple):
    """Everything one LSTM step computes, each ``(n, H)``."""

    i: np.ndarray  # input gate
    f: np.ndarray  # forget gate
    c_tilde: np.ndarray  # candidate cell state c̃_t (Keras's "c" block, PyTorch's "g")
    o: np.ndarray  # output gate
    c: np.ndarray  # new cell state c_t
    h: np.ndarray  # new hidden state h_t (the layer's output)


def lstm_gates(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    weights: CellWeights,
    *,
    activation: Activation = np.tanh,
    recurrent_activation: Activation = sigmoid,
) -> LSTMGates:
    """One LSTM step with every intermediate, Keras's gate order ``[i, f, c, o]``::

        a_t = x_t·Wx + h_{t-1}·Wh + B                     (n, 4H), then split in four
        i_t = σ(x_t·Wx_i + h_{t-1}·Wh_i + B_i)            input gate
        f_t = σ(x_t·Wx_f + h_{t-1}·Wh_f + B_f)            forget gate
        c̃_t = tanh(x_t·Wx_c + h_{t-1}·Wh_c + B_c)         candidate
        o_t = σ(x_t·Wx_o + h_{t-1}·Wh_o + B_o)            output gate
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        h_t = o_t ⊙ tanh(c_t)

    ``σ`` is ``recurrent_activation``, ``tanh`` is ``activation``; ``⊙`` is the
    element-wise product. ``Wx = kernel (D, 4H)``, ``Wh = recurrent_kernel (H, 4H)``,
    ``B = bias (4H,)``, and ``Wx_i`` is columns ``0:H`` of ``Wx``, ``Wx_f`` ``H:2H``, ...
    """
    a = x_t @ weights.kernel + h_prev @ weights.recurrent_kernel
    if weights.bias is not None:
        a = a + weights.bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=-1)
    i = recurrent_activation(a_i)
    f = recurrent_activation(a_f)
    c_tilde = activation(a_c)
    o = recurrent_activation(a_o)
    c = f * c_prev + i * c_tilde
    h = o * activation(c)
    return LSTMGates(i, f, c_tilde, o, c, h)


def lstm_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    weights: CellWeights,
    *,
    activation: Activation = np.tanh,
    recurrent_activation: Activation = sigmoid,
) -> tuple[np.ndarray, np.ndarray]:
    """``(h_t, c_t)`` of one LSTM step (equations in :func:`lstm_gates`)."""
    step = lstm_gates(
        x_t,
        h_prev,
        c_prev,
        weights,
        activation=activation,
        recurrent_activation=recurrent_activation,
    )
    return step.h, step.c


class GRUGates(NamedTuple):
    """Everything one GRU step computes, each ``(n, H)``."""

    z: np.ndarray  # update gate
    r: np.ndarray  # reset gate
    h_tilde: np.ndarray  # candidate h̃_t
    h: np.ndarray  # new hidden state h_t (the layer's output)


def gru_gates(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    weights: CellWeights,
    *,
    activation: Activation = np.tanh,
    recurrent_activation: Activation = sigmoid,
) -> GRUGates:
    """One GRU step with every intermediate, Keras's gate order ``[z, r, h]``.

    With ``reset_after=True`` (Keras's default, cuDNN's and PyTorch's GRU), ``bias`` is
    ``(2, 3H)``: row 0 ``Bx`` is added to ``x_t·Wx``, row 1 ``Bhh`` to ``h_{t-1}·Wh``::

        z_t = σ(x_t·Wx_z + Bx_z + h_{t-1}·Wh_z + Bhh_z)         update gate
        r_t = σ(x_t·Wx_r + Bx_r + h_{t-1}·Wh_r + Bhh_r)         reset gate
        h̃_t = tanh(x_t·Wx_h + Bx_h + r_t ⊙ (h_{t-1}·Wh_h + Bhh_h))
        h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t

    With ``reset_after=False`` (the equations of Cho et al. 2014), one bias ``B (3H,)``
    and the reset gate scales ``h_{t-1}`` *before* the product::

        z_t = σ(x_t·Wx_z + h_{t-1}·Wh_z + B_z)
        r_t = σ(x_t·Wx_r + h_{t-1}·Wh_r + B_r)
        h̃_t = tanh(x_t·Wx_h + (r_t ⊙ h_{t-1})·Wh_h + B_h)
        h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t

    ``σ`` is ``recurrent_activation``, ``tanh`` is ``activation``.
    """
    H = weights.hidden_units
    bias = weights.bias
    a_x = x_t @ weights.kernel
    if bias is not None:
        a_x = a_x + (bias[0] if weights.reset_after else bias)
    if weights.reset_after:
        # h_{t-1}·Wh for all three blocks in one product: r_t is applied afterwards.
        a_h = h_prev @ weights.recurrent_kernel
        if bias is not None:
            a_h = a_h + bias[1]
    else:
        # only z and r here: the candidate needs r_t before its product
        a_h = h_prev @ weights.recurrent_kernel[:, : 2 * H]
    z = recurrent_activation(a_x[:, :H] + a_h[:, :H])
    r = recurrent_activation(a_x[:, H : 2 * H] + a_h[:, H : 2 * H])
    if weights.reset_after:
        recurrent_h = r * a_h[:, 2 * H :]
    else:
        recurrent_h = (r * h_prev) @ weights.recurrent_kernel[:, 2 * H :]
    h_tilde = activation(a_x[:, 2 * H :] + recurrent_h)
    h = z * h_prev + (1 - z) * h_tilde
    return GRUGates(z, r, h_tilde, h)


def gru_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    weights: CellWeights,
    *,
    activation: Activation = np.tanh,
    recurrent_activation: Activation = sigmoid,
) -> np.ndarray:
    """``h_t`` of one GRU step (equations in :func:`gru_gates`)."""
    return gru_gates(
        x_t, h_prev, weights, activation=activation, recurrent_activation=recurrent_activation
    ).h


# --- a whole sequence, keeping every gate (for plots and explanations) ---------------------


def trace_gates(
    weights: CellWeights,
    x: object,
    *,
    initial_state: object | None = None,
    activation: Activation = np.tanh,
    recurrent_activation: Activation = sigmoid,
) -> dict[str, np.ndarray]:
    """Run the cell over ``x (n, T, D)`` and return every gate at every step, ``(n, T, H)``.

    Keys: ``h`` (SimpleRNN); ``i, f, c_tilde, o, c, h`` (LSTM); ``z, r, h_tilde, h`` (GRU).
    ``initial_state`` is ``[h_0]`` (or ``[h_0, c_0]`` for an LSTM), zeros by default.
    No masking or ``go_backwards`` here: :func:`rnn_lab.cells.replay.run_recurrence` does those.
    """
    check_record("weights", weights, CellWeights)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    check_features("x", x, weights.dims, "the kernel")
    n, T, _ = x.shape
    states = initial_states(weights, n, initial_state)
    history: dict[str, list[np.ndarray]] = {}
    for t in range(T):
        if weights.kind == "LSTM":
            step = lstm_gates(
                x[:, t],
                *states,
                weights,
                activation=activation,
                recurrent_activation=recurrent_activation,
            )
            states = [step.h, step.c]
            parts = step._asdict()
        elif weights.kind == "GRU":
            step = gru_gates(
                x[:, t],
                states[0],
                weights,
                activation=activation,
                recurrent_activation=recurrent_activation,
            )
            states = [step.h]
            parts = step._asdict()
        else:
            states = [simple_rnn_step(x[:, t], states[0], weights, activation=activation)]
            parts = {"h": states[0]}
        for name, value in parts.items():
            history.setdefault(name, []).append(value)
    return {name: np.stack(values, axis=1) for name, values in history.items()}


def state_names(kind: str) -> tuple[str, ...]:
    """``("h",)``, or ``("h", "c")`` for an LSTM: what ``return_state`` adds, in order."""
    return ("h", "c") if check_kind(kind) == "LSTM" else ("h",)


def initial_states(weights: CellWeights, n: int, given: object | None) -> list[np.ndarray]:
    """Check ``given`` (one ``(n, H)`` array per state, or ``None`` for zeros) and return
    it as a list in the weights' dtype. A single array is accepted for one-state cells."""
    names = state_names(weights.kind)
    H = weights.hidden_units
    if given is None:
        return [np.zeros((n, H), dtype=weights.dtype) for _ in names]
    if not isinstance(given, (list, tuple)):
        given = [given]
    if len(given) != len(names):
        raise ValueError(
            f"initial_state for a {weights.kind} must hold {len(names)} array(s) "
            f"[{', '.join(f'{s}_0' for s in names)}], each (n, H); got {len(given)}"
        )
    states = []
    for name, value in zip(names, given, strict=True):
        state = as_float_array(f"initial {name}_0", value, ndim=2, layout="(n, H)")
        check_shape(f"initial {name}_0", state, (n, H), "(n, H)")
        states.append(state.astype(weights.dtype, copy=False))
    return states
