"""The Keras side: same seed same weights, shapes, parameter counts, weight round trips."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import (
    SimpleRNNWeights,
    build_keras_model,
    count_parameters,
    make_sequences,
    random_weights,
    set_keras_weights,
    weights_from_keras,
)


def test_same_seed_same_weights_other_seed_other_weights():
    a = weights_from_keras(build_keras_model(15, 3, 5, 5, seed=7))
    b = weights_from_keras(build_keras_model(15, 3, 5, 5, seed=7))
    c = weights_from_keras(build_keras_model(15, 3, 5, 5, seed=8))
    for left, right in zip(a.as_list(), b.as_list(), strict=True):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a.Wx, c.Wx)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weights_have_the_books_shapes_and_dtype(dtype):
    weights = weights_from_keras(build_keras_model(15, 3, 5, 4, dtype=dtype))
    assert isinstance(weights, SimpleRNNWeights)
    shapes = [w.shape for w in weights.as_list()]
    assert shapes == [(3, 5), (5, 5), (5,), (5, 4), (4,)]
    assert weights.dtype == np.dtype(dtype)
    # Keras's orthogonal initialiser: Wh @ Wh.T = I
    np.testing.assert_allclose(weights.Wh @ weights.Wh.T, np.eye(5), atol=1e-5)


@pytest.mark.parametrize("return_sequences, shape", [(False, (4, 5)), (True, (4, 15, 5))])
def test_output_shapes(return_sequences, shape):
    model = build_keras_model(15, 3, 6, 5, return_sequences=return_sequences)
    assert tuple(model(make_sequences(4, 15, 3)).shape) == shape


@pytest.mark.parametrize("D, H, O", [(3, 5, 5), (1, 1, 1), (8, 32, 4), (2, 64, 10), (16, 3, 1)])
def test_parameter_formulas_match_keras(D, H, O):
    model = build_keras_model(10, D, H, O)
    counts = count_parameters(D, H, O)
    assert counts["SimpleRNN"] == model.get_layer("simple_rnn").count_params()
    assert counts["Dense"] == model.get_layer("dense").count_params()
    assert counts["total"] == model.count_params()


def test_the_original_notebooks_counts():
    assert count_parameters(3, 5, 5) == {"SimpleRNN": 45, "Dense": 30, "total": 75}


def test_set_keras_weights_round_trip():
    model = build_keras_model(15, 3, 5, 4)
    weights = random_weights(3, 5, 4, seed=11)
    set_keras_weights(model, weights)
    for got, want in zip(weights_from_keras(model).as_list(), weights.as_list(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_set_keras_weights_refuses_other_shapes():
    model = build_keras_model(15, 3, 5, 4)
    with pytest.raises(ValueError, match=r"Wx must have shape"):
        set_keras_weights(model, random_weights(2, 5, 4))


def test_weights_from_keras_refuses_other_models():
    from rnn_lab import import_keras

    keras = import_keras()
    inputs = keras.Input((5, 2))
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.LSTM(4)(inputs)))
    with pytest.raises(ValueError, match="exactly one SimpleRNN"):
        weights_from_keras(model)
    with pytest.raises(TypeError, match=r"keras\.Model"):
        weights_from_keras("not a model")
