"""The loops of the gated layers (Keras's LSTM, and its GRU with ``reset_after`` True or
False) written as named hooks, every known way of getting them wrong, and their hidden
cases.

    LSTM:  a_t = x_t·Wx + h_{t-1}·Wh + B, blocks [i, f, c, o]
           c_t = σ(a_f) ⊙ c_{t-1} + σ(a_i) ⊙ tanh(a_c),   h_t = σ(a_o) ⊙ tanh(c_t)
    GRU:   z_t, r_t = σ(x_t·Wx_{z,r} + Bx + h_{t-1}·Wh_{z,r} + Bhh), blocks [z, r, h]
           h̃_t = tanh(x_t·Wx_h + Bx_h + r_t ⊙ (h_{t-1}·Wh_h + Bhh_h))     (reset_after=True)
           h̃_t = tanh(x_t·Wx_h + B_h + (r_t ⊙ h_{t-1})·Wh_h)              (reset_after=False)
           h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t

Each planted mistake is the hooks it replaces and its verdict, whose words are in
``gated.toml`` (:class:`.verdicts.Planted`, :mod:`.texts`).
Hidden cases use ``random_cell_weights`` (a different non-zero value in every entry), so a
swapped gate block or a forgotten bias changes the numbers instead of hiding; expected
answers come from ``rnn_lab.cells``, which the test suite checks against Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..cells.steps import trace_gates
from ..cells.weights import CellWeights, random_cell_weights, sigmoid
from ..tolerances import tolerance_for
from ..weights import make_sequences
from .core import Refusal, exercise
from .texts import Texts
from .verdicts import Case, CheckResult, Planted, mistakes_of, with_mistake

TEXTS = Texts(__name__)

#: ``(n, T, D, H, dtype)`` of the hidden cases: every size different where it can be, so
#: a swapped axis changes a shape; float32 and float64.
SEQUENCE_CONFIGS = (
    (4, 6, 3, 5, "float32"),
    (3, 7, 2, 4, "float64"),
    (2, 5, 4, 3, "float32"),
)


def sequence_cases(
    kind: str,
    variant: Callable,
    names: tuple[str, ...],
    seed: int,
    *,
    reset_after: bool | None = None,
) -> list[Case]:
    """One case per config: ``(x, weights)``, every ``h_t`` expected, and each variant's
    answer. ``x`` and the weights are read-only, so an in-place change is reported."""
    cases = []
    for index, (n, T, D, H, dtype) in enumerate(SEQUENCE_CONFIGS):
        x = make_sequences(n, T, D, seed=seed + index, dtype=dtype)
        x.flags.writeable = False
        weights = random_cell_weights(
            kind, D, H, seed=seed + index, dtype=dtype, reset_after=reset_after
        )
        expected = trace_gates(weights, x)["h"]
        variants = {name: variant(x, weights, name) for name in names}
        label = f"n={n}, T={T}, D={D}, H={H}, {dtype}"
        cases.append(Case((x, weights), expected, label, tolerance_for(dtype), variants))
    return cases


def _fed_back(new: np.ndarray, start: np.ndarray) -> np.ndarray:
    return new  # the state the next step reads is the one this step wrote


def _stale(new: np.ndarray, start: np.ndarray) -> np.ndarray:
    return start  # ... or the zeros the loop started from


# --- the LSTM -------------------------------------------------------------------------


@dataclass(frozen=True)
class LSTMLoop:
    """Every ``h_t`` ``(n, T, H)`` of Keras's LSTM from ``h_0 = c_0 = 0``, as hooks."""

    bias: Callable = lambda weights: weights.bias
    order: tuple[int, ...] = (0, 1, 2, 3)  # where blocks i, f, c, o are read from
    gate: Callable = sigmoid
    candidate: Callable = np.tanh
    squash_cell: Callable = np.tanh
    next_c: Callable = _fed_back
    next_h: Callable = _fed_back
    returns_cell: bool = False

    def run(self, x: np.ndarray, weights: CellWeights) -> np.ndarray:
        kernel, recurrent, bias = weights.kernel, weights.recurrent_kernel, self.bias(weights)
        n, T, _ = x.shape
        h0 = np.zeros((n, weights.hidden_units), dtype=weights.dtype)
        h, c, out = h0, h0, []
        for t in range(T):
            blocks = np.split(x[:, t] @ kernel + h @ recurrent + bias, 4, axis=-1)
            a_i, a_f, a_c, a_o = (blocks[k] for k in self.order)
            i, f, o = self.gate(a_i), self.gate(a_f), self.gate(a_o)
            c_new = f * c + i * self.candidate(a_c)
            h_new = o * self.squash_cell(c_new)
            c, h = self.next_c(c_new, h0), self.next_h(h_new, h0)
            out.append(c_new if self.returns_cell else h_new)
        return np.stack(out, axis=1)


