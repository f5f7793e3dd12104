"""Training ``recurrent layer -> Dense`` for any cell (SimpleRNN, LSTM, GRU) by hand.

The model reads ``x (n, T, D)`` and predicts from the last output::

    y = h_T·Wo + Bo        L = mean((y − ŷ)²)        (Keras's MeanSquaredError)

so ``dL/dy = 2 (y − ŷ) / (n·O)``, ``dL/dh_T = dL/dy·Woᵀ``, and
:func:`rnn_lab.cells.bptt.sequence_backward` carries it back through time.

The optimiser is Keras's Adam (:class:`rnn_lab.training.optimizers.Adam`, same equations and
rounding) applied to the list of arrays ``[kernel, recurrent_kernel, bias, Wo, Bo]``, the order
of ``model.trainable_variables``. :func:`rnn_lab.training.keras_loops.train_keras_regressor`
runs the same updates with Keras's own layers, ``tf.GradientTape`` and
``keras.optimizers.Adam``, so the two can be compared update by update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import (
    as_float_array,
    check_positive_int,
    check_record,
    check_shape,
    one_blas_thread,
)
from ..cells.bptt import CellGradients, backward_from_trace, forward_trace
from ..cells.weights import CellWeights, random_cell_weights
from ..weights import SimpleRNNWeights
from .loop import run_updates
from .optimizers import Adam, adam_init, adam_update
from .simple_rnn import batch_slices


@dataclass(frozen=True, eq=False)
class RecurrentRegressor:
    """One recurrent layer (``cell``) and a Dense layer ``Wo (H, O)``, ``Bo (O,)``."""

    cell: CellWeights
    Wo: np.ndarray
    Bo: np.ndarray

    def __post_init__(self) -> None:
        check_record("cell", self.cell, CellWeights)
        H = self.cell.hidden_units
        Wo = as_float_array("Wo", self.Wo, ndim=2, layout="(H, O)", dtype=self.cell.dtype)
        check_shape("Wo", Wo, (H, Wo.shape[1]), f"(H, O) with H = {H}")
        Bo = as_float_array("Bo", self.Bo, ndim=1, layout="(O,)", dtype=self.cell.dtype)
        check_shape("Bo", Bo, (Wo.shape[1],), "(O,)")
        object.__setattr__(self, "Wo", Wo)
        object.__setattr__(self, "Bo", Bo)

    @property
    def kind(self) -> str:
        return self.cell.kind

    @property
    def dtype(self) -> np.dtype:
        return self.cell.dtype

    def as_list(self) -> list[np.ndarray]:
        """``[kernel, recurrent_kernel(, bias), Wo, Bo]``: Keras's trainable-variable order."""
        return [*self.cell.as_list(), self.Wo, self.Bo]

    def with_arrays(self, arrays: list[np.ndarray]) -> RecurrentRegressor:
        """The same model with new arrays in the order of :meth:`as_list`."""
        *cell_arrays, Wo, Bo = arrays
        bias = cell_arrays[2] if len(cell_arrays) == 3 else None
        cell = CellWeights(
            self.cell.kind, cell_arrays[0], cell_arrays[1], bias, self.cell.reset_after
        )
        return RecurrentRegressor(cell, Wo, Bo)

    def predict(self, x: object) -> np.ndarray:
        """``y = h_T·Wo + Bo``, ``(n, O)``."""
        trace = forward_trace(self.cell, x)
        return trace.outputs[:, -1] @ self.Wo + self.Bo


