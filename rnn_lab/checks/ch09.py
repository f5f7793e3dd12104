"""Checkers for the exercises of chapter 9, *LSTM by hand*: the whole LSTM loop, and the
bias Keras starts an LSTM with.

    a_t = x_t·Wx + h_{t-1}·Wh + B               (n, 4H), blocks [i, f, c, o]
    i_t, f_t, o_t = σ(a_i), σ(a_f), σ(a_o);   c̃_t = tanh(a_c)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t,          h_t = o_t ⊙ tanh(c_t),   h_0 = c_0 = 0

Hidden cases use ``random_cell_weights`` (a different non-zero value in every entry), so a
swapped gate block or a forgotten bias changes the numbers instead of hiding. Expected
answers come from ``rnn_lab.cells``, which the test suite checks against Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..cells.weights import random_cell_weights, sigmoid
from ..keras_side.models import import_keras
from ..tolerances import FLOAT32_ATOL
from .answers import Arrays, Whole
from .core import Refusal, exercise
from .gated import LSTM_LOOP, loop_exercise
from .hidden import drawn_case, seeded_cases
from .texts import Texts
from .verdicts import Case, mistakes_of, with_mistake

TEXTS = Texts(__name__)

# --- Exercise 9.1: the LSTM loop --------------------------------------------------------


check_lstm_forward = loop_exercise(TEXTS, "lstm_forward", LSTM_LOOP, seed=900)


# --- Exercise 9.2: a bias that starts the forget gate where you want it -----------------------

#: Hidden cases: ``(H, f0)``, the size and the forget gate's value wanted at the start.
FORGET_CASES = ((3, 0.9), (5, 0.99), (2, 0.75))


def _block(index: int) -> Callable[[int], slice]:
    """The entries of gate block ``index`` of a ``(4H,)`` bias, in Keras's order [i, f, c, o]."""
    return lambda H: slice(index * H, (index + 1) * H)


@dataclass(frozen=True)
class ForgetBias:
    """The ``(4H,)`` LSTM bias that is ``logit(f0)`` in the forget block and zero elsewhere,
    so that ``σ(b_f) = f0``, as hooks."""

    value: Callable = lambda f0, logit: logit  # what the forget block holds
    entries: Callable = lambda H: slice(H, 2 * H)  # where it goes: the forget block

    def run(self, H: int, f0: float) -> np.ndarray:
        bias = np.zeros(4 * H)
        bias[self.entries(H)] = self.value(f0, float(np.log(f0 / (1 - f0))))
        return bias


FORGET_PLANTED = TEXTS.planted(
    "forget_bias",
    {
        "keras_default": dict(value=lambda f0, logit: 1.0),
        "plus_one": dict(value=lambda f0, logit: logit + 1.0),
        "no_logit": dict(value=lambda f0, logit: f0),
        "negated": dict(value=lambda f0, logit: -logit),
        "block_input": dict(entries=_block(0)),
        "block_candidate": dict(entries=_block(2)),
        "block_output": dict(entries=_block(3)),
        "all_blocks": dict(entries=lambda H: slice(None)),
    },
)


def forget_bias_variant(H: int, f0: float, mistake: str | None = None) -> np.ndarray:
    """The ``(4H,)`` bias with ``σ(b_f) = f0`` in the forget block, or with ``mistake``."""
    return with_mistake(ForgetBias(), FORGET_PLANTED, mistake).run(H, f0)


@cache
def _forget_cases() -> tuple[Case, ...]:
    cases = []
    for H, f0 in FORGET_CASES:
        expected = forget_bias_variant(H, f0)
        variants = {name: forget_bias_variant(H, f0, name) for name in FORGET_PLANTED}
        # The bias is float32 in a Keras layer: its rounding is honest.
        cases.append(Case((H, f0), expected, f"H={H}, f0={f0:g}", FLOAT32_ATOL, variants))
    return tuple(cases)


check_forget_bias = exercise(
    TEXTS.exercise("forget_bias", cases=len(FORGET_CASES)),
    _forget_cases,
    checker_name="check_forget_bias",
    refuses=Refusal.of("rnn_lab.random_cell_weights"),
)


# --- Exercise 9.3: parameters of the gated layers ------------------------------------------

#: Hidden configurations: ``(kind, D, H, reset_after)``, every size different.
GATED_COUNT_CONFIGS = (
    ("LSTM", 3, 5, None),
    ("GRU", 4, 6, True),
    ("GRU", 2, 7, False),
    ("LSTM", 6, 2, None),
    ("GRU", 5, 3, True),
)


