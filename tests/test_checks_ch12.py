"""The checkers of chapter 12: every reference solution passes, every planted mistake is
named as that mistake, the references agree with `rnn_lab.language.text`, and broken learner code
gets a verdict, not an exception.

The planted mistakes are written the way a learner would write them (one function with a
`bug` switch), independently of the checkers' own variants.
"""

from __future__ import annotations

import numpy as np
import pytest
from checks_harness import assert_mistake_diagnosed, assert_reference_passes

from rnn_lab import checks
from rnn_lab.checks import ch12, core
from rnn_lab.language import text

# --- learner code: correct, and with each mistake -----------------------------------------


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


def learner_sample(logits, temperature, rng, *, bug=None):
    if bug == "greedy":
        return int(np.argmax(logits))
    if bug == "uniform":
        return int(rng.integers(len(logits)))
    scaled = {"times": logits * temperature, "ignored": logits}.get(bug, logits / temperature)
    p = np.exp(scaled - scaled.max())
    p = p / p.sum()
    return int(rng.choice(len(p), p=p))


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


EXERCISES = {
    "softmax_ce_grad": (checks.check_softmax_ce_grad, ch12.GRAD_EXERCISE, learner_softmax_ce_grad),
    "sample": (checks.check_sample_with_temperature, ch12.SAMPLE_EXERCISE, learner_sample),
    "perplexity": (
        checks.check_perplexity_from_losses,
        ch12.PERPLEXITY_EXERCISE,
        learner_perplexity,
    ),
}
PLANTED = [(name, bug) for name, (_, spec, _) in EXERCISES.items() for bug in spec.mistakes]


def _answer(name, bug):
    learner = EXERCISES[name][2]
    return lambda *args: learner(*args, bug=bug)


@pytest.mark.parametrize("name", EXERCISES)
def test_reference_solution_passes(name, capsys):
    assert_reference_passes(EXERCISES[name][0], _answer(name, None), capsys)


@pytest.mark.parametrize(("name", "bug"), PLANTED, ids=[f"{n}-{b}" for n, b in PLANTED])
def test_planted_mistake_is_diagnosed_as_that_mistake(name, bug, capsys):
    checker, spec, _ = EXERCISES[name]
    assert_mistake_diagnosed(checker, spec, bug, _answer(name, bug), capsys)


def test_the_issue_mistakes_have_planted_tests():
    codes = {EXERCISES[name][1].mistakes[bug].code for name, bug in PLANTED}
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
        ("softmax_ce_grad", ch12._grad_cases),
        ("sample", ch12._sample_cases),
        ("perplexity", ch12._perplexity_cases),
    ],
)
def test_every_variant_is_far_from_the_answer_on_some_case(name, cases):
    for variant in EXERCISES[name][1].mistakes:
        gaps = [
            np.max(np.abs(np.asarray(case.variants[variant]) - case.expected))
            / max(case.tolerance, 1e-300)
            for case in cases()
        ]
        # On at least one case the mistake lands far outside the tolerance: a correct
        # answer can never be named as it, nor the mistake pass.
        assert max(gaps) > 3, (name, variant, gaps)


def test_the_references_agree_with_rnn_lab_text():
    for case in ch12._grad_cases():
        logits, targets = case.args
        _, grad = text.softmax_cross_entropy(logits.astype(np.float64), targets)
        np.testing.assert_allclose(case.expected, grad, rtol=0, atol=1e-15)
    for case in ch12._sample_cases():
        logits, tau, _ = case.args
        np.testing.assert_allclose(case.expected, text.temperature_probabilities(logits, tau))
    for case in ch12._perplexity_cases():
        assert float(case.expected) == pytest.approx(text.perplexity(case.args[0]), rel=1e-14)


def test_the_sampling_check_is_statistical_but_reproducible(capsys):
    # Another correct sampler (inverse CDF, written out) passes, twice with the same verdict.
    def inverse_cdf(logits, tau, rng):
        p = text.softmax(np.asarray(logits, dtype=np.float64) / tau)
        return int(min(np.searchsorted(np.cumsum(p), rng.random(), side="right"), len(p) - 1))

    first = checks.check_sample_with_temperature(inverse_cdf)
    second = checks.check_sample_with_temperature(inverse_cdf)
    assert first.passed and second.passed
    # A sampler that is right only on τ = 1 is not accepted.
    wrong = checks.check_sample_with_temperature(lambda y, tau, rng: learner_sample(y, 1.0, rng))
    assert wrong.code == ch12.SAMPLE_MISTAKES["ignored"].code
    capsys.readouterr()


# --- bad learner code never crashes a checker ---------------------------------------------


def _slow(*args):
    while True:
        pass


BROKEN = {
    "none": (lambda *a: None, core.NOT_STARTED),
    "not_implemented": (lambda *a: (_ for _ in ()).throw(NotImplementedError), core.NOT_STARTED),
    "key_error": (lambda *a: {}["p"], core.RAISED),
    "string": (lambda *a: "p", {core.WRONG_TYPE, core.RAISED}),
    "too_slow": (_slow, core.TIMED_OUT),
}


@pytest.mark.parametrize("name", EXERCISES)
@pytest.mark.parametrize("case", BROKEN)
def test_broken_code_gets_a_clear_verdict_not_an_exception(name, case, capsys):
    checker = EXERCISES[name][0]
    answer, code = BROKEN[case]
    result = checker(answer, time_limit=0.3)
    printed = capsys.readouterr().out
    assert not result.passed
    assert result.code in (code if isinstance(code, set) else {code}), printed
    assert printed.strip() == result.message


def test_wrong_shape_and_nan_gradients_are_named():
    right = _answer("softmax_ce_grad", None)
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


@pytest.mark.parametrize(
    ("checker", "answer", "route"),
    [
        (
            "check_softmax_ce_grad",
            lambda y, c: text.softmax_cross_entropy(y, c)[1],
            "rnn_lab.language.text.softmax_cross_entropy",
        ),
        (
            "check_sample_with_temperature",
            lambda y, tau, rng: text.sample_index(
                text.temperature_probabilities(y, tau), rng.random()
            ),
            "rnn_lab.language.text.temperature_probabilities",
        ),
        (
            "check_perplexity_from_losses",
            lambda losses: text.perplexity(losses),
            "rnn_lab.language.text.perplexity",
        ),
    ],
)
def test_each_exercise_refuses_the_library_function_it_asks_for(checker, answer, route, capsys):
    result = getattr(checks, checker)(answer)
    assert not result.passed
    assert route in result.message
    capsys.readouterr()
