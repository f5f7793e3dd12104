"""The same language model in Keras: ``Input -> Embedding -> SimpleRNN/LSTM -> Dense``, its
weights, its GradientTape gradients, stateful training (the one Keras-side loop), a stepper
for sampling and Keras's own initial weights. TensorFlow is imported when first used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validate import (
    check_dtype_name,
    check_positive_int,
)
from ..keras_side.models import keras_floatx
from ..training.optimizers import SGD, Adam
from .model import (
    KINDS,
    LAYOUTS,
    LanguageModelWeights,
    LMGradients,
    check_chunk,
    check_lm_weights,
    check_state,
)
from .training import LMRun, check_chunks

# --- the Keras side -----------------------------------------------------------------------


def build_keras_lm(
    vocab_size: int,
    embed_dim: int,
    hidden_units: int,
    *,
    kind: str = "SimpleRNN",
    batch_size: int | None = None,
    seq_len: int | None = None,
    stateful: bool = False,
    dtype: Any = "float32",
    seed: int = 0,
):
    """``Input -> Embedding(V, D) -> SimpleRNN/LSTM(H, return_sequences=True) -> Dense(V)``.

    The Dense layer outputs logits (no softmax: the loss applies it). ``stateful=True``
    needs a fixed ``batch_size``: the layer keeps each row's final state as the next
    batch's initial state.
    """
    from ..keras_side.models import import_keras

    keras = import_keras()
    V = check_positive_int("vocab_size", vocab_size)
    D = check_positive_int("embed_dim", embed_dim)
    H = check_positive_int("hidden_units", hidden_units)
    if kind not in KINDS.values():
        raise ValueError(f"kind must be one of {tuple(KINDS.values())}; got {kind!r}")
    dtype = check_dtype_name(dtype).name
    if stateful and batch_size is None:
        raise ValueError("stateful=True needs a fixed batch_size")
    keras.utils.set_random_seed(seed)
    layer = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM}[kind]
    inputs = keras.Input(batch_shape=(batch_size, seq_len), dtype="int32")
    x = keras.layers.Embedding(V, D, dtype=dtype, name="embedding")(inputs)
    x = layer(H, return_sequences=True, stateful=stateful, dtype=dtype, name="recurrent")(x)
    outputs = keras.layers.Dense(V, dtype=dtype, name="logits")(x)
    return keras.Model(inputs, outputs)


def keras_lm_holding(weights: LanguageModelWeights, **options: Any):
    """A :func:`build_keras_lm` model of ``weights``' sizes, kind and dtype, holding
    ``weights``; ``options`` (``batch_size``, ``seq_len``, ``stateful``) go to the builder."""
    model = build_keras_lm(
        weights.vocab_size,
        weights.embed_dim,
        weights.hidden_units,
        kind=weights.kind,
        dtype=weights.dtype.name,
        **options,
    )
    set_keras_lm_weights(model, weights)
    return model


def weights_from_keras_lm(model) -> LanguageModelWeights:
    """The six arrays of a :func:`build_keras_lm` model."""
    return LanguageModelWeights(*model.get_weights())


def set_keras_lm_weights(model, weights: LanguageModelWeights) -> None:
    """Load ``weights`` into a :func:`build_keras_lm` model of the same shapes."""
    weights = check_lm_weights(weights)
    current = model.get_weights()
    for name, old, new in zip(LAYOUTS, current, weights.as_list(), strict=True):
        if old.shape != new.shape:
            raise ValueError(f"{name}: the model has shape {old.shape}; weights give {new.shape}")
    model.set_weights(
        [a.astype(old.dtype) for a, old in zip(weights.as_list(), current, strict=True)]
    )


def keras_lm_gradients(
    ids: Any, targets: Any, weights: LanguageModelWeights, state: Any = None
) -> LMGradients:
    """The same loss and gradients from Keras's layers with ``tf.GradientTape``."""
    import tensorflow as tf

    weights = check_lm_weights(weights)
    ids = check_chunk(ids, weights)
    targets = check_chunk(targets, weights, "targets")
    initial = check_state(state, weights, ids.shape[0])
    dtype = weights.dtype.name
    with keras_floatx(dtype):
        from ..keras_side.models import import_keras

        keras = import_keras()
        model = keras_lm_holding(weights)
        embedding, recurrent, dense = (
            model.get_layer(k) for k in ("embedding", "recurrent", "logits")
        )
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        with tf.GradientTape() as tape:
            h = recurrent(embedding(ids), initial_state=[tf.constant(s) for s in initial])
            loss = loss_fn(targets, dense(h))
        variables = [embedding.embeddings, *recurrent.trainable_weights, *dense.trainable_weights]
        grads = tape.gradient(loss, variables)
    # The embedding's gradient comes back as IndexedSlices (only the rows read): densify.
    dense_grads = [tf.convert_to_tensor(g).numpy() for g in grads]
    return LMGradients(float(loss), LanguageModelWeights(*dense_grads), ())


