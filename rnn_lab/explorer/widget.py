"""The live explorer: sliders for ``H``, ``T`` and the recurrent scale, a seed, a sample
menu, and four panels redrawn on every change (needs a running kernel, so it works in
Jupyter, Binder, Colab, VS Code and Voilà, not on the static website).

The kernel computes, the browser draws. On every change of a control the kernel runs
:func:`rnn_lab.explorer.compute.explore` and sends the browser the numbers of one *view*
(:func:`rnn_lab.explorer.renderer.view`: a few kilobytes), which ``explorer.js``, the very
script the static explorer runs, draws as SVG. The widget is an
`anywidget <https://anywidget.dev>`_: a standard ipywidgets model whose front-end code
is that script, sent inline with the widget (nothing is fetched from the network), so every
front end that runs ipywidgets 8 shows it.

A front end that cannot show custom widgets (an old Jupyter, a notebook exported to plain
HTML, a viewer without a kernel) shows the widget's fallback instead: a message saying so
and a picture of the explorer's state when it was displayed
(:meth:`ExplorerWidget._repr_mimebundle_`).
"""

from __future__ import annotations

import base64
import functools
import html
import io
import time
from collections.abc import Callable
from typing import Any

import anywidget
import numpy as np
import traitlets
from matplotlib.figure import Figure

from .._validate import one_blas_thread
from ..plots.states import plot_state_overview
from .compute import (
    CONTROL_RANGES,
    N_SAMPLES,
    ExplorerConfig,
    ExplorerResult,
    explore,
)
from .renderer import STYLE, module_script, settings, view

#: The controls (synced traits), in the order ``repr`` names them.
CONTROLS = tuple(CONTROL_RANGES)
#: The fallback picture (inches, dots per inch): the four panels, readable, a light PNG.
FALLBACK_FIGURE_SIZE = (11.0, 7.0)
FALLBACK_DPI = 64
FALLBACK_ALT = (
    "The live explorer's four panels (hidden units over time, heat map, 2-D path, error per "
    "timestep) for"
)
FALLBACK_MESSAGE = (
    "This front end cannot show the live explorer, a custom Jupyter widget (anywidget, "
    "ipywidgets 8). Open the notebook with a running kernel in JupyterLab 4, Notebook 7, "
    "VS Code, Colab or Voilà to move its controls."
)

__all__ = ["CONTROLS", "ExplorerWidget", "explorer", "fallback_png", "one_blas_thread"]