def random_regressor(
    kind: str,
    dims: int,
    hidden_units: int,
    outputs: int = 1,
    *,
    seed: int = 0,
    dtype: Any = "float32",
    reset_after: bool | None = None,
) -> RecurrentRegressor:
    """Initial weights like Keras's defaults, drawn with NumPy so that every cell kind gets
    the same recipe: Glorot-uniform ``kernel`` and ``Wo``, an orthogonal
    ``recurrent_kernel`` per gate block, zero biases except the LSTM's forget gate (ones,
    ``unit_forget_bias=True``). A GRU is ``reset_after=True`` unless told otherwise."""
    rng = np.random.default_rng(seed)
    cell = random_cell_weights(
        kind, dims, hidden_units, reset_after=reset_after, seed=seed, dtype="float64"
    )
    G = cell.kernel.shape[1] // hidden_units

    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out))

    kernel = glorot(dims, G * hidden_units)
    recurrent = np.concatenate(
        [np.linalg.qr(rng.normal(size=(hidden_units, hidden_units)))[0] for _ in range(G)],
        axis=1,
    )
    bias = np.zeros_like(cell.bias)
    if kind == "LSTM":
        bias[hidden_units : 2 * hidden_units] = 1.0
    cell = CellWeights(kind, kernel, recurrent, bias, cell.reset_after).astype(dtype)
    Wo = glorot(hidden_units, outputs).astype(dtype)
    return RecurrentRegressor(cell, Wo, np.zeros(outputs, dtype=dtype))


def regressor_backward(
    model: RecurrentRegressor, x: object, y_true: object
) -> tuple[float, list[np.ndarray], CellGradients]:
    """``L``, the gradients in the order of :meth:`RecurrentRegressor.as_list`, and the
    layer's :class:`~rnn_lab.cells.bptt.CellGradients` (for ``dL/dh_t``)."""
    loss, grads, cell_grads, _ = _backward_with_error(model, x, y_true)
    return loss, grads, cell_grads


def _backward_with_error(
    model: RecurrentRegressor, x: object, y_true: object, mask: object | None = None
) -> tuple[float, list[np.ndarray], CellGradients, np.ndarray]:
    # With a mask the last output is each sample's last real one, as in Keras.
    check_record("model", model, RecurrentRegressor)
    trace = forward_trace(model.cell, x, mask=mask)
    n = trace.h.shape[0]
    O = model.Wo.shape[1]
    y_true = as_float_array("y_true", y_true, ndim=2, layout="(n, O)", dtype=model.dtype)
    check_shape("y_true", y_true, (n, O), "(n, O)")
    h_T = trace.outputs[:, -1]
    error = h_T @ model.Wo + model.Bo - y_true
    loss = float(np.mean(np.square(error)))
    dy = error * model.dtype.type(2.0 / error.size)
    d_outputs = np.zeros_like(trace.outputs)
    d_outputs[:, -1] = dy @ model.Wo.T
    cell_grads = backward_from_trace(trace, d_outputs)
    return loss, [*cell_grads.as_list(), h_T.T @ dy, dy.sum(axis=0)], cell_grads, error


@dataclass(frozen=True, eq=False)
class RegressorHistory:
    """``losses`` per update (before it), the final ``model``, and ``‖dL/dh_t‖`` for
    ``t = 1..T`` on the first batch at the start (``dh_norms_start``) and at the end."""

    losses: np.ndarray
    model: RecurrentRegressor
    dh_norms_start: np.ndarray
    dh_norms_end: np.ndarray


def adam_step(optimizer: Adam):
    """``update(model, grads, state)`` for :func:`rnn_lab.training.loop.run_updates`: one
    :func:`rnn_lab.training.optimizers.adam_update` on the model's arrays (``grads`` a list
    in the order of :meth:`RecurrentRegressor.as_list`), then the model holding them."""

    def update(model: RecurrentRegressor, grads: list[np.ndarray], state: Any) -> tuple:
        arrays, state = adam_update(optimizer, model.as_list(), grads, state)
        return model.with_arrays(arrays), state

    return update


