"""Checkers for the exercises of chapter 1, *The Keras model*: parameter counts and
output shapes, each checked against models Keras builds on hidden configurations.

    SimpleRNN: D·H + H·H + H parameters      Dense: H·O + O parameters
    output: (n, O), or (n, T, O) with return_sequences=True
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..keras_side.models import build_keras_model
from .answers import Shapes, Whole
from .core import Card, Refusal, exercise
from .verdicts import Case, Mistake

#: ``(T, D, H, O)`` of the hidden configurations: every size different from the others,
#: so that each wrong formula gives a different number.
COUNT_CONFIGS = ((7, 3, 5, 2), (4, 6, 11, 3), (12, 2, 4, 9), (3, 8, 16, 5))

#: The two hidden configurations of ``count_params`` that differ only in ``T``.
SAME_WEIGHTS_OTHER_T = ((7, 3, 5, 2), (25, 3, 5, 2))

COUNT_MISTAKES = {
    "forgot_biases": Mistake(
        "forgot_bias",
        "left out both biases",
        "Each layer has a bias vector: H numbers for Bh, O numbers for Bo.",
    ),
    "forgot_Bh": Mistake(
        "forgot_bias",
        "left out the hidden bias Bh",
        "The SimpleRNN layer has D·H + H·H weights and H biases.",
    ),
    "forgot_Bo": Mistake(
        "forgot_bias",
        "left out the output bias Bo",
        "The Dense layer has H·O weights and O biases.",
    ),
    "no_recurrent": Mistake(
        "no_recurrent_weights",
        "left out the recurrent weights Wh",
        "Wh maps the previous state to the new one: an (H, H) matrix, H·H parameters.",
    ),
    "wh_d_by_h": Mistake(
        "shape_mixup",
        "counted Wh as (D, H) instead of (H, H)",
        "Wh multiplies h_{t-1}, which has H entries, and produces H entries: (H, H).",
    ),
    "times_T": Mistake(
        "depends_on_T",
        "multiplied the SimpleRNN's weights by T",
        "The same Wx, Wh, Bh are used at every timestep: the count does not depend on T.",
    ),
    "only_rnn": Mistake(
        "only_one_layer",
        "counted only the SimpleRNN layer",
        "The model also has a Dense layer: H·O + O more parameters.",
    ),
    "only_dense": Mistake(
        "only_one_layer",
        "counted only the Dense layer",
        "The SimpleRNN layer has D·H + H·H + H parameters too.",
    ),
}

SHAPE_MISTAKES = {
    "hidden_units": Mistake(
        "returns_hidden",
        "gave the SimpleRNN's shape (H) instead of the Dense output's (O)",
        "The model ends with Dense(O): its last axis has O entries, not H.",
    ),
    "time_first": Mistake(
        "axis_order",
        "put time first, (T, n, O)",
        "Keras keeps the samples first: (n, T, O).",
    ),
    "ignores_flag": Mistake(
        "ignored_return_sequences",
        "gave (n, O) whatever return_sequences is",
        "With return_sequences=True the model keeps every timestep: (n, T, O).",
    ),
    "always_sequences": Mistake(
        "ignored_return_sequences",
        "gave (n, T, O) whatever return_sequences is",
        "By default (return_sequences=False) only the last timestep is returned: (n, O).",
    ),
    "with_dims": Mistake(
        "shape_mixup",
        "kept the input's D axis",
        "The output has O features per sample (and per timestep); D is the input's width.",
    ),
}


def _count_variants(T: int, D: int, H: int, O: int) -> dict[str, int]:
    rnn, dense = D * H + H * H + H, H * O + O
    return {
        "forgot_biases": rnn - H + dense - O,
        "forgot_Bh": rnn - H + dense,
        "forgot_Bo": rnn + dense - O,
        "no_recurrent": rnn - H * H + dense,
        "wh_d_by_h": rnn - H * H + D * H + dense,
        "times_T": T * rnn + dense,
        "only_rnn": rnn,
        "only_dense": dense,
    }


@cache
def _count_cases() -> tuple[Case, ...]:
    cases = []
    for T, D, H, O in COUNT_CONFIGS + SAME_WEIGHTS_OTHER_T[1:]:
        keras_count = build_keras_model(T, D, H, O).count_params()
        label = f"T={T}, D={D}, H={H}, O={O}"
        cases.append(Case((T, D, H, O), int(keras_count), label, 0.0, _count_variants(T, D, H, O)))
    return tuple(cases)


check_count_params = exercise(
    """Check ``count_params(T, D, H, O)``: the parameters of ``SimpleRNN(H) -> Dense(O)``.""",
    _count_cases,
    answer=Whole(),
    returns="the total number of parameters (an int)",
    verified=(
        "your count equals Keras's count_params() on "
        f"{len(COUNT_CONFIGS) + 1} hidden configurations, including two that differ only "
        "in T."
    ),
    mistakes=COUNT_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.count_parameters",
        "rnn_lab.count_cell_parameters",
        "rnn_lab.build_keras_model",
        advice="derive the count from the five shapes, without building a model",
    ),
    card=Card(1, 10, "parameters from the shapes of the weights"),
)


def _shape_variants(n: int, T: int, D: int, H: int, O: int, seq: bool) -> dict[str, Any]:
    last = (n, T, O) if seq else (n, O)
    return {
        "hidden_units": (n, T, H) if seq else (n, H),
        "time_first": (T, n, O) if seq else last,
        "ignores_flag": (n, O),
        "always_sequences": (n, T, O),
        "with_dims": (n, T, D, O) if seq else (n, D, O),
    }


@cache
def _shape_cases() -> tuple[Case, ...]:
    cases = []
    for (T, D, H, O), n in zip(COUNT_CONFIGS, (10, 1, 32, 6), strict=True):
        for seq in (False, True):
            model = build_keras_model(T, D, H, O, return_sequences=seq)
            expected = (n, *model.output_shape[1:])  # Keras leaves the batch axis open
            label = f"n={n}, T={T}, D={D}, H={H}, O={O}, return_sequences={seq}"
            args = (n, T, D, H, O, seq)
            cases.append(Case(args, expected, label, 0.0, _shape_variants(n, T, D, H, O, seq)))
    return tuple(cases)


check_output_shape = exercise(
    """Check ``output_shape(n, T, D, H, O, return_sequences)``: the shape of ``model(x)``.""",
    _shape_cases,
    answer=Shapes(),
    returns="a tuple such as (n, O)",
    verified=(
        f"it gives the shape of Keras's output on {2 * len(COUNT_CONFIGS)} hidden "
        "configurations, with and without return_sequences."
    ),
    mistakes=SHAPE_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.build_keras_model",
        "rnn_lab.keras_reference",
        "rnn_lab.manual_forward",
        advice="work the shape out from n, T, O and the flag, without running a model",
    ),
    card=Card(1, 5, "output shapes and return_sequences"),
)
