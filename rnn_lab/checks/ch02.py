"""Checkers for the exercises of chapter 2, *Inside the layers*: the shapes of the arrays of
a stacked model, one timestep of the recurrence, and one timestep with its Dense output.

    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)        y_t = h_t·Wo + Bo
"""

from __future__ import annotations

from functools import cache

from ..keras_side.models import import_keras
from .answers import Shapes
from .core import Card, Refusal, exercise
from .recurrence import RECURRENCE_ROUTES, forward_cases, step_cases
from .variants import MISTAKES
from .verdicts import SHAPE_MIXUP, Case, Mistake

#: ``(D, H1, H2, O)`` of the hidden stacked models, all four sizes different.
SHAPE_CONFIGS = ((3, 5, 4, 2), (4, 7, 3, 6), (9, 2, 6, 3))

WEIGHT_SHAPE_MISTAKES = {
    "wx_transposed": Mistake(
        SHAPE_MIXUP,
        "gave the input kernels Wx transposed, (units, inputs)",
        "Keras multiplies row vectors from the left, x_t (n, D) @ Wx, so Wx is (inputs, units): "
        "(D, H1) for the first layer, (H1, H2) for the second.",
    ),
    "wo_transposed": Mistake(
        SHAPE_MIXUP,
        "gave Wo as (O, H2) instead of (H2, O)",
        "The Dense layer computes h (n, H2) @ Wo, so Wo is (H2, O).",
    ),
    "both_transposed": Mistake(
        SHAPE_MIXUP,
        "gave every kernel transposed, as in column-vector textbooks",
        "Keras stores kernels as (inputs, outputs): (D, H1), (H1, H2) and (H2, O).",
    ),
    "column_biases": Mistake(
        "column_bias",
        "gave the biases as columns, (H, 1)",
        "Keras stores a bias as a flat vector, shape (H1,), (H2,) or (O,), added to every row.",
    ),
    "wh_by_inputs": Mistake(
        SHAPE_MIXUP,
        "gave each Wh the shape of its layer's Wx",
        "Wh maps a layer's previous hidden state to the new one: (H1, H1), then (H2, H2).",
    ),
    "dense_first": Mistake(
        "wrong_order",
        "listed the Dense layer's arrays first",
        "get_weights() follows the layers in order: SimpleRNN(H1), SimpleRNN(H2), then Dense.",
    ),
    "second_reads_inputs": Mistake(
        "second_layer_input",
        "gave the second layer's Wx D rows, as if it read the inputs x_t",
        "The second SimpleRNN reads the first one's states h_t (H1 entries each): its Wx is "
        "(H1, H2).",
    ),
}


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
    """Check ``weight_shapes(D, H1, H2, O)``: the shapes ``get_weights()`` returns, in order,
    for ``SimpleRNN(H1, return_sequences=True) → SimpleRNN(H2) → Dense(O)``.""",
    _weight_shape_cases,
    answer=Shapes(),
    returns="a list of 8 shapes: Wx, Wh, Bh of each SimpleRNN, then Wo, Bo",
    verified=(
        f"the eight shapes match Keras's get_weights() on {len(SHAPE_CONFIGS)} hidden stacked "
        "models with D, H1, H2, O all different."
    ),
    mistakes=WEIGHT_SHAPE_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.build_keras_model",
        "rnn_lab.random_weights",
        "rnn_lab.weights_from_keras",
        "rnn_lab.checks.ch02.stacked_model",
        advice="work the shapes out from the sizes, without building the layers",
    ),
    card=Card(1, 10, "weight layout of stacked layers"),
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
    """Check ``step(x_t, h_prev, Wx, Wh, Bh)`` = ``tanh(x_t·Wx + h_prev·Wh + Bh)``.""",
    lambda: step_cases(STEP_VARIANTS),
    returns="h_t, an array of shape (n, H)",
    verified=(
        "h_t matches Keras's SimpleRNN on 4 hidden cases (float32 and float64, random "
        "non-zero h_prev and biases, D ≠ H and D = H)."
    ),
    mistakes={name: MISTAKES[name] for name in STEP_VARIANTS},
    refuses=Refusal.of(*RECURRENCE_ROUTES, advice="write the step yourself, with NumPy"),
    card=Card(1, 10, "one step of the recurrence"),
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
    """Check ``step_output(x_t, h_prev, weights)`` = ``tanh(x_t·Wx + h_prev·Wh + Bh)·Wo + Bo``.""",
    lambda: forward_cases(STEP_OUTPUT_VARIANTS, steps=1),
    returns="y_t, an array of shape (n, O)",
    verified=(
        "y_t matches Keras's SimpleRNN → Dense, run for one step from h_prev, on 4 hidden "
        "cases (float32 and float64, H ≠ O and H = O)."
    ),
    mistakes={
        name: MISTAKES["ignored_h_prev" if name == "ignored_h0" else name]
        for name in STEP_OUTPUT_VARIANTS
    },
    refuses=Refusal.of(
        *RECURRENCE_ROUTES, advice="write the step and the Dense layer yourself, with NumPy"
    ),
    card=Card(1, 10, "one step and the Dense output"),
)
