"""The manual loop against Keras on many random configurations, in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnn_lab import (
    FLOAT32_ATOL,
    FLOAT64_ATOL,
    build_keras_model,
    hidden_states,
    keras_reference,
    make_sequences,
    manual_forward,
    random_weights,
    seed_loop,
    tolerance_for,
    weights_from_keras,
)

DTYPES = ["float32", "float64"]

configs = st.fixed_dictionaries(
    {
        "n": st.integers(1, 64),
        "T": st.integers(1, 60),
        "D": st.integers(1, 8),
        "H": st.integers(1, 32),
        "O": st.integers(1, 8),
        "return_sequences": st.booleans(),
        "with_h0": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)

AGREEMENT = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _case(c: dict, dtype: str):
    x = make_sequences(c["n"], c["T"], c["D"], seed=c["seed"], dtype=dtype)
    weights = random_weights(c["D"], c["H"], c["O"], seed=c["seed"] + 1, dtype=dtype)
    rng = np.random.default_rng(c["seed"] + 2)
    h0 = rng.uniform(-1, 1, (c["n"], c["H"])).astype(dtype) if c["with_h0"] else None
    return x, weights, h0


@pytest.mark.parametrize("dtype", DTYPES)
@AGREEMENT
@given(c=configs)
def test_manual_forward_agrees_with_keras(dtype, c):
    x, weights, h0 = _case(c, dtype)
    expected = keras_reference(weights, x, return_sequences=c["return_sequences"], h0=h0)
    got = manual_forward(x, weights, return_sequences=c["return_sequences"], h0=h0)
    assert got.shape == expected.shape
    assert got.dtype == np.dtype(dtype)
    assert np.max(np.abs(got - expected)) <= tolerance_for(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_a_keras_built_model_agrees_with_manual_forward(dtype, return_sequences):
    """The whole path of the original notebook: build, get_weights, loop, compare."""
    model = build_keras_model(15, 3, 5, 5, return_sequences=return_sequences, dtype=dtype)
    x = make_sequences(100, 15, 3, dtype=dtype)
    expected = np.asarray(model(x))
    got = manual_forward(x, weights_from_keras(model), return_sequences=return_sequences)
    assert got.shape == ((100, 15, 5) if return_sequences else (100, 5))
    assert np.max(np.abs(got - expected)) <= tolerance_for(dtype)


def test_tolerances_are_the_documented_ones():
    assert (FLOAT32_ATOL, FLOAT64_ATOL) == (1e-5, 1e-12)
    assert tolerance_for("float32") == FLOAT32_ATOL
    assert tolerance_for(np.float64) == FLOAT64_ATOL


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_wrong_loop_is_caught_by_the_tolerance(dtype):
    """The check has teeth: forgetting Bh or transposing Wh overshoots the tolerance."""
    x = make_sequences(8, 15, 3, dtype=dtype)
    weights = random_weights(3, 5, 5, seed=3, dtype=dtype)
    expected = keras_reference(weights, x)
    no_bias = type(weights)(weights.Wx, weights.Wh, 0 * weights.Bh, weights.Wo, weights.Bo)
    transposed = type(weights)(weights.Wx, weights.Wh.T, weights.Bh, weights.Wo, weights.Bo)
    for wrong in (no_bias, transposed):
        assert np.max(np.abs(manual_forward(x, wrong) - expected)) > 1000 * tolerance_for(dtype)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    T=st.integers(1, 40),
    D=st.integers(1, 8),
    H=st.integers(1, 16),
    O=st.integers(1, 8),
    seed=st.integers(0, 1000),
    dtype=st.sampled_from(DTYPES),
)
def test_seed_loop_agrees_with_manual_forward(T, D, H, O, seed, dtype):
    x = make_sequences(3, T, D, seed=seed, dtype=dtype)
    weights = random_weights(D, H, O, seed=seed, dtype=dtype)
    batched = manual_forward(x, weights, return_sequences=True)
    for i, sample in enumerate(x):
        outputs = seed_loop(sample, weights)
        assert len(outputs) == T
        assert all(y.shape == (O,) for y in outputs)
        np.testing.assert_allclose(np.stack(outputs), batched[i], rtol=0, atol=tolerance_for(dtype))


def test_hidden_states_shape_and_last_state_feeds_the_output():
    weights = random_weights(3, 5, 4, seed=0)
    x = make_sequences(6, 7, 3)
    states = hidden_states(x, weights)
    assert states.shape == (6, 7, 5)
    assert np.all(np.abs(states) < 1)  # tanh
    np.testing.assert_array_equal(
        manual_forward(x, weights), states[:, -1, :] @ weights.Wo + weights.Bo
    )


def test_h0_changes_the_result_and_zeros_is_the_default():
    weights = random_weights(3, 5, 4, seed=0, dtype="float64")
    x = make_sequences(6, 7, 3, dtype="float64")
    zeros = np.zeros((6, 5))
    np.testing.assert_array_equal(manual_forward(x, weights), manual_forward(x, weights, h0=zeros))
    assert not np.allclose(manual_forward(x, weights), manual_forward(x, weights, h0=zeros + 0.5))