def train_regressor(
    model: RecurrentRegressor,
    x: object,
    y: object,
    optimizer: Adam,
    *,
    epochs: int = 1,
    batch_size: int = 32,
) -> RegressorHistory:
    """Mini-batch training by hand: batches in order, :func:`regressor_backward`, then
    :func:`rnn_lab.training.optimizers.adam_update` (Keras's Adam); the loss recorded for a step is
    the batch loss before its update."""
    check_record("model", model, RecurrentRegressor)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=model.dtype)
    y = as_float_array("y", y, ndim=2, layout="(n, O)", dtype=model.dtype)
    epochs = check_positive_int("epochs", epochs)
    slices = batch_slices(x.shape[0], batch_size)
    start = regressor_backward(model, x[slices[0]], y[slices[0]])[2].dh_norms()

    def gradients(model: RecurrentRegressor, batch: slice) -> tuple[float, list[np.ndarray]]:
        loss, grads, _ = regressor_backward(model, x[batch], y[batch])
        return loss, grads

    batches = [batch for _ in range(epochs) for batch in slices]
    model, _, losses = run_updates(
        model, batches, gradients, adam_step(optimizer), adam_init(model.as_list())
    )
    end = regressor_backward(model, x[slices[0]], y[slices[0]])[2].dh_norms()
    return RegressorHistory(np.array(losses), model, start, end)


# --- several models trained as one -------------------------------------------------------


def _unit_columns(G: int, H: int, S: int, s: int) -> np.ndarray:
    """The columns of model ``s``'s units in a gate-packed array of ``S`` models: within
    each of the ``G`` gate blocks (width ``S·H``), the ``s``-th run of ``H``."""
    return np.concatenate([g * S * H + s * H + np.arange(H) for g in range(G)])


def stack_regressors(models: list[RecurrentRegressor]) -> RecurrentRegressor:
    """``S`` regressors of one kind and size as one layer of ``S·H`` units and ``S·O``
    outputs. Every weight is block-diagonal: unit ``j`` of model ``s`` is unit ``s·H + j``
    of each gate block, and reads only model ``s``'s inputs, state and weights, so the
    stacked layer computes the ``S`` models side by side (:func:`unstack_regressor`)."""
    if not models:
        raise ValueError("models must not be empty")
    for model in models:
        check_record("model", model, RecurrentRegressor)
    first = models[0]
    kind, H, O, D = first.kind, first.cell.hidden_units, first.Wo.shape[1], first.cell.dims
    for model in models:
        same = (model.kind, model.cell.hidden_units, model.Wo.shape[1], model.cell.dims)
        if same != (kind, H, O, D) or model.cell.reset_after != first.cell.reset_after:
            raise ValueError(
                f"models must share kind, D, H and O; got {same} next to {(kind, H, O, D)}"
            )
    S, G = len(models), first.cell.kernel.shape[1] // H
    kernel = np.zeros((D, G * S * H), dtype=first.dtype)
    recurrent = np.zeros((S * H, G * S * H), dtype=first.dtype)
    bias = None
    if first.cell.bias is not None:
        bias = np.zeros((*first.cell.bias.shape[:-1], G * S * H), dtype=first.dtype)
    Wo = np.zeros((S * H, S * O), dtype=first.dtype)
    Bo = np.zeros(S * O, dtype=first.dtype)
    for s, model in enumerate(models):
        columns, rows, outs = (
            _unit_columns(G, H, S, s),
            slice(s * H, (s + 1) * H),
            slice(s * O, (s + 1) * O),
        )
        kernel[:, columns] = model.cell.kernel
        recurrent[rows, columns] = model.cell.recurrent_kernel
        if bias is not None:
            bias[..., columns] = model.cell.bias
        Wo[rows, outs], Bo[outs] = model.Wo, model.Bo
    cell = CellWeights(kind, kernel, recurrent, bias, first.cell.reset_after)
    return RecurrentRegressor(cell, Wo, Bo)


