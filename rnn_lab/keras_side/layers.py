"""A Keras ``SimpleRNN``/``LSTM``/``GRU`` layer holding given
:class:`~rnn_lab.cells.weights.CellWeights`, and the gradients ``tf.GradientTape`` finds through
it: the reference the one backward pass through time (:mod:`rnn_lab.cells.bptt`) is checked
against.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_record, check_shape
from ..cells.bptt import CellGradients, forward_trace
from ..cells.weights import CellWeights


def keras_layer(weights: CellWeights, **options):
    """A fresh ``keras.layers.SimpleRNN``/``LSTM``/``GRU`` holding ``weights``, in their dtype.

    ``options`` go to the layer (e.g. ``return_sequences=True``); the kind, ``units``,
    ``use_bias`` and ``reset_after`` come from ``weights``.
    """
    check_record("weights", weights, CellWeights)
    from .models import import_keras

    keras = import_keras()
    kwargs = dict(options)
    if weights.kind == "GRU":
        kwargs["reset_after"] = weights.reset_after
    layer = getattr(keras.layers, weights.kind)(
        weights.hidden_units, use_bias=weights.use_bias, dtype=weights.dtype.name, **kwargs
    )
    layer.build((None, None, weights.dims))
    layer.set_weights(weights.as_list())
    return layer


def keras_sequence_gradients(
    weights: CellWeights,
    x: object,
    d_outputs: object,
    *,
    initial_state: object | None = None,
    mask: object | None = None,
) -> CellGradients:
    """The same gradients from ``tf.GradientTape`` on a Keras layer holding ``weights``.

    The tape records ``L = Σ Y ⊙ d_outputs`` for the layer's output sequence ``Y``
    (``return_sequences=True``), whose gradient with respect to ``Y`` is ``d_outputs``:
    the weight, input and initial-state gradients are then those of any loss with that
    ``dL/dY``. ``dh``/``dc`` are not available from the layer and are returned as NaN.
    """
    trace = forward_trace(weights, x, initial_state=initial_state, mask=mask)
    n, T, H = trace.h.shape
    dY = as_float_array("d_outputs", d_outputs, ndim=3, layout="(n, T, H)", dtype=weights.dtype)
    check_shape("d_outputs", dY, (n, T, H), "(n, T, H)")
    import tensorflow as tf

    layer = keras_layer(weights, return_sequences=True)
    x_t = tf.constant(trace.x)
    states = [tf.constant(s) for s in trace.states]
    kwargs = {"initial_state": states}
    if trace.keep is not None:
        kwargs["mask"] = tf.constant(trace.keep)
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        for state in states:
            tape.watch(state)
        loss = tf.reduce_sum(layer(x_t, **kwargs) * dY)
    variables = list(layer.trainable_weights)
    grads = tape.gradient(loss, [*variables, x_t, *states])
    grads = [np.asarray(g) for g in grads]
    count = len(variables)
    nan = np.full((n, T, H), np.nan, dtype=weights.dtype)
    return CellGradients(
        kernel=grads[0],
        recurrent_kernel=grads[1],
        bias=grads[2] if count == 3 else None,
        dx=grads[count],
        initial=grads[count + 1 :],
        dh=nan,
        dc=nan if weights.kind == "LSTM" else None,
    )
