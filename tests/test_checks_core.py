"""The machinery every checker shares (``rnn_lab.checks.core``): no kind of broken learner
code makes a checker raise, each gets a verdict that says what to look at, and the time limit
stops an endless loop without leaving a timer, a handler or a thread behind.
"""

from __future__ import annotations

import signal
import threading
import time

import numpy as np
import pytest

from rnn_lab import checks
from rnn_lab.checks import core


def _forward_batch(x, weights):
    """A correct answer to exercise 3.2: ``x`` time-major ``(T, n, D)``, ``y_T`` ``(n, O)``."""
    h = np.zeros((x.shape[1], weights.Wh.shape[0]), dtype=x.dtype)
    for x_t in x:
        h = np.tanh(x_t @ weights.Wx + h @ weights.Wh + weights.Bh)
    return h @ weights.Wo + weights.Bo


def _step(x_t, h_prev, Wx, Wh, Bh):
    return np.tanh(x_t @ Wx + h_prev @ Wh + Bh)


# --- bad learner code never crashes a checker -----------------------------------------


def _raises(*args):
    return np.tanh(args[0] @ np.ones((7, 7)))


def _slow(*args):
    while True:
        pass


BROKEN = {
    "exception": (_raises, core.SHAPE_MIXUP),
    "key_error": (lambda *a: {}["h"], core.RAISED),
    "none": (lambda *a: None, core.NOT_STARTED),
    "not_implemented": (lambda *a: (_ for _ in ()).throw(NotImplementedError), core.NOT_STARTED),
    "wrong_shape": (lambda x, w: np.zeros((len(x), 7)), core.WRONG_SHAPE),
    "nan": (lambda x, w: _forward_batch(x, w) * np.nan, core.NOT_FINITE),
    "list": (lambda x, w: _forward_batch(x, w).tolist(), core.LIST),
    "string": (lambda x, w: "y", core.WRONG_TYPE),
    "int_array": (lambda x, w: _forward_batch(x, w).astype(int), core.WRONG_TYPE),
    "in_place": (lambda x, w: w.Wh.__iadd__(1), core.RAISED),
    "float32_on_float64": (
        lambda x, w: _forward_batch(x, w).astype(np.float32),
        core.LOST_PRECISION,
    ),
    "too_slow": (_slow, core.TIMED_OUT),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_code_gets_a_clear_verdict_not_an_exception(case, capsys):
    answer, code = BROKEN[case]
    result = checks.check_forward_batch(answer, time_limit=0.3)
    printed = capsys.readouterr().out
    assert (result.passed, result.code) == (False, code), printed
    assert printed.strip() == result.message
    if code == core.NOT_STARTED:
        assert "not yet solved" in printed


def test_the_correct_answer_the_broken_ones_are_made_from_passes(capsys):
    assert checks.check_forward_batch(_forward_batch).passed
    capsys.readouterr()


def test_a_non_function_answer_to_a_function_exercise():
    assert checks.check_step(np.zeros(3)).code == core.WRONG_TYPE


def test_a_time_out_restores_the_signal_handler_and_timers():
    before = signal.getsignal(signal.SIGALRM)
    result = checks.check_forward_batch(_slow, time_limit=0.2)
    assert result.code == core.TIMED_OUT
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_someone_elses_timer_keeps_running():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert checks.check_step(_step).passed
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < remaining <= 30.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


def test_outside_the_main_thread_a_slow_answer_is_stopped_too():
    results, before = [], threading.active_count()
    worker = threading.Thread(
        target=lambda: results.append(checks.check_forward_batch(_slow, time_limit=0.3))
    )
    worker.start()
    worker.join(20)
    assert results and results[0].code == core.TIMED_OUT
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)  # the endless loop was interrupted, so its thread ends
    assert threading.active_count() == before


def test_a_keyboard_interrupt_is_not_swallowed():
    def interrupted(*args):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checks.check_step(interrupted)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_time_limit_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        core.call_with_time_limit(print, (), 0)


def test_the_result_is_not_displayed_twice_in_a_notebook():
    result = core.CheckResult("step", True, core.PASSED, "✓ ...")
    assert result._ipython_display_() is None
    assert repr(result) == "CheckResult(exercise='step', passed=True, code='ok')"


def _typo(x, weights):
    return x @ weights.Wx + undefined_name  # noqa: F821 - the learner's typo


def test_an_exception_names_the_learners_line(capsys):
    result = checks.check_forward_batch(_typo)
    printed = capsys.readouterr().out
    assert result.code == core.RAISED
    assert "NameError" in printed and "`return x @ weights.Wx + undefined_name" in printed
