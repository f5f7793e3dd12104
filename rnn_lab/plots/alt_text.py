"""Alt text for every figure, read off the figure itself, and a display hook that uses it.

A screen reader cannot see a plot; it reads the `<img alt>`. Rather than typing a
sentence next to each figure (which goes stale when the plot changes), the description
is read from what was drawn: titles, axis labels, how many lines, points, bars or
images each panel holds, and the range of the values, e.g.

    "Hidden units over time, H = 5, T = 15: 5 lines (h[0] … h[4]) of h_t[j] against
    timestep t; timestep t from 1 to 15; values between −0.70 and 0.71."

myst-nb gives an `image/png` output no alt text (only a fixed, per-cell one), so
`show_figures_with_alt_text` adds a `text/html` representation to every matplotlib
figure: the same PNG as a data URL in an `<img>` with the alt text. myst-nb and Jupyter
prefer `text/html` over `image/png`, so the book's HTML carries the description; the
`image/png` stays in the output for everything else. A notebook needs the PNG inline; the
website does not: when the book is built, `rnn_lab.book.page_assets` moves every inline
image to a file of the site, with its width, height and lazy loading (the alt text stays).
The PNG is drawn on white, so a figure stays readable when the site is switched to dark
mode.

`set_alt_text(fig, text)` replaces the description where a figure says more than its
data (a diagram).
"""

from __future__ import annotations

import html
import re
import weakref

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure, FigureBase
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

#: Lines whose labels the description lists; more would make it unreadably long.
MAX_LISTED_LABELS = 6
#: Figures are drawn on this, also in dark mode (a transparent PNG would vanish).
FIGURE_BACKGROUND = "white"

_explicit_alt: weakref.WeakKeyDictionary[Figure, str] = weakref.WeakKeyDictionary()

# Mathtext commands a plot label uses, as the characters a screen reader can say.
_TEX_SYMBOLS = {
    r"\Delta": "Δ", r"\delta": "δ", r"\rho": "ρ", r"\sigma": "σ", r"\tanh": "tanh",
    r"\epsilon": "ε", r"\varepsilon": "ε", r"\partial": "∂", r"\nabla": "∇", r"\eta": "η",
    r"\lambda": "λ", r"\theta": "θ", r"\alpha": "α", r"\beta": "β", r"\gamma": "γ",
    r"\mu": "μ", r"\tau": "τ", r"\approx": "≈", r"\leq": "≤", r"\geq": "≥", r"\le": "≤",
    r"\ge": "≥", r"\times": "×", r"\cdot": "·", r"\|": "‖", r"\odot": "⊙", r"\infty": "∞",
    r"\sum": "Σ", r"\log": "log", r"\max": "max", r"\min": "min", r"\ell": "ℓ",
    r"\tilde": "", r"\hat": "", r"\mathrm": "", r"\mathbf": "", r"\text": "", r"\,": " ",
    r"\;": " ", r"\!": "", r"\left": "", r"\right": "",
}  # fmt: skip


def set_alt_text(fig: Figure, text: str) -> Figure:
    """Use `text` as the figure's alt text instead of the generated description."""
    if not isinstance(fig, Figure):
        raise TypeError(f"set_alt_text needs a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("alt text must be a non-empty string")
    _explicit_alt[fig] = text.strip()
    return fig


def plain_text(label: str) -> str:
    """A matplotlib label as plain text: `$|y_t^{Keras}|$` -> `|y_t^Keras|`."""
    for command in sorted(_TEX_SYMBOLS, key=len, reverse=True):
        label = label.replace(command, _TEX_SYMBOLS[command])
    label = re.sub(r"\\([A-Za-z]+)", r"\1", label)  # any other command: its name
    label = label.replace("$", "").replace("{", "").replace("}", "")
    return " ".join(label.split())


def format_number(value: float) -> str:
    """A value as a reader would say it: −0.70, 15, 3.2e-07 (with a real minus sign)."""
    if value == int(value) and abs(value) < 1e6:
        text = str(int(value))
    elif 0.01 <= abs(value) < 1e4:
        text = f"{value:.2f}"
    else:
        text = f"{value:.1e}"
    return text.replace("-", "−")


def _finite(values) -> np.ndarray:
    array = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan).ravel()
    return array[np.isfinite(array)]


def _range(values: np.ndarray) -> str | None:
    if values.size == 0:
        return None
    low, high = float(values.min()), float(values.max())
    if low == high:
        return f"all {format_number(low)}"
    return f"between {format_number(low)} and {format_number(high)}"


def _is_colorbar(ax: Axes) -> bool:
    return ax.get_label() == "<colorbar>"  # the label matplotlib gives a colour bar's axes


def _labels(items) -> list[str]:
    return [
        plain_text(item.get_label())
        for item in items
        if item.get_label() and not item.get_label().startswith("_")
    ]


