"""rnn_lab.plots.gradients: the figures of the gradient and training chapters (gradient
norms by distance, truncation, training runs side by side, clipping) draw what they claim
and refuse mismatched data."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.plots.gradients import (
    plot_clipping,
    plot_gradient_norms,
    plot_loss_curves,
    plot_predictions,
    plot_training_comparison,
    plot_truncation_errors,
)


def _runs(steps=20):
    rng = np.random.default_rng(0)
    losses = {"no clipping": rng.uniform(0.1, 10, steps), "clipped": rng.uniform(0.1, 1, steps)}
    norms = {"no clipping": rng.uniform(1, 1e4, steps), "clipped": rng.uniform(0.1, 5, steps)}
    return losses, norms


def test_clipping_draws_each_run_in_both_panels_with_threshold_and_baseline():
    losses, norms = _runs()
    fig, (left, right) = plot_clipping(losses, norms, clip=1.5, baseline=1 / 3)
    assert [len(line.get_xdata()) for line in left.get_lines()] == [20, 20, 2]
    assert [len(line.get_xdata()) for line in right.get_lines()] == [20, 20, 2]
    np.testing.assert_array_equal(right.get_lines()[0].get_ydata(), norms["no clipping"])
    assert float(right.get_lines()[-1].get_ydata()[0]) == 1.5
    assert float(left.get_lines()[-1].get_ydata()[0]) == pytest.approx(1 / 3)
    assert right.get_ylabel() == r"$\|g\|$"
    assert right.get_title() == "Gradient norm before clipping"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"norms": {"other": np.ones(20)}}, ValueError),
        ({"norms": [np.ones(20)]}, TypeError),
        ({"clip": 0.0}, ValueError),
        ({"clip": float("nan")}, ValueError),
        ({"norms": {"no clipping": np.ones((20, 2)), "clipped": np.ones(20)}}, ValueError),
        ({"norms": {"no clipping": np.array(["a"]), "clipped": np.ones(20)}}, TypeError),
    ],
)
def test_clipping_rejects_wrong_input(change, error):
    losses, norms = _runs()
    kwargs = {"norms": norms, "clip": 1.0} | change
    with pytest.raises(error):
        plot_clipping(losses, kwargs["norms"], clip=kwargs["clip"])


def test_gradient_norms_draw_one_line_per_series_by_distance_from_the_end():
    rng = np.random.default_rng(0)
    norms = {f"scale {s}": s ** np.arange(8.0) * rng.uniform(0.5, 1.5, 8) for s in (0.5, 2)}
    fig, ax = plot_gradient_norms(norms)
    assert len(ax.get_lines()) == 2
    assert ax.get_yscale() == "log"
    distances = ax.get_lines()[0].get_xdata()
    assert distances[0] == 7 and distances[-1] == 0  # t = 1 is 7 steps from the end
    with pytest.raises(ValueError, match="empty"):
        plot_gradient_norms({})
    with pytest.raises(ValueError, match=">= 0"):
        plot_gradient_norms(np.array([1.0, -1.0]))


def test_truncation_errors_mark_exact_agreement():
    fig, ax = plot_truncation_errors({"a": ([1, 2, 3], [0.5, 1e-3, 0.0])})
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(markers) == 1 and list(markers[0].get_xdata()) == [3.0]
    with pytest.raises(ValueError, match="same length"):
        plot_truncation_errors({"a": ([1, 2], [0.5])})


def test_training_runs_side_by_side():
    losses = np.array([1.0, 0.5, 0.25])
    fig, ax = plot_loss_curves({"manual loop": losses, "Keras fit": losses}, baseline=1 / 3)
    assert len(ax.get_lines()) == 3  # two curves and the baseline
    assert ax.get_lines()[1].get_linestyle() != ax.get_lines()[0].get_linestyle()  # Keras dashed
    fig, (top, bottom) = plot_training_comparison(losses, losses * (1 + np.array([0, 1e-7, 0])))
    shown = [line for line in bottom.get_lines() if line.get_marker() == "."]
    assert list(shown[0].get_xdata()) == [2]  # the only step that differs
    with pytest.raises(ValueError, match="same number of steps"):
        plot_training_comparison(losses, losses[:2])
    fig, ax = plot_predictions(losses, {"manual": losses, "Keras": losses})
    assert len(ax.get_lines()) == 3
    with pytest.raises(ValueError, match="3 targets"):
        plot_predictions(losses, {"manual": losses[:2]})
