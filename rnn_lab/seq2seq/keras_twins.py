"""Keras's side of chapter 15: the attention layers run on given arrays, and their gradients
from ``tf.GradientTape``. The only module of :mod:`rnn_lab.seq2seq` that imports TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..keras_side.models import import_keras
from ..language.text import one_hot
from .attention import HeadWeights
from .dates import (
    SOURCE_VOCAB,
    TARGET_LENGTH,
    TARGET_VOCAB,
    encode_sources,
    encode_targets,
)
from .model import Seq2SeqWeights, accuracy, init_seq2seq, random_batches


def keras_attention(
    query: np.ndarray,
    value: np.ndarray,
    key: np.ndarray | None = None,
    *,
    mask: np.ndarray | None = None,
    query_mask: np.ndarray | None = None,
    score: str = "dot",
    scale: Any = None,
    concat_score_weight: Any = None,
    gradient_of: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Run ``keras.layers.Attention`` (``score="dot"``, or ``"concat"`` for
    ``score_mode="concat"``) or ``AdditiveAttention`` on the arrays in their dtype; ``scale``
    sets ``use_scale=True`` and the layer's scale weight, ``concat_score_weight`` the concat
    layer's weight (left at Keras's 1 when ``None``).

    Returns ``{"context", "weights"}``, and with ``gradient_of = G`` (same shape as the
    context) also the ``tf.GradientTape`` gradients of ``L = Σ G ⊙ ctx`` with respect to
    ``query``, ``key``, ``value`` (``key`` only when given), ``scale`` and (concat)
    ``concat_score_weight``.
    """
    keras = import_keras()
    import tensorflow as tf

    dtype = np.asarray(query).dtype.name
    use_scale = scale is not None
    if score in ("dot", "concat"):
        layer = keras.layers.Attention(use_scale=use_scale, score_mode=score, dtype=dtype)
    elif score == "additive":
        layer = keras.layers.AdditiveAttention(use_scale=use_scale, dtype=dtype)
    else:
        raise ValueError(f"score must be 'dot', 'additive' or 'concat'; got {score!r}")
    tensors = {"query": tf.constant(query), "value": tf.constant(value)}
    if key is not None:
        tensors["key"] = tf.constant(key)
    inputs = [tensors["query"], tensors["value"]] + ([tensors["key"]] if key is not None else [])
    masks = None
    if mask is not None or query_mask is not None:
        n, T_q, T_x = query.shape[0], query.shape[1], value.shape[1]
        masks = [
            tf.constant(np.ones((n, T_q), bool) if query_mask is None else query_mask),
            tf.constant(np.ones((n, T_x), bool) if mask is None else mask),
        ]
    layer.build([tuple(t.shape) for t in inputs])
    if use_scale:
        layer.scale.assign(np.asarray(scale, dtype=dtype).reshape(layer.scale.shape))
    weights_of_layer = {"scale": layer.scale} if use_scale else {}
    if score == "concat":
        if concat_score_weight is not None:
            layer.concat_score_weight.assign(np.asarray(concat_score_weight, dtype=dtype))
        weights_of_layer["concat_score_weight"] = layer.concat_score_weight
    variables = list(tensors.values()) + list(weights_of_layer.values())
    with tf.GradientTape() as tape:
        tape.watch(list(tensors.values()))
        context, weights = layer(inputs, mask=masks, return_attention_scores=True)
        loss = tf.reduce_sum(context * gradient_of) if gradient_of is not None else None
    out = {"context": context.numpy(), "weights": weights.numpy()}
    if gradient_of is not None:
        grads = tape.gradient(loss, variables, unconnected_gradients="zero")
        names = list(tensors) + list(weights_of_layer)
        out.update({name: np.asarray(g) for name, g in zip(names, grads, strict=True)})
    return out


def keras_one_head(
    query: np.ndarray,
    value: np.ndarray,
    weights: HeadWeights,
    key: np.ndarray | None = None,
    *,
    mask: np.ndarray | None = None,
    gradient_of: np.ndarray | None = None,
):
    """``MultiHeadAttention(num_heads=1)`` with ``weights``: ``(output, α)``, α (n, T_q, T_x).

    With ``gradient_of = G`` (the output's shape), also the ``tf.GradientTape`` gradients of
    ``L = Σ G ⊙ out``: ``(output, α, {"query", "value", ("key",) "weights": HeadWeights})``.
    """
    import tensorflow as tf

    keras = import_keras()
    dtype = np.asarray(query).dtype.name
    layer = keras.layers.MultiHeadAttention(
        num_heads=1,
        key_dim=weights.Wq.shape[1],
        value_dim=weights.Wv.shape[1],
        dtype=dtype,
    )
    attention_mask = None
    if mask is not None:
        attention_mask = np.broadcast_to(
            np.asarray(mask, bool)[:, None, :], (query.shape[0], query.shape[1], value.shape[1])
        )
    tensors = {"query": tf.constant(query), "value": tf.constant(value)}
    if key is not None:
        tensors["key"] = tf.constant(key)
    key_tensor = tensors.get("key", tensors["value"])
    layer(tensors["query"], tensors["value"], key_tensor)  # builds the layer
    layer.set_weights([w.astype(dtype) for w in weights.to_keras()])
    with tf.GradientTape() as tape:
        tape.watch(list(tensors.values()))
        out, alpha = layer(
            tensors["query"],
            tensors["value"],
            key_tensor,
            attention_mask=attention_mask,
            return_attention_scores=True,
        )
        loss = tf.reduce_sum(out * gradient_of) if gradient_of is not None else None
    if gradient_of is None:
        return np.asarray(out), np.asarray(alpha)[:, 0]
    variables = list(tensors.values()) + list(layer.trainable_weights)
    grads = tape.gradient(loss, variables, unconnected_gradients="zero")
    found = {name: np.asarray(g) for name, g in zip(tensors, grads, strict=False)}
    found["weights"] = HeadWeights.from_keras([np.asarray(g) for g in grads[len(tensors) :]])
    return np.asarray(out), np.asarray(alpha)[:, 0], found


