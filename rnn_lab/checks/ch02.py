"""Checkers for the exercises of chapter 2, *Inside the layers*: the shapes of the arrays of
a stacked model, one timestep of the recurrence, and one timestep with its Dense output.

    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)        y_t = h_t·Wo + Bo
"""

from __future__ import annotations

from functools import cache

from ..keras_side.models import import_keras
from .answers import Shapes
from .core import Refusal, exercise
from .recurrence import CONFIGS, RECURRENCE_ROUTES, forward_cases, step_cases
from .texts import Texts
from .variants import MISTAKES
from .verdicts import Case

TEXTS = Texts(__name__)

#: ``(D, H1, H2, O)`` of the hidden stacked models, all four sizes different.
SHAPE_CONFIGS = ((3, 5, 4, 2), (4, 7, 3, 6), (9, 2, 6, 3))


def _weight_shape_variants(D: int, H1: int, H2: int, O: int) -> dict[str, list[tuple[int, ...]]]:
    def layout(wx1, wh1, b1, wx2, wh2, b2, wo, bo):
        return [wx1, wh1, b1, wx2, wh2, b2, wo, bo]

    right = layout((D, H1), (H1, H1), (H1,), (H1, H2), (H2, H2), (H2,), (H2, O), (O,))
    return {
        "wx_transposed": layout((H1, D), (H1, H1), (H1,), (H2, H1), (H2, H2), (H2,), (H2, O), (O,)),
        "wo_transposed": [*right[:6], (O, H2), (O,)],
        "both_transposed": layout(
            (H1, D), (H1, H1), (H1,), (H2, H1), (H2, H2), (H2,), (O, H2), (O,)
        ),
        "column_biases": layout(
            (D, H1), (H1, H1), (H1, 1), (H1, H2), (H2, H2), (H2, 1), (H2, O), (O, 1)
        ),
        "wh_by_inputs": layout((D, H1), (D, H1), (H1,), (H1, H2), (H1, H2), (H2,), (H2, O), (O,)),
        "dense_first": [*right[6:], *right[:6]],
        "second_reads_inputs": [*right[:3], (D, H2), *right[4:]],
    }


def stacked_model(T: int, D: int, H1: int, H2: int, O: int):
    """``Input(T, D) → SimpleRNN(H1, return_sequences=True) → SimpleRNN(H2) → Dense(O)``."""
    keras = import_keras()
    return keras.Sequential(
        [
            keras.Input((T, D)),
            keras.layers.SimpleRNN(H1, return_sequences=True),
            keras.layers.SimpleRNN(H2),
            keras.layers.Dense(O),
        ]
    )


@cache
def _weight_shape_cases() -> tuple[Case, ...]:
    cases = []
    for D, H1, H2, O in SHAPE_CONFIGS:
        shapes = [tuple(a.shape) for a in stacked_model(4, D, H1, H2, O).get_weights()]
        variants = _weight_shape_variants(D, H1, H2, O)
        label = f"D={D}, H1={H1}, H2={H2}, O={O}"
        cases.append(Case((D, H1, H2, O), shapes, label, 0.0, variants))
    return tuple(cases)


check_weight_shapes = exercise(
    TEXTS.exercise("weight_shapes", configs=len(SHAPE_CONFIGS)),
    _weight_shape_cases,
    answer=Shapes(),
    refuses=Refusal.of(
        "rnn_lab.build_keras_model",
        "rnn_lab.random_weights",
        "rnn_lab.weights_from_keras",
        "rnn_lab.checks.ch02.stacked_model",
    ),
)


STEP_VARIANTS = (
    "wh_transposed",
    "wx_transposed",
    "no_bias",
    "sigmoid",
    "relu",
    "no_activation",
    "ignored_h_prev",
)


check_step = exercise(
    TEXTS.exercise("step", configs=len(CONFIGS)),
    lambda: step_cases(STEP_VARIANTS),
    mistakes={name: MISTAKES[name] for name in STEP_VARIANTS},
    refuses=Refusal.of(*RECURRENCE_ROUTES),
)


STEP_OUTPUT_VARIANTS = (
    "returns_hidden",
    "dense_before_activation",
    "activation_on_output",
    "no_output_bias",
    "no_bias",
    "wh_transposed",
    "ignored_h0",
)


check_step_output = exercise(
    TEXTS.exercise("step_output", configs=len(CONFIGS)),
    lambda: forward_cases(STEP_OUTPUT_VARIANTS, steps=1),
    mistakes={
        name: MISTAKES["ignored_h_prev" if name == "ignored_h0" else name]
        for name in STEP_OUTPUT_VARIANTS
    },
    refuses=Refusal.of(*RECURRENCE_ROUTES),
)