def unstack_regressor(stacked: RecurrentRegressor, count: int) -> list[RecurrentRegressor]:
    """The ``count`` models of :func:`stack_regressors`, taken apart again."""
    check_record("stacked", stacked, RecurrentRegressor)
    count = check_positive_int("count", count)
    SH, SO = stacked.cell.hidden_units, stacked.Wo.shape[1]
    if SH % count or SO % count:
        raise ValueError(f"{SH} units and {SO} outputs do not split into {count} models")
    H, O, G = SH // count, SO // count, stacked.cell.kernel.shape[1] // SH
    models = []
    for s in range(count):
        columns, rows, outs = (
            _unit_columns(G, H, count, s),
            slice(s * H, (s + 1) * H),
            slice(s * O, (s + 1) * O),
        )
        cell = stacked.cell
        bias = None if cell.bias is None else cell.bias[..., columns]
        models.append(
            RecurrentRegressor(
                CellWeights(
                    cell.kind,
                    cell.kernel[:, columns],
                    cell.recurrent_kernel[rows][:, columns],
                    bias,
                    cell.reset_after,
                ),
                stacked.Wo[rows, outs],
                stacked.Bo[outs],
            )
        )
    return models


def train_regressors(
    models: list[RecurrentRegressor],
    x: object,
    y: object,
    optimizer: Adam,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    mask: object | None = None,
) -> list[RegressorHistory]:
    """:func:`train_regressor` for several models (seeds) on the same data at once.

    The models run as one stacked layer (:func:`stack_regressors`): the loop over time and
    batches is paid once. Each model's gradient is exactly its own: the loss of the stack is
    the mean over its ``S`` models, so the gradients are multiplied by ``S``, and the
    off-diagonal blocks, which would let one model read another, get none (Adam then leaves
    them at zero). Up to rounding, the histories are those of ``S`` separate runs.
    ``mask (n, T)`` masks the inputs as Keras's ``mask=`` does (``y`` is then predicted from
    each sample's last real step)."""
    if not models:
        raise ValueError("models must not be empty")
    S = len(models)
    stacked = stack_regressors(models)
    ones = [m.with_arrays([np.ones_like(a) for a in m.as_list()]) for m in models]
    keep = stack_regressors(ones).as_list()
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=stacked.dtype)
    y = as_float_array("y", y, ndim=2, layout="(n, O)", dtype=stacked.dtype)
    y = np.tile(y, (1, S))
    epochs = check_positive_int("epochs", epochs)
    slices = batch_slices(x.shape[0], batch_size)
    scale = stacked.dtype.type(S)

    def per_model_dh(cell_grads: CellGradients) -> np.ndarray:
        n, T, _ = cell_grads.dh.shape
        dh = cell_grads.dh.reshape(n, T, S, -1).astype(np.float64) * S
        return np.sqrt(np.sum(np.square(dh), axis=(0, 3))).T  # (S, T)

    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        check_shape("mask", mask, x.shape[:2], "(n, T) like x")

    def backward(model: RecurrentRegressor, batch: slice) -> tuple:
        return _backward_with_error(
            model, x[batch], y[batch], None if mask is None else mask[batch]
        )

    with one_blas_thread():  # small products: threads cost more than they save
        start = per_model_dh(backward(stacked, slices[0])[2])

        def gradients(model: RecurrentRegressor, batch: slice) -> tuple:
            _, grads, _, error = backward(model, batch)
            losses = np.mean(np.square(error).reshape(error.shape[0], S, -1), axis=(0, 2))
            return losses, [g * scale * k for g, k in zip(grads, keep, strict=True)]

        batches = [batch for _ in range(epochs) for batch in slices]
        stacked, _, losses = run_updates(
            stacked, batches, gradients, adam_step(optimizer), adam_init(stacked.as_list())
        )
        end = per_model_dh(backward(stacked, slices[0])[2])
    losses = np.array(losses)
    return [
        RegressorHistory(losses[:, s], model, start[s], end[s])
        for s, model in enumerate(unstack_regressor(stacked, S))
    ]