def build_keras_seq2seq(
    weights: Seq2SeqWeights, source_length: int | None = None, target_length: int = TARGET_LENGTH
):
    """The encoder–decoder of :mod:`rnn_lab.seq2seq.model` in Keras, holding ``weights``.

    Inputs ``[source one-hot (n, T_x, V_s), mask (n, T_x) bool, read one-hot (n, T_y, V_t)]``;
    output the logits ``(n, T_y, V_t)``; ``source_length=None`` takes any ``T_x``. Layers
    ``encoder`` (``Bidirectional`` of a GRU,
    returning its sequence and both final states), ``decoder`` (a GRU of ``2H`` units started
    from the concatenated states), ``attention`` (``Attention()``, when the weights use it)
    and ``output`` (``Dense``).
    """
    keras = import_keras()
    dtype = weights.dtype.name
    H = weights.hidden_units
    source = keras.Input((source_length, SOURCE_VOCAB.size), dtype=dtype, name="source")
    mask = keras.Input((source_length,), dtype="bool", name="mask")
    read = keras.Input((target_length, TARGET_VOCAB.size), dtype=dtype, name="read")
    encoder = keras.layers.Bidirectional(
        keras.layers.GRU(H, return_sequences=True, return_state=True, dtype=dtype),
        dtype=dtype,
        name="encoder",
    )
    outputs, forward_h, backward_h = encoder(source, mask=mask)
    final = keras.layers.Concatenate(dtype=dtype, name="final_states")([forward_h, backward_h])
    states = keras.layers.GRU(2 * H, return_sequences=True, dtype=dtype, name="decoder")(
        read, initial_state=final
    )
    features = states
    if weights.uses_attention:
        query_mask = keras.ops.ones_like(states[..., 0], dtype="bool")
        context = keras.layers.Attention(dtype=dtype, name="attention")(
            [states, outputs], mask=[query_mask, mask]
        )
        features = keras.layers.Concatenate(dtype=dtype)([states, context])
    logits = keras.layers.Dense(TARGET_VOCAB.size, dtype=dtype, name="output")(features)
    model = keras.Model([source, mask, read], logits)
    set_keras_seq2seq_weights(model, weights)
    return model


def _layer_arrays(model) -> list:
    encoder = model.get_layer("encoder")
    return [
        *encoder.forward_layer.weights,
        *encoder.backward_layer.weights,
        *model.get_layer("decoder").weights,
        *model.get_layer("output").weights,
    ]


def set_keras_seq2seq_weights(model, weights: Seq2SeqWeights) -> None:
    """Load the eleven arrays (order :data:`~rnn_lab.seq2seq.model.ARRAY_NAMES`)."""
    for variable, array in zip(_layer_arrays(model), weights.as_list(), strict=True):
        variable.assign(array)


def keras_seq2seq_arrays(model) -> list[np.ndarray]:
    """The model's eleven arrays in the order of ``Seq2SeqWeights.as_list()``."""
    return [np.asarray(v) for v in _layer_arrays(model)]


def keras_inputs(weights: Seq2SeqWeights, source, mask, read) -> list[np.ndarray]:
    """One-hot the ids as the Keras model reads them."""
    dtype = weights.dtype
    return [
        one_hot(source, SOURCE_VOCAB.size, dtype),
        np.asarray(mask, bool),
        one_hot(read, TARGET_VOCAB.size, dtype),
    ]


