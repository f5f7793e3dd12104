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
from .core import Refusal, exercise
from .texts import Texts
from .verdicts import Case

TEXTS = Texts(__name__)

#: ``(T, D, H, O)`` of the hidden configurations: every size different from the others,
#: so that each wrong formula gives a different number.
COUNT_CONFIGS = ((7, 3, 5, 2), (4, 6, 11, 3), (12, 2, 4, 9), (3, 8, 16, 5))

#: The two hidden configurations of ``count_params`` that differ only in ``T``.
SAME_WEIGHTS_OTHER_T = ((7, 3, 5, 2), (25, 3, 5, 2))


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
    TEXTS.exercise("count_params", configs=len(COUNT_CONFIGS) + 1),
    _count_cases,
    answer=Whole(),
    refuses=Refusal.of(
        "rnn_lab.count_parameters",
        "rnn_lab.count_cell_parameters",
        "rnn_lab.build_keras_model",
    ),
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
    TEXTS.exercise("output_shape", configs=2 * len(COUNT_CONFIGS)),
    _shape_cases,
    answer=Shapes(),
    refuses=Refusal.of(
        "rnn_lab.build_keras_model",
        "rnn_lab.keras_reference",
        "rnn_lab.manual_forward",
    ),
)
