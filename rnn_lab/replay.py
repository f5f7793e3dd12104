"""Replay a Keras ``SimpleRNN``, ``LSTM`` or ``GRU`` layer in NumPy, option for option.

:func:`numpy_replay` reads a built layer's weights and settings and returns what
``layer(inputs, initial_state=..., mask=...)`` returns. The loop itself,
:func:`run_recurrence`, needs no Keras: it takes a :class:`~rnn_lab.cells.CellWeights`
and a :class:`RecurrentConfig`, so exercises can check a learner's loop against it.

What the loop reproduces, from Keras 3's TensorFlow backend (``backend/tensorflow/rnn.py``):

* ``go_backwards``: the steps run from ``x_T`` down to ``x_1``, and the returned sequence
  stays in *processing* order (its first entry belongs to ``x_T``); it is not reversed back.
* ``mask (n, T)``: at a masked step the states keep their previous values and the output
  repeats the previous *output* (zeros before the first unmasked step, even with a
  non-zero ``initial_state``), or is zero with ``zero_output_for_mask=True``.
* ``unroll=True`` computes the same numbers, with one quirk of Keras's unrolled loop
  copied here: with ``go_backwards``, a mask and ``zero_output_for_mask``, it zeroes the
  returned sequence with the mask in the *original* time order, not the processing order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._validate import as_float_array, check_features, check_record
from .cells import (
    ACTIVATIONS,
    CELL_KINDS,
    CellWeights,
    get_activation,
    gru_step,
    initial_states,
    lstm_step,
    simple_rnn_step,
)
from .masking import check_mask


class UnsupportedLayerError(ValueError):
    """The layer uses a setting the NumPy replay does not reproduce; the message names it."""


@dataclass(frozen=True)
class RecurrentConfig:
    """The settings of a recurrent layer that change what it returns (Keras defaults)."""

    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    zero_output_for_mask: bool = False
    unroll: bool = False
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.type == "bool" and not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{field.name} must be True or False; got {value!r}")
        get_activation(self.activation)
        get_activation(self.recurrent_activation)


# --- the loop, NumPy only ------------------------------------------------------------------


def _step_function(weights: CellWeights, config: RecurrentConfig):
    """``step(x_t, states) -> (output, new_states)`` for the cell, like Keras's cell.call."""
    act = get_activation(config.activation)
    rec = get_activation(config.recurrent_activation)
    if weights.kind == "LSTM":

        def step(x_t, states):
            h, c = lstm_step(x_t, *states, weights, activation=act, recurrent_activation=rec)
            return h, [h, c]

    elif weights.kind == "GRU":

        def step(x_t, states):
            h = gru_step(x_t, states[0], weights, activation=act, recurrent_activation=rec)
            return h, [h]

    else:

        def step(x_t, states):
            h = simple_rnn_step(x_t, states[0], weights, activation=act)
            return h, [h]

    return step


