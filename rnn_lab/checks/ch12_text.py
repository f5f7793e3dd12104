"""Checkers for the exercises of chapter 12, *A character-level language model*, on what is
done with its probabilities: sampling a character at a temperature, perplexity from the
per-character losses, and the smoothed bigram model the network is measured against.

    sample:      c ~ softmax(y / τ)
    perplexity:  exp(mean of the losses)
    bigram:      P(b | a) = (count(a b) + α) / (count(a ·) + α·V)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from ..cells.weights import softmax
from ..tolerances import tolerance_for
from .core import Refusal, exercise
from .texts import Texts
from .verdicts import Case

TEXTS = Texts(__name__)

# --- sampling with a temperature ----------------------------------------------------------

#: Draws per hidden case. The frequencies' standard error is at most sqrt(0.25 / DRAWS) =
#: 0.008; the tolerance is five of them, and every recognised mistake is at least 0.15 away
#: on some case (on τ = 1, multiplying and ignoring τ are right: other cases tell).
DRAWS = 4000
SAMPLE_TOLERANCE = 0.04
#: Hidden cases: ``(logits, temperature)``.
SAMPLE_CASES = (
    ((2.0, 1.0, 0.0, -1.0), 0.5),
    ((2.0, 1.0, 0.0, -1.0), 1.0),
    ((1.0, 0.5, 0.0, 0.0, -0.5), 2.0),
)

SAMPLE_MISTAKES = TEXTS.mistakes("sample_with_temperature")


def _sample_answers(logits: np.ndarray, tau: float) -> tuple[np.ndarray, dict]:
    V = logits.size
    greedy = np.zeros(V)
    greedy[int(np.argmax(logits))] = 1.0
    return softmax(logits / tau), {
        "times": softmax(logits * tau),
        "ignored": softmax(logits),
        "greedy": greedy,
        "uniform": np.full(V, 1.0 / V),
    }


@cache
def _sample_cases() -> tuple[Case, ...]:
    cases = []
    for index, (logits, tau) in enumerate(SAMPLE_CASES):
        y = np.array(logits)
        y.flags.writeable = False
        expected, variants = _sample_answers(y, tau)
        label = f"logits {list(logits)}, τ={tau:g}"
        cases.append(Case((y, tau, 12_100 + index), expected, label, SAMPLE_TOLERANCE, variants))
    return tuple(cases)


class _BadDraw(Exception):
    pass


def _frequencies(sample: Callable) -> Callable:
    """The learner's one-draw function turned into the frequencies of ``DRAWS`` draws."""

    def frequencies(logits: np.ndarray, tau: float, seed: int) -> Any:
        rng = np.random.default_rng(seed)
        counts = np.zeros(logits.size)
        # A function run in a grading worker makes all the draws there in one call (one
        # round trip, not thousands), and says what it saw called (delegation).
        repeat = getattr(sample, "repeat", None)
        if callable(repeat):
            draws = repeat(DRAWS, logits, tau, rng)
            frequencies.delegated_to = getattr(sample, "delegated_to", None)
        else:
            draws = (sample(logits, tau, rng) for _ in range(DRAWS))
        for c in draws:
            if c is None:
                return None
            if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)):
                if isinstance(c, np.ndarray) and c.ndim == 0 and c.dtype.kind in "iu":
                    c = int(c)
                else:
                    raise _BadDraw(f"returned {type(c).__name__} {c!r}; expected one int id")
            if not 0 <= c < logits.size:
                raise _BadDraw(f"returned {c}, outside [0, {logits.size})")
            counts[c] += 1
        return counts / DRAWS

    return frequencies


check_sample_with_temperature = exercise(
    TEXTS.exercise(
        "sample_with_temperature", draws=DRAWS, cases=len(SAMPLE_CASES), tolerance=SAMPLE_TOLERANCE
    ),
    _sample_cases,
    prepare=_frequencies,
    refuses=Refusal.of(
        "rnn_lab.language.text.temperature_probabilities",
        "rnn_lab.language.text.sample_index",
        "rnn_lab.language.sampling.generate",
    ),
)


# --- perplexity ---------------------------------------------------------------------------

PERPLEXITY_CASES = ((1.2, 0.3, 2.5, 0.9), (2.0, 2.0, 2.0), (0.1, 3.0, 0.7, 1.1, 1.9, 0.2))


def _perplexity_answers(losses: np.ndarray) -> tuple[np.ndarray, dict]:
    return np.array(np.exp(losses.mean())), {
        "mean_of_exp": np.array(np.exp(losses).mean()),
        "no_exp": np.array(losses.mean()),
        "base_2": np.array(2.0 ** losses.mean()),
        "exp_sum": np.array(np.exp(losses.sum())),
    }


@cache
def _perplexity_cases() -> tuple[Case, ...]:
    cases = []
    for values in PERPLEXITY_CASES:
        losses = np.array(values)
        losses.flags.writeable = False
        expected, variants = _perplexity_answers(losses)
        label = f"losses {list(values)}"
        cases.append(Case((losses,), expected, label, 1e-9 * float(expected), variants))
    return tuple(cases)


def _as_number_array(perplexity: Callable) -> Callable:
    def wrapped(losses: np.ndarray) -> Any:
        value = perplexity(losses)
        if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
            return np.array(float(value))
        if isinstance(value, np.ndarray) and value.size == 1:
            return value.astype(np.float64).reshape(())
        return value

    return wrapped


check_perplexity_from_losses = exercise(
    TEXTS.exercise("perplexity_from_losses", cases=len(PERPLEXITY_CASES)),
    _perplexity_cases,
    prepare=_as_number_array,
    refuses=Refusal.of("rnn_lab.language.text.perplexity"),
)


# --- a smoothed bigram model -------------------------------------------------------------------

#: Hidden cases ``(length, V)``: short texts, so that many pairs are never seen.
BIGRAM_CASES = ((40, 5), (25, 7), (60, 4))


def _bigram_answers(ids, V, alpha) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    counts = np.zeros((V, V))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    rows = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        unsmoothed = counts / rows
    reversed_counts = counts.T
    return (counts + alpha) / (rows + alpha * V), {
        "unsmoothed": unsmoothed,
        "columns": (counts + alpha) / (counts.sum(axis=0, keepdims=True) + alpha * V),
        "numerator_only": (counts + alpha) / rows.clip(min=1),
        "reversed": (reversed_counts + alpha)
        / (reversed_counts.sum(axis=1, keepdims=True) + alpha * V),
    }


@cache
def _bigram_cases() -> tuple[Case, ...]:
    cases = []
    for index, (length, V) in enumerate(BIGRAM_CASES):
        rng = np.random.default_rng(12500 + index)
        ids = rng.integers(0, V, length)
        ids.flags.writeable = False
        alpha = (0.5, 0.1, 1.0)[index]
        expected, variants = _bigram_answers(ids, V, alpha)
        label = f"{length} characters, V={V}, alpha={alpha}"
        cases.append(Case((ids, V, alpha), expected, label, tolerance_for("float64"), variants))
    return tuple(cases)


check_smoothed_bigram = exercise(
    TEXTS.exercise("smoothed_bigram", cases=len(BIGRAM_CASES)),
    _bigram_cases,
    refuses=Refusal.of(
        "rnn_lab.language.text.bigram_probabilities",
    ),
)
