"""Checkers for the exercises of chapter 14, *Masks and stacks*: a masked mean loss, the
order of a ``Bidirectional`` layer's concatenated ``return_sequences`` output, and one
SimpleRNN step backwards under a mask.

    L = Σ_{s,t} m_{s,t} ℓ_{s,t} / Σ_{s,t} m_{s,t},   ℓ_{s,t} = mean over O of (y − ŷ)²
    concat output at t = [forward_t, backward_t],   backward_t = backward output after
                                                     reading x_T .. x_t (flipped to time order)
"""

from __future__ import annotations

import numpy as np

from .answers import Arrays
from .core import Card, Refusal, accepting_scalars, exercise
from .hidden import drawn_case, seeded_cases
from .verdicts import Case, Mistake

#: Hidden cases ``(n, T, O, dtype)``: every sample has a different length, one has length 1.
CASES = ((3, 5, 2, "float32"), (4, 6, 1, "float64"), (2, 4, 3, "float64"), (5, 3, 2, "float32"))


def _mask(rng, n: int, T: int) -> np.ndarray:
    lengths = rng.permutation(np.resize(np.arange(1, T + 1), n))
    lengths[0] = T
    return np.arange(T)[None, :] < lengths[:, None]


# --- a masked mean loss ------------------------------------------------------------------------

LOSS_MISTAKES = {
    "unmasked": Mistake(
        "ignored_mask",
        "averaged over every step, padding included",
        "Multiply each step's loss by the mask before summing: padded steps must not count.",
    ),
    "divide_all": Mistake(
        "wrong_denominator",
        "zeroed the padded steps but divided by all n·T steps",
        "Divide by the number of REAL steps, mask.sum(), not by n·T: otherwise short "
        "sequences pull the loss towards zero.",
    ),
    "per_sample": Mistake(
        "per_sample_mean",
        "averaged each sample over its own length, then over the samples",
        "Keras divides the masked sum by the total number of real steps in the batch, so a "
        "long sequence weighs more than a short one: (m * l).sum() / m.sum().",
    ),
    "sum_outputs": Mistake(
        "summed_outputs",
        "summed the squared errors over the O outputs instead of averaging them",
        "Each step's loss ℓ is the MEAN over the O outputs: np.mean((y - y_true)**2, axis=-1).",
    ),
}


def _loss_answers(y_pred, y_true, mask) -> tuple[float, dict[str, float]]:
    y_pred, y_true = y_pred.astype(np.float64), y_true.astype(np.float64)
    m = mask.astype(np.float64)
    per_step = np.mean((y_pred - y_true) ** 2, axis=-1)
    lengths = m.sum(axis=1)
    return float((per_step * m).sum() / m.sum()), {
        "unmasked": float(per_step.mean()),
        "divide_all": float((per_step * m).sum() / m.size),
        "per_sample": float(np.mean((per_step * m).sum(axis=1) / lengths)),
        "sum_outputs": float((per_step * y_pred.shape[-1] * m).sum() / m.sum()),
    }


def _loss_case(rng, n, T, O, dtype) -> Case:
    mask = _mask(rng, n, T)
    y_pred = rng.normal(size=(n, T, O)).astype(dtype)
    y_true = rng.normal(size=(n, T, O)).astype(dtype)
    y_pred[~mask] += 3  # padded steps with large errors: counting them shows
    label = f"n={n}, T={T}, O={O}, {dtype}"
    return drawn_case((y_pred, y_true, mask), _loss_answers, label, dtype, cast=True)


check_masked_mean_loss = exercise(
    """Check ``masked_mean_loss(y_pred, y_true, mask)``: the masked mean-squared error.

    A Python float or NumPy scalar is accepted as the one number (it is compared as a 0-d
    array); anything else goes to the core's verdicts unchanged.
    """,
    seeded_cases(CASES, 14000, _loss_case),
    prepare=accepting_scalars,
    returns="the loss, one number",
    verified=(
        f"L = Σ m·ℓ / Σ m with ℓ the mean over outputs on {len(CASES)} hidden cases "
        "(float32 and float64, large errors planted on the padded steps): Keras 3's masked "
        "mean-squared error, as rnn_lab.cells.masking.masked_mse computes it."
    ),
    mistakes=LOSS_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.cells.masking.masked_mse",
        advice="weight each step's loss by the mask and average over the real steps yourself",
    ),
    card=Card(1, 10, "a masked mean loss that ignores padded steps"),
)


# --- Bidirectional concat order ----------------------------------------------------------------

CONCAT_MISTAKES = {
    "not_flipped": Mistake(
        "backward_not_flipped",
        "concatenated the backward sequence in processing order",
        "The backward layer's entry 0 belongs to x_T: flip it along time, "
        "backward[:, ::-1], so that entry t of both halves belongs to x_t.",
    ),
    "backward_first": Mistake(
        "backward_first",
        "put the backward half first",
        "Keras concatenates [forward, backward]: forward units first on the last axis.",
    ),
    "time_axis": Mistake(
        "wrong_axis",
        "concatenated along the time axis",
        "The two directions are joined feature by feature: np.concatenate(..., axis=-1).",
    ),
    "flipped_forward": Mistake(
        "flipped_forward",
        "flipped the forward sequence too",
        "Only the backward layer runs in reversed time; the forward one is already in order.",
    ),
}


def _concat_answers(forward, backward) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    flipped = backward[:, ::-1]
    return np.concatenate([forward, flipped], axis=-1), {
        "not_flipped": np.concatenate([forward, backward], axis=-1),
        "backward_first": np.concatenate([flipped, forward], axis=-1),
        "time_axis": np.concatenate([forward, flipped], axis=1),
        "flipped_forward": np.concatenate([forward[:, ::-1], flipped], axis=-1),
    }


