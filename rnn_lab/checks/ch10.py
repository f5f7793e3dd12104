"""Checker for the exercise of chapter 10, *GRU by hand*: the whole loop of Keras's default
GRU (``reset_after=True``, bias ``(2, 3H)``: row 0 ``Bx``, row 1 ``Bhh``).

    z_t = σ(x_t·Wx_z + Bx_z + h_{t-1}·Wh_z + Bhh_z)
    r_t = σ(x_t·Wx_r + Bx_r + h_{t-1}·Wh_r + Bhh_r)
    h̃_t = tanh(x_t·Wx_h + Bx_h + r_t ⊙ (h_{t-1}·Wh_h + Bhh_h))
    h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t,   h_0 = 0,   blocks [z, r, h]
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from ..cells import CellWeights, sigmoid
from .ch09 import SEQUENCE_CONFIGS, sequence_cases
from .core import (
    TIME_LIMIT_S,
    Card,
    Case,
    CheckResult,
    Exercise,
    Mistake,
    Refusal,
    run_check,
)

_ROWS_ADVICE = (
    "bias has two rows: bias[0] goes with x_t @ kernel, bias[1] with h @ recurrent_kernel; "
    "both are needed."
)
GRU_MISTAKES = {
    "torch_order": Mistake(
        "gate_order",
        "read the gate blocks in PyTorch's order [r, z, n]",
        "Keras packs the blocks as [z, r, h]: z = columns 0:H, r = H:2H, candidate = 2H:3H.",
    ),
    "bias0_only": Mistake(
        "dropped_bias_row", "used only bias[0], the input bias row", _ROWS_ADVICE
    ),
    "bias1_only": Mistake(
        "dropped_bias_row", "used only bias[1], the recurrent bias row", _ROWS_ADVICE
    ),
    "reset_before": Mistake(
        "reset_before",
        "applied the reset gate before the recurrent product, (r ⊙ h)·Wh_h (reset_after=False)",
        "With reset_after=True the product comes first: r * (h @ Wh_h + Bhh_h).",
    ),
    "bias_outside_reset": Mistake(
        "reset_bias_outside",
        "left the recurrent bias Bhh_h outside the reset gate, r ⊙ (h·Wh_h) + Bhh_h",
        "The reset gate scales the whole recurrent term, bias included: r * (h @ Wh_h + Bhh_h).",
    ),
    "swapped_update": Mistake(
        "swapped_update",
        "mixed the update the other way round, h_t = (1 − z) ⊙ h_{t-1} + z ⊙ h̃_t",
        "In Keras z_t is the share of the OLD state kept: h = z * h + (1 - z) * h_tilde.",
    ),
    "stale_h": Mistake(
        "stale_state",
        "never fed the new hidden state back (every step starts from h_0)",
        "Assign the new h to the variable the next step reads.",
    ),
}


def _gru_update(z: np.ndarray, h_prev: np.ndarray, h_tilde: np.ndarray, mistake: str | None):
    """``h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃_t``, or the two swapped (the ``swapped_update``
    mistake): the last line of both GRU variants."""
    if mistake == "swapped_update":
        return (1 - z) * h_prev + z * h_tilde
    return z * h_prev + (1 - z) * h_tilde


def gru_variant(x: np.ndarray, weights: CellWeights, mistake: str | None) -> np.ndarray:
    """Every ``h_t`` ``(n, T, H)`` of the ``reset_after=True`` GRU with one mistake planted."""
    H = weights.hidden_units
    kernel, recurrent = weights.kernel, weights.recurrent_kernel
    b_x, b_h = weights.bias[0], weights.bias[1]
    if mistake == "bias0_only":
        b_h = np.zeros_like(b_h)
    if mistake == "bias1_only":
        b_x = np.zeros_like(b_x)
    z_cols, r_cols = slice(0, H), slice(H, 2 * H)
    if mistake == "torch_order":
        z_cols, r_cols = r_cols, z_cols
    n, T, _ = x.shape
    h0 = np.zeros((n, H), dtype=weights.dtype)
    h = h0
    out = []
    for t in range(T):
        from_x = x[:, t] @ kernel + b_x
        from_h = h @ recurrent + b_h
        z = sigmoid(from_x[:, z_cols] + from_h[:, z_cols])
        r = sigmoid(from_x[:, r_cols] + from_h[:, r_cols])
        if mistake == "reset_before":
            recurrent_h = (r * h) @ recurrent[:, 2 * H :] + b_h[2 * H :]
        elif mistake == "bias_outside_reset":
            recurrent_h = r * (h @ recurrent[:, 2 * H :]) + b_h[2 * H :]
        else:
            recurrent_h = r * from_h[:, 2 * H :]
        h_tilde = np.tanh(from_x[:, 2 * H :] + recurrent_h)
        h_new = _gru_update(z, h, h_tilde, mistake)
        h = h0 if mistake == "stale_h" else h_new
        out.append(h_new)
    return np.stack(out, axis=1)


GRU_FORWARD_EXERCISE = Exercise(
    name="gru_forward",
    refuses=Refusal(
        (
            "rnn_lab.trace_gates",
            "rnn_lab.gru_step",
            "rnn_lab.cells.gru_gates",
            "rnn_lab.numpy_replay",
            "rnn_lab.replay",
        ),
        frameworks=True,
        advice="write the gates and the loop yourself, with NumPy",
    ),
    card=Card(3, 30, "the GRU loop, reset_after=True"),
    returns="every h_t, an array of shape (n, T, H)",
    verified=(
        "every h_t matches the reset_after=True GRU of rnn_lab.cells (itself checked against "
        f"keras.layers.GRU) on {len(SEQUENCE_CONFIGS)} hidden cases (float32 and float64, "
        "a different non-zero value in every weight and in both bias rows)."
    ),
    mistakes=GRU_MISTAKES,
)


@cache
def _gru_cases() -> tuple[Case, ...]:
    return tuple(sequence_cases("GRU", gru_variant, tuple(GRU_MISTAKES), seed=1000))


def check_gru_forward(
    gru_forward: Callable | None, *, time_limit: float = TIME_LIMIT_S
) -> CheckResult:
    """Check ``gru_forward(x, weights)``: every ``h_t`` ``(n, T, H)`` from ``h_0 = 0``."""
    return run_check(GRU_FORWARD_EXERCISE, gru_forward, list(_gru_cases()), time_limit=time_limit)


# --- Exercise 10.2: the GRU of the original paper, reset_after=False ------------------------

GRU_V1_MISTAKES = {
    "reset_after": Mistake(
        "reset_after",
        "applied the reset gate after the recurrent product, r ⊙ (h·Wh_h) (reset_after=True)",
        "With reset_after=False the reset gate scales the state before the product: "
        "(r * h) @ recurrent_kernel[:, 2H:].",
    ),
    "no_reset": Mistake(
        "no_reset",
        "left the reset gate out of the candidate",
        "h̃_t = tanh(x_t·Wx_h + (r_t ⊙ h_(t-1))·Wh_h + B_h): the reset gate decides how much "
        "of the old state the candidate sees.",
    ),
    "torch_order": GRU_MISTAKES["torch_order"],
    "swapped_update": GRU_MISTAKES["swapped_update"],
    "stale_h": GRU_MISTAKES["stale_h"],
    "no_bias": Mistake(
        "forgot_bias",
        "forgot the bias",
        "bias is one row (3H,) here, added to x_t @ kernel: all three blocks get it.",
    ),
}


def gru_v1_variant(x: np.ndarray, weights: CellWeights, mistake: str | None) -> np.ndarray:
    """Every ``h_t`` ``(n, T, H)`` of the ``reset_after=False`` GRU, one mistake planted."""
    H = weights.hidden_units
    kernel, recurrent = weights.kernel, weights.recurrent_kernel
    bias = np.zeros_like(weights.bias) if mistake == "no_bias" else weights.bias
    z_cols, r_cols = slice(0, H), slice(H, 2 * H)
    if mistake == "torch_order":
        z_cols, r_cols = r_cols, z_cols
    n, T, _ = x.shape
    h0 = np.zeros((n, H), dtype=weights.dtype)
    h, out = h0, []
    for t in range(T):
        from_x = x[:, t] @ kernel + bias
        z = sigmoid(from_x[:, z_cols] + h @ recurrent[:, z_cols])
        r = sigmoid(from_x[:, r_cols] + h @ recurrent[:, r_cols])
        if mistake == "reset_after":
            recurrent_h = r * (h @ recurrent[:, 2 * H :])
        elif mistake == "no_reset":
            recurrent_h = h @ recurrent[:, 2 * H :]
        else:
            recurrent_h = (r * h) @ recurrent[:, 2 * H :]
        h_tilde = np.tanh(from_x[:, 2 * H :] + recurrent_h)
        h_new = _gru_update(z, h, h_tilde, mistake)
        h = h0 if mistake == "stale_h" else h_new
        out.append(h_new)
    return np.stack(out, axis=1)


GRU_V1_EXERCISE = Exercise(
    name="gru_v1_forward",
    refuses=Refusal(
        (
            "rnn_lab.trace_gates",
            "rnn_lab.gru_step",
            "rnn_lab.cells.gru_gates",
            "rnn_lab.numpy_replay",
            "rnn_lab.replay",
        ),
        frameworks=True,
        advice="write the gates and the loop yourself, with NumPy",
    ),
    card=Card(3, 30, "the GRU variant the chapter did not write, reset_after=False"),
    returns="every h_t, an array of shape (n, T, H)",
    verified=(
        "every h_t matches the reset_after=False GRU of rnn_lab.cells (itself checked against "
        f"keras.layers.GRU(reset_after=False)) on {len(SEQUENCE_CONFIGS)} hidden cases "
        "(float32 and float64, a different non-zero value in every weight)."
    ),
    mistakes=GRU_V1_MISTAKES,
)


@cache
def _gru_v1_cases() -> tuple[Case, ...]:
    cases = sequence_cases(
        "GRU", gru_v1_variant, tuple(GRU_V1_MISTAKES), seed=1020, reset_after=False
    )
    return tuple(cases)


def check_gru_v1_forward(
    gru_v1_forward: Callable | None, *, time_limit: float = TIME_LIMIT_S
) -> CheckResult:
    """Check ``gru_v1_forward(x, weights)``: every ``h_t`` of a ``reset_after=False`` GRU."""
    cases = list(_gru_v1_cases())
    return run_check(GRU_V1_EXERCISE, gru_v1_forward, cases, time_limit=time_limit)
