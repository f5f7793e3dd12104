"""The book's line colours stay distinct for readers with any of the three colour-vision
deficiencies (simulated as Machado, Oliveira & Fernandes 2009 do, at full severity)."""

from __future__ import annotations

import itertools

import matplotlib as mpl
import numpy as np
import pytest

from rnn_lab.bench.plots import METHOD_STYLES
from rnn_lab.plots.palette import LINE_COLOURS, OKABE_ITO, use_book_palette
from rnn_lab.plots.stability import DTYPE_COLORS

# Machado et al. (2009), severity 1.0: linear RGB as a dichromat sees it.
SIMULATIONS = {
    "normal vision": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
         [0.004733, 0.691367, 0.303900]]
    ),
}  # fmt: skip
# CIE76 colour difference two lines must keep: ~2.3 is "just noticeable"; 15 is a
# difference one names without comparing side by side. Okabe–Ito's closest pair under
# tritanopia measures 16; matplotlib's default tab10 falls to 4.6 (protanopia).
MIN_DELTA_E = 15.0


def _linear_rgb(hex_colour: str) -> np.ndarray:
    srgb = np.array(mpl.colors.to_rgb(hex_colour))
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = to_xyz @ np.clip(linear, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours: list[str], vision: str) -> tuple[float, str, str]:
    """The smallest CIE76 difference between two of `colours` as `vision` sees them."""
    seen = {c: _lab(SIMULATIONS[vision] @ _linear_rgb(c)) for c in set(colours)}
    return min(
        (float(np.linalg.norm(seen[a] - seen[b])), a, b)
        for a, b in itertools.combinations(sorted(seen), 2)
    )


PALETTES = {
    "line cycle (Okabe–Ito)": LINE_COLOURS,
    "float32 / float64 (chapter 6)": list(DTYPE_COLORS.values()),
    "benchmark methods": [style[1] for style in METHOD_STYLES.values()],
}


@pytest.mark.parametrize("vision", SIMULATIONS)
@pytest.mark.parametrize("palette", PALETTES)
def test_colours_stay_distinct(palette, vision):
    distance, a, b = closest_pair(PALETTES[palette], vision)
    assert distance >= MIN_DELTA_E, f"{palette}: {a} and {b} differ by only {distance:.1f}"


def test_the_check_catches_matplotlibs_default_red_and_green():
    distance, *_ = closest_pair(["#2ca02c", "#d62728"], "deuteranopia")
    assert distance < MIN_DELTA_E


def test_setup_uses_the_palette():
    with mpl.rc_context():
        use_book_palette()
        cycle = [mpl.colors.to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
        assert cycle == [c.lower() for c in LINE_COLOURS]
        assert set(LINE_COLOURS) <= set(OKABE_ITO.values())
        assert mpl.rcParams["image.cmap"] == "viridis"
