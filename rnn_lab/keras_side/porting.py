"""Keras ↔ PyTorch weights for SimpleRNN/LSTM/GRU, as plain NumPy dictionaries.

The same cell, laid out two ways (``G`` gate blocks of ``H`` units each):

==============  ==========================  ==================================
                Keras                       PyTorch (``nn.RNN/LSTM/GRU``)
==============  ==========================  ==================================
input weights   ``kernel (D, GH)``          ``weight_ih_l0 (GH, D)``
recurrent       ``recurrent_kernel (H, GH)``  ``weight_hh_l0 (GH, H)``
biases          ``bias (GH,)``; GRU         ``bias_ih_l0 (GH,)`` and
                ``(2, 3H)``                 ``bias_hh_l0 (GH,)``, always two
LSTM gates      ``[i, f, c, o]``            ``[i, f, g, o]`` (same order)
GRU gates       ``[z, r, h]``               ``[r, z, n]`` (first two swapped)
==============  ==========================  ==================================

Keras multiplies row vectors from the left (``x_t·Wx``), PyTorch column vectors from
the right (``W_ih x_t``): hence the transposes. PyTorch's GRU applies the reset gate
after the recurrent product, like Keras's ``reset_after=True``; a Keras GRU with
``reset_after=False`` has no PyTorch equivalent. Keras's single SimpleRNN/LSTM bias
becomes ``bias_ih`` with ``bias_hh = 0``; the way back adds the two.

No ``import torch`` here: the dictionaries hold NumPy arrays. To load them, use
``module.load_state_dict({k: torch.from_numpy(v) for k, v in d.items()})``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validate import (
    as_float_array,
    check_features,
    check_positive_int,
    check_record,
    check_shape,
)
from ..cells.weights import CELL_KINDS, GATE_ORDER, CellWeights

#: PyTorch's gate blocks, in its packing order.
TORCH_GATE_ORDER: dict[str, tuple[str, ...]] = {
    "SimpleRNN": ("h",),
    "LSTM": ("i", "f", "g", "o"),
    "GRU": ("r", "z", "n"),
}
#: PyTorch block k holds Keras block TORCH_FROM_KERAS[kind][k].
TORCH_FROM_KERAS: dict[str, tuple[int, ...]] = {
    "SimpleRNN": (0,),
    "LSTM": (0, 1, 2, 3),
    "GRU": (1, 0, 2),
}
#: The ``torch.nn`` module for each Keras layer.
TORCH_MODULE = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
WEIGHT_KEYS = ("weight_ih_l0", "weight_hh_l0")
BIAS_KEYS = ("bias_ih_l0", "bias_hh_l0")


class UnsupportedConversionError(ValueError):
    """The Keras cell has no exact PyTorch counterpart; the message says why."""


def _reorder_blocks(array: np.ndarray, order: tuple[int, ...], axis: int) -> np.ndarray:
    """Blocks of ``array`` along ``axis`` rearranged so that new block k is old block order[k]."""
    blocks = np.split(array, len(order), axis=axis)
    return np.concatenate([blocks[k] for k in order], axis=axis)


def _inverse(order: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argsort(order))


def keras_to_torch(weights: CellWeights) -> dict[str, np.ndarray]:
    """A PyTorch ``state_dict`` (NumPy arrays) for the same cell.

    ``weight_ih_l0 = kernel.T`` and ``weight_hh_l0 = recurrent_kernel.T``, each with its
    gate blocks reordered (``[z, r, h] -> [r, z, n]`` for a GRU). Biases: the GRU's
    ``bias[0]``, ``bias[1]`` become ``bias_ih_l0``, ``bias_hh_l0``; the single bias of a
    SimpleRNN/LSTM becomes ``bias_ih_l0``, with ``bias_hh_l0 = 0``. No bias keys when
    ``use_bias=False`` (build the module with ``bias=False``).
    """
    check_record(
        "weights",
        weights,
        CellWeights,
        hint=" (rnn_lab.keras_side.replay.weights_from_layer(layer))",
    )
    kind = weights.kind
    if kind == "GRU" and not weights.reset_after:
        raise UnsupportedConversionError(
            "a Keras GRU with reset_after=False computes h̃_t = tanh(x_t·Wx_h + "
            "(r_t ⊙ h_{t-1})·Wh_h + B_h), applying the reset gate before the product; "
            "torch.nn.GRU applies it after (like reset_after=True), so no PyTorch weights "
            "reproduce it. Retrain (or fine-tune) a reset_after=True GRU instead."
        )
    order = TORCH_FROM_KERAS[kind]
    state = {
        "weight_ih_l0": _reorder_blocks(weights.kernel.T, order, axis=0),
        "weight_hh_l0": _reorder_blocks(weights.recurrent_kernel.T, order, axis=0),
    }
    if weights.bias is not None:
        if weights.bias.ndim == 2:
            b_ih, b_hh = weights.bias[0], weights.bias[1]
        else:
            b_ih, b_hh = weights.bias, np.zeros_like(weights.bias)
        state["bias_ih_l0"] = _reorder_blocks(b_ih, order, axis=0)
        state["bias_hh_l0"] = _reorder_blocks(b_hh, order, axis=0)
    return {key: np.ascontiguousarray(value) for key, value in state.items()}


def _as_numpy(key: str, value: Any, ndim: int, layout: str) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor, read as-is
        value = value.detach().cpu().numpy()
    return as_float_array(key, value, ndim=ndim, layout=layout)


def torch_to_keras(kind: str, state_dict: Mapping[str, Any]) -> CellWeights:
    """Keras weights for a single-layer, one-directional ``torch.nn.RNN/LSTM/GRU``.

    The inverse of :func:`keras_to_torch`. A GRU comes back with ``reset_after=True``
    and ``bias = [bias_ih, bias_hh]`` reordered to ``[z, r, h]``; a SimpleRNN or LSTM
    gets ``bias = bias_ih + bias_hh`` (Keras adds one bias where PyTorch adds two).
    Tensors or arrays are accepted; the result's dtype is theirs.
    """
    if kind not in CELL_KINDS:
        raise ValueError(f"kind must be one of {CELL_KINDS}; got {kind!r}")
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping; got {type(state_dict).__name__}")
    keys = set(state_dict)
    has_bias = bool(keys & set(BIAS_KEYS))
    expected = set(WEIGHT_KEYS) | (set(BIAS_KEYS) if has_bias else set())
    if keys != expected:
        raise ValueError(
            f"expected the keys {sorted(expected)} of a one-layer, one-directional "
            f"torch.nn.{TORCH_MODULE[kind]} (num_layers=1, bidirectional=False, no "
            f"proj_size); missing {sorted(expected - keys)}, unexpected {sorted(keys - expected)}"
        )
    G = len(GATE_ORDER[kind])
    w_ih = _as_numpy("weight_ih_l0", state_dict["weight_ih_l0"], 2, f"({G}H, D)")
    w_hh = _as_numpy("weight_hh_l0", state_dict["weight_hh_l0"], 2, f"({G}H, H)")
    H = w_hh.shape[1]
    check_shape("weight_hh_l0", w_hh, (G * H, H), f"({G}H, H)")
    check_shape("weight_ih_l0", w_ih, (G * H, w_ih.shape[1]), f"({G}H, D) with H = {H}")
    back = _inverse(TORCH_FROM_KERAS[kind])
    kernel = _reorder_blocks(w_ih, back, axis=0).T
    recurrent = _reorder_blocks(w_hh, back, axis=0).T
    bias = None
    if has_bias:
        b_ih, b_hh = (_as_numpy(k, state_dict[k], 1, f"({G}H,)") for k in BIAS_KEYS)
        check_shape("bias_ih_l0", b_ih, (G * H,), f"({G}H,)")
        check_shape("bias_hh_l0", b_hh, (G * H,), f"({G}H,)")
        b_ih, b_hh = (_reorder_blocks(b, back, axis=0) for b in (b_ih, b_hh))
        bias = np.stack([b_ih, b_hh]) if kind == "GRU" else b_ih + b_hh
    return CellWeights(kind, kernel, recurrent, bias, True if kind == "GRU" else None)


def torch_parameter_count(kind: str, dims: int, hidden_units: int, *, bias: bool = True) -> int:
    """Parameters of the PyTorch module: ``GH(D + H + 2)``, or ``GH(D + H)`` without bias.

    Two bias vectors for every cell, so a PyTorch LSTM has ``4H`` more parameters than
    the Keras LSTM it is equivalent to; a PyTorch GRU as many as a ``reset_after=True``
    Keras GRU.
    """
    if kind not in CELL_KINDS:
        raise ValueError(f"kind must be one of {CELL_KINDS}; got {kind!r}")
    D = check_positive_int("dims", dims)
    H = check_positive_int("hidden_units", hidden_units)
    G = len(GATE_ORDER[kind])
    return G * H * (D + H + (2 if bias else 0))


def labelled_weights(kind: str, dims: int, hidden_units: int, *, reset_after: bool = True):
    """Keras weights whose every entry names its gate block (1, 2, ... in Keras order).

    Entry ``(row, col)`` of ``kernel``/``recurrent_kernel`` holds ``k + 1`` where ``k`` is
    the Keras gate block of ``col``; biases hold ``k + 1`` (row 0) and ``-(k + 1)``
    (row 1 of a GRU's ``(2, 3H)`` bias). Passed through :func:`keras_to_torch`, they show
    where each Keras block lands in PyTorch's arrays.
    """
    H = check_positive_int("hidden_units", hidden_units)
    D = check_positive_int("dims", dims)
    G = len(GATE_ORDER[kind])
    codes = np.repeat(np.arange(1, G + 1, dtype=np.float64), H)
    bias = np.stack([codes, -codes]) if kind == "GRU" and reset_after else codes
    return CellWeights(
        kind,
        np.tile(codes, (D, 1)),
        np.tile(codes, (H, 1)),
        bias,
        reset_after if kind == "GRU" else None,
    )


def torch_style_forward(
    kind: str,
    state_dict: Mapping[str, Any],
    x: object,
    *,
    initial_state: object | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """PyTorch's documented equations, in NumPy, on a PyTorch ``state_dict``.

    Returns ``(outputs (n, T, H), [h_T] or [h_T, c_T])`` like ``nn.RNN/LSTM/GRU`` with
    ``batch_first=True``. PyTorch writes column vectors, ``W_ih x_t``; for a batch of row
    vectors that is ``x_t·W_ihᵀ``. In PyTorch's own names, gates ``[r, z, n]`` (GRU) and
    ``[i, f, g, o]`` (LSTM; its ``g`` is the book's candidate ``c̃_t``)::

        RNN   h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh)
        GRU   r_t = σ(x_t·W_irᵀ + b_ir + h_{t-1}·W_hrᵀ + b_hr)
              z_t = σ(x_t·W_izᵀ + b_iz + h_{t-1}·W_hzᵀ + b_hz)
              n_t = tanh(x_t·W_inᵀ + b_in + r_t ⊙ (h_{t-1}·W_hnᵀ + b_hn))
              h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
        LSTM  i, f, g, o = σ, σ, tanh, σ of (x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh)
              c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

    It lets a reader check a conversion without installing PyTorch; the tests check it
    against the real modules.
    """
    from ..cells.steps import initial_states
    from ..cells.weights import sigmoid

    weights = torch_to_keras(kind, state_dict)  # validates keys and shapes
    state = {
        k: _as_numpy(k, v, 2 if k.startswith("weight") else 1, "(GH, D), (GH, H) or (GH,)")
        for k, v in state_dict.items()
    }
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    check_features("x", x, weights.dims, "weight_ih_l0")
    n, T, _ = x.shape
    states = initial_states(weights, n, initial_state)
    w_ih, w_hh = state["weight_ih_l0"], state["weight_hh_l0"]
    b_ih = state.get("bias_ih_l0", 0)
    b_hh = state.get("bias_hh_l0", 0)
    outputs = []
    for t in range(T):
        gi = x[:, t] @ w_ih.T + b_ih
        gh = states[0] @ w_hh.T + b_hh
        if kind == "SimpleRNN":
            states = [np.tanh(gi + gh)]
        elif kind == "GRU":
            (i_r, i_z, i_n), (h_r, h_z, h_n) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
            r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
            n_t = np.tanh(i_n + r * h_n)
            states = [(1 - z) * n_t + z * states[0]]
        else:
            i, f, g, o = np.split(gi + gh, 4, axis=1)
            c = sigmoid(f) * states[1] + sigmoid(i) * np.tanh(g)
            states = [sigmoid(o) * np.tanh(c), c]
        outputs.append(states[0])
    return np.stack(outputs, axis=1), states