def gated_count(
    kind: str,
    D: int,
    H: int,
    reset_after: bool | None,
    *,
    gates: int | None = None,
    rows: int | None = None,
) -> int:
    """``gates·(D·H + H·H) + rows·gates·H``: ``gates`` blocks of weights, ``rows`` bias rows."""
    gates = gates if gates is not None else (4 if kind == "LSTM" else 3)
    rows = rows if rows is not None else (2 if kind == "GRU" and reset_after else 1)
    return gates * (D * H + H * H) + rows * gates * H


def _gated_count_variants(kind: str, D: int, H: int, reset_after: bool | None) -> dict[str, int]:
    """Each mistake's count; where a mistake does not apply (three LSTM blocks on a GRU)
    the learner with that mistake gives the right count, and so does the variant."""
    lstm, gru = kind == "LSTM", kind == "GRU"
    return {
        "one_block": gated_count(kind, D, H, reset_after, gates=1),
        "lstm_three": gated_count(kind, D, H, reset_after, gates=3 if lstm else None),
        "gru_four": gated_count(kind, D, H, reset_after, gates=4 if gru else None),
        "one_bias_row": gated_count(kind, D, H, reset_after, rows=1),
        "two_bias_rows": gated_count(kind, D, H, reset_after, rows=2 if gru else None),
        "no_bias": gated_count(kind, D, H, reset_after, rows=0),
    }


@cache
def _gated_count_cases() -> tuple[Case, ...]:
    keras = import_keras()
    cases = []
    for kind, D, H, reset_after in GATED_COUNT_CONFIGS:
        options = {} if reset_after is None else {"reset_after": reset_after}
        layer = getattr(keras.layers, kind)(H, **options)
        layer.build((None, 4, D))
        variants = _gated_count_variants(kind, D, H, reset_after)
        expected = int(layer.count_params())
        label = f"{kind}, D={D}, H={H}" + (
            "" if reset_after is None else f", reset_after={reset_after}"
        )
        cases.append(Case((kind, D, H, reset_after), expected, label, 0.0, variants))
    return tuple(cases)


check_gated_params = exercise(
    TEXTS.exercise("gated_params", layers=len(GATED_COUNT_CONFIGS)),
    _gated_count_cases,
    answer=Whole(),
    refuses=Refusal.of(
        "rnn_lab.count_cell_parameters",
        "rnn_lab.count_parameters",
        "rnn_lab.keras_side.porting.torch_parameter_count",
        "rnn_lab.random_cell_weights",
    ),
)


# --- Exercise 9.4: one step backwards through the LSTM ------------------------------------------

#: Hidden cases: ``(n, D, H, dtype)``, every size different.
LSTM_BACKWARD_CONFIGS = ((3, 2, 4, "float64"), (4, 3, 2, "float32"), (2, 5, 3, "float64"))
#: The six arrays ``lstm_backward_step`` returns, in this order.
LSTM_BACKWARD_PARTS = ("dx", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")


@dataclass(frozen=True)
class LSTMStepBackward:
    """The six gradients of one LSTM step, in float64, written as hooks;
    ``LSTMStepBackward()`` is the reference.

        dc_total = dc + dh ⊙ o ⊙ (1 − tanh²(c_t)),   dc_prev = dc_total ⊙ f
        da = [dc_total ⊙ c̃ ⊙ σ'(i), dc_total ⊙ c_(t-1) ⊙ σ'(f), dc_total ⊙ i ⊙ tanh'(c̃),
              dh ⊙ tanh(c_t) ⊙ σ'(o)]
    """

    squash_cell: Callable = lambda c, tanh_c: tanh_c  # what o multiplies in h_t
    cell_slope: Callable = lambda tanh_c: 1 - tanh_c**2  # from h_t back to c_t
    from_later: Callable = lambda dc: dc  # the gradient reaching c_t from later steps
    forgotten: Callable = lambda c, c_prev: c_prev  # what the forget gate multiplies
    forget: Callable = lambda f: f  # from c_t back to c_(t-1)
    gate_slope: Callable = lambda s: s * (1 - s)  # σ'
    order: tuple[int, ...] = (0, 1, 2, 3)  # the blocks i, f, c, o

    def run(self, x, h_prev, c_prev, weights, dh, dc) -> tuple:
        x, h_prev, c_prev, dh, dc = (np.asarray(a, np.float64) for a in (x, h_prev, c_prev, dh, dc))
        kernel, recurrent, bias = (np.asarray(a, np.float64) for a in weights.as_list())
        H = weights.hidden_units
        a = x @ kernel + h_prev @ recurrent + bias
        i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 3 * H :])
        g = np.tanh(a[:, 2 * H : 3 * H])
        c = f * c_prev + i * g
        tc = np.tanh(c)
        do = dh * self.squash_cell(c, tc)
        dc_total = self.from_later(dc) + dh * o * self.cell_slope(tc)
        df = dc_total * self.forgotten(c, c_prev)
        di, dg = dc_total * g, dc_total * i
        slope = self.gate_slope
        blocks = [di * slope(i), df * slope(f), dg * (1 - g**2), do * slope(o)]
        da = np.concatenate([blocks[k] for k in self.order], axis=1)
        dc_prev = dc_total * self.forget(f)
        return da @ kernel.T, da @ recurrent.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)


