"""The chapter-6 plots draw what they claim and refuse data of the wrong shape."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.plots.stability import (
    plot_eigenvalues,
    plot_error_growth,
    plot_hidden_trajectories,
    plot_scale_sweep,
    plot_sensitivity,
)
from rnn_lab.stability import SATURATION_LEVEL
from rnn_lab.tolerances import FLOAT32_ATOL, FLOAT64_ATOL, machine_epsilon


def _rng():
    return np.random.default_rng(0)


def test_error_growth_draws_rounding_two_errors_and_reference_lines():
    T = 50
    e32 = _rng().uniform(1e-8, 1e-7, T)
    e32[3] = 0.0  # exact agreement: left out on a log axis
    growth = {"float32": e32, "float64": _rng().uniform(1e-17, 1e-16, T)}
    fig, ax = plot_error_growth(growth, _rng().uniform(1e-8, 1e-7, T), title="x")
    lines = ax.get_lines()
    assert len(lines) == 3 + 4  # rounding + 2 error curves + tolerance and ε per dtype
    assert len(lines[1].get_xdata()) == T - 1
    levels = {float(line.get_ydata()[0]) for line in lines if len(line.get_ydata()) == 2}
    assert levels == {
        FLOAT32_ATOL,
        FLOAT64_ATOL,
        machine_epsilon("float32"),
        machine_epsilon("float64"),
    }
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert len(ax.get_legend().get_texts()) == 3


@pytest.mark.parametrize(
    ("growth", "rounding", "error"),
    [
        ({"float32": np.ones(5)}, np.ones((5, 1)), ValueError),
        ({"float32": np.ones(4)}, np.ones(5), ValueError),
        ({"float16": np.ones(5)}, np.ones(5), ValueError),
        ([np.ones(5)], np.ones(5), TypeError),
        ({"float32": np.array(["a"] * 5)}, np.ones(5), TypeError),
    ],
)
def test_error_growth_rejects_wrong_input(growth, rounding, error):
    with pytest.raises(error):
        plot_error_growth(growth, rounding)


def test_eigenvalues_draws_one_point_per_eigenvalue_and_both_circles():
    a = _rng().normal(size=(6, 6))
    lam_a, lam_b = np.linalg.eigvals(a), np.linalg.eigvals(np.linalg.qr(a)[0])
    fig, ax = plot_eigenvalues({"random": lam_a, "orthogonal": lam_b})
    assert len(ax.get_lines()) == 2  # unit circle and circular-law circle
    sizes = [len(collection.get_offsets()) for collection in ax.collections]
    assert sizes == [6, 6]
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], lam_a.imag)
    assert [t.get_text() for t in ax.get_legend().get_texts()][2:] == ["random", "orthogonal"]


@pytest.mark.parametrize(
    ("eigenvalues", "error"),
    [
        ({"a": np.ones((2, 2))}, ValueError),
        ({"a": np.array([])}, ValueError),
        ({"a": np.array(["x"])}, TypeError),
        ({"a": np.array([np.nan])}, ValueError),
        ({}, ValueError),
        ({"a": [1], "b": [1], "c": [1]}, ValueError),
        (np.ones(3), TypeError),
    ],
)
def test_eigenvalues_rejects_wrong_input(eigenvalues, error):
    with pytest.raises(error):
        plot_eigenvalues(eigenvalues)


def test_hidden_trajectories_one_panel_per_scale_and_one_line_per_unit():
    states = {s: np.tanh(s * _rng().normal(size=(3, 80, 7))) for s in (0.5, 2.0, 8.0)}
    fig, axes = plot_hidden_trajectories(states, {0.5: 0.3, 2.0: 1.2, 8.0: 4.6}, steps=60, units=4)
    assert len(axes) == 3
    for ax in axes:
        assert len(ax.get_lines()) == 4
        assert all(len(line.get_xdata()) == 60 for line in ax.get_lines())
        assert len(ax.patches) == 2  # the two saturated bands
    np.testing.assert_array_equal(axes[2].get_lines()[0].get_ydata(), states[8.0][0, :60, 0])
    assert "ρ = 4.60" in axes[2].get_title()
    assert str(SATURATION_LEVEL) in fig.get_suptitle()
    assert "three scales" in fig.get_suptitle()


@pytest.mark.parametrize(
    ("trajectories", "radii", "error"),
    [
        ({1.0: np.zeros((3, 10))}, {1.0: 0.5}, ValueError),
        ({1.0: np.zeros((1, 10, 2))}, {2.0: 0.5}, ValueError),
        ({1.0: np.zeros((1, 10, 2))}, [0.5], TypeError),
        ({1.0: np.zeros((1, 10, 2), dtype=bool)}, {1.0: 0.5}, TypeError),
        ({}, {}, ValueError),
    ],
)
def test_hidden_trajectories_rejects_wrong_input(trajectories, radii, error):
    with pytest.raises(error):
        plot_hidden_trajectories(trajectories, radii)


def test_sensitivity_draws_each_curve_and_the_prediction_only_below_one():
    T = 40
    memory = {0.5: 1e-9 * 0.5 ** np.arange(1, T + 1), 4.0: np.geomspace(1e-9, 1.0, T)}
    fig, ax = plot_sensitivity(memory, {0.5: 0.3, 4.0: 2.4})
    lines = ax.get_lines()
    assert len(lines) == 2 + 1 + 1  # two curves, one prediction (ρ < 1), the δ line
    dotted = [line for line in lines if line.get_linestyle() == ":"]
    np.testing.assert_allclose(dotted[0].get_ydata(), 1e-9 * 0.3 ** np.arange(1, T + 1))
    assert "1e-9" in ax.get_title()
    assert len(ax.get_legend().get_texts()) == 2


@pytest.mark.parametrize(
    ("memory", "radii", "error"),
    [
        ({1.0: np.ones((2, 3))}, {1.0: 1.0}, ValueError),
        ({1.0: np.ones(3), 2.0: np.ones(4)}, {1.0: 1.0, 2.0: 2.0}, ValueError),
        ({1.0: np.ones(3)}, {}, ValueError),
        ({1.0: "abc"}, {1.0: 1.0}, TypeError),
    ],
)
def test_sensitivity_rejects_wrong_input(memory, radii, error):
    with pytest.raises(error):
        plot_sensitivity(memory, radii)


def _sweep(k=5):
    rho = np.geomspace(0.2, 5, k)
    return {
        "scale": rho,
        "spectral_radius": rho,
        "max_abs_h": np.linspace(0.3, 1.0, k),
        "saturated_fraction": np.linspace(0.0, 0.9, k),
        "keras_error": np.geomspace(1e-7, 1e-1, k),
    }


def test_scale_sweep_draws_one_point_per_scale_in_each_panel():
    fig, (left, right) = plot_scale_sweep(_sweep(), steps=100, title="t")
    curves = [
        line for line in (*left.get_lines(), *right.get_lines()) if len(line.get_xdata()) == 5
    ]
    assert len(curves) == 3
    levels = [
        float(line.get_ydata()[0]) for line in right.get_lines() if len(line.get_ydata()) == 2
    ]
    assert FLOAT32_ATOL in levels and machine_epsilon("float32") in levels
    assert "100 steps" in right.get_title()
    assert fig.get_suptitle() == "t"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"keras_error": None}, TypeError),
        ({"max_abs_h": np.ones(4)}, ValueError),
        ({"saturated_fraction": np.ones((5, 1))}, ValueError),
    ],
)
def test_scale_sweep_rejects_wrong_input(change, error):
    with pytest.raises(error):
        plot_scale_sweep(_sweep() | change)


def test_scale_sweep_needs_the_keras_column():
    sweep = _sweep()
    del sweep["keras_error"]
    with pytest.raises(ValueError, match="keras_error"):
        plot_scale_sweep(sweep)
