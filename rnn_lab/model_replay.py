"""Replay a whole Keras model in NumPy: stacked, bidirectional, masked recurrent networks.

:func:`numpy_replay_model` walks a ``Sequential`` model, or a functional model whose layers
form a chain (each layer reads the previous one's output), and computes each layer with
NumPy, passing the mask along as Keras does:

============  =====================================================  ======================
layer         computes                                               mask out
============  =====================================================  ======================
Input         nothing                                                none
Masking       ``x_t ⊙ m_t`` with ``m_t = any(x_t != mask_value)``    ``m``
Embedding     ``E[ids]`` (rows of the embedding matrix)              ``ids != 0`` with
                                                                     ``mask_zero=True``
SimpleRNN,    :func:`rnn_lab.replay.numpy_replay` with the mask       the mask, if it
LSTM, GRU,                                                           returns sequences
Bidirectional
Dense         ``act(y·Wo + Bo)`` on the last axis: per timestep on   the mask, unchanged
              ``(n, T, H)``, once on a last output ``(n, H)``
============  =====================================================  ======================

A recurrent layer inside a stack gets the previous layer's output sequence as its input
``x``, so a stack of ``L`` layers is ``L`` loops one after the other, each ``(n, T, H_l)``.
Any other layer is refused with :class:`~rnn_lab.replay.UnsupportedLayerError` naming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_float_array
from .cells import CellWeights, get_activation, softmax
from .masking import check_mask
from .replay import (
    RecurrentConfig,
    UnsupportedLayerError,
    merge_directions,
    numpy_replay,
    run_recurrence,
)

#: Layer classes :func:`numpy_replay_model` reproduces.
SUPPORTED_LAYERS = (
    "InputLayer",
    "Masking",
    "Embedding",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Bidirectional",
    "Dense",
)


def run_stack(cells: list[CellWeights], x: Any, *, mask: Any = None) -> list[np.ndarray]:
    """A stack of recurrent layers by hand: layer ``l`` reads layer ``l-1``'s outputs.

    ``h^(l)_t = cell_l(h^(l-1)_t, h^(l)_{t-1})`` with ``h^(0)_t = x_t``; every layer returns
    its whole sequence to the next. Returns each layer's output sequence ``(n, T, H_l)``;
    the mask (if any) goes to every layer, as Keras propagates it.
    """
    if not isinstance(cells, (list, tuple)) or not cells:
        raise TypeError("cells must be a non-empty list of CellWeights, first layer first")
    outputs = []
    value = x
    for cell in cells:
        _, value, _ = run_recurrence(cell, value, RecurrentConfig(), mask=mask)
        outputs.append(value)
    return outputs


def run_bidirectional(
    forward: CellWeights,
    backward: CellWeights,
    x: Any,
    *,
    merge_mode: str | None = "concat",
    return_sequences: bool = True,
    mask: Any = None,
):
    """``Bidirectional`` by hand: one loop reads ``x_1 .. x_T``, the other ``x_T .. x_1``.

    With ``return_sequences`` the backward outputs are put back in time order (entry ``t``
    has read ``x_T .. x_t``) and masked steps give zeros (``Bidirectional`` sets
    ``zero_output_for_mask`` to ``return_sequences``); without it, each direction's last
    output (the backward one has read the whole sequence down to ``x_1``). Then
    :func:`~rnn_lab.replay.merge_directions`.
    """
    config = RecurrentConfig(return_sequences=True, zero_output_for_mask=bool(return_sequences))
    last_f, seq_f, _ = run_recurrence(forward, x, config, mask=mask)
    back_config = RecurrentConfig(
        return_sequences=True, zero_output_for_mask=bool(return_sequences), go_backwards=True
    )
    last_b, seq_b, _ = run_recurrence(backward, x, back_config, mask=mask)
    if return_sequences:
        return merge_directions(seq_f, seq_b[:, ::-1], merge_mode)
    return merge_directions(last_f, last_b, merge_mode)


def _dense(layer, x: np.ndarray) -> np.ndarray:
    kernel = layer.kernel.numpy()
    y = x @ kernel
    if layer.use_bias:
        y = y + layer.bias.numpy()
    name = getattr(layer.activation, "__name__", "")
    if name == "softmax":
        return softmax(y)
    try:
        return get_activation(name)(y)
    except ValueError as error:
        raise UnsupportedLayerError(
            f"Dense layer {layer.name!r} has activation {name!r}, which numpy_replay_model "
            "does not reproduce"
        ) from error


def _layers_in_order(model) -> list:
    """The model's layers from input to output, checking that they form a chain."""
    kind = type(model).__name__
    if kind == "Sequential":
        return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    if kind not in ("Functional", "Model"):
        raise TypeError(
            f"numpy_replay_model needs a keras Sequential or functional Model; got {kind}"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedLayerError(
            "numpy_replay_model reproduces models with one input and one output; got "
            f"{len(model.inputs)} inputs and {len(model.outputs)} outputs"
        )
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    previous = model.inputs[0]
    for layer in layers:
        read = layer.input
        # a recurrent layer records [sequence, mask] when a mask reaches it
        read = read[0] if isinstance(read, (list, tuple)) else read
        if type(layer).__name__ in SUPPORTED_LAYERS and read is not previous:
            raise UnsupportedLayerError(
                f"layer {layer.name!r} does not read the previous layer's output: "
                "numpy_replay_model reproduces chains of layers only"
            )
        previous = layer.output
    return layers


def numpy_replay_model(model, inputs: Any) -> np.ndarray | tuple:
    """What ``model(inputs)`` returns, computed layer by layer in NumPy.

    ``inputs`` is ``(n, T, D)`` numbers, or ``(n, T)`` integer ids for a model that starts
    with an ``Embedding``. The layers and the mask rules are in the module docstring.
    """
    layers = _layers_in_order(model)
    for layer in layers:
        if type(layer).__name__ not in SUPPORTED_LAYERS:
            raise UnsupportedLayerError(
                f"numpy_replay_model does not reproduce layer {layer.name!r} of type "
                f"{type(layer).__name__}; supported: {', '.join(SUPPORTED_LAYERS)}"
            )
    value: Any = inputs
    mask: np.ndarray | None = None
    for index, layer in enumerate(layers):
        kind = type(layer).__name__
        if kind == "Embedding":
            ids = np.asarray(value)
            if ids.dtype.kind not in "iu" or ids.ndim != 2:
                raise TypeError(
                    f"Embedding layer {layer.name!r} needs integer ids of shape (n, T); got "
                    f"dtype {ids.dtype} with shape {ids.shape}"
                )
            table = layer.embeddings.numpy()
            if ids.min() < 0 or ids.max() >= table.shape[0]:
                raise ValueError(
                    f"ids must lie in [0, V-1] = [0, {table.shape[0] - 1}] for Embedding "
                    f"{layer.name!r}; got values from {ids.min()} to {ids.max()}"
                )
            value = table[ids]
            mask = ids != 0 if layer.mask_zero else None
            continue
        if index == 0 or not isinstance(value, np.ndarray):
            value = as_float_array(
                "inputs", value, ndim=3, layout="(n, T, D)", dtype=np.dtype(layer.compute_dtype)
            )
        if kind == "Masking":
            mask = np.any(value != value.dtype.type(layer.mask_value), axis=-1)
            value = value * mask[..., None].astype(value.dtype)
        elif kind == "Dense":
            value = _dense(layer, value).astype(layer.compute_dtype)
        else:  # a recurrent layer or a Bidirectional one
            if mask is not None:
                check_mask(mask, value.shape[0], value.shape[1])
            result = numpy_replay(layer, value, mask=mask)
            if isinstance(result, tuple):
                raise UnsupportedLayerError(
                    f"layer {layer.name!r} returns several tensors (return_state=True or "
                    "merge_mode=None), which a chain cannot pass on"
                )
            value = result
            if value.ndim == 2:
                mask = None  # a last output has no time axis left to mask
    return value
