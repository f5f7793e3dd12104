"""The explorer's computation: controls are checked, Keras and the manual loop agree where
the recurrence is stable, and every number in the summary is the one it claims to be."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import max_abs_error

from rnn_lab import (
    count_parameters,
    hidden_states,
    keras_reference,
    manual_forward,
    random_weights,
    tolerance_for,
)
from rnn_lab.explorer.compute import (
    CONTROL_RANGES,
    DIMS,
    N_SAMPLES,
    OUTPUTS,
    ExplorerConfig,
    explore,
    explorer_inputs,
    keras_states_and_outputs,
    keras_tracing_count,
)
from rnn_lab.forward import error_per_timestep
from rnn_lab.stability import SATURATION_LEVEL

#: Up to this recurrent scale (spectral radius of s·Wh up to about 1.2 for every H here)
#: old differences fade, so Keras and the loop must agree within the book's tolerances.
#: Beyond it the recurrence can be chaotic and rounding differences grow: see
#: test_a_chaotic_recurrence_amplifies_rounding_differences.
STABLE_SCALE_LIMIT = 2.0

AGREEMENT_GRID = [
    (H, T, scale, seed)
    for H, T in [(1, 1), (1, 200), (2, 17), (5, 15), (16, 60), (33, 100), (64, 200)]
    for scale, seed in [(0.0, 3), (0.7, 1), (1.0, 0), (STABLE_SCALE_LIMIT, 2)]
]


# ---------------------------------------------------------------- controls


def test_defaults_are_the_books_running_example():
    config = ExplorerConfig()
    assert (config.hidden_units, config.seq_len, config.recurrent_scale) == (5, 15, 1.0)
    assert (DIMS, OUTPUTS, config.dtype) == (3, 5, "float32")


@pytest.mark.parametrize(
    "name, low, high",
    [(name, *CONTROL_RANGES[name]) for name in ("hidden_units", "seq_len", "seed", "sample")],
)
def test_integer_controls_accept_their_range_and_refuse_beyond(name, low, high):
    assert getattr(ExplorerConfig(**{name: low}), name) == low
    assert getattr(ExplorerConfig(**{name: high}), name) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(ValueError, match=rf"{name} must be in {low}\.\.{high}; got {outside}"):
            ExplorerConfig(**{name: outside})
    with pytest.raises(TypeError, match=f"{name} must be an integer"):
        ExplorerConfig(**{name: float(low)})
    with pytest.raises(TypeError, match=f"{name} must be an integer"):
        ExplorerConfig(**{name: True})


def test_recurrent_scale_is_checked():
    low, high = CONTROL_RANGES["recurrent_scale"]
    assert ExplorerConfig(recurrent_scale=np.float32(high)).recurrent_scale == high
    for bad in (low - 0.01, high + 0.01, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="recurrent_scale must be in"):
            ExplorerConfig(recurrent_scale=bad)
    with pytest.raises(TypeError, match="recurrent_scale must be a number"):
        ExplorerConfig(recurrent_scale="2")


def test_dtype_is_checked():
    assert ExplorerConfig(dtype=np.float64).dtype == "float64"
    with pytest.raises(TypeError, match="float32"):
        ExplorerConfig(dtype="int8")


def test_clamped_moves_values_into_range_but_still_refuses_nonsense():
    config = ExplorerConfig.clamped(
        hidden_units=500, seq_len=0, seed=-5, recurrent_scale=9.5, sample=N_SAMPLES
    )
    ends = {"hidden_units": 1, "seq_len": 0, "seed": 0, "recurrent_scale": 1, "sample": 1}
    for name, end in ends.items():
        assert getattr(config, name) == CONTROL_RANGES[name][end], name
    assert config.sample == N_SAMPLES - 1
    assert ExplorerConfig.clamped(hidden_units=7).hidden_units == 7  # in range: unchanged
    with pytest.raises(ValueError, match="recurrent_scale"):
        ExplorerConfig.clamped(recurrent_scale=float("nan"))
    with pytest.raises(TypeError, match="hidden_units"):
        ExplorerConfig.clamped(hidden_units="64")


def test_explore_refuses_what_is_not_a_config():
    with pytest.raises(TypeError, match="ExplorerConfig"):
        explore({"hidden_units": 5})
    with pytest.raises(ValueError, match="hidden_units must be in"):
        explore(hidden_units=65)


# ---------------------------------------------------------------- agreement with Keras


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("H, T, scale, seed", AGREEMENT_GRID)
def test_explorer_agrees_with_keras_within_the_tolerance(H, T, scale, seed, dtype):
    result = explore(hidden_units=H, seq_len=T, seed=seed, recurrent_scale=scale, dtype=dtype)
    tolerance = tolerance_for(dtype)
    n = N_SAMPLES
    assert result.x.shape == (n, T, DIMS) and result.x.dtype == dtype
    assert result.states.shape == result.keras_states.shape == (n, T, H)
    assert result.manual_y.shape == result.keras_y.shape == (n, T, OUTPUTS)
    assert result.max_error <= tolerance and result.within_tolerance
    assert max_abs_error(result.keras_states, result.states) <= tolerance
    # The cached, traced Keras path gives what fresh Keras layers give on these T steps.
    reference = keras_reference(result.weights, result.x, return_sequences=True)
    assert max_abs_error(reference, result.keras_y) <= tolerance
    # The manual side is the book's loop, run on these T steps alone.
    np.testing.assert_array_equal(result.states, hidden_states(result.x, result.weights))
    manual = manual_forward(result.x, result.weights, return_sequences=True)
    assert max_abs_error(manual, result.manual_y) <= tolerance


def test_weights_are_random_weights_with_wh_scaled():
    result = explore(hidden_units=6, seed=4, recurrent_scale=2.5)
    base = random_weights(DIMS, 6, OUTPUTS, seed=4)
    np.testing.assert_allclose(result.weights.Wh, 2.5 * base.Wh, rtol=1e-6)
    for name in ("Wx", "Bh", "Wo", "Bo"):
        np.testing.assert_array_equal(getattr(result.weights, name), getattr(base, name))
    assert np.all(base.Bh != 0)  # non-zero biases: a loop that forgot one could not agree


def test_errors_are_the_maximum_over_samples_and_outputs():
    result = explore(hidden_units=8, seq_len=30, recurrent_scale=1.5)
    difference = np.abs(result.keras_y.astype(np.float64) - result.manual_y)
    np.testing.assert_array_equal(result.errors_per_sample, difference.max(axis=2))
    np.testing.assert_array_equal(result.errors, difference.max(axis=(0, 2)))
    assert result.max_error == difference.max()
    independent = error_per_timestep(result.weights, result.x)
    assert max_abs_error(independent, result.errors) <= tolerance_for("float32")


def test_a_shorter_sequence_is_the_start_of_a_longer_one():
    long = explore(hidden_units=7, seq_len=120, seed=5, recurrent_scale=1.2)
    short = long.truncated(40)
    assert short.config.seq_len == 40
    np.testing.assert_array_equal(short.x, explorer_inputs(40))
    np.testing.assert_array_equal(short.states, hidden_states(short.x, short.weights))
    np.testing.assert_array_equal(short.states, long.states[:, :40])
    reference = keras_reference(short.weights, short.x, return_sequences=True)
    assert max_abs_error(reference, short.keras_y) <= tolerance_for("float32")
    with pytest.raises(ValueError, match="at most 120"):
        long.truncated(121)


def test_a_chaotic_recurrence_amplifies_rounding_differences():
    """Past the stable range the two correct implementations drift apart: a rounding
    difference of ~1e-7 grows by orders of magnitude. This is why the tolerances hold
    only for stable recurrences, and what the chapter shows at a recurrent scale of 4."""
    result = explore(hidden_units=64, seq_len=200, recurrent_scale=4.0)
    assert result.spectral_radius > 1.5
    early, late = result.errors[:5].max(), result.errors[-50:].max()
    assert early <= tolerance_for("float32")
    assert late > 1000 * tolerance_for("float32")
    assert not result.within_tolerance and "ABOVE" in result.summary


# ---------------------------------------------------------------- what the summary reports


def test_summary_numbers_are_the_computed_ones():
    result = explore(hidden_units=12, seq_len=40, seed=3, recurrent_scale=2.0)
    eigenvalues = np.linalg.eigvals(result.weights.Wh.astype(np.float64))
    assert result.spectral_radius == pytest.approx(np.abs(eigenvalues).max())
    assert result.parameter_count == count_parameters(DIMS, 12, OUTPUTS)["total"]
    saturated = np.mean(np.abs(result.states) > SATURATION_LEVEL)
    assert result.saturated_fraction == pytest.approx(saturated)
    summary = result.summary
    for expected in (
        "H = 12",
        "T = 40",
        "Wh × 2",
        f"spectral radius {result.spectral_radius:.2f}",
        f"{result.parameter_count} parameters",
        f"max |Keras − manual| = {result.max_error:.1e}",
        "within the float32 tolerance 1e-05",
        f"{saturated:.0%} of h_t saturated",
    ):
        assert expected in summary


def test_spectral_radius_grows_linearly_with_the_scale_and_saturation_with_it():
    calm = explore(hidden_units=32, seq_len=100, recurrent_scale=0.5)
    wild = explore(hidden_units=32, seq_len=100, recurrent_scale=4.0)
    assert wild.spectral_radius == pytest.approx(8 * calm.spectral_radius, rel=1e-5)
    assert wild.saturated_fraction > calm.saturated_fraction + 0.1


def test_changing_the_sample_only_chooses_what_is_drawn():
    first = explore(hidden_units=4, seq_len=10, sample=0)
    third = explore(hidden_units=4, seq_len=10, sample=2)
    assert third.states is first.states or np.array_equal(third.states, first.states)
    np.testing.assert_array_equal(third.sample_states, first.states[2])


def test_results_are_read_only():
    result = explore()
    for array in (result.x, result.states, result.keras_states, result.manual_y, result.keras_y):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0, 0] = 1.0


def test_keras_runner_refuses_other_network_shapes():
    x = np.zeros((2, 4, DIMS), dtype=np.float32)
    with pytest.raises(ValueError, match=f"D = {DIMS} and O = {OUTPUTS}"):
        keras_states_and_outputs(random_weights(DIMS + 1, 4, OUTPUTS), x)
    with pytest.raises(ValueError, match=f"D = {DIMS} and O = {OUTPUTS}"):
        keras_states_and_outputs(random_weights(DIMS, 4, OUTPUTS + 1), x)


def test_keras_is_traced_once_for_every_size():
    """A new H, T or batch size is one more call of the same traced function: no new
    layer, no retracing (what made a first visit of a new H take half a second)."""
    explore(hidden_units=5, seq_len=15)
    traces = keras_tracing_count("float32")
    assert traces == 1
    for H in (1, 2, 17, 40, 63):
        explore(hidden_units=H, seed=11, recurrent_scale=1.3)
    x = explorer_inputs(9)[:3]  # another batch size n and length T
    keras_states_and_outputs(random_weights(DIMS, 6, OUTPUTS, seed=2), x)
    assert keras_tracing_count("float32") == traces
