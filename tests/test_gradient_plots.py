"""The chapter-7 clipping plot draws what it claims and refuses mismatched data."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.plots.gradients import plot_clipping


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
