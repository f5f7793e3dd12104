"""rnn_lab.language: the hand-written character model against Keras's own layers.

Forward pass, loss and gradients against GradientTape on a parametrised grid of shapes in
float32 and float64, for SimpleRNN and LSTM; gradients against Richardson-extrapolated finite
differences; stateful training side by side with Keras (SGD, Adam, both kinds of clipping);
sampling by hand and through Keras from the same weights and seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import language as lm
from rnn_lab.language import text
from rnn_lab.tolerances import relative_error
from rnn_lab.training.optimizers import SGD, Adam


def _weights(kind, V, D, H, dtype, seed):
    """Keras's initial weights plus noise, so biases are non-zero and nothing hides."""
    rng = np.random.default_rng(seed)
    base = lm.glorot_weights(V, D, H, kind=kind, seed=seed, dtype=dtype)
    return lm.LanguageModelWeights(
        *(a + rng.normal(0, 0.2, a.shape).astype(dtype) for a in base.as_list())
    )


def _state(kind, n, H, dtype, seed):
    rng = np.random.default_rng(seed + 100)
    count = 2 if kind == "LSTM" else 1
    return tuple(np.tanh(rng.normal(size=(n, H))).astype(dtype) for _ in range(count))


# (kind, n, T, V, D, H, with a carried state)
GRID = [
    ("SimpleRNN", 1, 1, 3, 2, 1, False),
    ("SimpleRNN", 2, 5, 7, 3, 4, True),
    ("SimpleRNN", 4, 9, 11, 5, 6, True),
    ("SimpleRNN", 3, 12, 20, 8, 10, False),
    ("LSTM", 1, 1, 3, 2, 1, False),
    ("LSTM", 2, 5, 7, 3, 4, True),
    ("LSTM", 4, 9, 11, 5, 6, True),
    ("LSTM", 3, 12, 20, 8, 10, False),
]


def _case(kind, n, T, V, D, H, stateful, dtype, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, (n, T))
    targets = rng.integers(0, V, (n, T))
    weights = _weights(kind, V, D, H, dtype, seed)
    state = _state(kind, n, H, dtype, seed) if stateful else None
    return ids, targets, weights, state


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", GRID, ids=lambda c: "{}-n{}T{}V{}D{}H{}-state{:d}".format(*c))
def test_loss_and_gradients_match_gradient_tape(case, dtype):
    ids, targets, weights, state = _case(*case, dtype)
    manual = lm.loss_and_gradients(ids, targets, weights, state)
    keras = lm.keras_lm_gradients(ids, targets, weights, state)
    assert relative_error(manual.loss, keras.loss) <= lm.GRAD_RTOL[dtype]
    for name, mine, theirs in zip(
        lm.LAYOUTS, manual.grads.as_list(), keras.grads.as_list(), strict=True
    ):
        assert mine.dtype == np.dtype(dtype)
        error = relative_error(mine, theirs)
        assert error <= lm.GRAD_RTOL[dtype], f"{name}: {error:.2e}"


@pytest.mark.parametrize("case", GRID[1:3] + GRID[5:7], ids=lambda c: f"{c[0]}-T{c[2]}")
def test_gradients_match_finite_differences(case):
    ids, targets, weights, state = _case(*case, "float64", seed=5)
    manual = lm.loss_and_gradients(ids, targets, weights, state)
    numeric = lm.finite_difference_gradients(ids, targets, weights, state)
    for name, mine, theirs in zip(
        lm.LAYOUTS, manual.grads.as_list(), numeric.as_list(), strict=True
    ):
        error = relative_error(mine, theirs)
        assert error <= lm.FD_RTOL, f"{name}: {error:.2e}"


def test_a_planted_backward_mistake_fails_the_check():
    ids, targets, weights, state = _case("SimpleRNN", 2, 5, 7, 3, 4, True, "float64")
    keras = lm.keras_lm_gradients(ids, targets, weights, state)
    # The tolerance has teeth: a gradient 0.1 % off (e.g. a mean over N - 1 characters
    # instead of N) fails it by orders of magnitude, and so does a missing tanh slope.
    right = lm.loss_and_gradients(ids, targets, weights, state)
    off = lm.LanguageModelWeights(*(g * 1.001 for g in right.grads.as_list()))
    assert relative_error(off.Wh, keras.grads.Wh) > 100 * lm.GRAD_RTOL["float64"]
    fp = lm.forward(ids, weights, state)
    _, dy = text.softmax_cross_entropy(fp.logits, targets)
    no_slope_dBh = (dy @ weights.Wo.T).sum(axis=(0, 1))  # δ_T without (1 - h²), one step
    assert relative_error(no_slope_dBh, keras.grads.Bh) > 100 * lm.GRAD_RTOL["float64"]


