"""Keras's side of chapter 15: the attention layers run on given arrays, and their gradients
from ``tf.GradientTape``. The only module of :mod:`rnn_lab.seq2seq` that imports TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..keras_side.models import import_keras
from ..language.text import one_hot
from .attention import HeadWeights
from .dates import SOURCE_VOCAB, TARGET_VOCAB
from .model import Seq2SeqWeights


def keras_attention(
    query: np.ndarray,
    value: np.ndarray,
    key: np.ndarray | None = None,
    *,
    mask: np.ndarray | None = None,
    query_mask: np.ndarray | None = None,
    score: str = "dot",
    scale: Any = None,
    gradient_of: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Run ``keras.layers.Attention`` (``score="dot"``) or ``AdditiveAttention`` on the arrays
    in their dtype; ``scale`` sets ``use_scale=True`` and the layer's scale weight.

    Returns ``{"context", "weights"}``, and with ``gradient_of = G`` (same shape as the
    context) also the ``tf.GradientTape`` gradients of ``L = Σ G ⊙ ctx`` with respect to
    ``query``, ``key``, ``value`` (``key`` only when given) and ``scale``.
    """
    keras = import_keras()
    import tensorflow as tf

    dtype = np.asarray(query).dtype.name
    use_scale = scale is not None
    if score == "dot":
        layer = keras.layers.Attention(use_scale=use_scale, dtype=dtype)
    elif score == "additive":
        layer = keras.layers.AdditiveAttention(use_scale=use_scale, dtype=dtype)
    else:
        raise ValueError(f"score must be 'dot' or 'additive'; got {score!r}")
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
    variables = list(tensors.values()) + ([layer.scale] if use_scale else [])
    with tf.GradientTape() as tape:
        tape.watch(list(tensors.values()))
        context, weights = layer(inputs, mask=masks, return_attention_scores=True)
        loss = tf.reduce_sum(context * gradient_of) if gradient_of is not None else None
    out = {"context": context.numpy(), "weights": weights.numpy()}
    if gradient_of is not None:
        grads = tape.gradient(loss, variables, unconnected_gradients="zero")
        names = list(tensors) + (["scale"] if use_scale else [])
        out.update({name: np.asarray(g) for name, g in zip(names, grads, strict=True)})
    return out


def keras_one_head(
    query: np.ndarray,
    value: np.ndarray,
    weights: HeadWeights,
    key: np.ndarray | None = None,
    *,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``MultiHeadAttention(num_heads=1)`` with ``weights``: ``(output, α)``, α (n, T_q, T_x)."""
    keras = import_keras()
    dtype = np.asarray(query).dtype.name
    layer = keras.layers.MultiHeadAttention(
        num_heads=1,
        key_dim=weights.Wq.shape[1],
        value_dim=weights.Wv.shape[1],
        dtype=dtype,
    )
    key_array = value if key is None else key
    attention_mask = None
    if mask is not None:
        attention_mask = np.broadcast_to(
            np.asarray(mask, bool)[:, None, :], (query.shape[0], query.shape[1], value.shape[1])
        )
    layer(query, value, key_array)  # builds the layer
    layer.set_weights([w.astype(dtype) for w in weights.to_keras()])
    out, alpha = layer(
        query, value, key_array, attention_mask=attention_mask, return_attention_scores=True
    )
    return np.asarray(out), np.asarray(alpha)[:, 0]


def build_keras_seq2seq(weights: Seq2SeqWeights, source_length: int, target_length: int):
    """The encoder–decoder of :mod:`rnn_lab.seq2seq.model` in Keras, holding ``weights``.

    Inputs ``[source one-hot (n, T_x, V_s), mask (n, T_x) bool, read one-hot (n, T_y, V_t)]``;
    output the logits ``(n, T_y, V_t)``. Layers ``encoder``, ``decoder`` (GRUs), ``attention``
    (``Attention()``, when the weights use it) and ``output`` (``Dense``).
    """
    keras = import_keras()
    dtype = weights.dtype.name
    H = weights.hidden_units
    source = keras.Input((source_length, SOURCE_VOCAB.size), dtype=dtype, name="source")
    mask = keras.Input((source_length,), dtype="bool", name="mask")
    read = keras.Input((target_length, TARGET_VOCAB.size), dtype=dtype, name="read")
    encoder = keras.layers.GRU(
        H, return_sequences=True, return_state=True, dtype=dtype, name="encoder"
    )
    outputs, final = encoder(source, mask=mask)
    states = keras.layers.GRU(H, return_sequences=True, dtype=dtype, name="decoder")(
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
    return [
        *model.get_layer("encoder").weights,
        *model.get_layer("decoder").weights,
        *model.get_layer("output").weights,
    ]


def set_keras_seq2seq_weights(model, weights: Seq2SeqWeights) -> None:
    """Load the eight arrays (order :data:`~rnn_lab.seq2seq.model.ARRAY_NAMES`)."""
    for variable, array in zip(_layer_arrays(model), weights.as_list(), strict=True):
        variable.assign(array)


def keras_seq2seq_arrays(model) -> list[np.ndarray]:
    """The model's eight arrays in the order of ``Seq2SeqWeights.as_list()``."""
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
    model, weights: Seq2SeqWeights, batches: list, *, learning_rate: float = 0.001
) -> tuple[list[np.ndarray], list[float]]:
    """One Keras ``Adam`` update per batch ``(source, mask, read, write)`` with
    ``SparseCategoricalCrossentropy(from_logits=True)``; returns the arrays and losses."""
    import tensorflow as tf

    keras = import_keras()
    dtype = weights.dtype.name
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dtype)
    variables = _layer_arrays(model)

    def step(inputs, write):  # eagerly: tracing a graph costs more than a few updates
        with tf.GradientTape() as tape:
            loss = loss_fn(write, model(inputs, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    losses = []
    for source, mask, read, write in batches:
        losses.append(float(step(keras_inputs(weights, source, mask, read), write)))
    return keras_seq2seq_arrays(model), losses


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
