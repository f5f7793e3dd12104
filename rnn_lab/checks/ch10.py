"""Checker for the exercise of chapter 10, *GRU by hand*: the whole loop of Keras's default
GRU (``reset_after=True``, bias ``(2, 3H)``: row 0 ``Bx``, row 1 ``Bhh``).

    z_t = σ(x_t·Wx_z + Bx_z + h_{t-1}·Wh_z + Bhh_z)
    r_t = σ(x_t·Wx_r + Bx_r + h_{t-1}·Wh_r + Bhh_r)
    h̃_t = tanh(x_t·Wx_h + Bx_h + r_t ⊙ (h_{t-1}·Wh_h + Bhh_h))
    h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t,   h_0 = 0,   blocks [z, r, h]
"""

from __future__ import annotations

from functools import cache

from .core import Card, Refusal, exercise
from .gated import (
    GRU_PLANTED,
    GRU_V1_PLANTED,
    SEQUENCE_CONFIGS,
    gru_v1_variant,
    gru_variant,
    sequence_cases,
)
from .verdicts import Case, mistakes_of

#: What both GRU exercises refuse: the library's GRU and the frameworks.
GRU_REFUSAL = Refusal.of(
    "rnn_lab.trace_gates",
    "rnn_lab.gru_step",
    "rnn_lab.cells.steps.gru_gates",
    "rnn_lab.numpy_replay",
    "rnn_lab.replay",
    advice="write the gates and the loop yourself, with NumPy",
)


@cache
def _gru_cases() -> tuple[Case, ...]:
    return tuple(sequence_cases("GRU", gru_variant, tuple(GRU_PLANTED), seed=1000))


check_gru_forward = exercise(
    """Check ``gru_forward(x, weights)``: every ``h_t`` ``(n, T, H)`` from ``h_0 = 0``.""",
    _gru_cases,
    returns="every h_t, an array of shape (n, T, H)",
    verified=(
        "every h_t matches the reset_after=True GRU of rnn_lab.cells (itself checked against "
        f"keras.layers.GRU) on {len(SEQUENCE_CONFIGS)} hidden cases (float32 and float64, "
        "a different non-zero value in every weight and in both bias rows)."
    ),
    mistakes=mistakes_of(GRU_PLANTED),
    refuses=GRU_REFUSAL,
    card=Card(3, 30, "the GRU loop, reset_after=True"),
)


# --- Exercise 10.2: the GRU of the original paper, reset_after=False ------------------------


@cache
def _gru_v1_cases() -> tuple[Case, ...]:
    cases = sequence_cases(
        "GRU", gru_v1_variant, tuple(GRU_V1_PLANTED), seed=1020, reset_after=False
    )
    return tuple(cases)


check_gru_v1_forward = exercise(
    """Check ``gru_v1_forward(x, weights)``: every ``h_t`` of a ``reset_after=False`` GRU.""",
    _gru_v1_cases,
    returns="every h_t, an array of shape (n, T, H)",
    verified=(
        "every h_t matches the reset_after=False GRU of rnn_lab.cells (itself checked against "
        f"keras.layers.GRU(reset_after=False)) on {len(SEQUENCE_CONFIGS)} hidden cases "
        "(float32 and float64, a different non-zero value in every weight)."
    ),
    mistakes=mistakes_of(GRU_V1_PLANTED),
    refuses=GRU_REFUSAL,
    card=Card(3, 30, "the GRU variant the chapter did not write, reset_after=False"),
)
GRU_V1_EXERCISE = check_gru_v1_forward.exercise
