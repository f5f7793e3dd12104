"""SGD, SGD with momentum and Adam, with the exact update rules of Keras 3.

Each optimiser is a frozen record of hyperparameters with two pure functions::

    state = optimizer.init(weights)
    weights, state = optimizer.step(weights, grads, state)

The state (velocities, moments, step count) is explicit, so nothing is hidden in an
object that changes behind the reader's back. ``weights`` and ``grads`` are both
:class:`SimpleRNNWeights` (or another parameter record, such as the language model's
:class:`~rnn_lab.language.model.LanguageModelWeights`), updated field by field. Arithmetic follows
``keras/src/optimizers/sgd.py`` and ``adam.py`` operation for operation, in the weights'
dtype (Keras casts the learning rate and constants to each variable's dtype), so a float32
run rounds the way Keras's does. Clipping (``clipnorm``, ``global_clipnorm``) follows
``keras/src/optimizers/base_optimizer.py`` and happens before the update, as in Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from .._validate import check_record


@runtime_checkable
class ParameterRecord(Protocol):
    """What the optimisers update: any record of arrays that gives them as a list and is
    rebuilt from one. :class:`ParameterRecord`, the language model's
    :class:`~rnn_lab.language.model.LanguageModelWeights`, the regressor of
    :mod:`rnn_lab.training.regressor`, a sequence-to-sequence model and
    :class:`ArrayList` (a plain list) all are."""

    @property
    def dtype(self) -> np.dtype: ...

    def as_list(self) -> list[np.ndarray]: ...

    def with_arrays(self, arrays: Any) -> Any: ...


@dataclass(frozen=True, eq=False)
class ArrayList:
    """A plain list of arrays as a :class:`ParameterRecord` (no shape rules of its own)."""

    arrays: tuple[np.ndarray, ...]

    @property
    def dtype(self) -> np.dtype:
        return self.arrays[0].dtype

    def as_list(self) -> list[np.ndarray]:
        return list(self.arrays)

    def with_arrays(self, arrays: Any) -> ArrayList:
        return ArrayList(tuple(arrays))


def is_parameter_record(value: Any) -> bool:
    """Whether ``value`` follows :class:`ParameterRecord` (``as_list``, ``with_arrays``,
    ``dtype``)."""
    return isinstance(value, ParameterRecord)


def _rebuild(like: Any, arrays: Any) -> Any:
    return like.with_arrays(list(arrays))


def _cast(record: Any, dtype: np.dtype) -> Any:
    return _rebuild(record, (a.astype(dtype) for a in record.as_list()))


def _array_names(record: Any) -> list[str]:
    names = [f.name for f in fields(record)] if is_dataclass(record) else []
    count = len(record.as_list())
    return names if len(names) == count else [f"[{i}]" for i in range(count)]


def _check_record(name: str, value: Any) -> None:
    if not is_parameter_record(value):
        raise TypeError(
            f"{name} must be a SimpleRNNWeights (or another parameter record); "
            f"got {type(value).__name__}"
        )


def _check_pair(weights: Any, grads: Any) -> None:
    for name, value in (("weights", weights), ("grads", grads)):
        _check_record(name, value)
    if type(weights) is not type(grads):
        raise TypeError(
            f"grads must be a {type(weights).__name__} like the weights; got {type(grads).__name__}"
        )
    names = _array_names(weights)
    for name, w, g in zip(names, weights.as_list(), grads.as_list(), strict=True):
        if w.shape != g.shape:
            raise ValueError(
                f"grads.{name} must have the shape of weights.{name} {w.shape}; got {g.shape}"
            )


def _check_rate(name: str, value: Any, *, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < low or (high is not None and value > high):
        bounds = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be a finite number {bounds}; got {value!r}")
    return value


def _keras_cast(value: float, dtype: type) -> Any:
    # ``keras.ops.cast(0.9, "float64")`` on the TensorFlow backend first turns the Python
    # float into a float32 tensor, then casts: momentum and β1, β2 (inside the bias
    # correction) reach a float64 update already rounded to float32. Mirroring that
    # keeps float64 runs equal to Keras's to ~1e-16 instead of ~1e-7.
    return dtype(np.float32(value))


def _check_grads(grads: Any) -> ParameterRecord:
    _check_record("grads", grads)
    return grads


def global_norm(grads: ParameterRecord) -> float:
    """``sqrt(Σ over all five arrays of Σ g²)``: the length of the whole gradient."""
    _check_grads(grads)
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads.as_list())))


def clip_by_global_norm(grads: ParameterRecord, clip_norm: float) -> ParameterRecord:
    """Scale every array by ``clip_norm · min(1/‖g‖, 1/clip_norm)``, Keras's ``global_clipnorm``.

    Gradients whose global norm is at most ``clip_norm`` are unchanged (the factor is 1);
    longer ones are shrunk to length ``clip_norm``, keeping their direction.
    """
    _check_grads(grads)
    clip_norm = _check_rate("clip_norm", clip_norm)
    if clip_norm == 0:
        raise ValueError("clip_norm must be > 0; got 0")
    dtype = grads.dtype.type
    # global_norm sums and takes the root in the gradients' dtype; the round trip through a
    # Python float is exact, so ``norm`` is that dtype's value, as Keras computes it.
    norm = dtype(global_norm(grads))
    with np.errstate(divide="ignore"):
        scale = dtype(clip_norm) * np.minimum(dtype(1.0) / norm, dtype(1.0 / clip_norm))
    return _rebuild(grads, (g * scale for g in grads.as_list()))


def clip_each_by_norm(grads: ParameterRecord, clip_norm: float) -> ParameterRecord:
    """Shrink each array separately to norm ``clip_norm`` at most: Keras's ``clipnorm``,
    ``g · clip_norm / max(‖g‖, clip_norm)``."""
    _check_grads(grads)
    clip_norm = _check_rate("clip_norm", clip_norm)
    if clip_norm == 0:
        raise ValueError("clip_norm must be > 0; got 0")
    dtype = grads.dtype.type
    clipped = []
    for g in grads.as_list():
        norm = np.sqrt(np.sum(np.square(g)))
        clipped.append(g * dtype(clip_norm) / np.maximum(norm, dtype(clip_norm)))
    return _rebuild(grads, clipped)


@dataclass(frozen=True, kw_only=True)
class _Clipping:
    """Keras's ``clipnorm`` / ``global_clipnorm`` options, keyword-only as in Keras."""

    clipnorm: float | None = None
    global_clipnorm: float | None = None

    def _check_clipping(self) -> None:
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError("set at most one of clipnorm and global_clipnorm (as Keras requires)")
        for name in ("clipnorm", "global_clipnorm"):
            value = getattr(self, name)
            if value is not None and _check_rate(name, value) == 0:
                raise ValueError(f"{name} must be > 0 or None; got {value!r}")

    def _clip(self, grads: ParameterRecord) -> ParameterRecord:
        if self.clipnorm is not None:
            return clip_each_by_norm(grads, self.clipnorm)
        if self.global_clipnorm is not None:
            return clip_by_global_norm(grads, self.global_clipnorm)
        return grads


