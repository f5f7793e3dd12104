"""Keras's side of chapter 15: the attention layers run on given arrays, and their gradients
from ``tf.GradientTape``. The only module of :mod:`rnn_lab.seq2seq` that imports TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..keras_models import import_keras
from .attention import HeadWeights


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
        n, T_q, T_s = query.shape[0], query.shape[1], value.shape[1]
        masks = [
            tf.constant(np.ones((n, T_q), bool) if query_mask is None else query_mask),
            tf.constant(np.ones((n, T_s), bool) if mask is None else mask),
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
    """``MultiHeadAttention(num_heads=1)`` with ``weights``: ``(output, α)``, α (n, T_q, T_s)."""
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
