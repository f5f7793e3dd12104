"""The live explorer: sliders for ``H``, ``T``, the seed and the recurrent scale, a sample
menu, and three pictures redrawn on every change (ipywidgets 8; needs a running kernel,
so it works in Jupyter, Binder and Colab, not on the static website).

All computing is done by :func:`rnn_lab.explorer.compute.explore`; this module only wires controls
to it and draws the result with :mod:`rnn_lab.plots.states` and
:func:`rnn_lab.plots.plot_error_per_timestep`, off-screen, into a PNG shown by an ``Image``
widget. Drawing, not arithmetic, is what an update costs, so :class:`LiveFigure` keeps its
axes and redraws only what changed (``benchmarks/widget_latency.py`` measures an update).
"""

from __future__ import annotations

import html
import io
import time
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from ..plots.basics import plot_error_per_timestep
from ..plots.states import plot_projected_trajectory, plot_unit_trajectories
from ..projection import project_trajectory
from ..tolerances import tolerance_for
from .compute import (
    HIDDEN_UNITS_RANGE,
    N_SAMPLES,
    RECURRENT_SCALE_RANGE,
    SEED_RANGE,
    SEQ_LEN_RANGE,
    ExplorerConfig,
    ExplorerResult,
    explore,
)

#: Size of the drawn figure in inches and its resolution: 864 × 486 pixels, shown pixel for
#: pixel, fits a notebook's width with readable text and keeps the PNG small.
FIGURE_SIZE = (9.6, 5.4)
FIGURE_DPI = 90
#: Step of the recurrent-scale slider.
SCALE_STEP = 0.05
_LIVE = "rnn-lab-live"  # marks texts that change with the data (drawn on every update)
_SLIDER_STYLE = {"description_width": "10em"}
_WIDE = widgets.Layout(width="27em")


def _slider(kind, description: str, value, bounds, **extra):
    return kind(
        value=value,
        min=bounds[0],
        max=bounds[1],
        description=description,
        continuous_update=False,  # recompute when the slider is released, not while dragged
        style=_SLIDER_STYLE,
        layout=_WIDE,
        **extra,
    )


def _clear_contents(ax) -> None:
    # Remove what was drawn but keep the axes and their ticks, which are costly to rebuild.
    for artist in [*ax.lines, *ax.collections, *ax.images, *ax.patches, *ax.texts]:
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_prop_cycle(None)  # colours start again from C0
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)


