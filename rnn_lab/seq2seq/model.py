"""The encoder–decoder: a bidirectional GRU reads the source, a GRU started from its final
states writes the target, optionally looking back at every source position through
dot-product attention.

With ``x_j`` the one-hot source characters (``j = 1..T_x``, mask ``m``) and ``y_{t-1}`` the
one-hot previous target character (``y_0`` the start symbol)::

    h→_j = GRU_fwd(x_j, h→_{j-1})      reads x_1 .. x_{T_x}            (n, T_x, H)
    h←_j = GRU_bwd(x_j, h←_{j+1})      reads x_{T_x} .. x_1            (n, T_x, H)
    h̄_j  = [h→_j, h←_j]                encoder outputs, zero on padding (n, T_x, 2H)
    s_0   = [h→_last, h←_1]             the two final (carried) states   (n, 2H)
    s_t   = GRU_dec(y_{t-1}, s_{t-1})    decoder states, 2H units          (n, T_y, 2H)
    without attention:  ℓ_t = s_t·W_o + B_o                              logits (n, T_y, V)
    with attention:     α_t = softmax_j(s_t·h̄_jᵀ − 10⁹(1 − m_j)),  ctx_t = Σ_j α_{t,j} h̄_j
                        ℓ_t = [s_t, ctx_t]·W_o + B_o          (W_o is (4H, V))

The encoder is chapter 14's ``Bidirectional`` (:func:`rnn_lab.cells.replay.run_bidirectional`,
``merge_mode="concat"``): the backward GRU reads the time-reversed source (padding first,
which its mask skips) and its outputs are put back in time order. Keras's
``Bidirectional(GRU(H, return_sequences=True, return_state=True))`` returns the outputs and
then the two final states *separately*, forward first; the decoder starts from their
concatenation ``[h→, h←]`` (``Concatenate()``), so it has ``2H`` units and its states can be
compared with the ``2H``-wide encoder outputs by a dot product.

In Keras: that ``Bidirectional`` on the source with its mask, ``Concatenate`` of the two
states, ``GRU(2H, return_sequences=True)`` on the target with ``initial_state``,
``Attention()`` (``[s, h̄]``, ``mask=[None, m]``), ``Concatenate``, ``Dense(V)``.

**Teacher forcing**: in training the decoder reads the *true* previous character, so all
``T_y`` steps run at once and a mistake at step 3 does not derail steps 4..10. At inference
there is no truth to read: :func:`greedy_decode` feeds back its own most likely character,
:func:`beam_search` keeps the ``b`` most likely prefixes.

The backward pass reuses the one BPTT (:func:`rnn_lab.cells.bptt.backward_from_trace`)
for the three GRUs (the backward one on the reversed source) and
:func:`rnn_lab.seq2seq.attention.attention_backward`: the decoder's ``dL/ds_0`` splits into
the gradients on the two encoder directions' final states, and attention sends
``dL/dh̄ = dK + d𝒱`` (keys and values are both ``h̄``) into the encoder's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import check_positive_int, check_record, one_blas_thread
from ..cells.bptt import ForwardTrace, backward_from_trace, forward_trace
from ..cells.masking import check_mask
from ..cells.replay import merge_directions, run_bidirectional
from ..cells.steps import gru_step
from ..cells.weights import CellWeights, log_softmax, random_cell_weights
from ..language.text import check_ids, one_hot, softmax_cross_entropy
from ..training.loop import run_updates
from ..training.optimizers import Adam, ArrayAdamState, adam_init, adam_update
from .attention import AttentionTrace, attention, attention_backward
from .dates import (
    SOURCE_VOCAB,
    TARGET_LENGTH,
    TARGET_VOCAB,
    DateSet,
    encode_sources,
    encode_targets,
)

#: Names of the arrays, in the order of the Keras model's ``trainable_weights``.
ARRAY_NAMES = (
    "encoder.forward.kernel", "encoder.forward.recurrent_kernel", "encoder.forward.bias",
    "encoder.backward.kernel", "encoder.backward.recurrent_kernel", "encoder.backward.bias",
    "decoder.kernel", "decoder.recurrent_kernel", "decoder.bias", "W_o", "B_o",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Seq2SeqWeights:
    """The encoder's two GRUs (``H`` units each), the decoder GRU (``2H`` units; Keras's
    packed arrays, ``reset_after=True``) and the output layer ``W_o (2H or 4H, V)``,
    ``B_o (V,)``; attention is on when ``W_o`` has ``4H`` rows."""

    encoder_forward: CellWeights
    encoder_backward: CellWeights
    decoder: CellWeights
    Wo: np.ndarray
    Bo: np.ndarray

    @property
    def hidden_units(self) -> int:
        """``H``, the units of each encoder direction."""
        return self.encoder_forward.hidden_units

    @property
    def uses_attention(self) -> bool:
        return self.Wo.shape[0] == 4 * self.hidden_units

    @property
    def dtype(self) -> np.dtype:
        return self.Wo.dtype

    def as_list(self) -> list[np.ndarray]:
        """The eleven arrays of :data:`ARRAY_NAMES`."""
        cells = (self.encoder_forward, self.encoder_backward, self.decoder)
        arrays = [a for c in cells for a in (c.kernel, c.recurrent_kernel, c.bias)]
        return [*arrays, self.Wo, self.Bo]

    def with_arrays(self, arrays: list[np.ndarray]) -> Seq2SeqWeights:
        """The same model with new arrays (same order and shapes as :meth:`as_list`)."""
        if len(arrays) != len(ARRAY_NAMES):
            raise ValueError(
                f"expected the {len(ARRAY_NAMES)} arrays {ARRAY_NAMES}; got {len(arrays)}"
            )
        for name, old, new in zip(ARRAY_NAMES, self.as_list(), arrays, strict=True):
            if np.shape(new) != old.shape:
                raise ValueError(f"{name} must have shape {old.shape}; got {np.shape(new)}")
        cells = [
            replace(cell, kernel=arrays[i], recurrent_kernel=arrays[i + 1], bias=arrays[i + 2])
            for i, cell in zip(
                (0, 3, 6), (self.encoder_forward, self.encoder_backward, self.decoder), strict=True
            )
        ]
        return Seq2SeqWeights(*cells, arrays[9], arrays[10])


def init_seq2seq(
    hidden_units: int, *, attention: bool, seed: int = 0, dtype: Any = "float32"
) -> Seq2SeqWeights:
    """Fresh weights for the date task, ``H = hidden_units`` per encoder direction:
    Glorot-uniform kernels, recurrent weights uniform in ``±1/√H``, zero biases (Keras's zero
    biases; its orthogonal recurrent start differs)."""
    H = check_positive_int("hidden_units", hidden_units)
    cells = []
    for offset, (V, units) in enumerate(
        ((SOURCE_VOCAB.size, H), (SOURCE_VOCAB.size, H), (TARGET_VOCAB.size, 2 * H))
    ):
        cell = random_cell_weights(
            "GRU", V, units, seed=seed * 10 + offset, dtype=dtype,
            scale=np.sqrt(6 / (V + 3 * units)),
        )  # fmt: skip
        cells.append(replace(cell, bias=np.zeros_like(cell.bias)))
    rows = 4 * H if attention else 2 * H
    V_t = TARGET_VOCAB.size
    rng = np.random.default_rng(seed * 10 + 3)
    Wo = rng.uniform(-1, 1, (rows, V_t)) * np.sqrt(6 / (rows + V_t))
    return Seq2SeqWeights(*cells, Wo.astype(dtype), np.zeros(V_t, dtype=dtype))


@dataclass(frozen=True, eq=False)
class EncoderTrace:
    """The bidirectional encoder's forward pass, kept for the backward pass."""

    forward: ForwardTrace  # over x_1 .. x_T
    backward: ForwardTrace  # over x_T .. x_1 (processing order)
    outputs: np.ndarray  # h̄ = [h→, h←] in time order, zero on padding (n, T_x, 2H)
    final: np.ndarray  # s_0 = [h→_last, h←_1] (n, 2H)


