"""The book's colours: the Okabe–Ito palette, distinguishable with any colour vision.

About one reader in twelve (men) sees red and green alike. Okabe and Ito (2008) chose
eight colours that stay distinct for protanopes, deuteranopes and tritanopes; the book
draws its lines in seven of them (their yellow is too pale on white) and its colour maps
with viridis (sequential) and RdBu (diverging), both safe too. `use_book_palette` sets
them once, in every chapter's set-up cell (`rnn_lab.book.notebook.setup_notebook`).
"""

from __future__ import annotations

from cycler import cycler

#: Okabe & Ito, "Color Universal Design" (2008), the colours in the order lines use them.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish green": "#009E73",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "sky blue": "#56B4E9",
    "black": "#000000",
}
LINE_COLOURS = list(OKABE_ITO.values())
SEQUENTIAL_CMAP = "viridis"


def use_book_palette() -> None:
    """Make matplotlib draw lines in the Okabe–Ito colours (`C0`, `C1`, … follow them)."""
    import matplotlib as mpl

    mpl.rcParams["axes.prop_cycle"] = cycler(color=LINE_COLOURS)
    mpl.rcParams["image.cmap"] = SEQUENTIAL_CMAP
