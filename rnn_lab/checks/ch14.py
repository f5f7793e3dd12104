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
from .core import Refusal, accepting_scalars, exercise
from .hidden import drawn_case, seeded_cases
from .texts import Texts
from .verdicts import Case

TEXTS = Texts(__name__)

#: Hidden cases ``(n, T, O, dtype)``: every sample has a different length, one has length 1.
CASES = ((3, 5, 2, "float32"), (4, 6, 1, "float64"), (2, 4, 3, "float64"), (5, 3, 2, "float32"))


def _mask(rng, n: int, T: int) -> np.ndarray:
    lengths = rng.permutation(np.resize(np.arange(1, T + 1), n))
    lengths[0] = T
    return np.arange(T)[None, :] < lengths[:, None]


# --- a masked mean loss ------------------------------------------------------------------------


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
    TEXTS.exercise("masked_mean_loss", cases=len(CASES)),
    seeded_cases(CASES, 14000, _loss_case),
    prepare=accepting_scalars,
    refuses=Refusal.of(
        "rnn_lab.cells.masking.masked_mse",
    ),
)


# --- Bidirectional concat order ----------------------------------------------------------------


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
    TEXTS.exercise("bidirectional_concat", cases=len(CASES)),
    seeded_cases(CASES, 14100, _concat_case),
    refuses=Refusal.of(
        "rnn_lab.cells.replay.merge_directions",
        "rnn_lab.cells.replay.run_bidirectional",
        "rnn_lab.numpy_replay",
    ),
)


# --- one masked step backwards --------------------------------------------------------------------

#: Hidden cases ``(n, H, dtype)``: every case has real and masked samples.
MASKED_CASES = ((4, 3, "float32"), (3, 5, "float64"), (5, 2, "float64"), (6, 4, "float32"))
MASKED_PARTS = ("dh_prev", "dWh")


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
    TEXTS.exercise("masked_step_backward", cases=len(MASKED_CASES)),
    seeded_cases(MASKED_CASES, 14300, _masked_case),
    answer=Arrays(MASKED_PARTS),
    refuses=Refusal.of(
        "rnn_lab.cells.bptt.sequence_backward",
        "rnn_lab.cells.bptt.backward_from_trace",
        "rnn_lab.training.regressor.masked_sequence_backward",
        "rnn_lab.manual_backward",
    ),
)
