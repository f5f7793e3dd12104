"""Variable-length batches: padding, masks, the masked loss, masked forward and backward
passes against Keras (Masking, Embedding(mask_zero=True), a mask passed to the layer)."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.cells.bptt import forward_trace, sequence_backward
from rnn_lab.cells.masking import (
    check_mask,
    last_real_output,
    lengths_from_mask,
    mask_from_padding,
    masked_mse,
    pad_sequences,
)
from rnn_lab.cells.weights import random_cell_weights
from rnn_lab.keras_side.models import import_keras
from rnn_lab.keras_side.replay import numpy_replay
from rnn_lab.tolerances import GRADIENT_RTOL, relative_error, tolerance_for
from rnn_lab.training.keras_loops import keras_masked_sequence_gradients
from rnn_lab.training.regressor import masked_sequence_backward, random_regressor

keras = import_keras()
VARIANTS = [("SimpleRNN", None), ("LSTM", None), ("GRU", True), ("GRU", False)]
DTYPES = ("float32", "float64")
LENGTHS = [(6, 3, 1, 5), (4, 4), (1,), (7, 2, 7, 5, 3)]


def _batch(lengths, D, dtype, seed):
    rng = np.random.default_rng(seed)
    return pad_sequences([rng.uniform(-1, 1, (L, D)) for L in lengths], dtype=dtype)


def _layer(kind, reset_after, D, H, dtype, seed, **options):
    extra = {"reset_after": reset_after} if kind == "GRU" else {}
    layer = getattr(keras.layers, kind)(H, dtype=dtype, **extra, **options)
    layer.build((None, None, D))
    weights = random_cell_weights(kind, D, H, reset_after=reset_after, seed=seed, dtype=dtype)
    layer.set_weights(weights.as_list())
    return layer, weights


def test_pad_sequences_and_lengths():
    x, mask = pad_sequences([np.ones((3, 2)), 2 * np.ones((1, 2))], value=-1.0)
    assert x.shape == (2, 3, 2) and x.dtype == np.float32
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert np.all(x[1, 1:] == -1) and np.all(x[1, 0] == 2)
    assert lengths_from_mask(mask).tolist() == [3, 1]


@pytest.mark.parametrize("lengths", LENGTHS)
def test_mask_from_padding_is_keras_masking(lengths):
    x, mask = _batch(lengths, 3, "float32", seed=len(lengths))
    keras_mask = keras.layers.Masking().compute_mask(x)
    assert np.array_equal(mask_from_padding(x), np.asarray(keras_mask))
    assert np.array_equal(mask_from_padding(x), mask)


def test_embedding_mask_zero_is_ids_not_zero():
    ids = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    embedding = keras.layers.Embedding(5, 2, mask_zero=True)
    assert np.array_equal(np.asarray(embedding.compute_mask(ids)), ids != 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
@pytest.mark.parametrize("way", ["mask argument", "Masking layer", "Embedding mask_zero"])
def test_masked_forward_matches_keras_three_ways(kind, reset_after, dtype, way):
    D, H = 3, 4
    x, mask = _batch(LENGTHS[0], D, dtype, seed=1)
    layer, _ = _layer(kind, reset_after, D, H, dtype, seed=2, return_sequences=True)
    if way == "mask argument":
        theirs = layer(x, mask=mask)
        ours = numpy_replay(layer, x, mask=mask)
    elif way == "Masking layer":
        masked = keras.layers.Masking(dtype=dtype)
        theirs = layer(masked(x), mask=masked.compute_mask(x))
        ours = numpy_replay(layer, x, mask=mask_from_padding(x))
    else:
        ids = np.where(mask, np.arange(1, mask.shape[1] + 1)[None, :], 0)
        embedding = keras.layers.Embedding(mask.shape[1] + 1, D, mask_zero=True, dtype=dtype)
        vectors = embedding(ids)
        theirs = layer(vectors, mask=embedding.compute_mask(ids))
        ours = numpy_replay(layer, np.asarray(vectors), mask=ids != 0)
    assert np.max(np.abs(np.asarray(theirs) - ours)) <= tolerance_for(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
@pytest.mark.parametrize("lengths", LENGTHS)
def test_masked_loss_and_backward_match_keras(kind, reset_after, dtype, lengths):
    model = random_regressor(kind, 2, 4, 3, seed=1, dtype=dtype, reset_after=reset_after)
    x, mask = _batch(lengths, 2, dtype, seed=3)
    y = np.random.default_rng(4).uniform(-1, 1, (*mask.shape, 3)).astype(dtype)
    loss, grads, _ = masked_sequence_backward(model, x, y, mask)
    keras_loss, keras_grads = keras_masked_sequence_gradients(model, x, y)
    assert abs(loss - keras_loss) / keras_loss <= GRADIENT_RTOL[dtype]
    for ours, theirs in zip(grads, keras_grads, strict=True):
        assert relative_error(ours, theirs) <= GRADIENT_RTOL[dtype]


@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_padded_steps_do_not_touch_the_loss_or_the_gradients(kind, reset_after):
    model = random_regressor(kind, 2, 4, 3, seed=1, dtype="float64", reset_after=reset_after)
    x, mask = _batch(LENGTHS[0], 2, "float64", seed=3)
    rng = np.random.default_rng(5)
    y = rng.uniform(-1, 1, (*mask.shape, 3))
    loss, grads, cell = masked_sequence_backward(model, x, y, mask)
    # anything at all on padded steps, inputs and targets
    pad = ~mask
    x2, y2 = x.copy(), y.copy()
    x2[pad] = rng.normal(size=x2[pad].shape) * 100
    y2[pad] = rng.normal(size=y2[pad].shape) * 100
    loss2, grads2, cell2 = masked_sequence_backward(model, x2, y2, mask)
    assert loss2 == loss
    for a, b in zip(grads, grads2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.all(cell.dx[pad] == 0)  # no gradient reaches a padded input
    # the unmasked mean over every step is a different number
    assert (
        abs(
            np.mean(
                (forward_trace(model.cell, x, mask=mask).outputs @ model.Wo + model.Bo - y) ** 2
            )
            - loss
        )
        > 1e-3
    )


@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_padded_steps_carry_the_state_and_last_output_is_the_last_real_one(kind, reset_after):
    x, mask = _batch(LENGTHS[3], 3, "float64", seed=6)
    layer, weights = _layer(kind, reset_after, 3, 4, "float64", seed=7)
    trace = forward_trace(weights, x, mask=mask)
    lengths = lengths_from_mask(mask)
    for s, L in enumerate(lengths):
        for t in range(L, mask.shape[1]):
            np.testing.assert_array_equal(trace.h[s, t], trace.h[s, L - 1])
    last = last_real_output(trace.outputs, mask)
    np.testing.assert_allclose(numpy_replay(layer, x, mask=mask), last, rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.asarray(layer(x, mask=mask)), last, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("kind", "reset_after"), VARIANTS)
def test_a_sample_with_no_real_step_gets_zeros_as_in_keras(kind, reset_after):
    """Keras's documented-by-test behaviour: a fully masked sample is not an error; its
    outputs are zeros and its final states are the initial states."""
    x, mask = _batch((5, 3), 2, "float32", seed=8)
    mask[1] = False
    layer, _ = _layer(
        kind, reset_after, 2, 3, "float32", seed=9, return_sequences=True, return_state=True
    )
    rng = np.random.default_rng(0)
    states = [
        rng.uniform(-1, 1, (2, 3)).astype("float32") for _ in range(2 if kind == "LSTM" else 1)
    ]
    theirs = [np.asarray(a) for a in layer(x, mask=mask, initial_state=states)]
    ours = numpy_replay(layer, x, mask=mask, initial_state=states)
    assert np.all(theirs[0][1] == 0) and np.all(ours[0][1] == 0)
    for state, kept_k, kept_o in zip(states, theirs[1:], ours[1:], strict=True):
        np.testing.assert_array_equal(kept_k[1], state[1])
        np.testing.assert_array_equal(kept_o[1], state[1])
    assert last_real_output(ours[0], mask)[1].tolist() == [0, 0, 0]
    # the masked loss leaves the sample out; its gradient is zero
    y = np.ones((2, 5, 3), dtype="float32")
    _, dy = masked_mse(ours[0], y, mask)
    assert np.all(dy[1] == 0)


def test_masked_mse_is_keras_masked_loss():
    x, mask = _batch(LENGTHS[0], 2, "float32", seed=10)
    rng = np.random.default_rng(1)
    y_pred = rng.normal(size=(*mask.shape, 2)).astype("float32")
    y_true = rng.normal(size=(*mask.shape, 2)).astype("float32")
    loss, _ = masked_mse(y_pred, y_true, mask)
    import tensorflow as tf

    pred = tf.constant(y_pred)
    pred._keras_mask = tf.constant(mask)
    keras_loss = float(keras.losses.MeanSquaredError()(y_true, pred))
    assert abs(loss - keras_loss) <= 1e-6 * keras_loss
    per_step = np.mean((y_pred - y_true) ** 2, axis=-1)
    assert np.isclose(loss, per_step[mask].mean())


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "error", "message"),
    [
        (np.ones((3, 4), bool), ValueError, r"\(n, T\) = \(2, 4\).*got \(3, 4\)"),
        (np.ones((2, 5), bool), ValueError, r"\(n, T\) = \(2, 4\).*got \(2, 5\)"),
        (np.ones((2, 4, 1), bool), ValueError, r"got \(2, 4, 1\)"),
        (np.full((2, 4), 0.5), ValueError, "only True/False"),
        (np.full((2, 4), "yes"), TypeError, "booleans"),
        (None, TypeError, "got None"),
    ],
)
def test_bad_masks_are_refused(mask, error, message):
    with pytest.raises(error, match=message):
        check_mask(mask, 2, 4)
    layer, _ = _layer("GRU", True, 2, 3, "float32", seed=0)
    if mask is not None:
        with pytest.raises(error, match=message):
            numpy_replay(layer, np.zeros((2, 4, 2), "float32"), mask=mask)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_padding_is_refused(value):
    with pytest.raises(ValueError, match="padding value must be a finite number"):
        pad_sequences([np.ones((2, 1))], value=value)
    x = np.zeros((2, 3, 1))
    x[1, 2] = value
    with pytest.raises(ValueError, match=r"x must be finite, padding included.*index \(1, 2, 0\)"):
        mask_from_padding(x)
    with pytest.raises(ValueError, match="mask_value must be a finite number"):
        mask_from_padding(np.zeros((1, 2, 1)), value)


def test_bad_sequences_and_losses_are_refused():
    with pytest.raises(ValueError, match="same D = 2 features"):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="non-empty list"):
        pad_sequences([])
    with pytest.raises(ValueError, match="no real step in the whole batch"):
        masked_mse(np.ones((1, 2, 1)), np.ones((1, 2, 1)), np.zeros((1, 2), bool))
    with pytest.raises(ValueError, match=r"y_true must have shape"):
        masked_mse(np.ones((1, 2, 1)), np.ones((1, 3, 1)), np.ones((1, 2), bool))


def test_masked_backward_refuses_a_mask_of_the_wrong_batch():
    weights = random_cell_weights("LSTM", 2, 3)
    with pytest.raises(ValueError, match=r"mask must have shape \(n, T\) = \(2, 3\)"):
        sequence_backward(weights, np.zeros((2, 3, 2)), np.zeros((2, 3, 3)), mask=np.ones((3, 2)))
