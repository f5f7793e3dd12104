"""Figures of chapter 14, *Masks and stacks*: a padded batch, its mask, and the hidden state
carried unchanged through the padded steps."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def plot_carried_state(states: Any, mask: Any, *, unit: int = 0, title: str | None = None):
    """One line per sample: unit ``unit`` of ``h_t`` over ``t``, solid on real steps and
    dotted on padded ones (where it must stay flat), with the mask as a strip below.

    ``states`` is ``(n, T, H)``, ``mask`` ``(n, T)`` booleans.
    """
    states = np.asarray(states, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if states.ndim != 3 or mask.shape != states.shape[:2]:
        raise ValueError(
            f"states must be (n, T, H) and mask (n, T) of the same n, T; got {states.shape} "
            f"and {mask.shape}"
        )
    if not 0 <= unit < states.shape[2]:
        raise ValueError(f"unit must be in [0, {states.shape[2] - 1}]; got {unit}")
    n, T, _ = states.shape
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(7.0, 4.4),
        layout="constrained",
        sharex=True,
        gridspec_kw={"height_ratios": [3, 1]},
    )
    t = np.arange(1, T + 1)
    for s in range(n):
        color = f"C{s % 10}"
        real = mask[s]
        top.plot(
            t[real], states[s, real, unit], "-o", color=color, markersize=3, label=f"sample {s + 1}"
        )
        if not real.all():
            start = max(int(np.flatnonzero(real)[-1]) if real.any() else 0, 0)
            top.plot(t[start:], states[s, start:, unit], ":", color=color, linewidth=1.5)
    top.set_ylabel(f"$h_t$, unit {unit + 1}")
    top.set_title(title or "Padded steps (dotted) carry the state through unchanged")
    top.legend(loc="best", fontsize="small")
    bottom.imshow(
        mask, aspect="auto", cmap="Greys", vmin=0, vmax=1.6, extent=(0.5, T + 0.5, n + 0.5, 0.5)
    )
    bottom.set_yticks(np.arange(1, n + 1))
    bottom.set_ylabel("sample")
    bottom.set_xlabel("timestep t (dark = real step, light = padding)")
    return fig, (top, bottom)