def test_the_embedding_lookup_is_a_one_hot_row_times_E():
    weights = _weights("SimpleRNN", 9, 4, 3, "float64", 1)
    ids = np.array([[3, 0, 8, 3]])
    fp = lm.forward(ids, weights)
    np.testing.assert_array_equal(fp.x, text.one_hot(ids, 9, "float64") @ weights.E)
    keras_model = lm.build_keras_lm(9, 4, 3, dtype="float64")
    lm.set_keras_lm_weights(keras_model, weights)
    looked_up = np.asarray(keras_model.get_layer("embedding")(ids))
    np.testing.assert_array_equal(looked_up, fp.x)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM"])
def test_forward_logits_match_keras_and_state_carries(kind):
    weights = _weights(kind, 8, 3, 5, "float64", 2)
    ids = np.random.default_rng(2).integers(0, 8, (2, 10))
    model = lm.build_keras_lm(8, 3, 5, kind=kind, dtype="float64")
    lm.set_keras_lm_weights(model, weights)
    full = lm.forward(ids, weights)
    np.testing.assert_allclose(full.logits, np.asarray(model(ids)), rtol=0, atol=1e-12)
    first = lm.forward(ids[:, :4], weights)
    second = lm.forward(ids[:, 4:], weights, first.final)
    np.testing.assert_allclose(second.logits, full.logits[:, 4:], rtol=0, atol=1e-13)


TRAINING = [
    ("SimpleRNN", SGD(learning_rate=0.5, momentum=0.9, clipnorm=0.5)),
    ("SimpleRNN", Adam(learning_rate=0.01)),
    ("SimpleRNN", Adam(learning_rate=0.01, clipnorm=0.3)),
    ("SimpleRNN", Adam(learning_rate=0.01, global_clipnorm=0.5)),
    ("LSTM", Adam(learning_rate=0.01, global_clipnorm=0.5)),
    ("LSTM", Adam(learning_rate=0.01)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("kind", "optimizer"), TRAINING, ids=lambda v: v if isinstance(v, str) else repr(v)[:40]
)
def test_stateful_training_matches_keras_step_by_step(kind, optimizer, dtype):
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 12, 400)
    ids[::3] = 4  # a frequent character: its embedding row is read many times per batch
    x, y = text.sequential_chunks(ids, batch_size=4, seq_len=8)
    weights = lm.glorot_weights(12, 5, 6, kind=kind, seed=3, dtype=dtype)
    steps = x.shape[0] + 3  # past the wrap-around, where both reset the state
    manual = lm.train_manual(x, y, weights, optimizer, steps)
    keras = lm.train_keras(x, y, weights, optimizer, steps)
    difference = np.abs(manual.losses - keras.losses) / keras.losses
    assert difference.max() <= lm.TRAIN_RTOL[dtype], difference
    assert manual.losses[-1] < manual.losses[0]  # it learned something
    for mine, theirs in zip(manual.weights.as_list(), keras.weights.as_list(), strict=True):
        assert relative_error(mine, theirs) <= 1e3 * lm.TRAIN_RTOL[dtype]


def test_dense_adam_on_the_embedding_is_not_what_keras_does():
    """Keras's Adam squares each lookup's gradient row: a plain dense Adam drifts away."""
    ids = np.tile(np.arange(6), 40)
    x, y = text.sequential_chunks(ids, batch_size=4, seq_len=8)
    weights = lm.glorot_weights(6, 4, 5, seed=1, dtype="float64")
    adam = Adam(learning_rate=0.01)
    keras = lm.train_keras(x, y, weights, adam, 4)
    state, opt, dense = None, adam.init(weights), weights
    for k in range(4):
        result = lm.loss_and_gradients(x[k], y[k], dense, state)
        dense, opt = adam.step(dense, result.grads, opt)
        state = result.final
    assert relative_error(dense.E, keras.weights.E) > 1e3 * lm.TRAIN_RTOL["float64"]


def test_resumed_training_equals_one_run():
    ids = np.random.default_rng(0).integers(0, 9, 300)
    x, y = text.sequential_chunks(ids, batch_size=3, seq_len=6)
    weights = lm.glorot_weights(9, 3, 4, seed=0, dtype="float64")
    adam = Adam(learning_rate=0.01)
    once = lm.train_manual(x, y, weights, adam, 20)
    twice = lm.train_manual(x, y, weights, adam, 7)
    twice = lm.train_manual(x, y, weights, adam, 13, resume=twice)
    np.testing.assert_array_equal(once.losses, twice.losses)


