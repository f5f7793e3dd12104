"""Plots draw what they claim and refuse data of the wrong shape."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import (
    draw_timestep,
    plot_error_per_timestep,
    plot_inputs,
    plot_weight_matrices,
    random_weights,
)


def test_error_plot_draws_one_line_per_series_and_the_epsilon_line():
    errors = {"a": np.array([1e-7, 2e-7, 3e-7]), "b": np.array([1e-8, 1e-8, 4e-8])}
    fig, ax = plot_error_per_timestep(errors, dtype="float32")
    data_lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 3]
    assert len(data_lines) == 2
    assert ax.get_yscale() == "log"
    eps_lines = [line for line in ax.get_lines() if np.allclose(line.get_ydata(), 2.0**-23)]
    assert len(eps_lines) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_error_plot_marks_exact_zeros_instead_of_dropping_them():
    fig, ax = plot_error_per_timestep(np.array([0.0, 1e-16, 0.0, 3e-16]), dtype="float64")
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(markers) == 1
    np.testing.assert_array_equal(markers[0].get_xdata(), [1, 3])


@pytest.mark.parametrize(
    "bad, error",
    [
        (np.zeros((3, 2)), ValueError),
        (np.array([-1.0, 1.0]), ValueError),
        ({}, ValueError),
        (np.array(["a"]), TypeError),
    ],
)
def test_error_plot_rejects_bad_data(bad, error):
    with pytest.raises(error):
        plot_error_per_timestep(bad)


def test_inputs_plot_draws_one_line_per_feature():
    fig, ax = plot_inputs(np.random.default_rng(0).random((15, 3)))
    assert len(ax.get_lines()) == 3
    with pytest.raises(ValueError, match=r"\(T, D\)"):
        plot_inputs(np.zeros((2, 15, 3)))


def test_weight_matrices_plot_shows_five_arrays_with_their_shapes():
    fig, axes = plot_weight_matrices(random_weights(3, 5, 4))
    assert [ax.get_title() for ax in axes] == [
        "$W_x$ (3, 5)",
        "$W_h$ (5, 5)",
        "$B_h$ (5,)",
        "$W_o$ (5, 4)",
        "$B_o$ (4,)",
    ]


def test_timestep_diagram_labels_the_shapes():
    fig, ax = draw_timestep(dims=3, hidden_units=7, outputs=2)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "(n, 3)" in texts and "(n, 7)" in texts and "(n, 2)" in texts and "(7, 7)" in texts
