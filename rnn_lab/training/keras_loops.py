"""The same training with Keras's own layers and optimisers: the side every hand-written
loop of :mod:`rnn_lab.training` is compared with, update by update.

:func:`keras_optimizer` gives the ``keras.optimizers`` twin of an :mod:`rnn_lab.training.optimizers`
record; :func:`run_keras_updates` is the one Keras-side training loop (``model.fit`` in
order, each batch's own loss recorded), the twin of :func:`rnn_lab.training.loop.run_updates`:
:func:`train_keras` runs it for chapter 8's ``SimpleRNN -> Dense``,
:func:`train_keras_regressor` for any cell (chapter 13),
:func:`rnn_lab.language.keras_lm.train_keras` for chapter 12's stateful language model and
:func:`rnn_lab.seq2seq.keras_twins.keras_train` for chapter 15's encoder–decoder.
TensorFlow is imported only when one of them is called.
"""

from __future__ import annotations

import gc
import weakref
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


def run_keras_updates(
    model: Any,
    optimizer: SGD | Adam,
    loss_fn: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    steps: int,
    reset_states: bool = False,
    run_eagerly: bool = False,
) -> np.ndarray:
    """The one Keras-side training loop: each chapter's training with Keras runs it.

    ``model`` is compiled with ``loss_fn`` and :func:`keras_optimizer`, without XLA
    (``jit_compile=False``), and trained the way a Keras user trains, by ``model.fit(x, y,
    batch_size, shuffle=False)``: batches ``x[0:b], x[b:2b], ...`` in order (the last one
    possibly shorter), epoch after epoch, one update each, stopped after ``steps`` updates.
    A metric records each step's own loss, from the forward pass the update differentiates
    (``fit`` reports a running mean over the epoch). ``reset_states=True`` resets the
    stateful layers before each epoch, when the batches wrap around; ``run_eagerly=True``
    runs each step op by op instead of as a traced graph. Returns the losses,
    float64 ``(steps,)``. Call it inside :func:`rnn_lab.keras_side.models.keras_floatx` of
    the model's dtype.

    A model trained again with the same optimiser settings and loss (a new seed's weights
    loaded into it) keeps its traced step: tracing costs about as much as a short run. Its
    optimiser starts from a fresh state all the same (step 0, every moment zero).
    """
    from ..keras_side.models import import_keras

    keras = import_keras()
    losses: list[float] = []
    settings = (optimizer, _loss_settings(loss_fn), bool(run_eagerly))
    if _COMPILED.get(model) == settings:
        _restart(model.optimizer, optimizer)
    else:
        _compile(model, optimizer, loss_fn, run_eagerly)
        _COMPILED[model] = settings

    class Steps(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            if reset_states:
                for layer in self.model.layers:
                    if getattr(layer, "stateful", False):
                        layer.reset_states()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            losses.append(float(logs["batch_loss"]))
            if len(losses) == steps:
                self.model.stop_training = True

    per_epoch = -(-len(x) // batch_size)
    model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=-(-steps // per_epoch),
        shuffle=False,
        verbose=0,
        callbacks=[Steps()],
    )
    # fit's data pipeline keeps a copy of x and y in reference cycles, freed only when
    # Python's cycle collector next runs: collecting now keeps chapter 15's six runs from
    # stacking their copies (its peak memory, which Binder caps at 2 GB, drops by ~0.5 GB).
    gc.collect()
    return np.array(losses)


#: The settings each model was last compiled with by :func:`run_keras_updates`.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _loss_settings(loss_fn: Any) -> Any:
    get_config = getattr(loss_fn, "get_config", None)
    return (type(loss_fn).__name__, repr(get_config())) if get_config else loss_fn


def _compile(model: Any, optimizer: SGD | Adam, loss_fn: Any, run_eagerly: bool) -> None:
    """Compile without XLA, with a metric that records each batch's own loss."""
    from ..keras_side.models import import_keras

    keras = import_keras()

    class BatchLoss(keras.metrics.Metric):
        """The loss of the current batch alone, from the forward pass the step differentiates."""

        def __init__(self) -> None:
            super().__init__(name="batch_loss")
            self.value = self.add_variable(shape=(), initializer="zeros", name="value")

        def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
            self.value.assign(loss_fn(y_true, y_pred))

        def result(self) -> Any:
            # A tensor, not the variable: Keras converts logs with np.array(), which
            # warns (DeprecationWarning) on a variable, whose __array__ takes no copy.
            return keras.ops.copy(self.value)

    model.compile(
        optimizer=keras_optimizer(optimizer),
        loss=loss_fn,
        metrics=[BatchLoss()],
        jit_compile=False,
        run_eagerly=run_eagerly,
    )


def _restart(keras_opt: Any, optimizer: SGD | Adam) -> None:
    """Put a compiled model's optimiser back to its fresh state: zero steps, zero moments."""
    for variable in keras_opt.variables:
        variable.assign(np.zeros(variable.shape, variable.dtype))
    keras_opt.learning_rate = float(optimizer.learning_rate)  # the one variable not zero


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
    """The same training with Keras, as ``model.fit(x, y, shuffle=False, ...)`` runs it.

    The model is :func:`build_keras_model` in ``weights.dtype`` loaded with ``weights``;
    :func:`run_keras_updates` trains it with ``keras.losses.MeanSquaredError()`` on the
    batches ``fit`` would cut, in order, epoch after epoch, and records each batch's own
    loss (``fit`` reports a running mean over the epoch).
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
        steps = epochs * len(batch_slices(x.shape[0], batch_size))
        losses = run_keras_updates(
            model, optimizer, loss_fn, x, y, batch_size=batch_size, steps=steps
        )
        final = weights_from_keras(model)
    return TrainingHistory(losses, final)


def train_keras_regressor(
    model: RecurrentRegressor,
    x: object,
    y: object,
    optimizer: Adam,
    *,
    steps: int,
    batch_size: int = 32,
) -> np.ndarray:
    """The first ``steps`` updates with Keras: ``Input -> layer -> Dense`` holding ``model``'s
    weights, trained by :func:`run_keras_updates` (``keras.losses.MeanSquaredError()``) on
    the same batches in the same order; the batch losses."""
    from ..keras_side.layers import keras_layer
    from ..keras_side.models import import_keras, keras_floatx

    check_record("model", model, RecurrentRegressor)
    steps = check_positive_int("steps", steps)
    batch_size = check_positive_int("batch_size", batch_size)
    keras = import_keras()
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=model.dtype)
    y = as_float_array("y", y, ndim=2, layout="(n, O)", dtype=model.dtype)
    dtype = model.dtype.name
    # floatx decides the dtype of Keras's learning rate and loss: float64 runs need it too
    with keras_floatx(dtype):
        inputs = keras.Input(x.shape[1:], dtype=dtype)
        dense = keras.layers.Dense(model.Wo.shape[1], dtype=dtype)
        net = keras.Model(inputs, dense(keras_layer(model.cell)(inputs)))
        dense.set_weights([model.Wo, model.Bo])
        loss_fn = keras.losses.MeanSquaredError()
        return run_keras_updates(net, optimizer, loss_fn, x, y, batch_size=batch_size, steps=steps)


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
