"""The figures of chapters 13 and 14 draw what they are given and refuse malformed input."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.plots.gated import (
    plot_delay_sweep,
    plot_gradient_reach,
    plot_gradient_reach_before_after,
)
from rnn_lab.plots.masks import plot_carried_state


def test_gradient_reach_draws_one_line_per_cell():
    norms = {"a": np.geomspace(1e-6, 1, 10), "b": np.ones(10)}
    fig, ax = plot_gradient_reach(norms)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), norms["a"])
    fig, axes = plot_gradient_reach_before_after(norms, norms)
    assert len(axes) == 2
    with pytest.raises(TypeError, match="non-empty mapping"):
        plot_gradient_reach({})
    with pytest.raises(ValueError, match=r"must have shape \(T,\)"):
        plot_gradient_reach({"a": np.ones((2, 3))})


def test_delay_sweep_checks_one_value_per_delay():
    fig, ax = plot_delay_sweep([9, 19], {"a": [0.1, 0.2]}, baseline=1 / 3, threshold=1 / 30)
    assert len(ax.lines) == 3
    with pytest.raises(ValueError, match="one value per delay"):
        plot_delay_sweep([9, 19], {"a": [0.1]})


def test_carried_state_draws_real_and_padded_steps():
    mask = np.array([[1, 1, 1], [1, 0, 0]], bool)
    states = np.random.default_rng(0).normal(size=(2, 3, 2))
    fig, (top, bottom) = plot_carried_state(states, mask)
    assert len(top.lines) == 3  # two real segments and one dotted padded one
    with pytest.raises(ValueError, match="same n, T"):
        plot_carried_state(states, mask[:, :2])
    with pytest.raises(ValueError, match=r"unit must be in \[0, 1\]"):
        plot_carried_state(states, mask, unit=2)


def test_gated_cell_diagrams_carry_their_alt_text():

    from rnn_lab.plots.alt_text import describe_figure
    from rnn_lab.plots.diagrams import draw_gated_cells

    fig, (lstm, gru) = draw_gated_cells()
    texts = {t.get_text() for ax in (lstm, gru) for t in ax.texts}
    assert "$c_{t-1}$" in texts and "$h_{t-1}$" in texts
    alt = describe_figure(fig)
    assert "diag(f_t)" in alt and "diag(z_t)" in alt
