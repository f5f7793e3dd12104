"""Chapter 15's encoder–decoder against Keras: the bidirectional encoder (chapter 14's
``run_bidirectional`` and ``keras.layers.Bidirectional``), forward, gradients (tape and finite
differences), Adam updates side by side; greedy decoding and beam search; bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnn_lab.cells.replay import run_bidirectional
from rnn_lab.cells.weights import log_softmax, random_cell_weights
from rnn_lab.gradcheck import numerical_gradient
from rnn_lab.keras_side.layers import keras_layer
from rnn_lab.keras_side.models import import_keras, keras_floatx
from rnn_lab.seq2seq import dates
from rnn_lab.seq2seq import model as m
from rnn_lab.seq2seq.keras_twins import (
    build_keras_seq2seq,
    keras_greedy_decode,
    keras_inputs,
    keras_seq2seq_gradients,
    keras_train,
    keras_train_and_score,
)
from rnn_lab.tolerances import FD_GRADIENT_RTOL, GRADIENT_RTOL, relative_error, tolerance_for

DTYPES = ("float32", "float64")
#: (hidden units, batch, seed): different source lengths in every batch
GRID = [(4, 3, 0), (9, 6, 1), (16, 5, 2)]


def _batch(n, seed):
    task = dates.date_task(seed, n_train=max(n, 8), n_held_out=4, n_longer=4)
    source, mask = dates.encode_sources(task.train.sources[:n])
    read, write = dates.encode_targets(task.train.targets[:n])
    return source, mask, read, write


def _weights(H, attention, seed, dtype):
    w = m.init_seq2seq(H, attention=attention, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)  # non-zero biases: a swapped bias row would show
    return w.with_arrays([a + rng.normal(0, 0.1, a.shape).astype(dtype) for a in w.as_list()])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("attention", [False, True])
@pytest.mark.parametrize("H,n,seed", GRID)
def test_forward_and_gradients_equal_keras(H, n, seed, attention, dtype):
    source, mask, read, write = _batch(n, seed)
    assert not mask.all()  # padding present
    w = _weights(H, attention, seed, dtype)
    with keras_floatx(dtype):
        model = build_keras_seq2seq(w, source.shape[1], read.shape[1])
        logits = np.asarray(model(keras_inputs(w, source, mask, read)))
        keras_loss, keras_grads = keras_seq2seq_gradients(model, w, source, mask, read, write)
    ours = m.forward(w, source, mask, read)
    assert ours.logits.dtype == np.dtype(dtype)
    assert np.max(np.abs(ours.logits - logits)) <= tolerance_for(dtype)
    loss, grads = m.loss_and_gradients(w, source, mask, read, write)
    assert abs(loss - keras_loss) <= tolerance_for(dtype) * max(1.0, abs(loss))
    for name, mine, reference in zip(m.ARRAY_NAMES, grads, keras_grads, strict=True):
        assert relative_error(mine, reference) <= GRADIENT_RTOL[dtype], name


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["GRU", "LSTM", "SimpleRNN"])
def test_run_bidirectional_returns_the_states_keras_returns(kind, dtype):
    rng = np.random.default_rng(11)
    n, T, D, H = 4, 6, 3, 5
    forward_cell = random_cell_weights(kind, D, H, seed=1, dtype=dtype)
    backward_cell = random_cell_weights(kind, D, H, seed=2, dtype=dtype)
    x = rng.normal(size=(n, T, D)).astype(dtype)
    mask = np.arange(T)[None] < np.array([[6], [4], [1], [3]])
    keras = import_keras()
    with keras_floatx(dtype):
        inner = keras_layer(forward_cell, return_sequences=True, return_state=True)
        layer = keras.layers.Bidirectional(inner, dtype=dtype)
        layer(x[:1, :1])  # builds both directions
        layer.forward_layer.set_weights(forward_cell.as_list())
        layer.backward_layer.set_weights(backward_cell.as_list())
        theirs = [np.asarray(a) for a in layer(x, mask=mask)]
    ours = run_bidirectional(forward_cell, backward_cell, x, mask=mask, return_state=True)
    assert len(ours) == len(theirs) == 1 + 2 * (2 if kind == "LSTM" else 1)
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.shape == reference.shape
        assert np.max(np.abs(mine - reference)) <= tolerance_for(dtype)
    unmerged = run_bidirectional(
        forward_cell, backward_cell, x, mask=mask, merge_mode=None, return_state=True
    )
    assert len(unmerged) == len(ours) + 1  # forward and backward outputs apart, then states


@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_is_chapter_14s_bidirectional(dtype):
    source, mask, _, _ = _batch(5, 2)
    w = _weights(4, True, 2, dtype)
    x = m.one_hot(source, dates.SOURCE_VOCAB.size, dtype)
    trace = m.encoder_trace(w, x, mask)
    outputs, h_forward, h_backward = run_bidirectional(
        w.encoder_forward, w.encoder_backward, x, mask=mask, return_state=True
    )
    assert trace.outputs.shape == (5, source.shape[1], 8) and trace.final.shape == (5, 8)
    assert np.max(np.abs(trace.outputs - outputs)) <= tolerance_for(dtype)
    assert np.max(np.abs(trace.final - np.concatenate([h_forward, h_backward], -1))) <= (
        tolerance_for(dtype)
    )
    assert np.all(trace.outputs[~mask] == 0)  # Bidirectional zeroes padded outputs
    # the backward direction's final state has read the whole source, down to x_1: a
    # change in the first character reaches it, and a change behind the mask does not
    changed = source.copy()
    changed[:, 0] = (changed[:, 0] % (dates.SOURCE_VOCAB.size - 1)) + 1
    x_changed = m.one_hot(changed, dates.SOURCE_VOCAB.size, dtype)
    assert np.all(np.abs(m.encoder_trace(w, x_changed, mask).final[:, 4:] - trace.final[:, 4:]) > 0)


@pytest.mark.parametrize("attention", [False, True])
def test_gradients_equal_finite_differences(attention):
    source, mask, read, write = _batch(3, 5)
    w = _weights(3, attention, 5, "float64")
    _, grads = m.loss_and_gradients(w, source, mask, read, write)
    arrays = w.as_list()
    for i in range(len(arrays)):

        def loss(array, i=i):
            changed = list(arrays)
            changed[i] = array
            return m.loss_and_gradients(w.with_arrays(changed), source, mask, read, write)[0]

        numeric = numerical_gradient(loss, arrays[i])
        assert relative_error(grads[i], numeric) <= FD_GRADIENT_RTOL, m.ARRAY_NAMES[i]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("attention", [False, True])
def test_adam_updates_equal_keras(attention, dtype):
    batches = [_batch(4, seed) for seed in (1, 2, 3)]
    w = _weights(6, attention, 0, dtype)
    with keras_floatx(dtype):
        # one Keras model per source length would retrace; pad every batch to one length
        T = max(b[0].shape[1] for b in batches)
        padded = [
            (
                np.pad(s, ((0, 0), (0, T - s.shape[1]))),
                np.pad(k, ((0, 0), (0, T - k.shape[1]))),
                r,
                y,
            )
            for s, k, r, y in batches
        ]
        run = m.train(w, padded)
        model = build_keras_seq2seq(w, T, padded[0][2].shape[1])
        arrays, losses = keras_train(model, w, padded)
    np.testing.assert_allclose(run.losses, losses, rtol=tolerance_for(dtype))
    for name, mine, reference in zip(m.ARRAY_NAMES, run.weights.as_list(), arrays, strict=True):
        assert np.max(np.abs(mine - reference)) <= tolerance_for(dtype), name


@pytest.mark.parametrize("attention", [False, True])
def test_keras_training_runs_are_the_hand_written_ones(attention):
    """keras_train_and_score reuses one model across seeds, compiled afresh for each: each seed
    must start afresh (its weights, a zero Adam state) and follow the hand-written run."""
    task = dates.date_task(3, n_train=40, n_held_out=6, n_longer=5)
    budget = dict(hidden_units=4, steps=3, batch_size=8, learning_rate=0.01)
    keras_runs = keras_train_and_score(task, attention=attention, seeds=(0, 1), **budget)
    tol = tolerance_for("float32")
    for seed, run in keras_runs.items():
        hand = m.train_and_score(task, attention=attention, seed=seed, beam_width=2, **budget)
        np.testing.assert_allclose(run.losses, hand.run.losses, rtol=tol)
        for name, mine, theirs in zip(
            m.ARRAY_NAMES, hand.run.weights.as_list(), run.arrays, strict=True
        ):
            assert np.max(np.abs(mine - theirs)) <= tol, (seed, name)
        # Keras's own greedy decoding of its weights is the hand-written decoder's, except
        # where two characters are a near tie (logits equal only to the tolerance)
        trained = hand.run.weights.with_arrays(run.arrays)
        source, mask = dates.encode_sources(task.held_out.sources)
        with keras_floatx("float32"):
            model = build_keras_seq2seq(trained)
            by_keras = keras_greedy_decode(model, trained, source, mask)
        ours = m.greedy_decode(trained, source, mask)
        for row in np.flatnonzero(np.any(by_keras != ours, axis=1)):
            t = int(np.argmax(by_keras[row] != ours[row]))
            read = np.concatenate([[0], ours[row, :t]])[None]
            logits = m.forward(trained, source[row : row + 1], mask[row : row + 1], read).logits
            best_two = np.sort(logits[0, t])[-2:]
            assert best_two[1] - best_two[0] <= 10 * tol, (seed, row, t)
        _, write = dates.encode_targets(task.held_out.targets)
        assert run.scores["held_out"] == m.accuracy(by_keras, write)


def test_padding_the_source_changes_nothing():
    source, mask, read, write = _batch(4, 7)
    w = _weights(5, True, 7, "float64")
    longer = np.pad(source, ((0, 0), (0, 3)), constant_values=5)  # junk behind the mask
    longer_mask = np.pad(mask, ((0, 0), (0, 3)))
    a = m.forward(w, source, mask, read).logits
    b = m.forward(w, longer, longer_mask, read).logits
    np.testing.assert_allclose(a, b, atol=1e-13)


def test_beam_step_keeps_the_best_extensions():
    rng = np.random.default_rng(0)
    for b, V, width in [(1, 5, 3), (3, 4, 3), (4, 6, 7), (2, 3, 6)]:
        scores = np.sort(rng.normal(size=b))[::-1]
        log_probs = log_softmax(rng.normal(size=(b, V)))
        new, parents, chars = m.beam_step(scores, log_probs, width)
        everything = sorted(
            ((scores[i] + log_probs[i, c], i, c) for i, c in itertools.product(range(b), range(V))),
            key=lambda e: -e[0],
        )[:width]
        np.testing.assert_allclose(new, [e[0] for e in everything])
        assert [(int(p), int(c)) for p, c in zip(parents, chars, strict=True)] == [
            (e[1], e[2]) for e in everything
        ]


def test_beam_step_breaks_ties_by_index_and_skips_missing_beams():
    new, parents, chars = m.beam_step([0.0, -np.inf], np.zeros((2, 3)), 2)
    assert parents.tolist() == [0, 0] and chars.tolist() == [0, 1]


def test_width_one_is_greedy():
    source, mask, _, write = _batch(6, 3)
    w = _weights(8, True, 3, "float64")
    greedy = m.greedy_decode(w, source, mask)
    assert greedy.shape == write.shape
    assert np.array_equal(m.beam_search(w, source, mask, width=1), greedy)


def test_a_beam_as_wide_as_the_vocabulary_is_exact_over_two_characters():
    source, mask, _, _ = _batch(3, 4)
    w = _weights(6, True, 4, "float64")
    V = dates.TARGET_VOCAB.size
    every = np.array(list(itertools.product(range(V), repeat=2)))
    best = []
    for s in range(3):
        rows = np.repeat(source[s : s + 1], len(every), axis=0)
        masks = np.repeat(mask[s : s + 1], len(every), axis=0)
        best.append(every[np.argmax(m.sequence_log_probability(w, rows, masks, every))])
    beam = m.beam_search(w, source, mask, width=V, length=2)
    assert np.array_equal(beam, np.array(best))
    greedy = m.greedy_decode(w, source, mask, length=2)
    assert np.all(
        m.sequence_log_probability(w, source, mask, beam)
        >= m.sequence_log_probability(w, source, mask, greedy) - 1e-12
    )


def test_accuracy_counts_exact_and_per_character():
    exact, per_char = m.accuracy(np.array([[1, 2], [1, 3]]), np.array([[1, 2], [1, 2]]))
    assert exact == 0.5 and per_char == 0.75


@pytest.mark.parametrize("width", [0, -2])
def test_beam_width_below_one_is_refused(width):
    source, mask, _, _ = _batch(2, 0)
    w = _weights(3, True, 0, "float32")
    with pytest.raises(ValueError, match=r"width \(the beam width\) must be an integer >= 1"):
        m.beam_search(w, source, mask, width=width)
    with pytest.raises(ValueError, match=r"width \(the beam width\) must be >= 1"):
        m.beam_step([0.0], np.zeros((1, 3)), width)


def test_bad_batches_are_refused():
    source, mask, read, write = _batch(3, 0)
    w = _weights(3, True, 0, "float32")
    with pytest.raises(ValueError, match=r"mask must have shape \(n, T\)"):
        m.forward(w, source, mask[:, :-1], read)
    with pytest.raises(ValueError, match="source must be in"):
        m.forward(w, source + 100, mask, read)
    with pytest.raises(TypeError, match="Seq2SeqWeights"):
        m.forward("weights", source, mask, read)
    with pytest.raises(ValueError, match="11 arrays"):
        w.with_arrays(w.as_list()[:-1])