def _nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten) that is
    at least ``value``: few enough that the limits rarely change, close enough to fit."""
    exponent = np.floor(np.log10(value))
    for step in (1, 1.5, 2, 3, 4, 5, 6, 8, 10):
        if step * 10**exponent >= value:
            return float(step * 10**exponent)
    raise AssertionError("unreachable")  # pragma: no cover


def _decade_limits(low: float, high: float) -> tuple[float, float]:
    return 10 ** np.floor(np.log10(low)), 10 ** np.ceil(np.log10(high))


class LiveFigure:
    """The explorer's figure: units over time and the error per timestep on the left (one
    time axis), the 2-D path of the state on the right. Drawn off-screen into a PNG.

    Redrawing is what an update mostly costs, and most of a redraw is text: ticks, labels,
    titles. So the axes are kept, their limits are rounded (decades for the errors, round
    numbers for the path) so that they rarely change, and when the frames, ticks and
    labels are the same as last time they are pasted from a saved background and only
    the data are drawn on top (blitting).
    """

    def __init__(self) -> None:
        # Title and axis-label positions are fixed: left to matplotlib, they are
        # re-measured against the tick labels on every draw, which is slow.
        with rc_context({"axes.titley": 1.02}):
            self.figure = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
            grid = self.figure.add_gridspec(
                2,
                2,
                width_ratios=(1.25, 1),
                left=0.07,
                right=0.9,
                bottom=0.1,
                top=0.94,
                wspace=0.32,
                hspace=0.6,
            )
            self.axes = {
                "trajectories": self.figure.add_subplot(grid[0, 0]),
                "errors": self.figure.add_subplot(grid[1, 0]),
                "projection": self.figure.add_subplot(grid[:, 1]),
            }
        self.canvas = FigureCanvasAgg(self.figure)
        for name, ax in self.axes.items():
            tall = name == "projection"
            ax.xaxis.set_label_coords(0.5, -0.1 if tall else -0.2)
            ax.yaxis.set_label_coords(-0.13 if tall else -0.12, 0.5)
        # The colour bar of time is made once, from a stand-in mappable, and kept: made
        # anew on every update it would take space from its panel each time.
        projection = self.axes["projection"]
        projection.set_box_aspect(1)  # square: distances in state space look like distances
        self.time_colours = ScalarMappable(Normalize(1, 2), "viridis")
        colour_bar = self.figure.colorbar(
            self.time_colours, cax=projection.inset_axes((1.04, 0, 0.05, 1)), label="timestep t"
        )
        colour_bar.locator = MaxNLocator(nbins=5, integer=True)
        self._background = None
        self._background_key = None
        self.blitted = False  # whether the last draw reused the background

    def draw(self, result: ExplorerResult) -> bytes:
        """Show ``result``'s chosen sample and return the figure as PNG bytes."""
        for ax in self.axes.values():
            _clear_contents(ax)
        self._draw_trajectories(result)
        self._draw_errors(result)
        self._draw_projection(result)
        return self.render()

    def _draw_trajectories(self, result: ExplorerResult) -> None:
        ax = self.axes["trajectories"]
        plot_unit_trajectories(result.sample_states, ax=ax)
        if ax.get_legend() is not None:  # the units' colours are not needed to see dynamics
            ax.get_legend().remove()

    def _draw_errors(self, result: ExplorerResult) -> None:
        ax, sample = self.axes["errors"], result.config.sample
        errors = {
            f"sample {sample}": result.errors_per_sample[sample],
            f"max over {N_SAMPLES} samples": result.errors,
        }
        plot_error_per_timestep(errors, dtype=result.config.dtype, ax=ax)
        tolerance = tolerance_for(result.config.dtype)
        ax.axhline(tolerance, color="#b00", ls=":", lw=1.2, label="tolerance")
        low, high = ax.get_ylim()
        ax.set_ylim(*_decade_limits(low, max(high, 3 * tolerance)))  # the margin shows too
        ax.set_xlim(self.axes["trajectories"].get_xlim())  # the same time axis as above
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.yaxis.set_minor_locator(NullLocator())  # many, and slow to draw
        ax.legend(fontsize=7, loc="upper left")  # inside: the function puts it to the right

    def _draw_projection(self, result: ExplorerResult) -> None:
        ax, T = self.axes["projection"], result.config.seq_len
        projection = project_trajectory(result.sample_states)  # one SVD, used twice
        plot_projected_trajectory(
            result.sample_states, ax=ax, colorbar=False, projection=projection
        )
        self.time_colours.set_clim(1, max(2, T))
        ax.get_legend().remove()
        ax.set_title(f"Path of $h_t$ in 2-D (PCA): ○ $h_1$ … ✕ $h_{{{T}}}$")
        coords = np.concatenate([c.get_offsets() for c in ax.collections])
        limit = _nice_ceiling(1.1 * max(float(np.abs(coords).max()), 1e-3))
        # The path is centred (PCA subtracts the mean state). The panel is square, so equal
        # limits give equal scales; set here, not by the aspect machinery, which would move
        # the limits with the data.
        ax.set_aspect("auto")
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        share = projection.explained
        ax.set_xlabel("principal direction 1")
        ax.set_ylabel("principal direction 2")
        ax.text(
            0.02,
            0.99,
            f"{share[0]:.0%} and {share[1]:.0%} of the spread",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            gid=_LIVE,
        )
        for axis in (ax.xaxis, ax.yaxis):  # the same round ticks on both axes
            axis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10]))

    def _live_artists(self, ax) -> list:
        legend = ax.get_legend()
        texts = [text for text in ax.texts if text.get_gid() == _LIVE]
        artists = [*ax.lines, *ax.collections, *ax.images, *texts, *([legend] if legend else [])]
        return sorted(artists, key=lambda artist: artist.get_zorder())

    def _decoration_key(self) -> tuple:
        # Everything that frames, ticks and labels depend on; equal keys, equal pixels.
        key = []
        for ax in [*self.figure.axes, *(c for a in self.figure.axes for c in a.child_axes)]:
            ax.apply_aspect()
            static_texts = [
                (text.get_text(), tuple(text.get_position()))
                for text in ax.texts
                if text.get_gid() != _LIVE
            ]
            patches = [tuple(patch.get_extents().bounds) for patch in ax.patches]
            labels = (ax.get_title(), ax.get_xlabel(), ax.get_ylabel())
            key.append((ax.get_xlim(), ax.get_ylim(), labels, static_texts, patches))
        return tuple(key)

    def render(self, *, full: bool = False) -> bytes:
        """Draw into the canvas (from the saved background when possible, or from scratch
        with ``full=True``) and return PNG bytes."""
        key = self._decoration_key()
        live = [(ax, artist) for ax in self.axes.values() for artist in self._live_artists(ax)]
        self.blitted = not full and key == self._background_key
        if not self.blitted:
            for _, artist in live:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._background_key = key
            for _, artist in live:
                artist.set_visible(True)
        self.canvas.restore_region(self._background)
        for ax, artist in live:
            ax.draw_artist(artist)
        return _png(self.canvas)