@pytest.mark.parametrize(("kind", "dtype"), [("SimpleRNN", "float64"), ("LSTM", "float32")])
def test_sampling_by_hand_and_through_keras_gives_the_same_text(kind, dtype):
    weights = _weights(kind, 10, 4, 6, dtype, 4)
    prime = np.array([1, 2, 3])
    for temperature in (0.5, 1.0, 1.5):
        mine = lm.generate(lm.manual_stepper(weights), prime, 60, temperature=temperature, seed=9)
        theirs = lm.generate(lm.keras_stepper(weights), prime, 60, temperature=temperature, seed=9)
        np.testing.assert_array_equal(mine, theirs)
    greedy = lm.generate(lm.manual_stepper(weights), prime, 30, greedy=True)
    np.testing.assert_array_equal(
        greedy, lm.generate(lm.keras_stepper(weights), prime, 30, greedy=True)
    )
    other_seed = lm.generate(lm.manual_stepper(weights), prime, 60, seed=10)
    assert not np.array_equal(other_seed, mine)


def test_mean_loss_over_one_stream_does_not_depend_on_the_chunk_size():
    weights = _weights("LSTM", 7, 3, 4, "float64", 0)
    ids = np.random.default_rng(1).integers(0, 7, 100)
    a, b = lm.mean_loss(ids, weights, chunk=7), lm.mean_loss(ids, weights, chunk=1000)
    assert a == pytest.approx(b, rel=1e-13)
    logits = lm.forward(ids[None, :-1], weights).logits
    assert a == pytest.approx(text.softmax_cross_entropy(logits, ids[None, 1:])[0], rel=1e-13)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda w: lm.LanguageModelWeights(*w.as_list()[:5], np.zeros(3)), ValueError, r"Bo"),
        (
            lambda w: lm.LanguageModelWeights(w.E, w.Wx, np.zeros((6, 12)), *w.as_list()[3:]),
            ValueError,
            "SimpleRNN or",
        ),
        (lambda w: lm.forward(np.array([[0, 12]]), w), ValueError, r"\[0, 12\); got 12"),
        (lambda w: lm.forward(np.array([0, 1]), w), ValueError, r"\(n, T\)"),
        (lambda w: lm.forward(np.array([[0.5]]), w), TypeError, "integer"),
        (lambda w: lm.forward(np.array([[0]]), w, (np.zeros((2, 6)),)), ValueError, "h0"),
        (lambda w: lm.forward(np.array([[0]]), "w"), TypeError, "LanguageModelWeights"),
        (
            lambda w: lm.generate(lm.manual_stepper(w), [1], 5, temperature=0),
            ValueError,
            "temperature must be a finite number > 0; got 0",
        ),
        (lambda w: lm.generate(lm.manual_stepper(w), [], 5), ValueError, "prime"),
        (lambda w: lm.mean_loss(np.array([3]), w), ValueError, "at least 2"),
        (
            lambda w: lm.train_manual(np.zeros((2, 3), int), np.zeros((2, 3), int), w, Adam(), 1),
            ValueError,
            r"\(K, n, T\)",
        ),
    ],
)
def test_bad_input_is_refused_by_name(call, error, message):
    weights = lm.glorot_weights(12, 5, 6, seed=0)
    with pytest.raises(error, match=message):
        call(weights)


@pytest.mark.parametrize("streams", [2, 3, 7])
def test_mean_loss_in_streams_scores_every_target_once(streams):
    weights = _weights("SimpleRNN", 7, 3, 4, "float64", 0)
    ids = np.random.default_rng(2).integers(0, 7, 101)
    L = 100 // streams
    pieces = [ids[i * L : (i + 1) * L + 1] for i in range(streams)]
    total = 0.0
    for piece in pieces:
        total += lm.mean_loss(piece, weights) * (piece.size - 1)
    tail = ids[streams * L :]
    if tail.size > 1:  # continues the last stream from its final state
        fp_last = lm.forward(pieces[-1][None, :-1], weights)
        fp = lm.forward(tail[None, :-1], weights, fp_last.final)
        total += text.softmax_cross_entropy(fp.logits, tail[None, 1:])[0] * (tail.size - 1)
    expected = total / 100
    assert lm.mean_loss(ids, weights, streams=streams, chunk=5) == pytest.approx(
        expected, rel=1e-13
    )
    with pytest.raises(ValueError, match="streams=200"):
        lm.mean_loss(ids, weights, streams=200)
