"""The checkers of chapter 12: every reference solution passes, every planted mistake is
named as that mistake, the references agree with `rnn_lab.language.text`, delegation is refused, and
broken learner code gets a verdict, not an exception.

Learner code with each mistake planted (a `bug` switch): see `checks_harness`.
"""

from __future__ import annotations

import checks_harness as harness
import numpy as np
import pytest

from rnn_lab import checks
from rnn_lab.checks import ch12, ch12_text, core
from rnn_lab.language import text

# --- learner code: correct, and with each mistake -----------------------------------------


EXERCISES: dict = {}  # name -> (checker, record, learner taking bug=), filled by @answer
answer = harness.answers_to(EXERCISES)


@answer("softmax_ce_grad")
def learner_softmax_ce_grad(logits, targets, *, bug=None):
    axis = 0 if bug == "wrong_axis" else -1
    shifted = logits - logits.max(axis=axis, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=axis, keepdims=True)
    if bug == "log_p":
        p = np.log(np.exp(logits - logits.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True))
        p = logits - logits.max(axis=-1, keepdims=True) - p
    onehot = np.zeros_like(p)
    onehot[np.arange(len(targets)), targets] = 1
    if bug == "no_onehot":
        onehot = 0 * onehot
    grad = onehot - p if bug == "sign" else p - onehot
    return grad if bug == "sum" else grad / len(targets)


@answer("sample_with_temperature")
def learner_sample(logits, temperature, rng, *, bug=None):
    if bug == "greedy":
        return int(np.argmax(logits))
    if bug == "uniform":
        return int(rng.integers(len(logits)))
    scaled = {"times": logits * temperature, "ignored": logits}.get(bug, logits / temperature)
    p = np.exp(scaled - scaled.max())
    p = p / p.sum()
    return int(rng.choice(len(p), p=p))


@answer("perplexity_from_losses")
def learner_perplexity(losses, *, bug=None):
    if bug == "mean_of_exp":
        return float(np.mean(np.exp(losses)))
    if bug == "no_exp":
        return float(np.mean(losses))
    if bug == "base_2":
        return float(2 ** np.mean(losses))
    if bug == "exp_sum":
        return float(np.exp(np.sum(losses)))
    return float(np.exp(np.mean(losses)))


@answer("embedding_grad")
def learner_embedding_grad(ids, dx, V, *, bug=None):
    flat, rows = ids.reshape(-1), dx.reshape(-1, dx.shape[-1])
    dE = np.zeros((V, rows.shape[1]), dtype=dx.dtype)
    if bug == "last_write":
        dE[flat] += rows  # the trap: repeated ids keep one row
        return dE
    if bug == "per_id_once":
        seen = set()
        for i, v in enumerate(flat):
            if v not in seen:
                dE[v] += rows[i]
                seen.add(v)
        return dE
    np.add.at(dE, flat, rows)
    if bug == "mean":
        dE /= np.maximum(np.bincount(flat, minlength=V), 1)[:, None]
    return dE


@answer("smoothed_bigram")
def learner_smoothed_bigram(ids, V, alpha, *, bug=None):
    counts = np.zeros((V, V))
    pairs = (ids[1:], ids[:-1]) if bug == "reversed" else (ids[:-1], ids[1:])
    np.add.at(counts, pairs, 1.0)
    if bug == "unsmoothed":
        return counts / counts.sum(axis=1, keepdims=True)
    if bug == "columns":
        return (counts + alpha) / (counts.sum(axis=0, keepdims=True) + alpha * V)
    if bug == "numerator_only":
        return (counts + alpha) / counts.sum(axis=1, keepdims=True)
    return (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * V)


globals().update(harness.exercise_tests(EXERCISES))


def test_the_issue_mistakes_have_planted_tests():
    codes = {spec.mistakes[bug].code for _, spec, _ in EXERCISES.values() for bug in spec.mistakes}
    assert {
        "sum_not_mean",
        "gradient_sign",
        "multiplied_by_temperature",
        "ignored_temperature",
        "mean_of_exponentials",
    } <= codes


@pytest.mark.parametrize(
    ("name", "cases"),
    [
        ("softmax_ce_grad", ch12.check_softmax_ce_grad.cases),
        ("sample_with_temperature", ch12_text._sample_cases),
        ("perplexity_from_losses", ch12_text._perplexity_cases),
    ],
)
def test_every_variant_is_far_from_the_answer_on_some_case(name, cases):
    for variant in EXERCISES[name][1].mistakes:
        gaps = [
            harness.largest_difference(case.variants[variant], case.expected)
            / max(case.tolerance, 1e-300)
            for case in cases()
        ]
        # On at least one case the mistake lands far outside the tolerance: a correct
        # answer can never be named as it, nor the mistake pass.
        assert max(gaps) > 3, (name, variant, gaps)