def _png(canvas: FigureCanvasAgg) -> bytes:
    width, height = canvas.get_width_height()
    image = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    # Fast, light compression: the PNG only travels from the kernel to the browser.
    image.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


class ExplorerWidget(widgets.VBox):
    """The explorer as a widget: ``controls``, a ``summary`` line, the figure as an
    ``image`` (PNG) and an ``output`` area where errors in an update are reported.
    ``result`` is the last successful :class:`~rnn_lab.explorer.compute.ExplorerResult`."""

    def __init__(
        self,
        config: ExplorerConfig | None = None,
        *,
        compute: Callable[[ExplorerConfig], ExplorerResult] = explore,
    ) -> None:
        config = config if config is not None else ExplorerConfig()
        self.compute = compute
        self.result: ExplorerResult | None = None
        self.last_update_seconds: float | None = None
        self.controls = self._make_controls(config)
        self.summary = widgets.HTML()
        width = round(FIGURE_SIZE[0] * FIGURE_DPI)  # shown pixel for pixel, narrower if need be
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(width=f"{width}px", max_width="100%")
        )
        self.output = widgets.Output()
        self.live_figure = LiveFigure()
        rows = [
            widgets.HBox([self.controls["hidden_units"], self.controls["seq_len"]]),
            widgets.HBox([self.controls["recurrent_scale"], self.controls["seed"]]),
            self.controls["sample"],
        ]
        super().__init__([*rows, self.summary, self.image, self.output])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    @staticmethod
    def _make_controls(config: ExplorerConfig) -> dict[str, widgets.ValueWidget]:
        return {
            "hidden_units": _slider(
                widgets.IntSlider, "hidden units H", config.hidden_units, HIDDEN_UNITS_RANGE
            ),
            "seq_len": _slider(
                widgets.IntSlider, "sequence length T", config.seq_len, SEQ_LEN_RANGE
            ),
            "recurrent_scale": _slider(
                widgets.FloatSlider,
                "recurrent scale",
                config.recurrent_scale,
                RECURRENT_SCALE_RANGE,
                step=SCALE_STEP,
                readout_format=".2f",
            ),
            "seed": _slider(widgets.BoundedIntText, "weights seed", config.seed, SEED_RANGE),
            "sample": widgets.Dropdown(
                options=[(f"sample {i}", i) for i in range(N_SAMPLES)],
                value=config.sample,
                description="show",
                style=_SLIDER_STYLE,
            ),
        }

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={control.value!r}" for name, control in self.controls.items())
        return f"ExplorerWidget({values})"

    @property
    def config(self) -> ExplorerConfig:
        """The configuration the controls show now."""
        return ExplorerConfig(**{name: c.value for name, c in self.controls.items()})

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Recompute and redraw for the current controls. A failure is reported in
        ``output`` and leaves the last good picture in place, so the widget keeps working."""
        started = time.perf_counter()
        try:
            result = self.compute(self.config)
            png = self.live_figure.draw(result)
        except Exception as error:  # any failure must leave the widget usable
            self.output.outputs = (
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": f"Update failed: {type(error).__name__}: {error}\n",
                },
            )
            self.summary.value = f"<b>Update failed</b>: {html.escape(str(error))}"
            return
        self.result = result
        self.image.value = png
        self.summary.value = html.escape(result.summary)
        self.output.outputs = ()
        self.last_update_seconds = time.perf_counter() - started


def explorer(config: ExplorerConfig | None = None) -> ExplorerWidget:
    """The live explorer, ready to display (put it last in a notebook cell)."""
    return ExplorerWidget(config)