class SGDState(NamedTuple):
    """``velocity``: the momentum buffers ``m`` (``None`` when ``momentum == 0``)."""

    velocity: ParameterRecord | None


@dataclass(frozen=True)
class SGD(_Clipping):
    """Stochastic gradient descent, Keras's defaults (``learning_rate=0.01``, no momentum).

    ``momentum == 0``:  ``w ← w - lr·g``
    ``momentum > 0``:   ``m ← momentum·m - lr·g``;  ``w ← w + m``
    ``nesterov=True``:  ``m ← momentum·m - lr·g``;  ``w ← w + momentum·m - lr·g``

    ``m`` starts at zero. ``momentum`` is rounded to float32 before use, as Keras's
    ``ops.cast(momentum, dtype)`` does on the TensorFlow backend (it matters in float64 only).
    """

    learning_rate: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False

    def __post_init__(self) -> None:
        _check_rate("learning_rate", self.learning_rate)
        _check_rate("momentum", self.momentum, high=1.0)
        if not isinstance(self.nesterov, bool):
            raise TypeError(f"nesterov must be True or False; got {self.nesterov!r}")
        self._check_clipping()

    def init(self, weights: ParameterRecord) -> SGDState:
        """Zero velocities (or none, for plain SGD)."""
        _check_record("weights", weights)
        if self.momentum == 0:
            return SGDState(velocity=None)
        return SGDState(velocity=_rebuild(weights, (np.zeros_like(w) for w in weights.as_list())))

    def step(
        self, weights: ParameterRecord, grads: ParameterRecord, state: SGDState
    ) -> tuple[ParameterRecord, SGDState]:
        """One update; returns the new weights and the new state."""
        _check_pair(weights, grads)
        grads = _cast(self._clip(grads), weights.dtype)
        dtype = weights.dtype.type
        lr = dtype(self.learning_rate)
        if self.momentum == 0:
            new = [w - g * lr for w, g in zip(weights.as_list(), grads.as_list(), strict=True)]
            return _rebuild(weights, new), state
        if not isinstance(state, SGDState) or state.velocity is None:
            raise TypeError("state must be the SGDState returned by init() or step()")
        momentum = _keras_cast(self.momentum, dtype)
        new_weights, new_velocity = [], []
        for w, g, m in zip(
            weights.as_list(), grads.as_list(), state.velocity.as_list(), strict=True
        ):
            m = m * momentum - g * lr
            step = (m * momentum - g * lr) if self.nesterov else m
            new_weights.append(w + step)
            new_velocity.append(m)
        return _rebuild(weights, new_weights), SGDState(_rebuild(weights, new_velocity))