def encoder_trace(weights: Seq2SeqWeights, x: np.ndarray, keep: np.ndarray) -> EncoderTrace:
    """Chapter 14's ``Bidirectional`` (concat, ``return_sequences``, ``return_state``) run with
    chapter 13's traced loop, so that its BPTT can run back through it; equal to
    :func:`rnn_lab.cells.replay.run_bidirectional` (tested)."""
    fwd = forward_trace(weights.encoder_forward, x, mask=keep)
    bwd = forward_trace(
        weights.encoder_backward,
        np.ascontiguousarray(x[:, ::-1]),
        mask=np.ascontiguousarray(keep[:, ::-1]),
    )
    zero = weights.dtype.type(0)  # Bidirectional's zero_output_for_mask=return_sequences
    real = keep[..., None]
    outputs = merge_directions(
        np.where(real, fwd.outputs, zero), np.where(real, bwd.outputs[:, ::-1], zero), "concat"
    )
    return EncoderTrace(fwd, bwd, outputs, np.concatenate([fwd.h[:, -1], bwd.h[:, -1]], -1))


def encoder_backward(
    trace: EncoderTrace, d_outputs: np.ndarray, d_final: np.ndarray
) -> list[np.ndarray]:
    """Gradients of the encoder's six arrays given ``dL/dh̄ (n, T_x, 2H)`` and
    ``dL/ds_0 (n, 2H)``: each direction's half, the backward one in its processing order."""
    H = trace.forward.h.shape[-1]
    keep = trace.forward.keep
    d_outputs = np.where(keep[..., None], d_outputs, d_outputs.dtype.type(0))
    fwd = backward_from_trace(trace.forward, d_outputs[..., :H], d_final_states=[d_final[:, :H]])
    bwd = backward_from_trace(
        trace.backward,
        np.ascontiguousarray(d_outputs[:, ::-1, H:]),
        d_final_states=[d_final[:, H:]],
    )
    return [*fwd.as_list(), *bwd.as_list()]


