"""The forward pass of ``SimpleRNN -> Dense``, and every known way of getting it wrong.

    correct:  h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh),  y_t = h_t·Wo + Bo,  h_0 = 0

:class:`ForwardLoop` is the reference loop written as named hooks (which weights, which
activation, where the state starts, which timesteps, what is kept and returned). Each
known mistake in :data:`PLANTED` is the one or two hooks a loop with that slip replaces,
and the verdict a checker prints (its words in ``variants.toml``, :mod:`.texts`);
:func:`forward_variant` runs the loop with them, so a checker can tell which mistake a
learner's answer reproduces. With no mistake the loop equals ``manual_forward``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..weights import SimpleRNNWeights
from .texts import Texts
from .verdicts import mistakes_of, with_mistake

TEXTS = Texts(__name__)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _start(default: Callable) -> Callable:
    """An initial-state hook: the given ``h0``, or ``default(x, weights)`` without one."""

    def initial_state(x, weights, h0):
        if h0 is not None:
            return np.asarray(h0, dtype=weights.dtype)
        return default(x, weights)

    return initial_state


def _zeros(x, weights):
    return np.zeros((x.shape[0], weights.hidden_units), dtype=weights.dtype)


_from_zeros = _start(_zeros)


def _sequences(out: np.ndarray, return_sequences: bool) -> np.ndarray:
    return out if return_sequences else out[:, -1, :]


@dataclass(frozen=True)
class ForwardLoop:
    """The loop with its hooks; ``ForwardLoop()`` is the reference, and
    ``replace(ForwardLoop(), **changes)`` the loop with a mistake planted."""

    Wx: Callable = lambda w: w.Wx
    Wh: Callable = lambda w: w.Wh
    Bh: Callable = lambda w: w.Bh
    Bo: Callable = lambda w: w.Bo
    activation: Callable = np.tanh
    initial_state: Callable = _from_zeros
    timesteps: Callable = lambda T, h0_given: list(range(T))
    previous: Callable = lambda h, start: h  # the state step t reads: h_{t-1}
    kept: Callable = lambda start, states: states  # the states the outputs are made of
    output: Callable = lambda hs, zs, Wo, Bo: hs @ Wo + Bo
    layout: Callable = _sequences

    def preactivation(self, x_t, h_prev, weights: SimpleRNNWeights) -> np.ndarray:
        """``z_t = x_t·Wx + h_{t-1}·Wh + Bh``."""
        return x_t @ self.Wx(weights) + h_prev @ self.Wh(weights) + self.Bh(weights)

    def step(self, x_t, h_prev, weights: SimpleRNNWeights) -> np.ndarray:
        """``h_t = tanh(z_t)``, ``h_prev`` read through :attr:`previous` (from zeros)."""
        h_prev = self.previous(h_prev, np.zeros_like(h_prev))
        return self.activation(self.preactivation(x_t, h_prev, weights))

    def run(self, x, weights: SimpleRNNWeights, h0, return_sequences: bool) -> np.ndarray:
        """``y_T`` ``(n, O)``, or every ``y_t`` ``(n, T, O)`` with ``return_sequences``."""
        x = np.asarray(x, dtype=weights.dtype)
        h = start = self.initial_state(x, weights, h0)
        states, preactivations = [], []
        for t in self.timesteps(x.shape[1], h0 is not None):
            z = self.preactivation(x[:, t, :], self.previous(h, start), weights)
            h = self.activation(z)
            states.append(h)
            preactivations.append(z)
        hs = np.stack(self.kept(start, states), axis=1)  # (n, T', H)
        zs = np.stack(preactivations, axis=1)
        out = self.output(hs, zs, weights.Wo, self.Bo(weights)).astype(weights.dtype, copy=False)
        return self.layout(out, return_sequences)


REFERENCE = ForwardLoop()

#: Every known mistake of the step and the loop: its verdict, and the hooks it changes.
PLANTED = TEXTS.planted(
    "simple_rnn_loop",
    {
        "wh_transposed": dict(
            Wh=lambda w: w.Wh.T,  # a column-vector textbook's W_hh h_{t-1}
        ),
        "wx_transposed": dict(
            Wx=lambda w: w.Wx.T,  # only computable when D = H, otherwise a shape error
        ),
        "no_bias": dict(Bh=lambda w: np.zeros_like(w.Bh)),
        "no_output_bias": dict(Bo=lambda w: np.zeros_like(w.Bo)),
        "sigmoid": dict(activation=_sigmoid),
        "relu": dict(activation=lambda z: np.maximum(z, 0)),
        "no_activation": dict(activation=lambda z: z),
        "stale_h": dict(
            previous=lambda h, start: start,  # every step reads h_0
        ),
        "ignored_h_prev": dict(
            previous=lambda h, start: start,  # one step: the recurrent term from zeros
        ),
        "h0_ones": dict(
            initial_state=_start(lambda x, w: np.ones((x.shape[0], w.hidden_units), dtype=w.dtype))
        ),
        "h0_first_input": dict(
            initial_state=_start(lambda x, w: np.tanh(x[:, 0, :] @ w.Wx + w.Bh))
        ),
        "ignored_h0": dict(initial_state=lambda x, w, h0: _zeros(x, w)),
        "h0_as_h1": dict(timesteps=lambda T, h0_given: list(range(1 if h0_given else 0, T))),
        "drop_first": dict(timesteps=lambda T, h0_given: list(range(1, T))),
        "drop_last": dict(timesteps=lambda T, h0_given: list(range(T - 1))),
        "reversed_time": dict(timesteps=lambda T, h0_given: list(range(T - 1, -1, -1))),
        # Not a variant of this loop: the reference run on x in time order, where the layer
        # (go_backwards=True) reads it backwards (see recurrence.forward_cases).
        "not_reversed": {},
        "returns_hidden": dict(output=lambda hs, zs, Wo, Bo: hs),
        "dense_before_activation": dict(output=lambda hs, zs, Wo, Bo: np.tanh(zs @ Wo + Bo)),
        "activation_on_output": dict(output=lambda hs, zs, Wo, Bo: np.tanh(hs @ Wo + Bo)),
        "only_last": dict(layout=lambda out, return_sequences: out[:, -1, :]),
        "all_outputs": dict(layout=lambda out, return_sequences: out),
        "time_first": dict(layout=lambda out, return_sequences: np.swapaxes(out, 0, 1)),
        "shifted": dict(
            kept=lambda start, states: [start, *states[:-1]],  # h_0's output included
        ),
    },
)
#: The verdicts, by name; the exercises pick the ones that apply.
MISTAKES = mistakes_of(PLANTED)
#: Every mistake ``forward_variant`` can plant.
FORWARD_MISTAKES = tuple(name for name, entry in PLANTED.items() if entry.changes)


def loop_with(mistake: str | None) -> ForwardLoop:
    """The reference loop, or the loop with ``mistake`` planted."""
    if mistake is not None and mistake not in FORWARD_MISTAKES:
        raise ValueError(f"unknown mistake {mistake!r}; known: {', '.join(FORWARD_MISTAKES)}")
    return with_mistake(REFERENCE, PLANTED, mistake)


def step_variant(
    x_t: np.ndarray, h_prev: np.ndarray, weights: SimpleRNNWeights, mistake: str | None = None
) -> np.ndarray:
    """``h_t = tanh(z_t)``, or the same step with ``mistake``."""
    return loop_with(mistake).step(x_t, h_prev, weights)


def forward_variant(
    x: np.ndarray,
    weights: SimpleRNNWeights,
    mistake: str | None = None,
    *,
    h0: np.ndarray | None = None,
    return_sequences: bool = False,
) -> np.ndarray:
    """What a loop with ``mistake`` returns for ``x`` ``(n, T, D)``: ``y_T`` ``(n, O)``,
    or every ``y_t`` ``(n, T, O)`` with ``return_sequences=True``."""
    return loop_with(mistake).run(x, weights, h0, return_sequences)