def _clamp(value: Any, low: float, high: float, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return value  # the trait's own type check refuses it
    if value != value:  # NaN: there is no nearest end
        raise traitlets.TraitError("the recurrent scale must be a number, not NaN")
    return kind(min(max(value, low), high))


@functools.cache
def fallback_png(result: ExplorerResult) -> bytes:
    """The four panels of ``result`` drawn by matplotlib (:func:`plot_state_overview`), as
    PNG bytes: the picture a front end without custom widgets shows."""
    sample = result.config.sample
    errors = {
        f"sample {sample}": result.errors_per_sample[sample],
        f"max over {N_SAMPLES} samples": result.errors,
    }
    figure = Figure(figsize=FALLBACK_FIGURE_SIZE, dpi=FALLBACK_DPI, layout="constrained")
    c = result.config
    title = (
        f"H = {c.hidden_units}, T = {c.seq_len}, recurrent scale {c.recurrent_scale:g}, "
        f"weights seed {c.seed}, sample {sample}"
    )
    plot_state_overview(result.sample_states, errors, dtype=c.dtype, fig=figure, title=title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class ExplorerWidget(anywidget.AnyWidget):
    """The explorer as a widget. The controls are traits, synced with the browser:
    ``hidden_units``, ``seq_len``, ``recurrent_scale``, ``seed`` (values outside their range
    are moved to its nearest end) and ``sample`` (refused outside ``0 .. N_SAMPLES − 1``).
    Changing one, in the browser or from Python, recomputes: ``result`` is the last
    successful :class:`~rnn_lab.explorer.compute.ExplorerResult`, ``frame`` the numbers
    the browser draws, ``summary`` its summary line; a failure leaves them and sets
    ``error``, shown in the widget's output area, until the next update succeeds."""

    _esm = module_script()
    _css = STYLE

    hidden_units = traitlets.Int(ExplorerConfig.hidden_units).tag(sync=True)
    seq_len = traitlets.Int(ExplorerConfig.seq_len).tag(sync=True)
    recurrent_scale = traitlets.Float(ExplorerConfig.recurrent_scale).tag(sync=True)
    seed = traitlets.Int(ExplorerConfig.seed).tag(sync=True)
    sample = traitlets.Int(ExplorerConfig.sample).tag(sync=True)
    settings = traitlets.Dict().tag(sync=True)
    frame = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)

    @traitlets.validate("hidden_units", "seq_len", "seed", "recurrent_scale")
    def _clamped(self, proposal):
        name = proposal["trait"].name
        kind = float if name == "recurrent_scale" else int
        return _clamp(proposal["value"], *CONTROL_RANGES[name], kind)

    @traitlets.validate("sample")
    def _existing_sample(self, proposal):
        low, high = CONTROL_RANGES["sample"]
        if not low <= proposal["value"] <= high:
            raise traitlets.TraitError(f"sample must be in {low}..{high}; got {proposal['value']}")
        return proposal["value"]

    def __init__(
        self,
        config: ExplorerConfig | None = None,
        *,
        compute: Callable[[ExplorerConfig], ExplorerResult] = explore,
    ) -> None:
        config = config if config is not None else ExplorerConfig()
        if not isinstance(config, ExplorerConfig):
            raise TypeError(f"config must be an ExplorerConfig; got {type(config).__name__}")
        self.compute = compute
        self.dtype = config.dtype
        self.result: ExplorerResult | None = None
        self.last_update_seconds: float | None = None
        super().__init__(
            settings=settings(config.dtype),
            **{name: getattr(config, name) for name in CONTROLS},
        )
        self.observe(self._on_change, names=list(CONTROLS))
        self.update()

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in CONTROLS)
        return f"ExplorerWidget({values})"

    @property
    def config(self) -> ExplorerConfig:
        """The configuration the controls show now."""
        return ExplorerConfig(**{name: getattr(self, name) for name in CONTROLS}, dtype=self.dtype)

    @property
    def summary(self) -> str:
        """The summary line shown: the result's, or why the last update failed."""
        if self.error:
            return f"Update failed: {self.error}"
        return self.frame.get("summary", "")

    def _on_change(self, _change) -> None:
        # Several controls set in one message from the browser notify one by one: the
        # first notification already computed what the controls show.
        if self.result is None or self.error or self.result.config != self.config:
            self.update()

    def update(self) -> None:
        """Recompute for the current controls and send the browser the new view. A failure
        is reported in ``error`` and leaves the last good view in place, so the widget keeps
        working."""
        started = time.perf_counter()
        try:
            with one_blas_thread():
                result = self.compute(self.config)
                frame = view(result)
        except Exception as error:  # any failure must leave the widget usable
            with self.hold_sync():  # one message: the error and the answer together
                self.error = f"{type(error).__name__}: {error}"
                self.revision += 1
            return
        with self.hold_sync():
            self.frame = frame
            self.error = ""
            self.revision += 1
        self.result = result
        self.last_update_seconds = time.perf_counter() - started

    def _repr_mimebundle_(self, **kwargs):
        """The widget for front ends that show custom widgets, and a fallback for the rest:
        ``text/html`` (a message and a picture of the current state) and ``image/png``."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        data["text/plain"] = f"{self!r}\n{FALLBACK_MESSAGE}\nIts state: {self.summary}"
        if self.result is None:  # never drawn: only the message
            data["text/html"] = f"<p>{html.escape(FALLBACK_MESSAGE)}</p>"
            return data, metadata
        encoded = base64.b64encode(fallback_png(self.result)).decode("ascii")
        data["image/png"] = encoded
        data["text/html"] = (
            '<div class="rnn-lab-explorer-fallback">'
            f"<p><b>Live explorer.</b> {html.escape(FALLBACK_MESSAGE)} Below: a picture of its "
            "state when it was displayed.</p>"
            f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(FALLBACK_ALT)} '
            f'{html.escape(self.summary)}" '
            'style="max-width: 100%"></div>'
        )
        return data, metadata


def explorer(config: ExplorerConfig | None = None) -> ExplorerWidget:
    """The live explorer, ready to display (put it last in a notebook cell)."""
    return ExplorerWidget(config)