@dataclass(frozen=True, eq=False)
class Seq2SeqTrace:
    """One forward pass with teacher forcing, everything kept for the backward pass."""

    encoder: EncoderTrace
    decoder: ForwardTrace
    attention: AttentionTrace | None
    features: np.ndarray  # s_t, or [s_t, ctx_t]
    logits: np.ndarray  # (n, T_y, V)


def _check_batch(weights: Seq2SeqWeights, source: Any, mask: Any, read: Any):
    check_record("weights", weights, Seq2SeqWeights, hint=" (from init_seq2seq)")
    source = check_ids(source, SOURCE_VOCAB.size, "source")
    if source.ndim != 2:
        raise ValueError(f"source must be ids of shape (n, T_x); got {source.shape}")
    keep = check_mask(mask, *source.shape)
    read = check_ids(read, TARGET_VOCAB.size, "read")
    if read.ndim != 2 or read.shape[0] != source.shape[0]:
        raise ValueError(f"read must be ids (n, T_y) with n = {source.shape[0]}; got {read.shape}")
    return source, keep, read


def forward(weights: Seq2SeqWeights, source: Any, mask: Any, read: Any) -> Seq2SeqTrace:
    """Logits of every target step given the true previous characters ``read (n, T_y)``."""
    source, keep, read = _check_batch(weights, source, mask, read)
    dtype = weights.dtype
    enc = encoder_trace(weights, one_hot(source, SOURCE_VOCAB.size, dtype), keep)
    y = one_hot(read, TARGET_VOCAB.size, dtype)
    dec = forward_trace(weights.decoder, y, initial_state=enc.final)
    att = None
    features = dec.outputs
    if weights.uses_attention:
        att = attention(dec.outputs, enc.outputs, mask=keep)
        features = np.concatenate([dec.outputs, att.context], axis=-1)
    return Seq2SeqTrace(enc, dec, att, features, features @ weights.Wo + weights.Bo)