def _concat_case(rng, n, T, H, dtype) -> Case:
    forward = np.tanh(rng.normal(size=(n, T, H + 1))).astype(dtype)
    backward = np.tanh(rng.normal(size=(n, T, H + 1))).astype(dtype)
    label = f"n={n}, T={T}, H={H + 1}, {dtype}"
    return drawn_case((forward, backward), _concat_answers, label, dtype)


check_bidirectional_concat = exercise(
    """Check ``bidirectional_concat(forward, backward)``: ``forward (n, T, H)`` in time
    order, ``backward (n, T, H)`` in the backward layer's processing order.""",
    seeded_cases(CASES, 14100, _concat_case),
    returns="the merged sequence, an array of shape (n, T, 2H)",
    verified=(
        f"[forward_t, backward flipped to time order] on {len(CASES)} hidden cases (float32 "
        "and float64), what keras.layers.Bidirectional(merge_mode='concat') returns "
        "(rnn_lab.cells.replay.merge_directions, checked against Keras)."
    ),
    mistakes=CONCAT_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.cells.replay.merge_directions",
        "rnn_lab.cells.replay.run_bidirectional",
        "rnn_lab.numpy_replay",
        advice="flip the backward states into time order and concatenate them yourself",
    ),
    card=Card(1, 15, "the Bidirectional concat order of a return_sequences output"),
)


# --- one masked step backwards --------------------------------------------------------------------

#: Hidden cases ``(n, H, dtype)``: every case has real and masked samples.
MASKED_CASES = ((4, 3, "float32"), (3, 5, "float64"), (5, 2, "float64"), (6, 4, "float32"))
MASKED_PARTS = ("dh_prev", "dWh")

MASKED_MISTAKES = {
    "ignored_mask": Mistake(
        "ignored_mask",
        "ignored the mask: every sample went back through the cell",
        "At a masked step h_t = h_(t-1): the cell's output was thrown away, so its weights get "
        "nothing from that sample and the gradient passes straight to h_(t-1).",
    ),
    "no_pass": Mistake(
        "dropped_pass_through",
        "zeroed the masked samples' gradient instead of passing it to h_(t-1)",
        "A masked step carries the state: dL/dh_(t-1) gets (1 − m_t) ⊙ g_t on top of the "
        "cell's path, or the gradient from later steps never reaches the real ones.",
    ),
    "pass_all": Mistake(
        "passed_every_sample",
        "passed g_t straight through for every sample, the real ones too",
        "Only masked samples skip the cell: the pass-through is (1 − m_t) ⊙ g_t.",
    ),
    "dWh_unmasked": Mistake(
        "masked_only_dh",
        "masked dL/dh_(t-1) but let every sample add to dWh",
        "The weights get nothing from a masked sample: use δ = m_t ⊙ g_t ⊙ (1 − h'_t²) in "
        "h_(t-1)ᵀ·δ too.",
    ),
}


def _masked_answers(g, h_fresh, h_prev, Wh, m) -> tuple[tuple, dict[str, tuple]]:
    g, h_fresh, h_prev, Wh = (a.astype(np.float64) for a in (g, h_fresh, h_prev, Wh))
    keep = m.astype(np.float64)[:, None]
    slope = 1 - h_fresh**2
    delta = keep * g * slope
    every = g * slope
    right = (delta @ Wh.T + (1 - keep) * g, h_prev.T @ delta)
    return right, {
        "ignored_mask": (every @ Wh.T, h_prev.T @ every),
        "no_pass": (delta @ Wh.T, h_prev.T @ delta),
        "pass_all": (delta @ Wh.T + g, h_prev.T @ delta),
        "dWh_unmasked": (right[0], h_prev.T @ every),
    }


def _masked_case(rng, n, H, dtype) -> Case:
    m = np.arange(n) % 2 == 0  # real and masked samples alternate
    g = rng.normal(size=(n, H)).astype(dtype)
    h_fresh = np.tanh(rng.normal(size=(n, H))).astype(dtype)
    h_prev = np.tanh(rng.normal(size=(n, H))).astype(dtype)
    Wh = rng.normal(0, 0.5, (H, H)).astype(dtype)
    args = (g, h_fresh, h_prev, Wh, m)
    return drawn_case(args, _masked_answers, f"n={n}, H={H}, {dtype}", dtype, cast=True)


check_masked_step_backward = exercise(
    """Check ``masked_step_backward(g, h_fresh, h_prev, Wh, m)``: one masked step back.""",
    seeded_cases(MASKED_CASES, 14300, _masked_case),
    answer=Arrays(MASKED_PARTS),
    returns="(dh_prev, dWh): arrays of shapes (n, H) and (H, H)",
    verified=(
        "δ = m ⊙ g ⊙ (1 − h'²), dL/dh_(t-1) = δ·Whᵀ + (1 − m) ⊙ g and dWh = h_(t-1)ᵀ·δ on "
        f"{len(MASKED_CASES)} hidden cases (float32 and float64, real and masked samples in "
        "each), the rule rnn_lab.cells.bptt applies at a masked step (itself checked "
        "against Keras)."
    ),
    mistakes=MASKED_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.cells.bptt.sequence_backward",
        "rnn_lab.cells.bptt.backward_from_trace",
        "rnn_lab.training.regressor.masked_sequence_backward",
        "rnn_lab.manual_backward",
        advice="write the masked step backwards yourself, with NumPy",
    ),
    card=Card(
        3, 30, "one SimpleRNN step backwards under a mask: the cell's path and the carried state"
    ),
)
