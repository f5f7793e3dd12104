"""The hidden-state pictures draw what they claim, and the PCA behind the 2-D view is right."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnn_lab import hidden_states, make_sequences, random_weights
from rnn_lab.plots.states import (
    MAX_LEGEND_UNITS,
    MAX_MARKED_STEPS,
    SATURATION_LEVEL,
    plot_projected_trajectory,
    plot_state_heatmap,
    plot_state_overview,
    plot_unit_trajectories,
)
from rnn_lab.projection import project_trajectory

#: PCA is checked against an independent eigen-decomposition in float64; both are
#: backward stable, so they agree to a small multiple of float64's epsilon times the scale.
PCA_ATOL = 1e-10


def states_of(T: int, H: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """Real hidden states of one sample, (T, H), from the book's recurrence."""
    x = make_sequences(2, T, 3, seed=seed, dtype="float64")
    weights = random_weights(3, H, 2, seed=seed, dtype="float64").scaled(scale)
    return hidden_states(x, weights)[0]


# ---------------------------------------------------------------- projection (PCA)


@pytest.mark.parametrize("T, H", [(15, 5), (200, 64), (40, 3), (3, 10)])
def test_pca_matches_an_eigen_decomposition_of_the_covariance(T, H):
    states = states_of(T, H, seed=T + H)
    projection = project_trajectory(states, 2)
    centred = states - states.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(eigenvalues)[::-1][:2]
    expected_share = eigenvalues[order] / eigenvalues.sum()
    np.testing.assert_allclose(projection.explained, expected_share, atol=PCA_ATOL)
    for k in range(2):  # the same direction, up to the sign an eigenvector is free to take
        dot = abs(projection.components[:, k] @ eigenvectors[:, order[k]])
        assert dot == pytest.approx(1.0, abs=1e-8)
    np.testing.assert_allclose(projection.coords, centred @ projection.components, atol=PCA_ATOL)
    np.testing.assert_allclose(projection.transform(states), projection.coords, atol=PCA_ATOL)


def test_pca_recovers_a_trajectory_that_lies_in_a_plane():
    rng = np.random.default_rng(1)
    plane = np.linalg.qr(rng.normal(size=(6, 2)))[0]  # two orthonormal directions in H = 6
    coords = rng.normal(size=(30, 2)) * [3.0, 1.0]
    states = coords @ plane.T + 0.25
    projection = project_trajectory(states)
    assert projection.explained.sum() == pytest.approx(1.0, abs=PCA_ATOL)
    rebuilt = projection.coords @ projection.components.T + projection.mean
    np.testing.assert_allclose(rebuilt, states, atol=PCA_ATOL)
    assert projection.explained[0] > projection.explained[1]


def test_pca_signs_are_fixed_so_the_picture_does_not_flip():
    projection = project_trajectory(states_of(50, 8))
    for k in range(2):
        column = projection.components[:, k]
        assert column[np.argmax(np.abs(column))] > 0


@pytest.mark.parametrize("T, H", [(20, 1), (1, 5), (1, 1)])
def test_pca_pads_missing_directions_with_zeros(T, H):
    projection = project_trajectory(states_of(T, H))
    assert projection.coords.shape == (T, 2)
    assert projection.components.shape == (H, 2)
    assert np.all(projection.coords[:, 1] == 0)
    assert projection.explained[1] == 0
    expected_first = 1.0 if T > 1 else 0.0  # one step does not move: no spread at all
    assert projection.explained[0] == pytest.approx(expected_first)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros((2, 3, 4)), ValueError, r"rank 2 .* \(T, H\)"),
        (np.zeros(5), ValueError, "rank 2"),
        (np.full((3, 2), np.nan), ValueError, "finite"),
        (np.array([["a"]]), TypeError, "real numbers"),
        (np.zeros((0, 3)), ValueError, "empty"),
    ],
)
def test_pca_rejects_bad_states(bad, error, match):
    with pytest.raises(error, match=match):
        project_trajectory(bad)


def test_pca_rejects_bad_component_counts_and_transform_shapes():
    with pytest.raises(ValueError, match="n_components"):
        project_trajectory(states_of(5, 3), 0)
    with pytest.raises(TypeError, match="n_components"):
        project_trajectory(states_of(5, 3), 1.5)
    projection = project_trajectory(states_of(5, 3))
    with pytest.raises(ValueError, match="H = 3"):
        projection.transform(np.zeros((2, 4)))


# ---------------------------------------------------------------- unit trajectories


@pytest.mark.parametrize("T, H", [(15, 5), (1, 1), (100, 32), (31, 9)])
def test_trajectories_draw_one_line_per_unit_through_every_step(T, H):
    states = states_of(T, H)
    fig, ax = plot_unit_trajectories(states)
    lines = ax.collections[0]
    segments = lines.get_segments()
    assert len(segments) == H
    for j, segment in enumerate(segments):
        np.testing.assert_array_equal(segment[:, 0], np.arange(1, T + 1))
        np.testing.assert_allclose(segment[:, 1], states[:, j])
    markers = ax.collections[1:]
    if T <= MAX_MARKED_STEPS:
        assert len(markers) == 1 and len(markers[0].get_offsets()) == T * H
    else:
        assert not markers
    legend = ax.get_legend()
    if H <= MAX_LEGEND_UNITS:
        assert [t.get_text() for t in legend.get_texts()] == [f"j = {j}" for j in range(H)]
    else:
        assert legend is None
    assert ax.get_xlabel() == "timestep t" and ax.get_ylabel() == "$h_t[j]$"