class AdamState(NamedTuple):
    """``iterations``: updates done so far; ``m``, ``v``: first and second moment estimates."""

    iterations: int
    m: ParameterRecord
    v: ParameterRecord


@dataclass(frozen=True)
class Adam(_Clipping):
    """Adam as Keras 3 writes it (defaults ``lr=0.001, β1=0.9, β2=0.999, ε=1e-7``).

    At update ``t = 1, 2, ...``::

        α_t = lr · sqrt(1 - β2^t) / (1 - β1^t)
        m  ← m + (g - m)·(1 - β1)
        v  ← v + (g² - v)·(1 - β2)
        w  ← w - m·α_t / (sqrt(v) + ε)

    ``β1``, ``β2`` inside ``α_t`` are rounded to float32 first, as Keras's
    ``ops.cast(beta, dtype)`` does on the TensorFlow backend (it matters in float64 only);
    ``1 - β`` in the moment updates is computed exactly.

    The bias corrections are folded into the step size ``α_t``, so ``ε`` is added to the
    *uncorrected* ``sqrt(v)`` ("epsilon hat" in Kingma & Ba), not to ``sqrt(v̂)``: early in
    training this differs from the paper's Algorithm 1 by a factor ``sqrt(1 - β2^t)`` on ε.
    """

    learning_rate: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7

    def __post_init__(self) -> None:
        _check_rate("learning_rate", self.learning_rate)
        _check_rate("beta_1", self.beta_1, high=1.0)
        _check_rate("beta_2", self.beta_2, high=1.0)
        _check_rate("epsilon", self.epsilon)
        if self.beta_1 == 1.0 or self.beta_2 == 1.0:
            raise ValueError("beta_1 and beta_2 must be < 1 (the bias correction divides by 1-β)")
        self._check_clipping()

    def init(self, weights: ParameterRecord) -> AdamState:
        """Zero moments, zero updates done."""
        _check_record("weights", weights)
        zeros = _rebuild(weights, (np.zeros_like(w) for w in weights.as_list()))
        return AdamState(iterations=0, m=zeros, v=zeros)

    def step(
        self,
        weights: ParameterRecord,
        grads: ParameterRecord,
        state: AdamState,
        *,
        squared_grads: Any = None,
    ) -> tuple[ParameterRecord, AdamState]:
        """One update; returns the new weights and the new state.

        ``squared_grads`` (a record like ``grads``) replaces ``g²`` in the update of ``v``:
        Keras receives an ``Embedding``'s gradient as one row per lookup
        (``tf.IndexedSlices``) and squares each row *before* rows of the same character are
        summed, so its ``v`` gets ``Σ_i g_i²`` where the dense gradient gives ``(Σ_i g_i)²``
        (see :mod:`rnn_lab.language`). Only meaningful without clipping here.
        """
        _check_pair(weights, grads)
        if squared_grads is not None:
            _check_pair(weights, squared_grads)
        if not isinstance(state, AdamState):
            raise TypeError("state must be the AdamState returned by init() or step()")
        grads = _cast(self._clip(grads), weights.dtype)
        dtype = weights.dtype.type
        t = dtype(state.iterations + 1)
        beta_1_power = np.power(_keras_cast(self.beta_1, dtype), t)
        beta_2_power = np.power(_keras_cast(self.beta_2, dtype), t)
        alpha = dtype(self.learning_rate) * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        # Keras multiplies by the Python float (1 - beta), rounded once to the dtype.
        one_minus_beta_1, one_minus_beta_2 = dtype(1 - self.beta_1), dtype(1 - self.beta_2)
        epsilon = dtype(self.epsilon)
        new_w, new_m, new_v = [], [], []
        squares = (
            [np.square(g) for g in grads.as_list()]
            if squared_grads is None
            else [g.astype(weights.dtype) for g in squared_grads.as_list()]
        )
        for w, g, g2, m, v in zip(
            weights.as_list(),
            grads.as_list(),
            squares,
            state.m.as_list(),
            state.v.as_list(),
            strict=True,
        ):
            m = m + (g - m) * one_minus_beta_1
            v = v + (g2 - v) * one_minus_beta_2
            new_w.append(w - (m * alpha) / (np.sqrt(v) + epsilon))
            new_m.append(m)
            new_v.append(v)
        return _rebuild(weights, new_w), AdamState(
            state.iterations + 1, _rebuild(weights, new_m), _rebuild(weights, new_v)
        )


