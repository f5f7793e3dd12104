"""The claims of chapter 6 (Precision and stability), asserted.

Every test here could fail: the agreement bounds are the book's named tolerances, the
spectral radius is checked against an independent eigenvalue computation, and the
regime claims (forgetting below the edge, chaos above it) are checked with margins of
orders of magnitude, not tuned to one seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import (
    FLOAT32_ATOL,
    FLOAT64_ATOL,
    SimpleRNNWeights,
    hidden_states,
    machine_epsilon,
    make_sequences,
    random_weights,
)
from rnn_lab.stability import (
    OPERATION_SWAPS,
    SATURATION_LEVEL,
    agreement,
    compare_matmuls,
    distance_from_float64,
    error_growth,
    hidden_states_keras_order,
    hidden_states_with,
    keras_hidden_states,
    operation_swaps,
    recurrent_scale_sweep,
    saturated_fraction,
    sensitivity_to_h0,
    spectral_radius,
    step_routines,
    summation_bound,
    ulp_difference,
)
from rnn_lab.tolerances import KERNEL_SWAP_EPS

#: The longest sequence chapter 6 makes claims about.
LONGEST_T = 1000
#: Scales of ``Wh`` the chapter sweeps; with H = 32 they take ρ(Wh) from ~0.15 to ~5.
SWEEP_SCALES = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
#: A difference at least this large is "O(1)" for values in [-1, 1].
ORDER_ONE = 0.1


# --------------------------------------------------------------------------- spectral radius


@pytest.mark.parametrize("H", [1, 2, 5, 17, 64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spectral_radius_matches_eigvals(H, seed):
    Wh = np.random.default_rng(seed).normal(size=(H, H))
    expected = max(abs(complex(v)) for v in np.linalg.eigvals(Wh))
    assert spectral_radius(Wh) == pytest.approx(expected, rel=1e-12)


def test_spectral_radius_of_known_matrices():
    angle = 0.3
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert spectral_radius(0.5 * rotation) == pytest.approx(0.5)  # complex pair, |λ| = 0.5
    assert spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]])) == 0.0  # nilpotent
    assert spectral_radius(np.diag([0.2, -0.9, 0.4])) == pytest.approx(0.9)


def test_spectral_radius_scales_linearly_with_recurrent_scale():
    weights = random_weights(3, 16, 2, seed=4, dtype="float64")
    rho = spectral_radius(weights.Wh)
    for s in (0.5, 2.0, 7.0):
        assert spectral_radius(weights.scaled(s).Wh) == pytest.approx(s * rho, rel=1e-10)


def test_random_weights_eigenvalues_fill_the_circular_law_disc():
    # Chapter 6: entries uniform in [-1, 1]/sqrt(H) have variance 1/(3H), so the
    # eigenvalues fill a disc of radius r = 1/sqrt(3) ≈ 0.577 nearly uniformly: half
    # of them lie within r/sqrt(2), and the largest pokes only a little beyond r.
    r = 1 / np.sqrt(3)
    for seed in range(5):
        moduli = np.abs(np.linalg.eigvals(random_weights(3, 64, 1, seed=seed).Wh))
        assert np.median(moduli) == pytest.approx(r / np.sqrt(2), abs=0.03)
        assert r * 0.95 < moduli.max() < r * 1.2


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (np.ones((3, 4)), ValueError),
        (np.ones(3), ValueError),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError),
        (np.array([["a"]]), TypeError),
        (None, TypeError),
    ],
)
def test_spectral_radius_rejects_bad_input(bad, error):
    with pytest.raises(error, match="Wh"):
        spectral_radius(bad)


# --------------------------------------------------------------------------- agreement vs Keras


@pytest.mark.parametrize(
    ("dims", "hidden_units", "outputs", "n"),
    [(3, 5, 5, 100), (4, 32, 2, 8)],
    ids=["original", "wider"],
)
def test_error_stays_within_tolerance_up_to_T_1000(dims, hidden_units, outputs, n):
    weights = random_weights(dims, hidden_units, outputs, seed=2, dtype="float64")
    x = make_sequences(n, LONGEST_T, dims, seed=1, dtype="float64")
    errors = error_growth(weights, x)
    assert set(errors) == {"float32", "float64"}
    for e in errors.values():
        assert e.shape == (LONGEST_T,)
        assert np.all(np.isfinite(e))
    assert errors["float64"].max() < FLOAT64_ATOL
    assert errors["float32"].max() < FLOAT32_ATOL
    # The two precisions really differ: float32 is many orders of magnitude less exact.
    assert errors["float32"].max() > 1e4 * errors["float64"].max()


def test_float32_rounding_error_is_visible_and_within_tolerance():
    weights = random_weights(3, 5, 5, seed=2, dtype="float64")
    x = make_sequences(100, 200, 3, seed=1, dtype="float64")
    d = distance_from_float64(weights, x)
    assert d.shape == (200,)
    assert d.max() < FLOAT32_ATOL
    # float32 rounding is visible: far above what float64 rounding could explain
    assert d.max() > 1e6 * machine_epsilon("float64")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_keras_hidden_states_match_manual_hidden_states(dtype):
    weights = random_weights(3, 7, 2, seed=5, dtype=dtype)
    x = make_sequences(9, 20, 3, seed=6, dtype=dtype)
    keras_h = keras_hidden_states(weights, x)
    manual_h = hidden_states(x, weights)
    assert keras_h.shape == manual_h.shape == (9, 20, 7)
    assert keras_h.dtype == np.dtype(dtype)
    assert np.max(np.abs(keras_h - manual_h)) < (
        FLOAT32_ATOL if dtype == "float32" else FLOAT64_ATOL
    )


@pytest.mark.parametrize("hidden_units", [5, 32])
def test_tensorflows_own_routines_in_keras_order_reproduce_keras_bit_for_bit(hidden_units):
    # Every operation is literally the routine Keras calls (tf.matmul, tf.add, tf.tanh, in
    # SimpleRNNCell's order), so this holds on any processor, whatever its kernels.
    weights = random_weights(3, hidden_units, 5, seed=2)
    x = make_sequences(100, 15, 3, seed=1)
    tensorflow = step_routines("tensorflow")
    ours = hidden_states_with(
        x,
        weights,
        matmul_x=tensorflow["matmul"],
        matmul_h=tensorflow["matmul"],
        add=tensorflow["add"],
        tanh=tensorflow["tanh"],
        bias_first=True,
    )
    np.testing.assert_array_equal(ours, keras_hidden_states(weights, x))


#: (D, H, seed) for the operation-swap experiment: the chapter's sizes, a single unit,
#: K = D + H from 2 to 72 terms per sum, so small and blocked matrix kernels both run.
SWAP_CASES = [(3, 5, 2), (3, 32, 2), (1, 1, 0), (8, 1, 1), (8, 17, 0), (3, 64, 1)]


@pytest.mark.parametrize(("dims", "hidden_units", "seed"), SWAP_CASES)
def test_each_swapped_routine_stays_within_a_few_eps_of_keras(dims, hidden_units, seed):
    # Which values stay bit-identical depends on this processor's kernels; the size of
    # the differences does not. Asserted: the unchanged row is exact, every other row is
    # within KERNEL_SWAP_EPS, and NumPy's additions are exact (IEEE + is correctly rounded).
    weights = random_weights(dims, hidden_units, 5, seed=seed)
    x = make_sequences(64, 30, dims, seed=seed + 10)
    swaps = operation_swaps(weights, x)
    assert list(swaps) == list(OPERATION_SWAPS)
    unchanged, *others = swaps.values()
    assert unchanged == {"identical": 1.0, "max_abs": 0.0, "max_eps": 0.0, "max_ulps": 0.0}
    assert swaps["the additions by NumPy's +"]["identical"] == 1.0
    for name, result in swaps.items():
        assert 0.0 <= result["identical"] <= 1.0, name
        assert result["max_eps"] <= KERNEL_SWAP_EPS, name
    # a real mistake is not a kernel difference: it overshoots the bound by far
    wrong = hidden_states_with(x, weights.scaled(1.01))
    assert agreement(wrong, keras_hidden_states(weights, x))["max_eps"] > 10 * KERNEL_SWAP_EPS


def test_kernel_swap_bound_is_tighter_than_the_general_tolerance():
    assert KERNEL_SWAP_EPS * machine_epsilon("float32") < FLOAT32_ATOL / 4


@pytest.mark.parametrize("K", [1, 3, 8, 17, 64, 300])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_and_tensorflow_matmul_differ_by_at_most_the_summation_bound(K, dtype):
    # A theorem, not a measurement: any order of K additions, with or without fused
    # multiply-adds, lands within gamma_K * sum |a||b| of the exact product.
    rng = np.random.default_rng(K)
    A = rng.uniform(-1, 1, (50, K)).astype(dtype)
    B = rng.uniform(-1, 1, (K, 20)).astype(dtype)
    result = compare_matmuls(A, B)
    assert 0.0 <= result["of_bound"] <= 1.0
    if dtype == "float32":  # float64 holds float32 products exactly: a referee for the bound
        exact = A.astype(np.float64) @ B.astype(np.float64)
        assert np.all(np.abs((A @ B).astype(np.float64) - exact) <= summation_bound(A, B))


def test_summation_bound_values_and_bad_input():
    A, B = np.ones((2, 4), np.float32), np.full((4, 3), -2.0, np.float32)
    u = machine_epsilon("float32") / 2
    np.testing.assert_allclose(summation_bound(A, B), 4 * u / (1 - 4 * u) * 8.0)
    with pytest.raises(ValueError, match="K = 4"):
        summation_bound(A, np.ones((3, 3)))
    with pytest.raises(ValueError, match="rank 2"):
        summation_bound(np.ones(3), B)


def test_agreement_counts_identical_values_and_eps():
    a = np.array([0.5, -0.25, 0.75, 1e-3], dtype=np.float32)
    b = a.copy()
    b[2] = np.nextafter(a[2], np.float32(1))  # one ulp of 0.75 = eps / 2
    result = agreement(a, b)
    assert result["identical"] == 0.75
    assert result["max_eps"] == 0.5
    assert result["max_ulps"] == 1.0
    assert result["max_abs"] == pytest.approx(machine_epsilon("float32") / 2)
    with pytest.raises(TypeError, match="dtype"):
        agreement(a, b.astype(np.float64))


def test_hidden_states_with_rejects_bad_input():
    weights = random_weights(3, 5, 5)
    x = make_sequences(2, 4, 3)
    with pytest.raises(TypeError, match="tanh must be a function"):
        hidden_states_with(x, weights, tanh="tf.tanh")
    with pytest.raises(ValueError, match="D = 2"):
        hidden_states_with(make_sequences(2, 4, 2), weights)
    with pytest.raises(ValueError, match="library"):
        step_routines("torch")
    # the default and bias-last orders are the book's two loops
    np.testing.assert_array_equal(
        hidden_states_with(x, weights, bias_first=False), hidden_states(x, weights)
    )
    np.testing.assert_array_equal(
        hidden_states_with(x, weights), hidden_states_keras_order(x, weights)
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_keras_order_changes_only_rounding(dtype):
    weights = random_weights(4, 6, 2, seed=3, dtype=dtype)
    x = make_sequences(5, 30, 4, seed=4, dtype=dtype)
    ours = hidden_states_keras_order(x, weights)
    assert ours.shape == (5, 30, 6) and ours.dtype == np.dtype(dtype)
    tolerance = FLOAT32_ATOL if dtype == "float32" else FLOAT64_ATOL
    assert np.max(np.abs(ours - hidden_states(x, weights))) < tolerance
    with pytest.raises(ValueError, match="D = 3"):
        hidden_states_keras_order(make_sequences(5, 30, 3, dtype=dtype), weights)


def test_error_growth_rejects_bad_input():
    weights = random_weights(3, 5, 5)
    with pytest.raises(TypeError, match="SimpleRNNWeights"):
        error_growth(weights.as_list(), make_sequences(2, 3, 3))
    with pytest.raises(ValueError, match="rank 3"):
        error_growth(weights, np.ones((2, 3)))
    with pytest.raises(TypeError, match="dtype"):
        error_growth(weights, make_sequences(2, 3, 3), dtypes=("float16",))


# --------------------------------------------------------------------------- saturation, regimes


def test_saturated_fraction_counts_units_near_plus_minus_one():
    states = np.array([[0.0, 0.5, -0.995, 0.99], [1.0, -1.0, 0.98, 0.2]])
    assert saturated_fraction(states) == pytest.approx(4 / 8)
    assert saturated_fraction(states, level=0.9) == pytest.approx(5 / 8)
    assert SATURATION_LEVEL == 0.99


@pytest.mark.parametrize(
    ("states", "level", "error", "match"),
    [
        (np.array([0.5, 1.5]), SATURATION_LEVEL, ValueError, "within"),
        (np.array([0.5, np.nan]), SATURATION_LEVEL, ValueError, "finite"),
        (np.array([]), SATURATION_LEVEL, ValueError, "empty"),
        (np.array([0.5]), 1.0, ValueError, "level"),
        (np.array([0.5]), 0.0, ValueError, "level"),
        (np.array(["x"]), SATURATION_LEVEL, TypeError, "real numbers"),
    ],
)
def test_saturated_fraction_rejects_bad_input(states, level, error, match):
    with pytest.raises(error, match=match):
        saturated_fraction(states, level)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_saturation_grows_with_recurrent_scale(seed):
    weights = random_weights(3, 32, 5, seed=seed + 10, dtype="float64")
    x = make_sequences(32, 200, 3, seed=seed, dtype="float64")
    sweep = recurrent_scale_sweep(weights, x, SWEEP_SCALES, with_keras=False)
    assert set(sweep) == {"scale", "spectral_radius", "max_abs_h", "saturated_fraction"}
    assert np.all(np.diff(sweep["saturated_fraction"]) >= 0)
    assert np.all(np.diff(sweep["max_abs_h"]) >= 0)
    assert sweep["saturated_fraction"][0] == 0.0  # ρ ≈ 0.15: nothing near ±1
    assert sweep["saturated_fraction"][-1] > 0.3  # ρ ≈ 5: most values pinned at ±1
    np.testing.assert_allclose(
        sweep["spectral_radius"], np.array(SWEEP_SCALES) * spectral_radius(weights.Wh)
    )


def test_agreement_holds_while_contracting_and_breaks_in_chaos():
    # Chapter 6's sweep, with Keras: below ρ ≈ 1 float32 agrees within tolerance;
    # at ρ ≈ 5 the recurrence amplifies rounding differences to O(1).
    weights = random_weights(3, 32, 5, seed=2)
    x = make_sequences(16, 100, 3, seed=1)
    sweep = recurrent_scale_sweep(weights, x, (0.5, 1.0, 8.0))
    assert sweep["spectral_radius"][1] < 1
    assert np.all(sweep["keras_error"][:2] < FLOAT32_ATOL)
    assert sweep["keras_error"][2] > ORDER_ONE


def test_small_differences_fade_below_the_edge_and_explode_above_it():
    weights = random_weights(3, 32, 5, seed=2, dtype="float64")
    x = make_sequences(16, 300, 3, seed=1, dtype="float64")
    delta = 1e-9
    fading = sensitivity_to_h0(weights, x, delta=delta)
    chaotic = sensitivity_to_h0(weights.scaled(8.0), x, delta=delta)
    assert fading.shape == chaotic.shape == (300,)
    # ρ < 1 is a statement about many steps (one step may still stretch δ a little)
    assert fading[100:].max() < 1e-6 * delta
    assert chaotic[100:].min() > ORDER_ONE


def test_recurrent_scale_sweep_rejects_bad_input():
    weights = random_weights(3, 5, 5)
    x = make_sequences(2, 4, 3)
    with pytest.raises(ValueError, match="positive"):
        recurrent_scale_sweep(weights, x, [1.0, -2.0], with_keras=False)
    with pytest.raises(ValueError, match="rank 1"):
        recurrent_scale_sweep(weights, x, [[1.0]], with_keras=False)
    with pytest.raises(ValueError, match="finite"):
        recurrent_scale_sweep(weights, x, [np.inf], with_keras=False)
    with pytest.raises(TypeError, match="SimpleRNNWeights"):
        recurrent_scale_sweep("weights", x, [1.0], with_keras=False)


def test_sensitivity_rejects_bad_delta():
    weights = random_weights(3, 5, 5)
    x = make_sequences(2, 4, 3)
    for bad in (0.0, -1e-9, 2.0, np.nan):
        with pytest.raises(ValueError, match="delta"):
            sensitivity_to_h0(weights, x, delta=bad)


# --------------------------------------------------------------------------- ulps


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ulp_difference_counts_representable_steps(dtype):
    a = np.array([1.0, -3.5, 1e-3, 0.7], dtype=dtype)
    one_up = np.nextafter(a, np.array(np.inf, dtype=dtype))
    two_up = np.nextafter(one_up, np.array(np.inf, dtype=dtype))
    np.testing.assert_array_equal(ulp_difference(a, a), 0.0)
    np.testing.assert_array_equal(ulp_difference(a, one_up), 1.0)
    assert np.all(ulp_difference(a, two_up) > ulp_difference(a, one_up))


def test_ulp_difference_rejects_mismatches():
    with pytest.raises(TypeError, match="dtype"):
        ulp_difference(np.ones(2, np.float32), np.ones(2, np.float64))
    with pytest.raises(ValueError, match="shape"):
        ulp_difference(np.ones(2), np.ones(3))


def test_weights_record_is_what_the_functions_accept():
    # SimpleRNNWeights built by hand, float64, also works end to end.
    rng = np.random.default_rng(0)
    Wx, Wh = rng.normal(size=(2, 3)), 0.1 * rng.normal(size=(3, 3))
    w = SimpleRNNWeights(Wx, Wh, np.ones(3), np.ones((3, 1)), np.zeros(1))
    x = make_sequences(2, 5, 2, dtype="float64")
    assert sensitivity_to_h0(w, x).shape == (5,)
