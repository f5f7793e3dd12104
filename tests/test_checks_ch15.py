"""The exercise checkers of chapter 15 (attention weights and context, the masked softmax,
one beam-search step): every reference solution passes, every planted mistake is named as
that mistake, delegation is refused, and the references agree with rnn_lab and Keras.

The mistakes are written here the way a learner would write them (one function with a
`bug` switch), independently of the variants inside the checkers.
"""

from __future__ import annotations

import checks_harness as harness
import numpy as np

from rnn_lab import checks
from rnn_lab.checks import catalogue
from rnn_lab.seq2seq.attention import attention, masked_softmax
from rnn_lab.seq2seq.model import beam_step

EXERCISES: dict = {}  # name -> (checker, record, learner taking bug=), filled by @answer
answer = harness.answers_to(EXERCISES)


def _softmax(e, axis=-1):
    z = np.exp(e - e.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


@answer("attention_context")
def learner_attention_context(query, keys, values, *, bug=None):
    e = query @ keys.transpose(0, 2, 1)
    if bug == "scaled":
        e = e / np.sqrt(query.shape[-1])
    axis = 1 if bug == "softmax_queries" else -1
    alpha = e if bug == "raw_scores" else _softmax(e, axis=axis)
    return alpha, alpha @ (keys if bug == "context_from_keys" else values)


@answer("masked_softmax")
def learner_masked_softmax(scores, mask, *, bug=None):
    keep = mask[:, None, :]
    if bug == "inverted":
        keep = ~keep
    if bug == "ignored":
        return _softmax(scores)
    if bug == "zeroed_scores":
        return _softmax(np.where(keep, scores, 0))
    if bug == "not_renormalised":
        return _softmax(scores) * keep
    return _softmax(np.where(keep, scores, -np.inf))  # -inf gives the same weights here


@answer("beam_step")
def learner_beam_step(scores, log_probs, width, *, bug=None):
    V = log_probs.shape[1]
    if bug == "best_per_beam":
        chars = log_probs.argmax(axis=1)
        totals = scores + log_probs.max(axis=1)
        keep = np.argsort(-totals)[:width]
        return totals[keep], keep, chars[keep]
    total = log_probs if bug == "ignored_prefix" else scores[:, None] + log_probs
    flat = total.ravel()
    best = np.argsort(flat if bug == "lowest" else -flat, kind="stable")[:width]
    parents, chars = best // V, best % V
    if bug == "swapped":
        parents, chars = chars, parents
    return flat[best], parents, chars


globals().update(harness.exercise_tests(EXERCISES))


def _via_attention(query, keys, values):
    trace = attention(query, values, keys)
    return trace.weights, trace.context


ROUTES = {
    "attention_context-attention": (
        checks.check_attention_context,
        _via_attention,
        "rnn_lab.seq2seq.attention.attention",
    ),
    "masked_softmax-library": (
        checks.check_masked_softmax,
        masked_softmax,
        "rnn_lab.seq2seq.attention.masked_softmax",
    ),
    "beam_step-library": (checks.check_beam_step, beam_step, "rnn_lab.seq2seq.model.beam_step"),
}
test_delegation_is_refused = harness.delegation_test(ROUTES)


def test_masked_softmax_reference_is_keras_attention():
    from rnn_lab.seq2seq.keras_twins import keras_attention

    rng = np.random.default_rng(3)
    q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool)
    weights = keras_attention(q, v, mask=mask)["weights"]
    np.testing.assert_allclose(learner_masked_softmax(q @ v.transpose(0, 2, 1), mask), weights)
    np.testing.assert_allclose(
        learner_attention_context(q, v, v)[0], _softmax(q @ v.transpose(0, 2, 1))
    )


def test_the_exercises_are_in_the_catalogue():
    numbers = {entry.number: entry for entry in catalogue.EXERCISES}
    assert {"15.1", "15.2", "15.3"} <= set(numbers)
    assert max(numbers[n].exercise().card.difficulty for n in ("15.1", "15.2", "15.3")) == 3