#: The LSTM loop's known mistakes. The gate orders are those a learner may read Keras's
#: ``[i, f, c, o]`` in: most papers' (forget first), and TensorFlow 1's ``[i, c, f, o]``.
LSTM_PLANTED = TEXTS.planted(
    "lstm_loop",
    {
        "order_fico": dict(order=(1, 0, 2, 3)),
        "order_icfo": dict(order=(0, 2, 1, 3)),
        "order_ifoc": dict(order=(0, 1, 3, 2)),
        "no_bias": dict(bias=lambda weights: np.zeros_like(weights.bias)),
        "no_tanh_on_c": dict(squash_cell=lambda c: c),
        "stale_c": dict(next_c=_stale),
        "stale_h": dict(next_h=_stale),
        "sigmoid_candidate": dict(candidate=sigmoid),
        "tanh_gates": dict(gate=np.tanh),
        "returns_c": dict(returns_cell=True),
    },
)


def lstm_variant(x: np.ndarray, weights: CellWeights, mistake: str | None) -> np.ndarray:
    """Every ``h_t`` (or ``c_t``) ``(n, T, H)`` of the LSTM loop with one mistake planted."""
    return with_mistake(LSTMLoop(), LSTM_PLANTED, mistake).run(x, weights)


# --- the GRU, both variants -------------------------------------------------------------


def _reset_after(r, h, Wh_h, Bhh_h, from_h):
    return r * from_h[:, -Wh_h.shape[1] :]  # reset_after=True: r ⊙ (h·Wh_h + Bhh_h)


def _reset_before(r, h, Wh_h, Bhh_h, from_h):
    return (r * h) @ Wh_h + Bhh_h  # reset_after=False: the state reset first


def _keras_update(z, h_prev, h_tilde):
    return z * h_prev + (1 - z) * h_tilde  # z is the share of the old state kept


@dataclass(frozen=True)
class GRULoop:
    """Every ``h_t`` ``(n, T, H)`` of Keras's GRU from ``h_0 = 0``, as hooks.
    ``bias_rows`` gives the bias added to ``x_t·Wx`` and the one added to ``h_{t-1}·Wh``:
    the two rows of a ``reset_after=True`` bias ``(2, 3H)``; for ``reset_after=False`` the
    one row, and zeros."""

    bias_rows: Callable = lambda bias: (bias[0], bias[1])
    gate_columns: Callable = lambda H: (slice(0, H), slice(H, 2 * H))  # z, r
    candidate: Callable = _reset_after  # the recurrent term inside the candidate's tanh
    update: Callable = _keras_update
    next_h: Callable = _fed_back

    def run(self, x: np.ndarray, weights: CellWeights) -> np.ndarray:
        H = weights.hidden_units
        kernel, recurrent = weights.kernel, weights.recurrent_kernel
        b_x, b_h = self.bias_rows(weights.bias)
        z_cols, r_cols = self.gate_columns(H)
        h0 = np.zeros((x.shape[0], H), dtype=weights.dtype)
        h, out = h0, []
        for t in range(x.shape[1]):
            from_x = x[:, t] @ kernel + b_x
            from_h = h @ recurrent + b_h
            z = sigmoid(from_x[:, z_cols] + from_h[:, z_cols])
            r = sigmoid(from_x[:, r_cols] + from_h[:, r_cols])
            recurrent_h = self.candidate(r, h, recurrent[:, 2 * H :], b_h[2 * H :], from_h)
            h_new = self.update(z, h, np.tanh(from_x[:, 2 * H :] + recurrent_h))
            h = self.next_h(h_new, h0)
            out.append(h_new)
        return np.stack(out, axis=1)