def _listed(labels: list[str]) -> str:
    """Labels in quotes (a label may hold commas: "s = 1, ρ = 0.60"), the middle elided."""
    quoted = [f"“{label}”" for label in labels]
    if len(quoted) > MAX_LISTED_LABELS:
        quoted = [*quoted[: MAX_LISTED_LABELS - 1], "…", quoted[-1]]
    return ", ".join(quoted)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def describe_axes(ax: Axes) -> str:
    """One panel: what it holds, what is plotted against what, and the range of values."""
    title = plain_text(ax.get_title()) or plain_text(ax.get_title(loc="left"))
    xlabel, ylabel = plain_text(ax.get_xlabel()), plain_text(ax.get_ylabel())
    parts, xs, ys = [], [], []

    data_lines = [line for line in ax.lines if line.get_transform() == ax.transData]
    reference = [line for line in ax.lines if line.get_transform() != ax.transData]
    segments = [
        segment
        for collection in ax.collections
        if isinstance(collection, LineCollection)
        for segment in collection.get_segments()
    ]
    if data_lines or segments:
        count = len(data_lines) + len(segments)
        legend = ax.get_legend()
        listed = (
            [plain_text(t.get_text()) for t in legend.get_texts()]
            if legend is not None
            else _labels(data_lines)
        )
        text = _count(count, "line")
        if listed:
            text += f" ({_listed(listed)})"
        parts.append(text)
        for line in data_lines:
            xs.append(_finite(line.get_xdata()))
            ys.append(_finite(line.get_ydata()))
        for segment in segments:
            xs.append(_finite(np.asarray(segment)[:, 0]))
            ys.append(_finite(np.asarray(segment)[:, 1]))
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    if points:
        offsets = np.concatenate([np.asarray(c.get_offsets()).reshape(-1, 2) for c in points])
        if not (data_lines or segments):  # markers on lines are part of the lines
            parts.append(_count(len(offsets), "point"))
        xs.append(_finite(offsets[:, 0]))
        ys.append(_finite(offsets[:, 1]))
    bars = [p for container in ax.containers for p in container if isinstance(p, Rectangle)]
    if bars:
        parts.append(_count(len(bars), "bar"))
        horizontal = len({round(bar.get_x(), 12) for bar in bars}) == 1 and len(bars) > 1
        values = [bar.get_width() if horizontal else bar.get_height() for bar in bars]
        (xs if horizontal else ys).append(_finite(values))
    for image in (i for i in ax.images if isinstance(i, AxesImage)):
        array = np.asarray(image.get_array())
        shape = " × ".join(str(size) for size in array.shape[:2])
        value_range = _range(_finite(array))
        parts.append(f"a {shape} colour map of values " + (value_range or "(none finite)"))
    if any(isinstance(c, PolyCollection) for c in ax.collections) and not parts:
        parts.append("filled areas")
    if reference:
        parts.append(_count(len(reference), "reference line"))

    if xlabel and ylabel and (data_lines or segments or points):
        parts.append(f"{ylabel} against {xlabel}")
    x_values = np.concatenate(xs) if xs else np.array([])
    y_values = np.concatenate(ys) if ys else np.array([])
    if x_values.size and xlabel:
        parts.append(
            f"{xlabel} {_range(x_values).replace('between', 'from').replace(' and ', ' to ')}"
        )
    if y_values.size:
        scale = " (log scale)" if ax.get_yscale() == "log" else ""
        parts.append(f"values {_range(y_values)}{scale}")
    if not parts:
        texts = [plain_text(t.get_text()) for t in ax.texts if t.get_text().strip()]
        if texts:
            parts.append("diagram labelled " + _listed(texts))
    body = "; ".join(parts) if parts else "empty"
    return f"{title}: {body}" if title else body


def describe_figure(fig: Figure) -> str:
    """The alt text of a figure: its title, then one description per panel."""
    if fig in _explicit_alt:
        return _explicit_alt[fig]
    panels = [ax for ax in fig.axes if ax.get_visible() and not _is_colorbar(ax)]
    suptitle = plain_text(fig.get_suptitle())
    descriptions = [describe_axes(ax) for ax in panels]
    descriptions = [d for d in descriptions if d != "empty"]
    if len(descriptions) > 1:
        descriptions = [
            f"panel {i} of {len(descriptions)}, {d}" for i, d in enumerate(descriptions, 1)
        ]
    head = []
    if len(descriptions) > 1:
        head.append(f"Figure with {len(descriptions)} panels")
    if suptitle:
        head.append(suptitle)
    text = ". ".join([": ".join(head), *descriptions] if head else descriptions)
    return (text or "Empty figure") + "."


def figure_html(fig: Figure) -> str | None:
    """The figure as an `<img>` with its description as alt text (PNG on white, inline)."""
    from IPython.core.pylabtools import print_figure

    if not fig.axes:
        return None
    alpha = fig.patch.get_alpha()
    fig.patch.set_alpha(1.0)  # opaque, also if a plot made its background transparent
    try:
        png = print_figure(fig, "png", base64=True, facecolor=FIGURE_BACKGROUND)
    finally:
        fig.patch.set_alpha(alpha)
    alt = html.escape(describe_figure(fig), quote=True)
    return f'<img src="data:image/png;base64,{png}" alt="{alt}" class="rnn-lab-figure"/>'


def show_figures_with_alt_text() -> bool:
    """Give every matplotlib figure shown in this IPython kernel a described `<img>`.

    Returns False (and does nothing) outside IPython, e.g. in a plain script or a test.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    # Registered for FigureBase, not Figure: when pyplot's inline backend starts, it
    # removes every formatter registered for Figure itself (IPython's
    # select_figure_formats); formatters are looked up along the class's MRO, so this
    # one still applies to every Figure.
    shell.display_formatter.formatters["text/html"].for_type(FigureBase, figure_html)
    return True
