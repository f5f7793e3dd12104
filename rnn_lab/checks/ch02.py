"""Checkers for the exercises of chapter 2, *Inside the layers*: the shapes of the five
arrays, one timestep of the recurrence, and one timestep with its Dense output.

    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)        y_t = h_t·Wo + Bo
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from ..keras_models import build_keras_model
from .core import SHAPE_MIXUP, TIME_LIMIT_S, Case, CheckResult, Exercise, Mistake, run_check
from .recurrence import MISTAKES, RECURRENCE_ROUTES, forward_cases, step_cases

#: ``(D, H, O)`` of the hidden configurations, all three sizes different.
SHAPE_CONFIGS = ((3, 5, 2), (4, 7, 6), (9, 2, 3))

WEIGHT_SHAPE_MISTAKES = {
    "wx_transposed": Mistake(
        SHAPE_MIXUP,
        "gave Wx as (H, D) instead of (D, H)",
        "Keras multiplies row vectors from the left, x_t (n, D) @ Wx, so Wx is (D, H).",
    ),
    "wo_transposed": Mistake(
        SHAPE_MIXUP,
        "gave Wo as (O, H) instead of (H, O)",
        "The Dense layer computes h (n, H) @ Wo, so Wo is (H, O).",
    ),
    "both_transposed": Mistake(
        SHAPE_MIXUP,
        "gave Wx and Wo transposed, as in column-vector textbooks",
        "Keras stores kernels as (inputs, outputs): Wx (D, H) and Wo (H, O).",
    ),
    "column_biases": Mistake(
        "column_bias",
        "gave the biases as columns, (H, 1) and (O, 1)",
        "Keras stores a bias as a flat vector, shape (H,) or (O,), added to every row.",
    ),
    "wh_by_inputs": Mistake(
        SHAPE_MIXUP,
        "gave Wh as (D, H) instead of (H, H)",
        "Wh maps the previous hidden state (H entries) to the new one (H entries).",
    ),
    "dense_first": Mistake(
        "wrong_order",
        "listed the Dense layer's arrays first",
        "get_weights() follows the layers in order: SimpleRNN (Wx, Wh, Bh), then Dense.",
    ),
}


def _weight_shape_variants(D: int, H: int, O: int) -> dict[str, list[tuple[int, ...]]]:
    return {
        "wx_transposed": [(H, D), (H, H), (H,), (H, O), (O,)],
        "wo_transposed": [(D, H), (H, H), (H,), (O, H), (O,)],
        "both_transposed": [(H, D), (H, H), (H,), (O, H), (O,)],
        "column_biases": [(D, H), (H, H), (H, 1), (H, O), (O, 1)],
        "wh_by_inputs": [(D, H), (D, H), (H,), (H, O), (O,)],
        "dense_first": [(H, O), (O,), (D, H), (H, H), (H,)],
    }


@cache
def _weight_shape_cases() -> tuple[Case, ...]:
    cases = []
    for D, H, O in SHAPE_CONFIGS:
        shapes = [tuple(a.shape) for a in build_keras_model(4, D, H, O).get_weights()]
        variants = _weight_shape_variants(D, H, O)
        cases.append(Case((D, H, O), shapes, f"D={D}, H={H}, O={O}", 0.0, variants))
    return tuple(cases)


WEIGHT_SHAPES_EXERCISE = Exercise(
    name="weight_shapes",
    forbidden=("rnn_lab.build_keras_model", "rnn_lab.random_weights", "rnn_lab.weights_from_keras"),
    frameworks=True,
    write_yourself="work the shapes out from the sizes, without building the layers",
    difficulty=1,
    minutes=10,
    skill="weight layout of stacked layers",
    kind="shapes",
    returns="a list of 5 shapes",
    verified=(
        f"the five shapes match Keras's get_weights() on {len(SHAPE_CONFIGS)} hidden "
        "configurations with D, H, O all different."
    ),
    mistakes=WEIGHT_SHAPE_MISTAKES,
)


def check_weight_shapes(
    weight_shapes: Callable | None, *, time_limit: float = TIME_LIMIT_S
) -> CheckResult:
    """Check ``weight_shapes(D, H, O)``: the shapes ``get_weights()`` returns, in order."""
    cases = list(_weight_shape_cases())
    return run_check(WEIGHT_SHAPES_EXERCISE, weight_shapes, cases, time_limit=time_limit)


STEP_VARIANTS = (
    "wh_transposed",
    "wx_transposed",
    "no_bias",
    "sigmoid",
    "relu",
    "no_activation",
    "ignored_h_prev",
)

STEP_EXERCISE = Exercise(
    name="step",
    forbidden=RECURRENCE_ROUTES,
    frameworks=True,
    write_yourself="write the step yourself, with NumPy",
    difficulty=1,
    minutes=10,
    skill="one step of the recurrence",
    kind="array",
    returns="h_t, an array of shape (n, H)",
    verified=(
        "h_t matches Keras's SimpleRNN on 4 hidden cases (float32 and float64, random "
        "non-zero h_prev and biases, D ≠ H and D = H)."
    ),
    mistakes={name: MISTAKES[name] for name in STEP_VARIANTS},
)


def check_step(step: Callable | None, *, time_limit: float = TIME_LIMIT_S) -> CheckResult:
    """Check ``step(x_t, h_prev, Wx, Wh, Bh)`` = ``tanh(x_t·Wx + h_prev·Wh + Bh)``."""
    return run_check(STEP_EXERCISE, step, list(step_cases(STEP_VARIANTS)), time_limit=time_limit)


STEP_OUTPUT_VARIANTS = (
    "returns_hidden",
    "dense_before_activation",
    "activation_on_output",
    "no_output_bias",
    "no_bias",
    "wh_transposed",
    "ignored_h0",
)

STEP_OUTPUT_EXERCISE = Exercise(
    name="step_output",
    forbidden=RECURRENCE_ROUTES,
    frameworks=True,
    write_yourself="write the step and the Dense layer yourself, with NumPy",
    difficulty=1,
    minutes=10,
    skill="one step and the Dense output",
    kind="array",
    returns="y_t, an array of shape (n, O)",
    verified=(
        "y_t matches Keras's SimpleRNN → Dense, run for one step from h_prev, on 4 hidden "
        "cases (float32 and float64, H ≠ O and H = O)."
    ),
    # With one step, a loop that ignores h_0 is a step that leaves out h_prev.
    mistakes={
        name: MISTAKES["ignored_h_prev" if name == "ignored_h0" else name]
        for name in STEP_OUTPUT_VARIANTS
    },
)


def check_step_output(
    step_output: Callable | None, *, time_limit: float = TIME_LIMIT_S
) -> CheckResult:
    """Check ``step_output(x_t, h_prev, weights)`` = ``tanh(x_t·Wx + h_prev·Wh + Bh)·Wo + Bo``."""
    cases = list(forward_cases(STEP_OUTPUT_VARIANTS, steps=1))
    return run_check(STEP_OUTPUT_EXERCISE, step_output, cases, time_limit=time_limit)