GRU = GRULoop()
GRU_V1 = GRULoop(bias_rows=lambda bias: (bias, np.zeros_like(bias)), candidate=_reset_before)

_TORCH_ORDER = dict(gate_columns=lambda H: (slice(H, 2 * H), slice(0, H)))
_SWAPPED_UPDATE = dict(update=lambda z, h_prev, h_tilde: (1 - z) * h_prev + z * h_tilde)
_STALE_H = dict(next_h=_stale)
#: The known mistakes of the ``reset_after=True`` loop (exercise 10.1).
GRU_PLANTED = TEXTS.planted(
    "gru_loop",
    {
        "torch_order": _TORCH_ORDER,
        "bias0_only": dict(bias_rows=lambda bias: (bias[0], np.zeros_like(bias[1]))),
        "bias1_only": dict(bias_rows=lambda bias: (np.zeros_like(bias[0]), bias[1])),
        "reset_before": dict(candidate=_reset_before),
        "bias_outside_reset": dict(
            candidate=lambda r, h, Wh_h, Bhh_h, from_h: r * (h @ Wh_h) + Bhh_h
        ),
        "swapped_update": _SWAPPED_UPDATE,
        "stale_h": _STALE_H,
    },
)
#: The known mistakes of the ``reset_after=False`` loop (exercise 10.2).
GRU_V1_PLANTED = TEXTS.planted(
    "gru_v1_loop",
    {
        "reset_after": dict(candidate=_reset_after),
        "no_reset": dict(candidate=lambda r, h, Wh_h, Bhh_h, from_h: h @ Wh_h + Bhh_h),
        "torch_order": _TORCH_ORDER,
        "swapped_update": _SWAPPED_UPDATE,
        "stale_h": _STALE_H,
        "no_bias": dict(bias_rows=lambda bias: (np.zeros_like(bias), np.zeros_like(bias))),
    },
)


def gru_variant(x: np.ndarray, weights: CellWeights, mistake: str | None) -> np.ndarray:
    """Every ``h_t`` ``(n, T, H)`` of the ``reset_after=True`` GRU with one mistake planted."""
    return with_mistake(GRU, GRU_PLANTED, mistake).run(x, weights)


def gru_v1_variant(x: np.ndarray, weights: CellWeights, mistake: str | None) -> np.ndarray:
    """Every ``h_t`` ``(n, T, H)`` of the ``reset_after=False`` GRU, one mistake planted."""
    return with_mistake(GRU_V1, GRU_V1_PLANTED, mistake).run(x, weights)


@dataclass(frozen=True)
class GatedLoop:
    """A gated layer's loop as its exercise sees it: the ``kind`` of cell ("LSTM" or
    "GRU") and its ``reset_after``, the known mistakes and the function that plants one."""

    kind: str
    variant: Callable[[np.ndarray, CellWeights, str | None], np.ndarray]
    planted: dict[str, Planted]
    reset_after: bool | None = None


LSTM_LOOP = GatedLoop("LSTM", lstm_variant, LSTM_PLANTED)
GRU_LOOP = GatedLoop("GRU", gru_variant, GRU_PLANTED)
GRU_V1_LOOP = GatedLoop("GRU", gru_v1_variant, GRU_V1_PLANTED, reset_after=False)


def loop_exercise(texts: Texts, key: str, loop: GatedLoop, seed: int) -> Callable[..., CheckResult]:
    """Exercise ``key`` of ``texts``, on ``loop``: every ``h_t`` on :func:`sequence_cases`
    (drawn from ``seed``), recognising the loop's planted mistakes, refusing the library's
    gated steps and replays."""
    names = tuple(loop.planted)
    cases = cache(
        lambda: tuple(
            sequence_cases(loop.kind, loop.variant, names, seed, reset_after=loop.reset_after)
        )
    )
    kind = loop.kind.lower()
    return exercise(
        texts.exercise(key, cases=len(SEQUENCE_CONFIGS)),
        cases,
        mistakes=mistakes_of(loop.planted),
        refuses=Refusal.of(
            "rnn_lab.trace_gates",
            f"rnn_lab.{kind}_step",
            f"rnn_lab.cells.steps.{kind}_gates",
            "rnn_lab.numpy_replay",
            "rnn_lab.replay",
        ),
    )
