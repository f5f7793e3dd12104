"""Checkers for the exercises of chapter 15, *Encoder–decoder and attention*: attention
weights and the context vector, the masked softmax over padded sources, one beam-search step.

    e = Q·Kᵀ,  α = softmax_j(e),  ctx = α·𝒱                       keras.layers.Attention()
    α = softmax_j(e − 10⁹·(1 − m_j))                              masked, Keras's rule
    total[i, c] = scores[i] + log_probs[i, c]; keep the width best (ties: smaller i·V + c)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..cells.weights import softmax
from ..seq2seq.attention import attention, masked_softmax
from ..seq2seq.model import beam_step
from ..tolerances import tolerance_for
from .answers import Arrays
from .core import Refusal, exercise
from .hidden import drawn_case, seeded_cases
from .texts import Texts
from .verdicts import Case

TEXTS = Texts(__name__)

#: Hidden cases ``(n, T_q, T_x, d, dtype)``; ``T_q != T_x`` so that a softmax over the wrong
#: axis shows, and every sample has a different number of real source positions.
CASES = ((2, 3, 5, 4, "float32"), (3, 4, 6, 3, "float64"), (1, 2, 7, 5, "float64"),
         (4, 1, 3, 2, "float32"))  # fmt: skip

# --- attention weights and the context vector ----------------------------------------------

CONTEXT_PARTS = ("weights", "context")


def _context_answers(query, keys, values):
    e = query @ np.swapaxes(keys, -1, -2)
    alpha = softmax(e)
    variants = {}
    scaled = softmax(e / np.sqrt(query.shape[-1]).astype(query.dtype))
    variants["scaled"] = (scaled, scaled @ values)
    over_q = softmax(np.swapaxes(e, -1, -2)).swapaxes(-1, -2)
    variants["softmax_queries"] = (over_q, over_q @ values)
    variants["context_from_keys"] = (alpha, alpha @ keys)
    variants["raw_scores"] = (e, e @ values)
    return (alpha, alpha @ values), variants


def _context_case(rng, n, T_q, T_x, d, dtype) -> Case:
    query, keys, values = (rng.normal(size=(n, T, d)).astype(dtype) for T in (T_q, T_x, T_x))
    label = f"n={n}, T_q={T_q}, T_x={T_x}, d={d}, {dtype}"
    case = drawn_case((query, keys, values), _context_answers, label, dtype)
    reference = attention(query, values, keys)
    assert np.allclose(case.expected[1], reference.context, atol=tolerance_for(dtype))
    return case


check_attention_context = exercise(
    TEXTS.exercise("attention_context", cases=len(CASES)),
    seeded_cases(CASES, 15000, _context_case),
    answer=Arrays(CONTEXT_PARTS),
    refuses=Refusal.of(
        "rnn_lab.seq2seq.attention.attention",
        "rnn_lab.seq2seq.attention.dot_scores",
    ),
)


# --- the masked softmax ----------------------------------------------------------------------


def _mask_answers(scores, mask):
    keep = mask[:, None, :]
    plain = softmax(scores)
    return masked_softmax(scores, mask), {
        "ignored": plain,
        "zeroed_scores": softmax(np.where(keep, scores, 0).astype(scores.dtype)),
        "not_renormalised": (plain * keep).astype(scores.dtype),
        "inverted": masked_softmax(scores, ~mask),
    }


def _mask_case(rng, n, T_q, T_x, _, dtype) -> Case:
    scores = rng.normal(0, 2, size=(n, T_q, T_x)).astype(dtype)
    lengths = rng.permutation(np.resize(np.arange(1, T_x), n))  # never the full length
    mask = np.arange(T_x)[None, :] < lengths[:, None]
    return drawn_case((scores, mask), _mask_answers, f"n={n}, T_q={T_q}, T_x={T_x}, {dtype}", dtype)


check_masked_softmax = exercise(
    TEXTS.exercise("masked_softmax", cases=len(CASES)),
    seeded_cases(CASES, 15100, _mask_case),
    refuses=Refusal.of(
        "rnn_lab.seq2seq.attention.masked_softmax",
        "rnn_lab.seq2seq.attention.attention",
    ),
)


# --- one beam-search step --------------------------------------------------------------------

#: Hidden cases ``(b, V, width)``: width <= b, so every variant returns as many extensions.
BEAM_CASES = ((3, 5, 3), (4, 6, 2), (2, 12, 2), (5, 4, 4))
BEAM_PARTS = ("new_scores", "parents", "characters")


def _beam_answers(scores, log_probs, width):
    V = log_probs.shape[1]

    def as_floats(result):
        return tuple(np.asarray(part, dtype=np.float64) for part in result)

    expected = as_floats(beam_step(scores, log_probs, width))
    order = np.argsort(-log_probs.ravel(), kind="stable")[:width]
    best_chars = np.argmax(log_probs, axis=1)
    per_beam = scores + log_probs[np.arange(len(scores)), best_chars]
    beams = np.argsort(-per_beam, kind="stable")[:width]
    total = (scores[:, None] + log_probs).ravel()
    lowest = np.argsort(total, kind="stable")[:width]
    return expected, {
        "ignored_prefix": as_floats((log_probs.ravel()[order], order // V, order % V)),
        "best_per_beam": as_floats((per_beam[beams], beams, best_chars[beams])),
        "swapped": (expected[0], expected[2], expected[1]),
        "lowest": as_floats((total[lowest], lowest // V, lowest % V)),
    }


def _beam_case(rng, b, V, width) -> Case:
    scores = np.sort(rng.normal(-3, 1.5, size=b))[::-1].copy()
    logits = rng.normal(0, 2, size=(b, V))
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    label = f"b={b}, V={V}, width={width}"
    return drawn_case((scores, log_probs, width), _beam_answers, label, "float64")


def _parts_as_numbers(beam_step: Callable) -> Callable:
    """``beam_step`` with integer ``parents`` and ``characters`` (what a solution naturally
    returns) converted to float64, so that they are compared as numbers by the core."""

    def answer(*args):
        value = beam_step(*args)
        if isinstance(value, (tuple, list)) and len(value) == 3:
            return tuple(
                np.asarray(part, dtype=np.float64) if np.asarray(part).dtype.kind in "iu" else part
                for part in value
            )
        return value

    answer.__name__ = getattr(beam_step, "__name__", "beam_step")
    return answer


check_beam_step = exercise(
    TEXTS.exercise("beam_step", cases=len(BEAM_CASES)),
    seeded_cases(BEAM_CASES, 15200, _beam_case),
    prepare=_parts_as_numbers,
    answer=Arrays(BEAM_PARTS),
    refuses=Refusal.of(
        "rnn_lab.seq2seq.model.beam_step",
        "rnn_lab.seq2seq.model.beam_search",
    ),
)