def keras_train(
    model,
    weights: Seq2SeqWeights,
    batches: list,
    *,
    learning_rate: float = 0.001,
    graph: bool = False,
) -> tuple[list[np.ndarray], list[float]]:
    """One Keras ``Adam`` update per batch ``(source, mask, read, write)`` with
    ``SparseCategoricalCrossentropy(from_logits=True)``, by the one Keras-side loop
    (:func:`rnn_lab.training.keras_loops.run_keras_updates`); returns the arrays and losses.

    The batches must share their size and source length (pad the sources: the mask makes
    the padding no difference). ``graph=False`` runs each update eagerly, op by op;
    ``graph=True`` traces it once into a ``tf.function`` (no XLA), worth it for a whole
    training run."""
    from ..training.keras_loops import run_keras_updates
    from ..training.optimizers import Adam

    keras = import_keras()
    inputs = [keras_inputs(weights, source, mask, read) for source, mask, read, _ in batches]
    x = [np.concatenate(parts) for parts in zip(*inputs, strict=True)]
    y = np.concatenate([write for *_, write in batches])
    losses = run_keras_updates(
        model,
        Adam(learning_rate=learning_rate),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        x,
        y,
        batch_size=len(batches[0][3]),
        steps=len(batches),
        run_eagerly=not graph,
    )
    return keras_seq2seq_arrays(model), [float(loss) for loss in losses]


def keras_greedy_decode(
    model, weights: Seq2SeqWeights, source, mask, length: int = TARGET_LENGTH, *, predict=None
) -> np.ndarray:
    """Greedy decoding with the Keras model alone: call it ``length`` times, each time
    reading back its own choices so far (the decoder is causal: step ``t``'s logits depend
    on the characters read up to ``t`` only). Ids ``(n, length)``. ``predict``, a traced
    ``model(inputs)`` to reuse, saves tracing again."""
    if predict is None:
        import tensorflow as tf

        predict = tf.function(lambda inputs: model(inputs, training=False), jit_compile=False)
    n = len(source)
    read = np.zeros((n, length), dtype=np.int64)  # the start symbol, then the choices
    written = np.zeros((n, length), dtype=np.int64)
    for t in range(length):
        logits = predict(keras_inputs(weights, source, mask, read))
        written[:, t] = np.argmax(np.asarray(logits[:, t]), axis=-1)
        if t + 1 < length:
            read[:, t + 1] = written[:, t]
    return written


@dataclass(frozen=True, eq=False)
class KerasRun:
    """One model trained in Keras: the loss of every update, ``scores[set] = (exact match,
    per character)`` of Keras's greedy decoding on ``"held_out"`` and ``"longer"``, and the
    trained arrays (order of ``Seq2SeqWeights.as_list()``)."""

    losses: np.ndarray
    scores: dict[str, tuple[float, float]]
    arrays: list[np.ndarray]


def keras_train_and_score(
    task: Any,
    *,
    attention: bool,
    seeds: Sequence[int],
    hidden_units: int = 32,
    steps: int = 300,
    batch_size: int = 64,
    learning_rate: float = 0.01,
    **_ignored: Any,
) -> dict[int, KerasRun]:
    """:func:`rnn_lab.seq2seq.model.train_and_score` done in Keras, for each seed: the same
    initial weights, the same batches (padded to the longest training source, which the mask
    makes no difference to), Keras's Adam from a fresh state; then greedy decoding in Keras
    (:func:`keras_greedy_decode`) on ``task.held_out`` and ``task.longer``.

    One model serves every seed: each seed loads its initial weights and
    :func:`keras_train` compiles it afresh (a new ``Adam``, its state zero).
    """
    import tensorflow as tf

    T = task.max_length

    def pad(a: np.ndarray) -> np.ndarray:  # to the longest training source
        return np.pad(a, ((0, 0), (0, T - a.shape[1])))

    model = build_keras_seq2seq(init_seq2seq(hidden_units, attention=attention, seed=seeds[0]))
    predict = tf.function(lambda inputs: model(inputs, training=False), jit_compile=False)
    # both sets in one batch, padded to one length, so the decoder is traced once
    sets = [getattr(task, name) for name in ("held_out", "longer")]
    source, mask = encode_sources([s for dataset in sets for s in dataset.sources])
    _, write = encode_targets([t for dataset in sets for t in dataset.targets])
    first = len(sets[0])
    runs = {}
    for seed in seeds:
        weights = init_seq2seq(hidden_units, attention=attention, seed=seed)
        set_keras_seq2seq_weights(model, weights)
        batches = [
            (pad(s), pad(k), r, y)
            for s, k, r, y in random_batches(task.train, steps, batch_size, seed)
        ]
        _, losses = keras_train(model, weights, batches, learning_rate=learning_rate, graph=True)
        written = keras_greedy_decode(model, weights, source, mask, predict=predict)
        scores = {
            "held_out": accuracy(written[:first], write[:first]),
            "longer": accuracy(written[first:], write[first:]),
        }
        runs[seed] = KerasRun(np.array(losses), scores, keras_seq2seq_arrays(model))
    return runs


def keras_seq2seq_gradients(
    model, weights: Seq2SeqWeights, source, mask, read, write
) -> tuple[float, list[np.ndarray]]:
    """Keras's mean cross-entropy and its ``tf.GradientTape`` gradients (order of
    ``Seq2SeqWeights.as_list()``)."""
    import tensorflow as tf

    keras = import_keras()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=weights.dtype.name)
    variables = _layer_arrays(model)
    with tf.GradientTape() as tape:
        loss = loss_fn(write, model(keras_inputs(weights, source, mask, read)))
    return float(loss), [np.asarray(g) for g in tape.gradient(loss, variables)]