def loss_and_gradients(
    weights: Seq2SeqWeights, source: Any, mask: Any, read: Any, write: Any
) -> tuple[float, list[np.ndarray]]:
    """Mean cross-entropy over the ``n·T_y`` target characters and its gradients (the order
    of :data:`ARRAY_NAMES`)."""
    trace = forward(weights, source, mask, read)
    loss, d_logits = softmax_cross_entropy(trace.logits, write)
    width = trace.decoder.h.shape[-1]  # 2H
    d_features = d_logits @ weights.Wo.T
    dWo = np.einsum("nti,ntv->iv", trace.features, d_logits)
    dBo = d_logits.sum(axis=(0, 1))
    d_states = d_features[..., :width]
    d_encoder_outputs = np.zeros_like(trace.encoder.outputs)
    if trace.attention is not None:
        grads = attention_backward(trace.attention, d_features[..., width:])
        d_states = d_states + grads.query
        d_encoder_outputs = grads.key + grads.value
    dec = backward_from_trace(trace.decoder, d_states)
    enc = encoder_backward(trace.encoder, d_encoder_outputs, dec.initial[0])
    return loss, [*enc, *dec.as_list(), dWo, dBo]


def _step_logits(weights, x_t, state, encoder_outputs, keep):
    state = gru_step(x_t, state, weights.decoder)
    features = state
    if weights.uses_attention:
        ctx = attention(state[:, None], encoder_outputs, mask=keep).context[:, 0]
        features = np.concatenate([state, ctx], axis=-1)
    return features @ weights.Wo + weights.Bo, state


def _encode(weights: Seq2SeqWeights, source: Any, mask: Any):
    """Chapter 14's ``Bidirectional`` as it is: outputs ``(n, T_x, 2H)``, ``s_0 (n, 2H)``."""
    source, keep, _ = _check_batch(weights, source, mask, np.zeros((np.shape(source)[0], 1), int))
    x = one_hot(source, SOURCE_VOCAB.size, weights.dtype)
    outputs, h_forward, h_backward = run_bidirectional(
        weights.encoder_forward, weights.encoder_backward, x, mask=keep, return_state=True
    )
    return outputs, np.concatenate([h_forward, h_backward], axis=-1), keep


def greedy_decode(
    weights: Seq2SeqWeights, source: Any, mask: Any, length: int = TARGET_LENGTH
) -> np.ndarray:
    """Write ``length`` characters, each time reading back the most likely one: ids
    ``(n, length)``."""
    length = check_positive_int("length", length)
    outputs, state, keep = _encode(weights, source, mask)
    previous = np.zeros(len(state), dtype=np.int64)  # the start symbol
    written = []
    for _ in range(length):
        x = one_hot(previous, TARGET_VOCAB.size, weights.dtype)
        logits, state = _step_logits(weights, x, state, outputs, keep)
        previous = np.argmax(logits, axis=-1)
        written.append(previous)
    return np.stack(written, axis=1)


