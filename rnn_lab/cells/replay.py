"""A recurrent layer run with every Keras option, NumPy only: :func:`run_recurrence` takes
a :class:`~rnn_lab.cells.weights.CellWeights` and a :class:`RecurrentConfig`, so exercises
can check a learner's loop against it; stacks of layers (:func:`run_stack`) and Bidirectional layers
(:func:`run_bidirectional`, :func:`merge_directions`) are built from it. Reading the options
off a real Keras layer is :mod:`rnn_lab.keras_side.replay`.

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

from .._validate import check_record
from .bptt import check_layer_inputs
from .steps import gru_step, lstm_step, simple_rnn_step
from .weights import CellWeights, get_activation


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
    x, states, keep = check_layer_inputs(weights, x, initial_state, mask, name="inputs")
    check_record("config", config, RecurrentConfig)
    n, T, _ = x.shape
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
    return_state: bool = False,
    mask: Any = None,
):
    """``Bidirectional`` by hand: one loop reads ``x_1 .. x_T``, the other ``x_T .. x_1``.

    With ``return_sequences`` the backward outputs are put back in time order (entry ``t``
    has read ``x_T .. x_t``) and masked steps give zeros (``Bidirectional`` sets
    ``zero_output_for_mask`` to ``return_sequences``); without it, each direction's last
    output (the backward one has read the whole sequence down to ``x_1``). Then
    :func:`~rnn_lab.cells.replay.merge_directions`. With ``return_state``, as Keras: the
    output followed by the forward direction's final states, then the backward one's (``h``
    for a SimpleRNN or GRU, ``h, c`` for an LSTM; the carried states, so a masked step keeps
    them).
    """
    config = RecurrentConfig(return_sequences=True, zero_output_for_mask=bool(return_sequences))
    last_f, seq_f, states_f = run_recurrence(forward, x, config, mask=mask)
    back_config = RecurrentConfig(
        return_sequences=True, zero_output_for_mask=bool(return_sequences), go_backwards=True
    )
    last_b, seq_b, states_b = run_recurrence(backward, x, back_config, mask=mask)
    if return_sequences:
        output = merge_directions(seq_f, seq_b[:, ::-1], merge_mode)
    else:
        output = merge_directions(last_f, last_b, merge_mode)
    if not return_state:
        return output
    merged = output if merge_mode is None else (output,)
    return (*merged, *states_f, *states_b)