def masked_sequence_backward(
    model: RecurrentRegressor, x: object, y_true: object, mask: object
) -> tuple[float, list[np.ndarray], CellGradients]:
    """A per-timestep Dense ``y_t = h_t·Wo + Bo`` on a masked sequence, loss
    :func:`rnn_lab.cells.masking.masked_mse`: ``L``, the gradients in the order of
    :meth:`RecurrentRegressor.as_list`, and the layer's gradients.

    Only real steps enter the loss, so ``dL/dy_t = 0`` on padded steps; the recurrent
    layer's own masking then carries the state over them (zero cell gradient there).
    """
    from ..cells.masking import masked_mse

    check_record("model", model, RecurrentRegressor)
    trace = forward_trace(model.cell, x, mask=mask)
    y_pred = trace.outputs @ model.Wo + model.Bo
    loss, dy = masked_mse(y_pred, y_true, trace.keep)
    cell_grads = backward_from_trace(trace, dy @ model.Wo.T)
    H, O = model.Wo.shape
    dWo = trace.outputs.reshape(-1, H).T @ dy.reshape(-1, O)
    return loss, [*cell_grads.as_list(), dWo, dy.sum(axis=(0, 1))], cell_grads


def regressor_from_simple_rnn(weights: SimpleRNNWeights) -> RecurrentRegressor:
    """Chapter 8's ``SimpleRNN -> Dense`` weights (``Wx, Wh, Bh, Wo, Bo``) as a
    :class:`RecurrentRegressor`, so that the same initial weights train in either loop."""
    check_record("weights", weights, SimpleRNNWeights)
    cell = CellWeights("SimpleRNN", weights.Wx, weights.Wh, weights.Bh)
    return RecurrentRegressor(cell, weights.Wo, weights.Bo)


def with_open_gate(model: RecurrentRegressor, bias: float) -> RecurrentRegressor:
    """The same model with the gate that keeps the old state biased open by ``bias``.

    LSTM: the forget gate's bias ``B_f`` (Keras's ``unit_forget_bias`` sets it to 1, so
    ``f_t ≈ σ(1) ≈ 0.73``); GRU: the update gate's input bias ``Bx_z`` (``B_z`` without
    ``reset_after``), since ``h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t`` keeps the old state
    where ``z_t`` is near 1. ``σ(3) ≈ 0.95``: the state, and the gradient, survive ~20 steps
    per factor ``e`` instead of ~3. A SimpleRNN has no such gate and is refused.
    """
    check_record("model", model, RecurrentRegressor)
    if model.kind == "SimpleRNN" or model.cell.bias is None:
        raise ValueError(f"only an LSTM or GRU with a bias has a gate to open; got {model.kind}")
    if not np.isfinite(bias):
        raise ValueError(f"bias must be a finite number; got {bias!r}")
    H = model.cell.hidden_units
    new = np.array(model.cell.bias)
    if model.kind == "LSTM":
        new[H : 2 * H] = bias
    elif new.ndim == 2:
        new[0, :H] = bias
        new[1, :H] = 0
    else:
        new[:H] = bias
    arrays = model.as_list()
    arrays[2] = new
    return model.with_arrays(arrays)


def with_chrono_init(
    model: RecurrentRegressor, max_delay: int, *, seed: int = 0
) -> RecurrentRegressor:
    """An LSTM with Tallec & Ollivier's (2018) *chrono initialisation* for delays up to
    ``max_delay``: ``B_f = log(u)`` with ``u ~ U[1, max_delay − 1]`` drawn per unit, and the
    input gate's ``B_i = −B_f``. A forget gate at ``σ(log u) = u / (1 + u)`` keeps a memory
    for about ``u`` steps, so the units start with time scales spread over the range."""
    check_record("model", model, RecurrentRegressor)
    if model.kind != "LSTM":
        raise ValueError(f"chrono initialisation is for an LSTM; got {model.kind}")
    max_delay = check_positive_int("max_delay", max_delay)
    if max_delay < 3:
        raise ValueError(f"max_delay must be at least 3; got {max_delay}")
    H = model.cell.hidden_units
    forget = np.log(np.random.default_rng(seed).uniform(1, max_delay - 1, H))
    new = np.array(model.cell.bias)
    new[H : 2 * H] = forget
    new[:H] = -forget
    arrays = model.as_list()
    arrays[2] = new
    return model.with_arrays(arrays)