LSTM_BACKWARD_PLANTED = TEXTS.planted(
    "lstm_backward_step",
    {
        "ignored_dc": dict(from_later=lambda dc: 0),
        "no_tanh_slope_c": dict(cell_slope=lambda tanh_c: 1),
        "c_t_for_c_prev": dict(forgotten=lambda c, c_prev: c),
        "dc_prev_unscaled": dict(forget=lambda f: 1),
        "tanh_slope_for_gates": dict(gate_slope=lambda s: 1 - s**2),
        "order_fico": dict(order=(1, 0, 2, 3)),
        "no_tanh_on_c": dict(squash_cell=lambda c, tanh_c: c),
    },
)
LSTM_BACKWARD_MISTAKES = mistakes_of(LSTM_BACKWARD_PLANTED)


def lstm_backward_variant(x, h_prev, c_prev, weights, dh, dc, mistake=None) -> tuple:
    """The six gradients of one LSTM step in float64, one mistake planted."""
    step = with_mistake(LSTMStepBackward(), LSTM_BACKWARD_PLANTED, mistake)
    return step.run(x, h_prev, c_prev, weights, dh, dc)


def _keras_lstm_step_gradients(x, h_prev, c_prev, weights, dh, dc) -> tuple:
    """The six gradients by tf.GradientTape through Keras's own LSTMCell, for the loss
    ``Σ dh ⊙ h_t + Σ dc ⊙ c_t`` (whose gradients at h_t and c_t are dh and dc)."""
    import tensorflow as tf

    keras = import_keras()
    dtype = weights.dtype.name
    cell = keras.layers.LSTMCell(weights.hidden_units, dtype=dtype)
    cell.build((None, weights.dims))
    cell.set_weights(weights.as_list())
    inputs = [tf.constant(a) for a in (x, h_prev, c_prev)]
    with tf.GradientTape() as tape:
        for tensor in inputs:
            tape.watch(tensor)
        h, (_, c) = cell(inputs[0], [inputs[1], inputs[2]])
        loss = tf.reduce_sum(dh * h) + tf.reduce_sum(dc * c)
    grads = tape.gradient(loss, [*inputs, cell.kernel, cell.recurrent_kernel, cell.bias])
    return tuple(np.asarray(g) for g in grads)


def _lstm_backward_answers(*args) -> tuple[tuple, dict[str, tuple]]:
    variants = {name: lstm_backward_variant(*args, name) for name in LSTM_BACKWARD_MISTAKES}
    return _keras_lstm_step_gradients(*args), variants


def _lstm_backward_case(rng, n, D, H, dtype, *, seed: int) -> Case:
    weights = random_cell_weights("LSTM", D, H, seed=seed, dtype=dtype)
    x, dh, dc = (rng.normal(0.0, 1.0, shape).astype(dtype) for shape in ((n, D), (n, H), (n, H)))
    h_prev = np.tanh(rng.normal(0.0, 1.0, (n, H))).astype(dtype)
    c_prev = rng.normal(0.0, 1.0, (n, H)).astype(dtype)
    args = (x, h_prev, c_prev, weights, dh, dc)
    return drawn_case(args, _lstm_backward_answers, f"n={n}, D={D}, H={H}, {dtype}", dtype)


check_lstm_backward_step = exercise(
    TEXTS.exercise("lstm_backward_step", cases=len(LSTM_BACKWARD_CONFIGS)),
    seeded_cases(LSTM_BACKWARD_CONFIGS, 9400, _lstm_backward_case, pass_seed=True),
    answer=Arrays(LSTM_BACKWARD_PARTS),
    mistakes=LSTM_BACKWARD_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.manual_backward",
        "rnn_lab.keras_gradients",
        "rnn_lab.numerical_gradient",
        "rnn_lab.numerical_weight_gradients",
    ),
)