def row_norms(squared: ParameterRecord) -> np.ndarray:
    """Each array's norm ``sqrt(Σ_i ‖g_i‖²)`` from ``squared``, the sums of its gradient's
    squared rows: for a gradient that arrives as rows (an ``Embedding``'s, one row per
    lookup, Keras's ``tf.IndexedSlices``), the norm Keras's clipping measures, not the norm
    of the rows summed per index."""
    return np.sqrt([np.sum(g2) for g2 in squared.as_list()])


def step_with_rows(
    optimizer: SGD | Adam,
    weights: ParameterRecord,
    grads: ParameterRecord,
    squared: ParameterRecord,
    state: Any,
) -> tuple[ParameterRecord, Any]:
    """One update exactly as Keras applies it when some gradients arrive as rows.

    Keras hands the optimiser an ``Embedding``'s gradient as rows, one per lookup
    (``tf.IndexedSlices``), not summed per index. Linear steps (SGD, momentum) sum them
    anyway, but two places square them first: the norms that ``clipnorm`` and
    ``global_clipnorm`` measure (:func:`row_norms` of ``squared``, the summed squares of
    the rows; ``g²`` for a dense gradient), and Adam's second moment ``v``, which gets
    ``Σ_i g_i²`` where the dense gradient would give ``(Σ_i g_i)²``. This function clips
    with those norms, then calls ``optimizer.step`` without clipping, passing Adam the rows'
    squares, except after ``global_clipnorm``: Keras rescales with ``g * scale``, which turns
    the rows into one dense array, so Adam then squares the sums.
    """
    if not isinstance(optimizer, (SGD, Adam)):
        raise TypeError(f"optimizer must be rnn_lab's SGD or Adam; got {type(optimizer).__name__}")
    dtype = weights.dtype.type
    norms = row_norms(squared).astype(weights.dtype)
    if optimizer.global_clipnorm is not None:
        clip = dtype(optimizer.global_clipnorm)
        total = dtype(np.sqrt(np.sum(np.square(norms))))
        with np.errstate(divide="ignore"):
            scale = clip * np.minimum(dtype(1.0) / total, dtype(1.0) / clip)
        scales = [scale] * len(norms)
    elif optimizer.clipnorm is not None:
        clip = dtype(optimizer.clipnorm)
        scales = [clip / np.maximum(norm, clip) for norm in norms]
    else:
        scales = None
    if scales is not None:
        grads = grads.with_arrays([g * s for g, s in zip(grads.as_list(), scales, strict=True)])
        squared = squared.with_arrays(
            [g2 * (s * s) for g2, s in zip(squared.as_list(), scales, strict=True)]
        )
    plain = replace(optimizer, clipnorm=None, global_clipnorm=None)
    if isinstance(plain, Adam) and optimizer.global_clipnorm is None:
        return plain.step(weights, grads, state, squared_grads=squared)
    return plain.step(weights, grads, state)


class Optimizer(Protocol):
    """What a training loop needs from an optimiser."""

    def init(self, weights: ParameterRecord) -> Any: ...

    def step(
        self, weights: ParameterRecord, grads: ParameterRecord, state: Any
    ) -> tuple[ParameterRecord, Any]: ...


#: Adam's state for a plain list of arrays (:func:`adam_update`): the same record.
ArrayAdamState = AdamState


def adam_init(arrays: list[np.ndarray]) -> AdamState:
    """``Adam.init`` for a plain list of arrays: zero moments, zero updates done."""
    return Adam().init(ArrayList(tuple(arrays)))


def adam_update(
    optimizer: Adam, arrays: list[np.ndarray], grads: list[np.ndarray], state: AdamState
) -> tuple[list[np.ndarray], AdamState]:
    """:meth:`Adam.step` on a plain list of arrays (:class:`ArrayList`): the new arrays and
    the new state."""
    check_record("optimizer", optimizer, Adam, hint=" (rnn_lab.training.optimizers.Adam)")
    if not arrays:
        raise ValueError("arrays must not be empty")
    new, state = optimizer.step(ArrayList(tuple(arrays)), ArrayList(tuple(grads)), state)
    return new.as_list(), state
