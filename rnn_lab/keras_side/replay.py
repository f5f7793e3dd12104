"""Replay a Keras layer or a whole Keras model in NumPy, option for option.

:func:`numpy_replay` reads a built ``SimpleRNN``, ``LSTM``, ``GRU`` or ``Bidirectional``
layer's weights and settings and returns what ``layer(inputs, initial_state=..., mask=...)``
returns, computed by :func:`rnn_lab.cells.replay.run_recurrence`.

Replay a whole Keras model in NumPy: stacked, bidirectional, masked recurrent networks.

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
SimpleRNN,    :func:`numpy_replay      ` with the mask       the mask, if it
LSTM, GRU,                                                           returns sequences
Bidirectional
Dense         ``act(y·Wo + Bo)`` on the last axis: per timestep on   the mask, unchanged
              ``(n, T, H)``, once on a last output ``(n, H)``
============  =====================================================  ======================

A recurrent layer inside a stack gets the previous layer's output sequence as its input
``x``, so a stack of ``L`` layers is ``L`` loops one after the other, each ``(n, T, H_l)``.
Any other layer is refused with :class:`~rnn_lab.cells.replay.UnsupportedLayerError` naming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import as_float_array
from ..cells.masking import check_mask
from ..cells.replay import (
    RecurrentConfig,
    UnsupportedLayerError,
    merge_directions,
    replay,
)
from ..cells.weights import ACTIVATIONS, CellWeights, get_activation, softmax

# --- reading a Keras layer -----------------------------------------------------------------


def _keras_classes():
    from .models import import_keras

    layers = import_keras().layers
    return {
        layers.SimpleRNN: "SimpleRNN",
        layers.LSTM: "LSTM",
        layers.GRU: "GRU",
        layers.SimpleRNNCell: "SimpleRNN",
        layers.LSTMCell: "LSTM",
        layers.GRUCell: "GRU",
    }, layers.RNN


def _cell_of(layer) -> tuple[Any, str]:
    classes, rnn_class = _keras_classes()
    layer_type = type(layer)
    if layer_type is not rnn_class and layer_type not in classes:
        raise TypeError(
            "numpy_replay reproduces keras.layers.SimpleRNN, LSTM, GRU, keras.layers.RNN "
            f"around one of their cells, or a Bidirectional of them; got {layer_type.__name__}"
        )
    cell = getattr(layer, "cell", None)
    kind = classes.get(type(cell))
    if kind is None:
        raise TypeError(
            "numpy_replay needs the layer's cell to be a SimpleRNNCell, LSTMCell or GRUCell "
            f"(not a subclass or a stack); got {type(cell).__name__}"
        )
    return cell, kind


def _activation_name(cell, attribute: str) -> str:
    from .models import import_keras

    keras = import_keras()
    function = getattr(cell, attribute)
    for name in ACTIVATIONS:
        if function is keras.activations.get(name):
            return name
    shown = getattr(function, "__name__", repr(function))
    raise UnsupportedLayerError(
        f"{attribute}={shown!r} is not supported by numpy_replay; use one of "
        f"{sorted(ACTIVATIONS)} (given by name, e.g. {attribute}='tanh')"
    )


def weights_from_layer(layer) -> CellWeights:
    """The built layer's ``kernel``, ``recurrent_kernel``, ``bias`` as a :class:`CellWeights`."""
    cell, kind = _cell_of(layer)
    if not layer.built:
        raise ValueError(
            "the layer has no weights yet: call it once on data, or layer.build((None, T, D))"
        )
    bias = None if cell.bias is None else cell.bias.numpy()
    return CellWeights(
        kind,
        cell.kernel.numpy(),
        cell.recurrent_kernel.numpy(),
        bias,
        bool(cell.reset_after) if kind == "GRU" else None,
    )


