"""Chunked truncated BPTT: carry ``h`` across chunks, stop the gradient at chunk borders.

A long sequence ``x_1 .. x_T`` is cut into chunks of ``k`` steps (the last one may be
shorter). The forward pass runs through every chunk in order, each starting from the state
the previous one ended in, so the *forward* computation is exactly the full one. The
backward pass treats the state entering each chunk as a constant input
(``tf.stop_gradient`` in TensorFlow), so every gradient path is at most ``k`` steps long::

    h_start = h_0
    for chunk c = steps s .. e:
        BPTT through h_s .. h_e only, from h_{s-1} = h_start    (a constant: no gradient to it)
        h_start = h_e                                             (carried forward, not back)

With per-step targets (``return_sequences=True``) the loss is the mean over all ``n·T·O``
squared errors, ``L = Σ_c (T_c / T) · L_c``, where ``L_c`` is chunk ``c``'s own mean over its
``T_c`` steps; the gradient is the same sum of the chunks' BPTT gradients. Each step is walked
back once, so the backward pass costs ``O(T)``, like full BPTT; a training loop that updates
the weights after every chunk needs to keep only one chunk's states.
With a last-output loss only the last chunk has a loss term, and the gradient is that of
the last ``T_c`` steps.

:func:`rnn_lab.backward.manual_backward` with ``truncate=k`` is a different truncation: it
cuts every loss term's own path after ``k`` steps, which costs ``O(T·k)`` with per-step
targets.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_positive_int
from .backward import Gradients, check_targets, manual_backward
from .forward import hidden_states
from .weights import SimpleRNNWeights


def chunk_borders(T: int, chunk: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: 0-based half-open step ranges of ``chunk`` steps covering ``T``."""
    T = check_positive_int("T", T)
    chunk = check_positive_int("chunk", chunk)
    return [(start, min(start + chunk, T)) for start in range(0, T, chunk)]


