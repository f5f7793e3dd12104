"""The Keras side: build ``Input -> SimpleRNN -> Dense``, read and write its weights,
and run Keras on given weights as the reference the manual loop is checked against.

This is the only module (with ``compare``) that imports TensorFlow, and it does so
lazily through :func:`import_keras`, so ``import rnn_lab`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._validate import (
    as_float_array,
    check_dtype_name,
    check_features,
    check_positive_int,
    check_record,
    check_shape,
)
from ..weights import FIELD_LAYOUTS, SimpleRNNWeights, weights_from_list


@contextlib.contextmanager
def _stderr_fd_silenced():
    # TensorFlow 2.21 prints its oneDNN notice through C++ logging at import time,
    # ignoring TF_CPP_MIN_LOG_LEVEL; only the file descriptor itself can be muted.
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded consoles)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    """Import TensorFlow and Keras without start-up log lines, and return ``keras``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" not in sys.modules:
        with _stderr_fd_silenced():
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")
    import keras

    return keras


@contextlib.contextmanager
def keras_floatx(dtype: Any) -> Iterator[None]:
    """Switch ``keras.config.floatx()`` to ``dtype`` inside the block."""
    # Keras keeps the learning rate, the loss and the loss tracker in floatx (float32 by
    # default) whatever the layers' dtype: a float64 run must switch floatx too, or its
    # learning rate is rounded to float32 and its loss computed in float32.
    keras = import_keras()
    previous = keras.config.floatx()
    keras.config.set_floatx(check_dtype_name(dtype).name)
    try:
        yield
    finally:
        keras.config.set_floatx(previous)


def build_keras_model(
    seq_len: int,
    dims: int,
    hidden_units: int,
    outputs: int,
    *,
    return_sequences: bool = False,
    seed: int = 0,
    dtype: Any = "float32",
):
    """``Input(T, D) -> SimpleRNN(H) -> Dense(O)`` as a ``keras.Model``.

    With ``return_sequences=True`` the SimpleRNN returns every ``h_t`` and the Dense
    layer is applied at every timestep, giving ``(n, T, O)``; otherwise ``(n, O)``.
    Keras's default initialisers are used, seeded, so the same ``seed`` gives the
    same weights: ``Wx`` Glorot-uniform, ``Wh`` orthogonal, ``Bh`` zeros,
    ``Wo`` Glorot-uniform, ``Bo`` zeros.
    """
    T = check_positive_int("seq_len", seq_len)
    D = check_positive_int("dims", dims)
    H = check_positive_int("hidden_units", hidden_units)
    O = check_positive_int("outputs", outputs)
    dtype = check_dtype_name(dtype).name
    keras = import_keras()
    init = keras.initializers
    inputs = keras.Input(shape=(T, D), dtype=dtype, name="x")
    hidden = keras.layers.SimpleRNN(
        H,
        return_sequences=bool(return_sequences),
        kernel_initializer=init.GlorotUniform(seed=seed),
        recurrent_initializer=init.Orthogonal(seed=seed + 1),
        dtype=dtype,
        name="simple_rnn",
    )(inputs)
    y = keras.layers.Dense(
        O, kernel_initializer=init.GlorotUniform(seed=seed + 2), dtype=dtype, name="dense"
    )(hidden)
    return keras.Model(inputs, y, name="rnn_lab")


def _rnn_and_dense(model) -> tuple[Any, Any]:
    keras = import_keras()
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}")
    rnns = [layer for layer in model.layers if isinstance(layer, keras.layers.SimpleRNN)]
    denses = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if len(rnns) != 1 or len(denses) != 1:
        raise ValueError(
            "model must have exactly one SimpleRNN and one Dense layer; "
            f"got {len(rnns)} SimpleRNN and {len(denses)} Dense"
        )
    rnn, dense = rnns[0], denses[0]
    if not (rnn.use_bias and dense.use_bias):
        raise ValueError("both layers must use a bias (use_bias=True)")
    if rnn.activation is not keras.activations.tanh:
        raise ValueError(f"the SimpleRNN must use tanh; got {rnn.activation.__name__}")
    return rnn, dense


def weights_from_keras(model) -> SimpleRNNWeights:
    """``Wx, Wh, Bh, Wo, Bo`` of a model built like :func:`build_keras_model`.

    Keras names them ``simple_rnn/kernel``, ``recurrent_kernel``, ``bias`` and
    ``dense/kernel``, ``bias``; ``model.get_weights()`` lists them in that order.
    """
    rnn, dense = _rnn_and_dense(model)
    return weights_from_list(rnn.get_weights() + dense.get_weights())


def set_keras_weights(model, weights: SimpleRNNWeights) -> None:
    """Load ``weights`` into ``model`` (shapes must match), in the model's dtype."""
    check_record("weights", weights, SimpleRNNWeights)
    rnn, dense = _rnn_and_dense(model)
    current = weights_from_list(rnn.get_weights() + dense.get_weights())
    for name, old, new in zip(FIELD_LAYOUTS, current.as_list(), weights.as_list(), strict=True):
        check_shape(name, new, old.shape, f"the model's {name} shape")
    rnn.set_weights([a.astype(current.dtype) for a in weights.as_list()[:3]])
    dense.set_weights([a.astype(current.dtype) for a in weights.as_list()[3:]])


def keras_reference(
    weights: SimpleRNNWeights,
    x: object,
    *,
    return_sequences: bool = False,
    h0: object | None = None,
) -> np.ndarray:
    """What Keras's ``SimpleRNN -> Dense`` computes with ``weights`` on ``x``.

    Fresh layers in ``weights.dtype`` are given the weights and called directly
    (``layer(x, initial_state=h0)``), so any sequence length, ``h0`` and either
    ``return_sequences`` can be checked without building a model per case.
    """
    check_record("weights", weights, SimpleRNNWeights)
    dtype = weights.dtype
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=dtype)
    check_features("x", x, weights.dims, "Wx")
    keras = import_keras()
    rnn = keras.layers.SimpleRNN(
        weights.hidden_units, return_sequences=bool(return_sequences), dtype=dtype.name
    )
    dense = keras.layers.Dense(weights.outputs, dtype=dtype.name)
    rnn.build((None, None, weights.dims))
    dense.build((None, weights.hidden_units))
    rnn.set_weights(weights.as_list()[:3])
    dense.set_weights(weights.as_list()[3:])
    if h0 is None:
        hidden = rnn(x)
    else:
        h0 = as_float_array("h0", h0, ndim=2, layout="(n, H)", dtype=dtype)
        check_shape("h0", h0, (x.shape[0], weights.hidden_units), "(n, H)")
        hidden = rnn(x, initial_state=[h0])
    return np.asarray(dense(hidden))