def config_from_layer(layer, *, training: bool = False) -> RecurrentConfig:
    """The layer's output-changing settings; :class:`UnsupportedLayerError` for the rest."""
    cell, kind = _cell_of(layer)
    for name in ("dropout", "recurrent_dropout"):
        rate = float(getattr(cell, name, 0.0))
        if training and rate > 0:
            raise UnsupportedLayerError(
                f"{name}={rate} in training mode draws random masks that numpy_replay does "
                "not reproduce; replay with training=False (dropout is then inactive)"
            )
    for owner in (layer, cell):
        if owner.compute_dtype not in ("float32", "float64"):
            raise UnsupportedLayerError(
                f"dtype policy {owner.dtype_policy.name!r} ({type(owner).__name__} computes "
                f"in {owner.compute_dtype}) is not supported; use float32 or float64"
            )
    if cell.compute_dtype != layer.compute_dtype:
        raise UnsupportedLayerError(
            f"the layer computes in {layer.compute_dtype} but its cell in "
            f"{cell.compute_dtype}; give both the same dtype"
        )
    return RecurrentConfig(
        return_sequences=bool(layer.return_sequences),
        return_state=bool(layer.return_state),
        go_backwards=bool(layer.go_backwards),
        zero_output_for_mask=bool(layer.zero_output_for_mask),
        unroll=bool(layer.unroll),
        activation=_activation_name(cell, "activation"),
        recurrent_activation=(
            "sigmoid" if kind == "SimpleRNN" else _activation_name(cell, "recurrent_activation")
        ),
    )


def numpy_replay(
    layer,
    inputs: object,
    *,
    initial_state: object | None = None,
    mask: object | None = None,
    training: bool = False,
):
    """What ``layer(inputs, initial_state=..., mask=...)`` returns, computed in NumPy.

    ``layer`` is a built ``keras.layers.SimpleRNN``, ``LSTM`` or ``GRU`` (or
    ``keras.layers.RNN`` around one of their cells), or a ``keras.layers.Bidirectional``
    wrapping one (see :func:`merge_directions`). The result has the layer's structure:
    the output, or with ``return_state=True`` the tuple ``(output, h_T)`` — for an LSTM
    ``(output, h_T, c_T)`` — as NumPy arrays in the layer's dtype. A ``stateful`` layer
    starts from its current states when no ``initial_state`` is given; the layer itself
    is never modified. ``training=True`` is refused for layers with dropout.

    Settings that only change how Keras computes, not what (``unroll`` apart from the quirk
    in the module docstring, ``implementation``, ``use_cudnn`` on a CPU), or only the
    initial weights (``unit_forget_bias``, initialisers), need nothing here: the replay
    uses the weights the layer holds now.
    """
    if type(layer).__name__ == "Bidirectional":
        return _replay_bidirectional(
            layer, inputs, initial_state=initial_state, mask=mask, training=training
        )
    config = config_from_layer(layer, training=training)
    weights = weights_from_layer(layer)
    weights = weights.astype(layer.compute_dtype)
    x = as_float_array("inputs", inputs, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    if initial_state is None and layer.stateful:
        initial_state = [state.numpy() for state in layer.states]
        if initial_state[0].shape[0] != x.shape[0]:
            raise ValueError(
                f"the stateful layer holds states for a batch of {initial_state[0].shape[0]} "
                f"samples; got inputs with n = {x.shape[0]}"
            )
    return replay(weights, x, config, initial_state=initial_state, mask=mask)


def _replay_bidirectional(layer, inputs, *, initial_state, mask, training):
    forward_layer, backward_layer = layer.forward_layer, layer.backward_layer
    units = (forward_layer.units, backward_layer.units)
    if layer.merge_mode in ("sum", "mul", "ave") and units[0] != units[1]:
        raise ValueError(
            f"Bidirectional {layer.name!r} merges with {layer.merge_mode!r} but its forward "
            f"layer has {units[0]} units and its backward layer {units[1]}: the two "
            "directions must have the same units for an entry-wise merge"
        )
    forward_state = backward_state = None
    if initial_state is not None:
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) % 2:
            raise ValueError(
                "initial_state for a Bidirectional layer must be a list of the forward "
                "states followed by the backward states; got "
                f"{type(initial_state).__name__} of length {len(initial_state)}"
                if isinstance(initial_state, (list, tuple))
                else f"{type(initial_state).__name__}"
            )
        half = len(initial_state) // 2
        forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
    forward = numpy_replay(
        forward_layer, inputs, initial_state=forward_state, mask=mask, training=training
    )
    backward = numpy_replay(
        backward_layer, inputs, initial_state=backward_state, mask=mask, training=training
    )
    states: tuple = ()
    if layer.return_state:
        states = (*forward[1:], *backward[1:])
        forward, backward = forward[0], backward[0]
    dtype = np.dtype(layer.compute_dtype)
    forward, backward = forward.astype(dtype), backward.astype(dtype)
    if layer.return_sequences:
        backward = backward[:, ::-1]  # processing order back to time order
    output = merge_directions(forward, backward, layer.merge_mode)
    if layer.return_state:
        return (*output, *states) if layer.merge_mode is None else (output, *states)
    return output


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
