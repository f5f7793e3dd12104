"""Stacked and bidirectional recurrent layers by hand, numpy_replay on Bidirectional, and
numpy_replay_model on whole models, against Keras in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.cells.replay import (
    MERGE_MODES,
    UnsupportedLayerError,
    merge_directions,
    run_bidirectional,
    run_stack,
)
from rnn_lab.cells.weights import random_cell_weights
from rnn_lab.keras_side.models import import_keras
from rnn_lab.keras_side.replay import SUPPORTED_LAYERS, numpy_replay, numpy_replay_model
from rnn_lab.tolerances import tolerance_for

keras = import_keras()
KINDS = ("SimpleRNN", "LSTM", "GRU")
DTYPES = ("float32", "float64")


def _padded_inputs(n, T, D, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, T, D)).astype(dtype)
    lengths = rng.integers(1, T + 1, n)
    lengths[0] = T
    mask = np.arange(T)[None, :] < lengths[:, None]
    return x * mask[..., None], mask


def _layer(kind, units, dtype, seed, **options):
    layer = getattr(keras.layers, kind)(units, dtype=dtype, **options)
    return layer


def _max_diff(a, b):
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, (tuple, list)) else (b,)
    assert len(a) == len(b)
    return max(
        float(np.max(np.abs(np.asarray(p, np.float64) - np.asarray(q, np.float64))))
        for p, q in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("masked", [False, True])
def test_stack_by_hand_matches_keras(depth, dtype, masked):
    n, T, D = 4, 7, 3
    x, mask = _padded_inputs(n, T, D, dtype, seed=depth)
    kinds = ["LSTM", "GRU", "SimpleRNN"][:depth]
    units = [5, 4, 3][:depth]
    cells, dims = [], D
    for level, (kind, H) in enumerate(zip(kinds, units, strict=True)):
        cells.append(random_cell_weights(kind, dims, H, seed=10 + level, dtype=dtype))
        dims = H
    ours = run_stack(cells, x, mask=mask if masked else None)
    model = keras.Sequential(
        [keras.Input((T, D), dtype=dtype)]
        + ([keras.layers.Masking(dtype=dtype)] if masked else [])
        + [
            _layer(kind, H, dtype, 0, return_sequences=True)
            for kind, H in zip(kinds, units, strict=True)
        ]
    )
    recurrent = [layer for layer in model.layers if type(layer).__name__ in KINDS]
    for layer, cell in zip(recurrent, cells, strict=True):
        layer.set_weights(cell.as_list())
    assert _max_diff(ours[-1], model(x)) <= tolerance_for(dtype)
    assert _max_diff(numpy_replay_model(model, x), model(x)) <= tolerance_for(dtype)
    assert len(ours) == depth and ours[-1].shape == (n, T, units[depth - 1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("merge_mode", MERGE_MODES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_bidirectional_replay_matches_keras(
    kind, merge_mode, dtype, return_sequences, return_state
):
    n, T, D, H = 3, 6, 2, 4
    x, mask = _padded_inputs(n, T, D, dtype, seed=1)
    layer = keras.layers.Bidirectional(
        _layer(kind, H, dtype, 0, return_sequences=return_sequences, return_state=return_state),
        merge_mode=merge_mode,
        dtype=dtype,
    )
    layer.build((None, T, D))
    seed = 20
    for sub in (layer.forward_layer, layer.backward_layer):
        sub.set_weights(random_cell_weights(kind, D, H, seed=seed, dtype=dtype).as_list())
        seed += 1
    for call_mask in (None, mask):
        ours = numpy_replay(layer, x, mask=call_mask)
        theirs = layer(x, mask=call_mask)
        assert _max_diff(ours, theirs) <= tolerance_for(dtype)
        if not return_state:
            by_hand = run_bidirectional(
                random_cell_weights(kind, D, H, seed=20, dtype=dtype),
                random_cell_weights(kind, D, H, seed=21, dtype=dtype),
                x,
                merge_mode=merge_mode,
                return_sequences=return_sequences,
                mask=call_mask,
            )
            assert _max_diff(by_hand, theirs) <= tolerance_for(dtype)


def test_bidirectional_initial_state_is_split_in_halves():
    n, T, D, H = 2, 5, 3, 4
    x, _ = _padded_inputs(n, T, D, "float64", seed=3)
    layer = keras.layers.Bidirectional(
        keras.layers.LSTM(H, return_sequences=True, return_state=True, dtype="float64"),
        dtype="float64",
    )
    layer.build((None, T, D))
    rng = np.random.default_rng(0)
    states = [rng.uniform(-1, 1, (n, H)) for _ in range(4)]
    assert (
        _max_diff(numpy_replay(layer, x, initial_state=states), layer(x, initial_state=states))
        < 1e-12
    )
    with pytest.raises(ValueError, match="forward states followed by the backward states"):
        numpy_replay(layer, x, initial_state=states[:3])


def test_concat_puts_forward_first():
    forward = np.ones((1, 2, 3))
    backward = np.zeros((1, 2, 2))
    merged = merge_directions(forward, backward, "concat")
    assert merged.shape == (1, 2, 5)
    assert np.all(merged[..., :3] == 1) and np.all(merged[..., 3:] == 0)


@pytest.mark.parametrize("merge_mode", ["sum", "mul", "ave"])
def test_directions_with_different_units_are_refused_for_entrywise_merges(merge_mode):
    layer = keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True),
        backward_layer=keras.layers.GRU(4, return_sequences=True, go_backwards=True),
        merge_mode=merge_mode,
    )
    layer.build((None, 5, 2))
    with pytest.raises(ValueError, match="forward layer has 3 units and its backward layer 4"):
        numpy_replay(layer, np.ones((1, 5, 2)))
    with pytest.raises(ValueError, match="got forward 3 and backward 4"):
        merge_directions(np.ones((1, 3)), np.ones((1, 4)), merge_mode)


def test_directions_with_different_units_concatenate_as_in_keras():
    layer = keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True),
        backward_layer=keras.layers.GRU(4, return_sequences=True, go_backwards=True),
    )
    x = np.random.default_rng(0).uniform(-1, 1, (2, 5, 2)).astype("float32")
    theirs = layer(x)
    assert theirs.shape == (2, 5, 7)
    assert _max_diff(numpy_replay(layer, x), theirs) <= tolerance_for("float32")


def test_unknown_merge_mode_is_refused():
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        merge_directions(np.ones((1, 2)), np.ones((1, 2)), "max")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("functional", [False, True])
@pytest.mark.parametrize("last_step", [False, True])
def test_replay_model_with_masking_bidirectional_and_dense(dtype, functional, last_step):
    n, T, D = 4, 6, 3
    x, _ = _padded_inputs(n, T, D, dtype, seed=5)
    layers = [
        keras.layers.Masking(dtype=dtype),
        keras.layers.LSTM(4, return_sequences=True, dtype=dtype),
        keras.layers.Bidirectional(
            keras.layers.GRU(3, return_sequences=not last_step, dtype=dtype),
            merge_mode="ave",
            dtype=dtype,
        ),
        keras.layers.Dense(2, activation="tanh", dtype=dtype),
    ]
    if functional:
        inputs = keras.Input((T, D), dtype=dtype)
        value = inputs
        for layer in layers:
            value = layer(value)
        model = keras.Model(inputs, value)
    else:
        model = keras.Sequential([keras.Input((T, D), dtype=dtype), *layers])
    ours = numpy_replay_model(model, x)
    assert ours.shape == ((n, 2) if last_step else (n, T, 2))
    assert ours.dtype == np.dtype(dtype)
    assert _max_diff(ours, model(x)) <= tolerance_for(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_replay_model_with_embedding_mask_zero(kind, dtype):
    rng = np.random.default_rng(6)
    ids = rng.integers(1, 9, (5, 7))
    ids[0, 4:] = 0
    ids[2, 1:] = 0
    model = keras.Sequential(
        [
            keras.Input((7,), dtype="int32"),
            keras.layers.Embedding(9, 3, mask_zero=True, dtype=dtype),
            getattr(keras.layers, kind)(4, return_sequences=True, dtype=dtype),
            getattr(keras.layers, kind)(3, dtype=dtype),
            keras.layers.Dense(9, activation="softmax", dtype=dtype),
        ]
    )
    assert _max_diff(numpy_replay_model(model, ids), model(ids)) <= tolerance_for(dtype)


def test_unsupported_layer_is_named():
    model = keras.Sequential(
        [
            keras.Input((5, 2)),
            keras.layers.LSTM(3, return_sequences=True),
            keras.layers.Dropout(0.5, name="my_dropout"),
            keras.layers.Dense(1),
        ]
    )
    with pytest.raises(UnsupportedLayerError, match="'my_dropout' of type Dropout"):
        numpy_replay_model(model, np.ones((1, 5, 2)))
    assert "Dropout" not in SUPPORTED_LAYERS


def test_branching_model_is_refused():
    inputs = keras.Input((5, 2))
    a = keras.layers.LSTM(3, return_sequences=True)(inputs)
    b = keras.layers.GRU(3, return_sequences=True)(inputs)  # reads the input, not a
    model = keras.Model(inputs, keras.layers.Dense(1)(b + a))
    with pytest.raises(UnsupportedLayerError):
        numpy_replay_model(model, np.ones((1, 5, 2)))


def test_layers_returning_several_tensors_are_refused_inside_a_model():
    inputs = keras.Input((5, 2))
    value = keras.layers.Bidirectional(
        keras.layers.LSTM(3, return_sequences=True), merge_mode=None
    )(inputs)
    model = keras.Model(inputs, value[0])
    with pytest.raises(UnsupportedLayerError):
        numpy_replay_model(model, np.ones((1, 5, 2)))


def test_not_a_model_is_refused():
    with pytest.raises(TypeError, match="Sequential or functional Model; got LSTM"):
        numpy_replay_model(keras.layers.LSTM(3), np.ones((1, 5, 2)))
