"""Figures of chapter 15, *Encoder–decoder and attention*: attention weights as heat maps
(target characters down, source characters across), with alt text that names, for every
target character, the source character it looks at most."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .alt_text import set_alt_text


def alignment(weights: Any, source: str, target: str) -> list[tuple[str, str, float]]:
    """For each target character: ``(target char, source char with the largest weight, that
    weight)``. ``weights`` is ``α (T_y, T_x)`` for one example; padded columns past
    ``len(source)`` are ignored."""
    alpha = np.asarray(weights, dtype=np.float64)
    if alpha.ndim != 2 or alpha.shape[0] != len(target) or alpha.shape[1] < len(source):
        raise ValueError(
            f"weights must be (T_y, T_x) with T_y = len(target) = {len(target)} and "
            f"T_x >= len(source) = {len(source)}; got {alpha.shape}"
        )
    alpha = alpha[:, : len(source)]
    best = np.argmax(alpha, axis=1)
    pairs = zip(target, best, strict=True)
    return [(t, source[j], float(alpha[i, j])) for i, (t, j) in enumerate(pairs)]


def _describe(source: str, target: str, pairs: list[tuple[str, str, float]]) -> str:
    looks = ", ".join(f"{t}→'{s}'" for t, s, _ in pairs)
    return f"'{source}' → {target}: each output character's strongest source character: {looks}"


def plot_attention_maps(
    weights: Sequence[Any], sources: Sequence[str], targets: Sequence[str], *, title: str = ""
):
    """One heat map per example: ``α_{t,j}`` for output character ``t`` (rows, the ISO date)
    and source character ``j`` (columns), 0 white to 1 dark. Returns ``(fig, axes)``."""
    if not (len(weights) == len(sources) == len(targets)) or len(weights) == 0:
        raise ValueError("weights, sources and targets must be non-empty lists of one length")
    widths = [max(len(s), 4) for s in sources]
    fig, axes = plt.subplots(
        1,
        len(weights),
        figsize=(min(3.0 + 0.22 * sum(widths), 9.5), 3.6),
        layout="constrained",
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
    )
    axes = axes[0]
    descriptions = []
    image = None
    for ax, alpha, source, target in zip(axes, weights, sources, targets, strict=True):
        pairs = alignment(alpha, source, target)
        alpha = np.asarray(alpha, dtype=np.float64)[:, : len(source)]
        image = ax.imshow(alpha, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        ax.grid(False)
        ax.set_xticks(range(len(source)), list(source), fontsize=8)
        ax.set_yticks(range(len(target)), list(target), fontsize=8)
        ax.set_xlabel("source character $j$")
        descriptions.append(_describe(source, target, pairs))
    axes[0].set_ylabel("output character $t$")
    fig.colorbar(image, ax=list(axes), label=r"$\alpha_{t,j}$", shrink=0.8)
    if title:
        fig.suptitle(title)
    set_alt_text(
        fig,
        f"Attention heat maps ({title or 'α over source positions'}). " + " | ".join(descriptions),
    )
    return fig, axes