def beam_step(scores: Any, log_probs: Any, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of beam search for one source: keep the ``width`` best extensions.

    ``scores (b,)`` are the log-probabilities of the ``b`` prefixes kept so far,
    ``log_probs (b, V)`` the log-probabilities of each next character after each prefix.
    Every extension scores ``scores[i] + log_probs[i, c]``; the ``width`` highest are kept,
    ties going to the smaller ``i·V + c``. Returns ``(new_scores, parents, characters)``,
    each ``(width,)``, best first. ``-inf`` scores mark prefixes that do not exist yet.
    """
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)):
        raise TypeError(f"width must be an integer >= 1; got {type(width).__name__} {width!r}")
    if width < 1:
        raise ValueError(f"width (the beam width) must be >= 1; got {width}")
    scores = np.asarray(scores, dtype=np.float64)
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if scores.ndim != 1 or log_probs.ndim != 2 or log_probs.shape[0] != scores.shape[0]:
        raise ValueError(
            f"scores must be (b,) and log_probs (b, V) with the same b; got {scores.shape} "
            f"and {log_probs.shape}"
        )
    if np.any(np.isnan(scores)) or np.any(np.isnan(log_probs)):
        raise ValueError("scores and log_probs must not hold NaN")
    V = log_probs.shape[1]
    if width > log_probs.size:
        raise ValueError(f"beam width {width} exceeds the b·V = {log_probs.size} extensions")
    total = (scores[:, None] + log_probs).ravel()
    best = np.argsort(-total, kind="stable")[:width]
    return total[best], best // V, best % V


def beam_search(
    weights: Seq2SeqWeights, source: Any, mask: Any, width: int = 3, length: int = TARGET_LENGTH
) -> np.ndarray:
    """The most likely ``length``-character output found keeping ``width`` prefixes per
    source (:func:`beam_step`); ``width=1`` is :func:`greedy_decode`. Ids ``(n, length)``."""
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width (the beam width) must be an integer >= 1; got {width!r}")
    length = check_positive_int("length", length)
    outputs, state, keep = _encode(weights, source, mask)
    n, V = len(state), TARGET_VOCAB.size
    b = int(width)
    # every sample carries b beams; at the start only beam 0 exists
    states = np.repeat(state, b, axis=0)
    outputs, keep = np.repeat(outputs, b, axis=0), np.repeat(keep, b, axis=0)
    scores = np.full((n, b), -np.inf)
    scores[:, 0] = 0.0
    previous = np.zeros(n * b, dtype=np.int64)
    history = np.zeros((n, b, 0), dtype=np.int64)
    for _ in range(length):
        x = one_hot(previous, V, weights.dtype)
        logits, states = _step_logits(weights, x, states, outputs, keep)
        log_p = log_softmax(logits.astype(np.float64)).reshape(n, b, V)
        new_scores = np.empty((n, b))
        parents = np.empty((n, b), dtype=np.int64)
        chars = np.empty((n, b), dtype=np.int64)
        for i in range(n):
            kept = min(b, int(np.isfinite(scores[i]).sum()) * V)
            s, p, c = beam_step(scores[i], log_p[i], kept)
            new_scores[i], parents[i], chars[i] = -np.inf, 0, 0
            new_scores[i, :kept], parents[i, :kept], chars[i, :kept] = s, p, c
        rows = (np.arange(n)[:, None] * b + parents).ravel()
        states = states[rows]
        history = np.concatenate([history[np.arange(n)[:, None], parents], chars[..., None]], -1)
        scores, previous = new_scores, chars.ravel()
    return history[:, 0]


def sequence_log_probability(
    weights: Seq2SeqWeights, source: Any, mask: Any, written: Any
) -> np.ndarray:
    """``log P(written | source) = Σ_t log p_t[written_t]`` with the decoder reading the
    start symbol and ``written[:, :-1]``: the score beam search ranks by, ``(n,)``."""
    written = check_ids(written, TARGET_VOCAB.size, "written")
    if written.ndim != 2:
        raise ValueError(f"written must be ids of shape (n, T_y); got {written.shape}")
    read = np.concatenate([np.zeros((len(written), 1), np.int64), written[:, :-1]], axis=1)
    log_p = log_softmax(forward(weights, source, mask, read).logits.astype(np.float64))
    return np.take_along_axis(log_p, written[..., None], axis=-1)[..., 0].sum(axis=1)


def accuracy(predicted: Any, write: Any) -> tuple[float, float]:
    """``(exact match, per character)``: the fraction of outputs entirely right, and of
    characters right in their place."""
    predicted, write = np.asarray(predicted), np.asarray(write)
    if predicted.shape != write.shape:
        raise ValueError(f"predicted {predicted.shape} and write {write.shape} must match")
    right = predicted == write
    return float(np.mean(np.all(right, axis=1))), float(np.mean(right))


@dataclass(frozen=True, eq=False)
class TrainingRun:
    """The trained weights and the loss of every update."""

    weights: Seq2SeqWeights
    losses: np.ndarray


def train(
    weights: Seq2SeqWeights,
    batches: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    optimizer: Adam | None = None,
    state: ArrayAdamState | None = None,
) -> TrainingRun:
    """One Adam update per batch ``(source, mask, read, write)``, in order (Keras's Adam,
    :func:`rnn_lab.training.optimizers.adam_update`), by the one hand-written loop,
    :func:`rnn_lab.training.loop.run_updates`."""
    optimizer = Adam() if optimizer is None else optimizer
    arrays = weights.as_list()
    state = adam_init(arrays) if state is None else state

    def gradients(arrays: list[np.ndarray], batch: tuple) -> tuple[float, list[np.ndarray]]:
        return loss_and_gradients(weights.with_arrays(arrays), *batch)

    def update(arrays: list[np.ndarray], grads: list[np.ndarray], state: ArrayAdamState):
        return adam_update(optimizer, arrays, grads, state)

    with one_blas_thread():  # small products: threads cost more than they save
        arrays, _, losses = run_updates(arrays, batches, gradients, update, state)
    return TrainingRun(weights.with_arrays(arrays), np.asarray(losses))


def random_batches(
    dataset: DateSet, steps: int, batch_size: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """``steps`` batches ``(source, mask, read, write)`` of ``batch_size`` examples drawn
    without replacement within a batch, each source padded to its batch's longest."""
    steps = check_positive_int("steps", steps)
    batch_size = check_positive_int("batch_size", batch_size)
    if batch_size > len(dataset):
        raise ValueError(f"batch_size {batch_size} exceeds the {len(dataset)} examples")
    source, mask = encode_sources(dataset.sources)
    read, write = encode_targets(dataset.targets)
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(steps):
        rows = rng.choice(len(source), batch_size, replace=False)
        T = int(mask[rows].sum(axis=1).max())
        batches.append((source[rows, :T], mask[rows, :T], read[rows], write[rows]))
    return batches


def evaluate(weights: Seq2SeqWeights, dataset: DateSet, width: int = 1) -> tuple[float, float]:
    """``(exact match, per character)`` of greedy decoding (``width=1``) or beam search."""
    source, mask = encode_sources(dataset.sources)
    _, write = encode_targets(dataset.targets)
    with one_blas_thread():
        if width == 1:
            written = greedy_decode(weights, source, mask)
        else:
            written = beam_search(weights, source, mask, width=width)
    return accuracy(written, write)


@dataclass(frozen=True, eq=False)
class PayoffRun:
    """One trained model and its accuracies: ``scores[(set, decoder)] = (exact, per char)``
    for ``set`` in ``"held_out", "longer"`` and ``decoder`` in ``"greedy", "beam"``."""

    run: TrainingRun
    scores: dict[tuple[str, str], tuple[float, float]]


def train_and_score(
    task: Any,
    *,
    attention: bool,
    seed: int,
    hidden_units: int = 32,
    steps: int = 300,
    batch_size: int = 64,
    learning_rate: float = 0.01,
    beam_width: int = 3,
) -> PayoffRun:
    """Train a fresh model on ``task.train`` (same batches for a given seed with or without
    attention: the same budget), then score it on ``task.held_out`` and ``task.longer``."""
    weights = init_seq2seq(hidden_units, attention=attention, seed=seed)
    batches = random_batches(task.train, steps, batch_size, seed)
    run = train(weights, batches, Adam(learning_rate=learning_rate))
    scores = {}
    for name in ("held_out", "longer"):
        dataset = getattr(task, name)
        scores[(name, "greedy")] = evaluate(run.weights, dataset)
        scores[(name, "beam")] = evaluate(run.weights, dataset, width=beam_width)
    return PayoffRun(run, scores)
