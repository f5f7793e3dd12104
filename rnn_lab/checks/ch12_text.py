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
from .core import Card, Refusal, exercise
from .verdicts import Case, Mistake

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

SAMPLE_MISTAKES = {
    "times": Mistake(
        "multiplied_by_temperature",
        "multiplied the logits by the temperature instead of dividing",
        "softmax(y / τ): a small τ must sharpen the distribution, a large one flatten it.",
    ),
    "ignored": Mistake(
        "ignored_temperature",
        "sampled from softmax(y), ignoring the temperature",
        "Divide the logits by τ before the softmax (dividing probabilities by τ and "
        "renormalising changes nothing).",
    ),
    "greedy": Mistake(
        "greedy_not_sampled",
        "always returned the most likely character (argmax), never sampling",
        "Draw from the distribution, e.g. rng.choice(len(p), p=p), or compare "
        "rng.random() with the cumulative sum of p.",
    ),
    "uniform": Mistake(
        "uniform_sample",
        "drew every character with the same probability",
        "The probabilities come from the logits: p = softmax(y / τ), then draw with p.",
    ),
}


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
    """Check ``sample_with_temperature(logits, temperature, rng)`` statistically: one id
    drawn from ``softmax(logits / temperature)`` using ``rng``.""",
    _sample_cases,
    prepare=_frequencies,
    returns="one character id, an int in [0, V)",
    verified=(
        f"over {DRAWS} draws on each of {len(SAMPLE_CASES)} hidden cases (τ = 0.5, 1, 2; "
        f"fixed seeds) the frequencies match softmax(y / τ) within {SAMPLE_TOLERANCE}."
    ),
    mistakes=SAMPLE_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.language.text.temperature_probabilities",
        "rnn_lab.language.text.sample_index",
        "rnn_lab.language.sampling.generate",
        advice="divide by the temperature and draw with the generator yourself",
    ),
    card=Card(1, 10, "sampling a character at a temperature τ"),
)


# --- perplexity ---------------------------------------------------------------------------

PERPLEXITY_CASES = ((1.2, 0.3, 2.5, 0.9), (2.0, 2.0, 2.0), (0.1, 3.0, 0.7, 1.1, 1.9, 0.2))

PERPLEXITY_MISTAKES = {
    "mean_of_exp": Mistake(
        "mean_of_exponentials",
        "averaged exp(loss) per character instead of exponentiating the mean loss",
        "Perplexity is exp(mean(losses)): the geometric mean of 1/p, not the arithmetic one.",
    ),
    "no_exp": Mistake(
        "forgot_exp",
        "returned the mean loss itself (nats), not its exponential",
        "Perplexity = exp(mean loss): a uniform guess over V characters gives V.",
    ),
    "base_2": Mistake(
        "wrong_base",
        "used 2^mean(losses), as if the losses were in bits",
        "Keras's (and this book's) cross-entropy uses the natural log: np.exp(...).",
    ),
    "exp_sum": Mistake(
        "exp_of_sum",
        "exponentiated the sum of the losses instead of their mean",
        "Divide by the number of characters first: np.exp(np.mean(losses)).",
    ),
}


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
    """Check ``perplexity_from_losses(losses)``: ``exp(mean(losses))`` of per-character
    cross-entropies in nats.""",
    _perplexity_cases,
    prepare=_as_number_array,
    returns="the perplexity, one number",
    verified=(
        f"exp(mean(losses)) on {len(PERPLEXITY_CASES)} hidden sets of per-character losses "
        "(including equal losses, where every average agrees)."
    ),
    mistakes=PERPLEXITY_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.language.text.perplexity", advice="average the losses and exponentiate yourself"
    ),
    card=Card(1, 5, "perplexity as the exponential of the mean loss"),
)


# --- a smoothed bigram model -------------------------------------------------------------------

#: Hidden cases ``(length, V)``: short texts, so that many pairs are never seen.
BIGRAM_CASES = ((40, 5), (25, 7), (60, 4))

BIGRAM_MISTAKES = {
    "unsmoothed": Mistake(
        "no_smoothing",
        "left out the smoothing: unseen pairs get probability 0",
        "Add α to every count and α·V to every row's total: (count(a b) + α) / "
        "(count(a ·) + α·V). Without it one unseen pair makes the perplexity infinite.",
    ),
    "columns": Mistake(
        "normalised_columns",
        "normalised the columns: P[a, b] sums to 1 over a, not over the next character b",
        "Row a is the distribution of the character AFTER a: divide by the row sums, "
        "counts.sum(axis=1, keepdims=True).",
    ),
    "numerator_only": Mistake(
        "alpha_in_numerator_only",
        "added α to the counts but not α·V to the totals: the rows do not sum to 1",
        "Every one of the V entries of a row got α more, so its total grows by α·V.",
    ),
    "reversed": Mistake(
        "reversed_pairs",
        "counted the pairs the wrong way round, P[b, a] instead of P[a, b]",
        "Pair t is (ids[t], ids[t+1]): the current character indexes the row.",
    ),
}


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
    """Check ``smoothed_bigram(ids, V, alpha)``: the add-α bigram table.""",
    _bigram_cases,
    returns="the (V, V) table P[a, b] = P(next is b | current is a)",
    verified=(
        "P[a, b] = (count(a b) + α) / (count(a ·) + α·V) on "
        f"{len(BIGRAM_CASES)} hidden texts (short, so that many pairs are unseen), as "
        "rnn_lab.language.text.bigram_probabilities computes it."
    ),
    mistakes=BIGRAM_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.language.text.bigram_probabilities",
        advice="count the pairs and smooth them yourself",
    ),
    card=Card(2, 20, "a bigram baseline with add-α smoothing, the model without memory"),
)