def test_trajectories_shade_the_saturated_bands():
    fig, ax = plot_unit_trajectories(states_of(10, 2))
    edges = [(p.get_y(), p.get_y() + p.get_height()) for p in ax.patches]
    bands = sorted((round(min(e), 6), round(max(e), 6)) for e in edges)
    assert bands == [(-1.05, -SATURATION_LEVEL), (SATURATION_LEVEL, 1.05)]


def test_trajectories_draw_on_a_given_axes():
    fig, ax = plt.subplots()
    returned_fig, returned_ax = plot_unit_trajectories(states_of(5, 2), ax=ax)
    assert returned_fig is fig and returned_ax is ax


@pytest.mark.parametrize("plot", [plot_unit_trajectories, plot_state_heatmap])
def test_state_plots_ask_for_one_sample_not_a_batch(plot):
    with pytest.raises(ValueError, match=r"pick one sample, e\.g\. states\[0\]"):
        plot(np.zeros((4, 10, 3)))


@pytest.mark.parametrize(
    "plot", [plot_unit_trajectories, plot_state_heatmap, plot_projected_trajectory]
)
@pytest.mark.parametrize(
    "bad, error",
    [
        (np.zeros(10), ValueError),
        (np.full((4, 2), np.inf), ValueError),
        (np.array([[True, False]]), TypeError),
        (None, TypeError),
    ],
)
def test_state_plots_reject_bad_states(plot, bad, error):
    with pytest.raises(error):
        plot(bad)


# ---------------------------------------------------------------- heat map


@pytest.mark.parametrize("T, H", [(15, 5), (200, 64), (1, 1)])
def test_heatmap_shows_units_down_and_time_across(T, H):
    states = states_of(T, H)
    fig, ax = plot_state_heatmap(states)
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array(), states.T)
    assert image.get_clim() == (-1.0, 1.0)
    assert image.get_extent() == [0.5, T + 0.5, H - 0.5, -0.5]  # unit 0 at the top
    assert len(fig.axes) == 2  # the heat map and its colour bar
    assert ax.get_ylabel() == "hidden unit j"


def test_heatmap_colour_scale_widens_for_values_beyond_one_and_colorbar_is_optional():
    fig, ax = plot_state_heatmap(np.array([[2.0, -0.5], [0.1, 0.2]]), colorbar=False)
    assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert len(fig.axes) == 1


# ---------------------------------------------------------------- 2-D projection


@pytest.mark.parametrize("T, H", [(15, 5), (100, 32), (1, 3), (12, 1)])
def test_projection_plot_draws_every_step_and_marks_start_and_end(T, H):
    states = states_of(T, H)
    fig, ax = plot_projected_trajectory(states)
    z = project_trajectory(states).coords
    points = ax.collections[0]
    np.testing.assert_allclose(points.get_offsets(), z)
    np.testing.assert_array_equal(points.get_array(), np.arange(1, T + 1))  # colour = time
    marks = {
        line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")
    }
    assert set(marks) == {"start $h_1$", f"end $h_{{{T}}}$"}
    np.testing.assert_allclose(np.ravel(marks["start $h_1$"].get_xydata()), z[0])
    np.testing.assert_allclose(np.ravel(marks[f"end $h_{{{T}}}$"].get_xydata()), z[-1])
    share = project_trajectory(states).explained
    assert f"{share[0]:.0%}" in ax.get_xlabel() and f"{share[1]:.0%}" in ax.get_ylabel()
    assert len(fig.axes) == 2  # with its "timestep t" colour bar


def test_projection_plot_uses_a_projection_given_to_it():
    states = states_of(20, 4)
    projection = project_trajectory(states)
    fig, ax = plot_projected_trajectory(states, projection=projection)
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), projection.coords)
    with pytest.raises(ValueError, match="T = 20"):
        plot_projected_trajectory(states, projection=project_trajectory(states[:10]))
    with pytest.raises(ValueError, match="project_trajectory"):
        plot_projected_trajectory(states, projection=projection.coords)


# ---------------------------------------------------------------- overview


def test_overview_draws_four_panels_and_reuses_the_error_plot():
    states = states_of(20, 4)
    errors = {"sample 0": np.full(20, 1e-7), "all": np.full(20, 2e-7)}
    fig, axes = plot_state_overview(states, errors, dtype="float32", title="demo")
    assert list(axes) == ["trajectories", "heatmap", "projection", "errors"]
    assert len(axes["trajectories"].collections[0].get_segments()) == 4
    assert axes["heatmap"].images[0].get_array().shape == (4, 20)
    assert axes["errors"].get_yscale() == "log"
    assert [t.get_text() for t in axes["errors"].get_legend().get_texts()] == list(errors)
    assert fig._suptitle.get_text() == "demo"


def test_overview_rejects_errors_of_the_wrong_length():
    with pytest.raises(ValueError, match="one entry per timestep, T = 20; got 19"):
        plot_state_overview(states_of(20, 4), np.full(19, 1e-7))
    with pytest.raises(ValueError, match="rank 1"):
        plot_state_overview(states_of(20, 4), np.zeros((20, 2)))