def test_the_references_agree_with_rnn_lab_text():
    for case in ch12.check_softmax_ce_grad.cases():
        logits, targets = case.args
        _, grad = text.softmax_cross_entropy(logits.astype(np.float64), targets)
        np.testing.assert_allclose(case.expected, grad, rtol=0, atol=1e-15)
    for case in ch12_text._sample_cases():
        logits, tau, _ = case.args
        np.testing.assert_allclose(case.expected, text.temperature_probabilities(logits, tau))
    for case in ch12_text._perplexity_cases():
        assert float(case.expected) == pytest.approx(text.perplexity(case.args[0]), rel=1e-14)


def test_the_embedding_and_bigram_references_are_rnn_lab_text():
    rng = np.random.default_rng(7)
    # bigram: the reference is rnn_lab.language.text.bigram_probabilities
    ids_b = rng.integers(0, 6, 50)
    np.testing.assert_allclose(
        learner_smoothed_bigram(ids_b, 6, 0.3), text.bigram_probabilities(ids_b, 6, 0.3)
    )
    # embedding: the scatter-add is onehot(ids)ᵀ · dx, the transpose of x_t = onehot(id_t)·E
    ids = rng.integers(0, 5, (3, 7))
    dx = rng.normal(size=(3, 7, 2))
    onehot = text.one_hot(ids.reshape(-1), 5)
    np.testing.assert_allclose(
        learner_embedding_grad(ids, dx, 5), onehot.T @ dx.reshape(-1, 2), rtol=1e-13
    )


def test_the_sampling_check_is_statistical_but_reproducible(capsys):
    wrong = checks.check_sample_with_temperature(lambda y, tau, rng: learner_sample(y, 1.0, rng))
    assert wrong.code == ch12_text.SAMPLE_MISTAKES["ignored"].code
    capsys.readouterr()


# --- bad learner code never crashes a checker ---------------------------------------------


test_broken_code_gets_a_clear_verdict = harness.broken_code_test(
    [
        EXERCISES[name][0]
        for name in ("softmax_ce_grad", "sample_with_temperature", "perplexity_from_losses")
    ],
    {
        "none": (lambda *a: None, core.NOT_STARTED),
        "not_implemented": (
            lambda *a: (_ for _ in ()).throw(NotImplementedError),
            core.NOT_STARTED,
        ),
        "key_error": (lambda *a: {}["p"], core.RAISED),
        "string": (lambda *a: "p", {core.WRONG_TYPE, core.RAISED}),
        "too_slow": (harness.BROKEN["too_slow"][0], core.TIMED_OUT),
    },
)


def test_wrong_shape_and_nan_gradients_are_named():
    right = harness.planted(learner_softmax_ce_grad, None)
    assert checks.check_softmax_ce_grad(lambda *a: right(*a)[:, :1]).code == core.WRONG_SHAPE
    assert checks.check_softmax_ce_grad(lambda *a: right(*a) * np.nan).code == core.NOT_FINITE

    def unshifted_grad(y, t):
        with np.errstate(over="ignore", invalid="ignore"):
            p = np.exp(y) / np.exp(y).sum(-1, keepdims=True)
        return (p - np.eye(y.shape[1])[t]) / len(t)

    unshifted = checks.check_softmax_ce_grad(unshifted_grad)
    assert unshifted.code == core.NOT_FINITE  # exp(1000) overflows without the shift


def test_a_sampler_returning_an_out_of_range_id_is_told(capsys):
    result = checks.check_sample_with_temperature(lambda y, tau, rng: len(y))
    assert result.code == core.RAISED and "outside" in result.message
    capsys.readouterr()


# --- delegation is refused ------------------------------------------------------------------


ROUTES = {
    "softmax_ce_grad-text": (
        checks.check_softmax_ce_grad,
        lambda y, c: text.softmax_cross_entropy(y, c)[1],
        "rnn_lab.language.text.softmax_cross_entropy",
    ),
    "sample-text": (
        checks.check_sample_with_temperature,
        lambda y, tau, rng: text.sample_index(text.temperature_probabilities(y, tau), rng.random()),
        "rnn_lab.language.text.temperature_probabilities",
    ),
    "perplexity-text": (
        checks.check_perplexity_from_losses,
        lambda losses: text.perplexity(losses),
        "rnn_lab.language.text.perplexity",
    ),
}
test_each_exercise_refuses_the_library_function_it_asks_for = harness.delegation_test(ROUTES)