def _reset_keras_states(model) -> None:
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


def train_keras(
    x: Any,
    y: Any,
    weights: LanguageModelWeights,
    optimizer: SGD | Adam,
    steps: int,
) -> LMRun:
    """The same training in Keras: a ``stateful=True`` model trained on chunk after chunk
    by the one Keras-side loop, :func:`rnn_lab.training.keras_loops.run_keras_updates`,
    with ``reset_states()`` when the chunks wrap around.

    Each step's loss is that of the forward pass it differentiates (before the update),
    the number :func:`train_manual` records.
    """
    from ..keras_side.models import import_keras
    from ..training.keras_loops import run_keras_updates

    keras = import_keras()
    weights = check_lm_weights(weights)
    x, y = check_chunks(x, y, weights)
    steps = check_positive_int("steps", steps)
    K, n, T = x.shape
    with keras_floatx(weights.dtype.name):
        model = keras_lm_holding(weights, batch_size=n, seq_len=T, stateful=True)
        losses = run_keras_updates(
            model,
            optimizer,
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            x.reshape(K * n, T),  # chunk k is rows k·n .. (k+1)·n: batch k
            y.reshape(K * n, T),
            batch_size=n,
            steps=steps,
            reset_states=True,
        )
        final = weights_from_keras_lm(model)
    next_chunk = (steps - 1) % K + 1  # as a loop counting k = 1 .. K, wrapping, leaves it
    return LMRun(losses, np.full(len(losses), np.nan), final, None, (), next_chunk)


def keras_stepper(weights: LanguageModelWeights) -> Callable[[int], np.ndarray]:
    """``next_logits`` for :func:`generate`, from a stateful Keras model reading one
    character per call (its layer carries the state)."""
    weights = check_lm_weights(weights)
    with keras_floatx(weights.dtype.name):
        model = keras_lm_holding(weights, batch_size=1, seq_len=1, stateful=True)
    _reset_keras_states(model)

    def next_logits(c: int) -> np.ndarray:
        return np.asarray(model(np.array([[c]], dtype=np.int32), training=False))[0, 0]

    return next_logits


def glorot_weights(
    vocab_size: int,
    embed_dim: int,
    hidden_units: int,
    *,
    kind: str = "SimpleRNN",
    seed: int = 0,
    dtype: Any = "float32",
) -> LanguageModelWeights:
    """The initial weights of a fresh Keras model (:func:`build_keras_lm` with ``seed``):
    uniform embedding in ``[-0.05, 0.05]``, Glorot-uniform ``Wx``, ``Wo``, orthogonal ``Wh``,
    zero biases (the LSTM's forget-gate bias 1)."""
    with keras_floatx(dtype):
        model = build_keras_lm(
            vocab_size, embed_dim, hidden_units, kind=kind, dtype=dtype, seed=seed
        )
    return weights_from_keras_lm(model)
