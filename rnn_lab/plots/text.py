"""Figures for the language-model chapter: perplexity during training against the count
baselines, and the text coloured character by character by one hidden unit's activation
(an HTML rendering with inline styles only: nothing loaded from elsewhere)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validate import as_float_array
from .axes import new_axes


def plot_perplexity(
    steps: Any,
    curves: Mapping[str, Any],
    baselines: Mapping[str, float],
    *,
    ax=None,
    title: str | None = None,
):
    """Validation perplexity after each number of updates in ``steps``, one line per model
    in ``curves``, with each baseline (``label -> perplexity``) as a dashed line."""
    steps = as_float_array("steps", steps, ndim=1, layout="(checkpoints,)")
    fig, ax = new_axes(ax)
    for label, values in curves.items():
        values = as_float_array(label, values, ndim=1, layout="(checkpoints,)")
        if values.shape != steps.shape:
            raise ValueError(f"{label}: {values.size} values for {steps.size} checkpoints")
        ax.plot(steps, values, marker="o", ms=3, label=label)
    for k, (label, value) in enumerate(baselines.items()):
        ax.axhline(value, ls="--", lw=1, color=f"C{k + 3}", label=f"{label} ({value:.1f})")
    ax.set_yscale("log")
    ax.set_xlabel("updates")
    ax.set_ylabel("validation perplexity (log scale)")
    ax.set_title(title or "Perplexity on held-out text")
    ax.legend(fontsize=8, loc="upper right")
    return fig, ax


def _colour(value: float) -> str:
    # tanh range [-1, 1]: blue for negative, white at 0, red for positive (Karpathy's colours).
    v = float(np.clip(value, -1.0, 1.0))
    strength = abs(v)
    if v >= 0:
        r, g, b = 255, int(255 * (1 - 0.75 * strength)), int(255 * (1 - 0.75 * strength))
    else:
        r, g, b = int(255 * (1 - 0.75 * strength)), int(255 * (1 - 0.55 * strength)), 255
    return f"#{r:02x}{g:02x}{b:02x}"


def activation_html(text: str, activations: Any, *, caption: str = "") -> str:
    """``text`` as HTML, each character on a background coloured by its activation in
    ``[-1, 1]`` (red positive, blue negative, white near 0); hovering shows the value.

    Inline styles only, so it renders the same in Jupyter, in the built site and offline.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty str")
    values = as_float_array("activations", activations, ndim=1, layout="(len(text),)")
    if values.size != len(text):
        raise ValueError(
            f"activations must have one value per character ({len(text)}); got {values.size}"
        )
    spans = []
    for char, value in zip(text, values, strict=True):
        shown = "↵\n" if char == "\n" else html.escape(char)
        spans.append(
            f'<span style="background:{_colour(value)}" title="{value:+.2f}">{shown}</span>'
        )
    legend = (  # black on light colours, whatever the page's (or dark mode's) text colour
        '<div style="font-size:0.8em;margin-top:0.3em;color:#000;background:#fff">'
        f'<span style="background:{_colour(-1)}">&nbsp;−1&nbsp;</span>'
        f'<span style="background:{_colour(0)}">&nbsp;0&nbsp;</span>'
        f'<span style="background:{_colour(1)}">&nbsp;+1&nbsp;</span> '
        f"{html.escape(caption)}</div>"
    )
    return (
        '<div class="rnn-lab-activations"><pre style="line-height:1.35;font-size:0.8em;'
        'white-space:pre-wrap;color:#000;background:#fff;padding:0.4em">'
        + "".join(spans)
        + "</pre>"
        + legend
        + "</div>"
    )


def show_activations(text: str, activations: Any, *, caption: str = "") -> None:
    """Display :func:`activation_html` in the notebook (and the built book)."""
    from IPython.display import HTML, display

    display(HTML(activation_html(text, activations, caption=caption)))


def plot_lm_training_comparison(
    manual: Any, keras: Any, vocab_size: int, *, dtype: Any, title: str
):
    """:func:`rnn_lab.gradient_plots.plot_training_comparison` for a language model: the loss
    is cross-entropy in nats, and the reference line is ``log V``, a uniform guess."""
    from .gradients import plot_training_comparison

    fig, (top, bottom) = plot_training_comparison(
        manual, keras, dtype=dtype, baseline=float(np.log(vocab_size)), title=title
    )
    top.set_ylabel("loss (cross-entropy, nats)")
    for line in top.get_lines():
        if line.get_label() == "predict the mean":
            line.set_label(f"uniform guess, log V = {np.log(vocab_size):.2f}")
    top.legend(fontsize=8)
    return fig, (top, bottom)
