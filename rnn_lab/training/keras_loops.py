"""The same training with Keras's own layers and optimisers: the side every hand-written
loop of :mod:`rnn_lab.training` is compared with, update by update.

:func:`keras_optimizer` gives the ``keras.optimizers`` twin of an :mod:`rnn_lab.training.optimizers`
record; :func:`train_keras` is ``model.fit`` for chapter 8's ``SimpleRNN -> Dense``;
:func:`train_keras_regressor` is ``tf.GradientTape`` and ``apply_gradients`` for any cell
(chapter 13). TensorFlow is imported only when one of them is called.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import (
    as_float_array,
    check_positive_int,
    check_record,
)
from ..weights import SimpleRNNWeights
from .optimizers import SGD, Adam
from .regressor import RecurrentRegressor
from .simple_rnn import TrainingHistory, batch_slices, check_training_data


def keras_optimizer(optimizer: SGD | Adam):
    """The ``keras.optimizers`` object with the same hyperparameters as ``optimizer``."""
    if not isinstance(optimizer, (SGD, Adam)):
        raise TypeError(f"optimizer must be rnn_lab's SGD or Adam; got {type(optimizer).__name__}")
    from ..keras_side.models import import_keras

    keras = import_keras()
    clipping = {"clipnorm": optimizer.clipnorm, "global_clipnorm": optimizer.global_clipnorm}
    if isinstance(optimizer, SGD):
        return keras.optimizers.SGD(
            learning_rate=float(optimizer.learning_rate),
            momentum=float(optimizer.momentum),
            nesterov=optimizer.nesterov,
            **clipping,
        )
    return keras.optimizers.Adam(
        learning_rate=float(optimizer.learning_rate),
        beta_1=float(optimizer.beta_1),
        beta_2=float(optimizer.beta_2),
        epsilon=float(optimizer.epsilon),
        **clipping,
    )


def train_keras(
    x: object,
    y: object,
    weights: SimpleRNNWeights,
    optimizer: SGD | Adam,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    return_sequences: bool = False,
) -> TrainingHistory:
    """The same training with Keras: ``model.fit(x, y, shuffle=False, ...)``.

    The model is :func:`build_keras_model` in ``weights.dtype`` loaded with ``weights``,
    compiled with ``keras.losses.MeanSquaredError()`` and :func:`keras_optimizer`. The
    ``loss`` that ``fit`` reports per batch is a running mean over the epoch so far, so a
    metric records each batch's own loss, computed by ``fit`` from the same forward pass
    (before the update) that it differentiates.
    """
    x, y = check_training_data(x, y, weights, bool(return_sequences))
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    from ..keras_side.models import (
        build_keras_model,
        import_keras,
        keras_floatx,
        set_keras_weights,
        weights_from_keras,
    )

    keras = import_keras()
    dtype = weights.dtype.name
    losses: list[float] = []

    class BatchLoss(keras.metrics.Metric):
        """The loss of the current batch alone, from the forward pass ``fit`` differentiates."""

        def __init__(self, loss_fn: Any) -> None:
            super().__init__(name="batch_loss")
            self.loss_fn = loss_fn
            self.value = self.add_variable(shape=(), initializer="zeros", name="value")

        def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
            self.value.assign(self.loss_fn(y_true, y_pred))

        def result(self) -> Any:
            # A tensor, not the variable: Keras converts logs with np.array(), which
            # warns (DeprecationWarning) on a variable, whose __array__ takes no copy.
            return keras.ops.copy(self.value)

    class RecordBatchLoss(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            losses.append(float(logs["batch_loss"]))

    with keras_floatx(dtype):
        _, T, D = x.shape
        model = build_keras_model(
            T,
            D,
            weights.hidden_units,
            weights.outputs,
            return_sequences=return_sequences,
            dtype=dtype,
        )
        set_keras_weights(model, weights)
        loss_fn = keras.losses.MeanSquaredError()
        model.compile(
            optimizer=keras_optimizer(optimizer),
            loss=loss_fn,
            metrics=[BatchLoss(loss_fn)],
            jit_compile=False,
        )
        model.fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            shuffle=False,
            verbose=0,
            callbacks=[RecordBatchLoss()],
        )
        final = weights_from_keras(model)
    return TrainingHistory(np.array(losses), final)


def train_keras_regressor(
    model: RecurrentRegressor,
    x: object,
    y: object,
    optimizer: Adam,
    *,
    steps: int,
    batch_size: int = 32,
) -> np.ndarray:
    """The first ``steps`` updates with Keras's layers, ``tf.GradientTape`` and
    ``keras.optimizers.Adam`` on the same batches in the same order; the batch losses."""
    import tensorflow as tf

    from ..keras_side.layers import keras_layer
    from ..keras_side.models import import_keras, keras_floatx
    from .keras_loops import keras_optimizer

    check_record("model", model, RecurrentRegressor)
    steps = check_positive_int("steps", steps)
    keras = import_keras()
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=model.dtype)
    y = as_float_array("y", y, ndim=2, layout="(n, O)", dtype=model.dtype)
    dtype = model.dtype.name
    layer = keras_layer(model.cell)
    dense = keras.layers.Dense(model.Wo.shape[1], dtype=dtype)
    dense.build((None, model.cell.hidden_units))
    dense.set_weights([model.Wo, model.Bo])
    variables = [*layer.trainable_weights, *dense.trainable_weights]
    slices = batch_slices(x.shape[0], batch_size)
    losses = []
    # floatx decides the dtype of Keras's learning rate and loss: float64 runs need it too
    with keras_floatx(dtype):
        keras_adam = keras_optimizer(optimizer)
        mse = keras.losses.MeanSquaredError(dtype=dtype)
        for step in range(steps):
            batch = slices[step % len(slices)]
            with tf.GradientTape() as tape:
                loss = mse(y[batch], dense(layer(x[batch])))
            grads = tape.gradient(loss, variables)
            keras_adam.apply_gradients(zip(grads, variables, strict=True))
            losses.append(float(loss))
    return np.array(losses)


def keras_masked_sequence_gradients(
    model: RecurrentRegressor, x: object, y_true: object
) -> tuple[float, list[np.ndarray]]:
    """The same loss and gradients from Keras: ``Input -> Masking -> layer -> Dense``
    (``return_sequences=True``), ``compile(loss="mse")`` and ``model.compute_loss`` under
    ``tf.GradientTape``; the mask is the one ``Masking`` derives from the zero padding."""
    import tensorflow as tf

    from ..keras_side.layers import keras_layer
    from ..keras_side.models import import_keras, keras_floatx

    check_record("model", model, RecurrentRegressor)
    keras = import_keras()
    dtype = model.dtype.name
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=model.dtype)
    y_true = as_float_array("y_true", y_true, ndim=3, layout="(n, T, O)", dtype=model.dtype)
    with keras_floatx(dtype):
        inputs = keras.Input(x.shape[1:], dtype=dtype)
        layer = keras_layer(model.cell, return_sequences=True)
        dense = keras.layers.Dense(model.Wo.shape[1], dtype=dtype)
        outputs = dense(layer(keras.layers.Masking(dtype=dtype)(inputs)))
        net = keras.Model(inputs, outputs)
        dense.set_weights([model.Wo, model.Bo])
        net.compile(loss="mse")
        with tf.GradientTape() as tape:
            loss = net.compute_loss(x=x, y=y_true, y_pred=net(x))
        grads = tape.gradient(loss, net.trainable_weights)
    return float(loss), [np.asarray(g) for g in grads]


def keras_initial_regressor(
    kind: str,
    dims: int,
    hidden_units: int,
    outputs: int = 1,
    *,
    seed: int = 0,
    dtype: Any = "float32",
    reset_after: bool = True,
) -> RecurrentRegressor:
    """The initial weights Keras itself gives ``kind(H) -> Dense(O)`` after
    ``keras.utils.set_random_seed(seed)``: Glorot-uniform kernels, orthogonal recurrent
    kernels, zero biases (ones for the LSTM's forget gate)."""
    from ..keras_side.models import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    extra = {"reset_after": reset_after} if kind == "GRU" else {}
    layer = getattr(keras.layers, kind)(hidden_units, dtype=dtype, **extra)
    layer.build((None, None, dims))
    dense = keras.layers.Dense(outputs, dtype=dtype)
    dense.build((None, hidden_units))
    from ..keras_side.replay import weights_from_layer

    Wo, Bo = dense.get_weights()
    return RecurrentRegressor(weights_from_layer(layer), Wo, Bo)