def run_recurrence(
    weights: CellWeights,
    x: object,
    config: RecurrentConfig | None = None,
    *,
    initial_state: object | None = None,
    mask: object | None = None,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The layer's loop: ``(last_output (n,H), outputs (n,T,H), final states)``.

    ``outputs`` is in processing order (reversed time with ``go_backwards``).
    ``initial_state`` is ``[h_0]`` (``[h_0, c_0]`` for an LSTM), zeros by default;
    ``mask`` is ``(n, T)`` booleans, ``True`` where a step counts.
    """
    config = RecurrentConfig() if config is None else config
    check_record("weights", weights, CellWeights)
    check_record("config", config, RecurrentConfig)
    x = as_float_array("inputs", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    check_features("inputs", x, weights.dims, f"the kernel (shape {weights.kernel.shape})")
    n, T, _ = x.shape
    states = initial_states(weights, n, initial_state)
    keep = None if mask is None else check_mask(mask, n, T)
    step = _step_function(weights, config)
    # Keras's unrolled loop always carries the previous output and zeroes at the end.
    zero_inside = config.zero_output_for_mask and not config.unroll
    previous = np.zeros((n, weights.hidden_units), dtype=weights.dtype)
    outputs = []
    for t in reversed(range(T)) if config.go_backwards else range(T):
        output, new_states = step(x[:, t], states)
        if keep is not None:
            k = keep[:, t, None]
            output = np.where(k, output, 0 if zero_inside else previous)
            new_states = [
                np.where(k, new, old) for new, old in zip(new_states, states, strict=True)
            ]
        states, previous = new_states, output
        outputs.append(output)
    sequence = np.stack(outputs, axis=1)
    last = sequence[:, -1]
    if keep is not None and config.zero_output_for_mask and config.unroll:
        processed_last = 0 if config.go_backwards else T - 1
        last = np.where(keep[:, processed_last, None], last, 0)
        # Keras zeroes with the mask in original time order even when going backwards
        sequence = np.where(keep[:, :, None], sequence, 0)
    return last.astype(weights.dtype), sequence.astype(weights.dtype), states


def replay(
    weights: CellWeights,
    x: object,
    config: RecurrentConfig | None = None,
    *,
    initial_state: object | None = None,
    mask: object | None = None,
):
    """What a layer with these ``weights`` and ``config`` returns: the output
    (``(n, H)``, or ``(n, T, H)`` with ``return_sequences``), or with ``return_state``
    the tuple ``(output, h_T)`` / ``(output, h_T, c_T)`` for an LSTM."""
    config = RecurrentConfig() if config is None else config
    last, sequence, states = run_recurrence(
        weights, x, config, initial_state=initial_state, mask=mask
    )
    output = sequence if config.return_sequences else last
    return (output, *states) if config.return_state else output


# --- reading a Keras layer -----------------------------------------------------------------


def _keras_classes():
    from .keras_models import import_keras

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
    from .keras_models import import_keras

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


# --- Bidirectional: the same sequence read both ways ----------------------------------------

#: Keras's ``Bidirectional`` merge modes (``None`` returns both directions, unmerged).
MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def merge_directions(forward: np.ndarray, backward: np.ndarray, merge_mode: str | None):
    """Combine the two directions' outputs as ``Bidirectional(merge_mode=...)`` does.

    ``backward`` must already be in *time* order (with ``return_sequences`` Keras flips the
    backward layer's processing-order sequence back). ``concat``: ``[forward, backward]``
    along the last axis, forward first (``2H`` features); ``sum``: ``forward + backward``;
    ``mul``: ``forward ⊙ backward``; ``ave``: ``(forward + backward) / 2``; ``None``: the
    tuple ``(forward, backward)``. All but ``concat`` and ``None`` need equal unit counts.
    """
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode must be one of {MERGE_MODES}; got {merge_mode!r}")
    if merge_mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if merge_mode is None:
        return forward, backward
    if forward.shape != backward.shape:
        raise ValueError(
            f"merge_mode={merge_mode!r} combines the two directions entry by entry, so they "
            f"need the same number of units; got forward {forward.shape[-1]} and backward "
            f"{backward.shape[-1]} (use 'concat' or None, or give both directions the same "
            "units)"
        )
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "mul":
        return forward * backward
    return (forward + backward) / forward.dtype.type(2)


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


# --- agreement, option by option (for the chapters' tables and the closing note) ------------

#: One change from the defaults per case: (layer keyword arguments, call features, kinds).
#: Call features: "initial_state" (random h_0/c_0), "mask" (random, with masked first steps),
#: "stateful" (a warm-up batch first, so the states are not zero), "keras_init" (Keras's own
#: initial weights instead of random ones, which is what unit_forget_bias changes).
OPTION_CASES: dict[str, tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]] = {
    "defaults": ({}, (), CELL_KINDS),
    "return_sequences": ({"return_sequences": True}, (), CELL_KINDS),
    "return_state": ({"return_state": True}, (), CELL_KINDS),
    "initial_state": ({"return_sequences": True}, ("initial_state",), CELL_KINDS),
    "go_backwards": ({"return_sequences": True, "go_backwards": True}, (), CELL_KINDS),
    "mask": ({"return_sequences": True, "return_state": True}, ("mask",), CELL_KINDS),
    "mask + zero_output_for_mask": (
        {"return_sequences": True, "zero_output_for_mask": True},
        ("mask",),
        CELL_KINDS,
    ),
    "mask + zero_output_for_mask + go_backwards + unroll": (
        {
            "return_sequences": True,
            "zero_output_for_mask": True,
            "go_backwards": True,
            "unroll": True,
        },
        ("mask",),
        CELL_KINDS,
    ),
    "stateful": ({"return_sequences": True, "stateful": True}, ("stateful",), CELL_KINDS),
    "use_bias=False": ({"return_sequences": True, "use_bias": False}, (), CELL_KINDS),
    "unroll=True": ({"return_sequences": True, "unroll": True}, (), CELL_KINDS),
    "activation='relu'": ({"return_sequences": True, "activation": "relu"}, (), CELL_KINDS),
    "recurrent_activation='hard_sigmoid'": (
        {"return_sequences": True, "recurrent_activation": "hard_sigmoid"},
        (),
        ("LSTM", "GRU"),
    ),
    "implementation=1": ({"return_sequences": True, "implementation": 1}, (), ("LSTM", "GRU")),
    "unit_forget_bias=False (Keras init)": (
        {"return_sequences": True, "unit_forget_bias": False},
        ("keras_init",),
        ("LSTM",),
    ),
    "reset_after=False": ({"return_sequences": True, "reset_after": False}, (), ("GRU",)),
}


def measure_agreement(
    kind: str,
    case: str,
    *,
    dtype: str = "float32",
    seed: int = 0,
    shape: tuple[int, int, int, int] = (8, 12, 3, 5),
) -> float:
    """Build a ``kind`` layer with the :data:`OPTION_CASES` ``case``, run Keras and
    :func:`numpy_replay` on the same random inputs, return ``max |Keras − NumPy|`` over
    everything the layer returns. Weights are random with non-zero biases (except for the
    ``keras_init`` cases); ``shape`` is ``(n, T, D, H)``."""
    from .cells import random_cell_weights
    from .keras_models import import_keras

    if kind not in CELL_KINDS:
        raise ValueError(f"kind must be one of {CELL_KINDS}; got {kind!r}")
    if case not in OPTION_CASES:
        raise ValueError(f"case must be one of {sorted(OPTION_CASES)}; got {case!r}")
    options, features, kinds = OPTION_CASES[case]
    if kind not in kinds:
        raise ValueError(f"case {case!r} applies to {kinds}, not to {kind}")
    keras = import_keras()
    n, T, D, H = shape
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    layer = getattr(keras.layers, kind)(H, dtype=dtype, **options)
    layer.build((n if "stateful" in features else None, T, D))
    if "keras_init" not in features:
        layer.set_weights(
            random_cell_weights(
                kind,
                D,
                H,
                seed=seed,
                dtype=dtype,
                use_bias=options.get("use_bias", True),
                reset_after=options.get("reset_after", True) if kind == "GRU" else None,
            ).as_list()
        )
    x = rng.uniform(-1.0, 1.0, (n, T, D)).astype(dtype)
    kwargs: dict[str, Any] = {}
    if "initial_state" in features:
        count = 2 if kind == "LSTM" else 1
        kwargs["initial_state"] = [rng.uniform(-1, 1, (n, H)).astype(dtype) for _ in range(count)]
    if "mask" in features:
        mask = rng.random((n, T)) < 0.7
        mask[0, :3] = False  # masked first steps: outputs start at zero
        kwargs["mask"] = mask
    if "stateful" in features:
        layer(rng.uniform(-1.0, 1.0, (n, T, D)).astype(dtype))
    ours = numpy_replay(layer, x, **kwargs)
    theirs = layer(x, **kwargs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    return max(
        float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
        for a, b in zip(ours, theirs, strict=True)
    )