def _chunked_problem(
    x: object,
    y_true: object,
    weights: SimpleRNNWeights,
    chunk: int,
    return_sequences: bool,
    h0: object | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """``x`` and ``y_true`` checked, every state ``h_1 .. h_T`` (the full forward pass: the
    chunks only cut the backward one) and the chunk borders."""
    h = hidden_states(x, weights, h0=h0)  # checks x, weights and h0
    n, T, _ = h.shape
    y_true = check_targets(y_true, n, T, weights, bool(return_sequences))
    return np.asarray(x, dtype=weights.dtype), y_true, h, chunk_borders(T, chunk)


def chunked_backward(
    x: object,
    y_true: object,
    weights: SimpleRNNWeights,
    *,
    chunk: int,
    return_sequences: bool = True,
    h0: object | None = None,
) -> Gradients:
    """``L`` and its gradients by chunked truncated BPTT with chunks of ``chunk`` steps.

    ``x`` is ``(n, T, D)``; ``y_true`` is ``(n, T, O)`` with ``return_sequences=True`` (the
    default), else ``(n, O)``; ``h0`` is ``(n, H)``, zeros by default. The state is carried
    from chunk to chunk; the gradient stops at every chunk border, so ``dL/dh_t`` collects
    only the loss terms of ``h_t``'s own chunk, and ``dh0`` only the first chunk's.
    ``chunk >= T`` gives full BPTT. The loss is the full sequence's, exactly.
    """
    return_sequences = bool(return_sequences)
    x, y_true, h, borders = _chunked_problem(x, y_true, weights, chunk, return_sequences, h0)
    n, T, H = h.shape
    h_start = np.zeros((n, H), weights.dtype) if h0 is None else np.asarray(h0, weights.dtype)

    dtype = weights.dtype.type
    total = [np.zeros_like(a) for a in weights.as_list()]
    dh = np.zeros_like(h)
    dh0 = np.zeros_like(h_start)
    loss = 0.0
    for index, (start, stop) in enumerate(borders):
        if return_sequences:
            share = (stop - start) / T  # L = Σ_c (T_c / T) · L_c
            part = manual_backward(x[:, start:stop], y_true[:, start:stop], weights,
                                   return_sequences=True, h0=h_start)  # fmt: skip
        elif stop == T:
            share = 1.0  # the only loss term, y_T, lies in the last chunk
            part = manual_backward(x[:, start:stop], y_true, weights, h0=h_start)
        else:
            part = None  # no loss term in this chunk: it only carries the state forward
        if part is not None:
            scale = dtype(share)
            total = [g + scale * p for g, p in zip(total, part.as_list(), strict=True)]
            dh[:, start:stop] = scale * part.dh
            if index == 0:
                dh0 = scale * part.dh0
            loss += share * part.loss
        # The next chunk starts from h_stop as a value only: its BPTT stops there.
        h_start = h[:, stop - 1]
    return Gradients(loss=float(loss), grads=SimpleRNNWeights(*total), dh=dh, dh0=dh0)


def backward_steps(T: int, *, truncate: int | None = None, chunk: int | None = None,
                   return_sequences: bool = True) -> int:  # fmt: skip
    """How many single-step backward moves (one ``δ_t`` each) a backward pass makes.

    Full BPTT walks each of the ``T`` steps once. ``manual_backward(truncate=k)`` walks
    ``min(k, s)`` steps back from every loss term ``s``: ``Σ_s min(k, s)`` with per-step
    targets, ``min(k, T)`` with the last output only. :func:`chunked_backward` walks each
    step of a chunk with a loss term once: ``T`` with per-step targets, the last chunk's
    length without.
    """
    T = check_positive_int("T", T)
    if truncate is not None and chunk is not None:
        raise ValueError("give truncate or chunk, not both")
    if truncate is not None:
        k = check_positive_int("truncate", truncate)
        sources = range(1, T + 1) if return_sequences else range(T, T + 1)
        return sum(min(k, s) for s in sources)
    if chunk is not None:
        start, stop = chunk_borders(T, chunk)[-1]
        return T if return_sequences else stop - start
    return T


def keras_chunked_gradients(
    x: object,
    y_true: object,
    weights: SimpleRNNWeights,
    *,
    chunk: int,
    return_sequences: bool = True,
    h0: object | None = None,
) -> tuple[float, SimpleRNNWeights, np.ndarray]:
    """``(L, gradients, dL/dh_0)`` of chunked truncated BPTT as a TensorFlow user writes it.

    Keras's own ``SimpleRNN`` (``return_state=True``) and ``Dense`` layers get ``weights``;
    each chunk starts from the previous chunk's final state passed through
    ``tf.stop_gradient``, and ``tf.GradientTape`` differentiates the whole sequence's
    ``keras.losses.MeanSquaredError()``. The independent reference for
    :func:`chunked_backward`; TensorFlow is imported only here.
    """
    x, y_true, h, borders = _chunked_problem(x, y_true, weights, chunk, return_sequences, h0)
    n, _, H = h.shape

    from .keras_side.models import import_keras

    keras = import_keras()
    import tensorflow as tf

    dtype = weights.dtype.name
    rnn = keras.layers.SimpleRNN(H, return_sequences=True, return_state=True, dtype=dtype)
    dense = keras.layers.Dense(weights.outputs, dtype=dtype)
    rnn.build((None, None, weights.dims))
    dense.build((None, H))
    rnn.set_weights(weights.as_list()[:3])
    dense.set_weights(weights.as_list()[3:])
    cell = rnn.cell
    variables = [cell.kernel, cell.recurrent_kernel, cell.bias, dense.kernel, dense.bias]
    h0_t = tf.constant(np.zeros((n, H), dtype) if h0 is None else np.asarray(h0, dtype))
    mse = keras.losses.MeanSquaredError(dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(h0_t)
        state, outputs = h0_t, []
        for start, stop in borders:
            entering = state if start == 0 else tf.stop_gradient(state)  # the chunk border
            sequence, state = rnn(tf.constant(x[:, start:stop]), initial_state=[entering])
            outputs.append(dense(sequence))
        y_pred = tf.concat(outputs, axis=1) if return_sequences else dense(state)
        loss = mse(y_true, y_pred)
    *grads, dh0 = tape.gradient(loss, [*variables, h0_t])
    if dh0 is None:  # h_0 lies behind a chunk border: no path to the loss
        dh0 = tf.zeros_like(h0_t)
    return float(loss), SimpleRNNWeights(*(np.asarray(g) for g in grads)), np.asarray(dh0)
