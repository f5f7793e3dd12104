"""Two independent checks of a gradient: central finite differences, and TensorFlow's autodiff.

Finite differences need nothing but the loss itself::

    dL/dθ_i ≈ (L(θ + s·e_i) - L(θ - s·e_i)) / (2s)

which is exact for quadratics and off by ``s²·L'''/6`` otherwise. Rounding adds about
``ε·|L| / s`` (``ε`` = machine epsilon), so the step ``s`` trades truncation against
rounding; in float64 ``s = 1e-5`` keeps both near ``1e-11``. In float32 the rounding term
alone would be ``1e-7 / 1e-5 = 1e-2``: finite differences are done in float64 only.

Agreement is measured by :func:`relative_error`, ``‖a - b‖ / max(‖a‖, ‖b‖)`` per parameter
array, a single number that does not blow up on entries that are (nearly) zero.

:func:`keras_gradients` computes the same quantities with ``tf.GradientTape`` on Keras's
own ``SimpleRNN`` and ``Dense`` layers loaded with the given weights; TensorFlow is imported
only when it is called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ._validate import as_float_array, check_record
from .backward import Gradients, check_targets, manual_backward
from .forward import check_inputs, check_weights, initial_state
from .tolerances import relative_error
from .weights import FIELD_LAYOUTS, SimpleRNNWeights

#: Central-difference step: balances truncation (∝ s²) and rounding (∝ ε/s) in float64, where
#: ε = 2.2e-16 puts the optimum near (ε)^(1/3) ≈ 6e-6 for losses and derivatives of order 1.
FD_STEP = 1e-5

PARAMETER_NAMES = tuple(FIELD_LAYOUTS)


def gradient_errors(
    computed: Gradients | SimpleRNNWeights, reference: Gradients | SimpleRNNWeights
) -> dict[str, float]:
    """:func:`relative_error` for each of ``Wx, Wh, Bh, Wo, Bo`` (and ``dh``, ``dh0`` when both
    arguments are :class:`Gradients`), as ``{name: error}``."""
    first = computed.grads if isinstance(computed, Gradients) else computed
    second = reference.grads if isinstance(reference, Gradients) else reference
    for name, value in (("computed", first), ("reference", second)):
        check_record(name, value, SimpleRNNWeights, what="Gradients or SimpleRNNWeights")
    errors = {
        name: relative_error(getattr(first, name), getattr(second, name))
        for name in PARAMETER_NAMES
    }
    if isinstance(computed, Gradients) and isinstance(reference, Gradients):
        errors["dh"] = relative_error(computed.dh, reference.dh)
        errors["dh0"] = relative_error(computed.dh0, reference.dh0)
    return errors


def numerical_gradient(
    f: Callable[[np.ndarray], float], array: Any, *, step: float = FD_STEP
) -> np.ndarray:
    """Central differences of the scalar ``f`` at ``array``, entry by entry, in float64.

    ``f`` receives float64 arrays of the same shape as ``array`` and must return a number.
    Costs ``2 · array.size`` calls of ``f``.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable returning a number; got {type(f).__name__}")
    if not (isinstance(step, (int, float)) and np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a finite number > 0; got {step!r}")
    base = np.array(as_float_array("array", array, ndim=np.ndim(array), layout="any shape"))
    base = base.astype(np.float64)
    grad = np.empty_like(base)
    for index in np.ndindex(base.shape):
        original = base[index]
        base[index] = original + step
        up = float(f(base.copy()))
        base[index] = original - step
        down = float(f(base.copy()))
        base[index] = original
        grad[index] = (up - down) / (2 * step)
    return grad


def numerical_weight_gradients(
    f: Callable[[SimpleRNNWeights], float],
    weights: SimpleRNNWeights,
    *,
    step: float = FD_STEP,
) -> SimpleRNNWeights:
    """Central differences of ``f(weights)`` for each of ``Wx, Wh, Bh, Wo, Bo``, in float64.

    ``f`` receives float64 :class:`SimpleRNNWeights` that differ from ``weights`` in one
    entry and returns a number (a loss). Returns the gradient in the same record.
    """
    weights = check_weights(weights).astype("float64")

    def partial(name: str) -> np.ndarray:
        return numerical_gradient(
            lambda array: f(replace(weights, **{name: array})), getattr(weights, name), step=step
        )

    return SimpleRNNWeights(**{name: partial(name) for name in PARAMETER_NAMES})


def finite_difference_gradients(
    x: object,
    y_true: object,
    weights: SimpleRNNWeights,
    *,
    return_sequences: bool = False,
    h0: object | None = None,
    step: float = FD_STEP,
) -> SimpleRNNWeights:
    """The gradient of :func:`manual_backward`'s loss by central differences, in float64."""
    weights = check_weights(weights).astype("float64")
    x = np.asarray(x, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64)

    def loss(w: SimpleRNNWeights) -> float:
        return manual_backward(x, y_true, w, return_sequences=return_sequences, h0=h0).loss

    return numerical_weight_gradients(loss, weights, step=step)


def keras_gradients(
    x: object,
    y_true: object,
    weights: SimpleRNNWeights,
    *,
    return_sequences: bool = False,
    h0: object | None = None,
) -> Gradients:
    """The loss and gradients as TensorFlow computes them, in ``weights.dtype``.

    Fresh ``SimpleRNN`` and ``Dense`` layers get ``weights``; ``tf.GradientTape`` records
    ``keras.losses.MeanSquaredError()(y_true, dense(rnn(x, initial_state=[h0])))`` and gives
    the weight gradients and ``dL/dh_0``. For ``dL/dh_t`` the layer's own cell is stepped
    in Python with a zero "probe" added to every ``h_t``: ``dL/dprobe_t = dL/dh_t``.
    """
    weights = check_weights(weights)
    x = check_inputs(x, weights)
    n, T, _ = x.shape
    y_true = check_targets(y_true, n, T, weights, bool(return_sequences))
    h_0 = initial_state(h0, n, weights)

    from .keras_side.models import import_keras

    keras = import_keras()
    import tensorflow as tf

    dtype = weights.dtype.name
    rnn = keras.layers.SimpleRNN(
        weights.hidden_units, return_sequences=bool(return_sequences), dtype=dtype
    )
    dense = keras.layers.Dense(weights.outputs, dtype=dtype)
    rnn.build((None, None, weights.dims))
    dense.build((None, weights.hidden_units))
    rnn.set_weights(weights.as_list()[:3])
    dense.set_weights(weights.as_list()[3:])
    mse = keras.losses.MeanSquaredError(dtype=dtype)
    cell = rnn.cell
    variables = [cell.kernel, cell.recurrent_kernel, cell.bias, dense.kernel, dense.bias]
    x_t = tf.constant(x)
    h0_t = tf.constant(h_0)

    with tf.GradientTape() as tape:
        tape.watch(h0_t)
        loss = mse(y_true, dense(rnn(x_t, initial_state=[h0_t])))
    *grads, dh0 = tape.gradient(loss, [*variables, h0_t])

    probes = [tf.zeros((n, weights.hidden_units), dtype=dtype) for _ in range(T)]
    with tf.GradientTape() as tape:
        for probe in probes:
            tape.watch(probe)
        h_t, states = h0_t, []
        for t in range(T):
            h_t = cell(x_t[:, t, :], [h_t])[0] + probes[t]
            states.append(h_t)
        y = dense(tf.stack(states, axis=1)) if return_sequences else dense(states[-1])
        probe_loss = mse(y_true, y)
    dh = tf.stack(tape.gradient(probe_loss, probes), axis=1)

    return Gradients(
        loss=float(loss),
        grads=SimpleRNNWeights(*(np.asarray(g) for g in grads)),
        dh=np.asarray(dh),
        dh0=np.asarray(dh0),
    )
