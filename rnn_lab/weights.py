"""The five arrays of ``SimpleRNN -> Dense``, as one validated, immutable record.

=======  ==========  ==========================  ======================
name     shape       role                        Keras name
=======  ==========  ==========================  ======================
``Wx``   ``(D, H)``  input to hidden             ``kernel``
``Wh``   ``(H, H)``  hidden to hidden            ``recurrent_kernel``
``Bh``   ``(H,)``    hidden bias                 ``bias``
``Wo``   ``(H, O)``  hidden to output (Dense)    ``kernel`` of the Dense
``Bo``   ``(O,)``    output bias (Dense)         ``bias`` of the Dense
=======  ==========  ==========================  ======================

``model.get_weights()`` returns them in exactly this order.

This record is the whole model ``SimpleRNN -> Dense`` of chapters 1-8, in the book's names.
Chapters 9-11 use :class:`rnn_lab.cells.weights.CellWeights`, one recurrent layer of any kind in
Keras's own layout; for a SimpleRNN its ``kernel, recurrent_kernel, bias`` are this record's
``Wx, Wh, Bh`` (converters: :func:`rnn_lab.cells.weights.cell_weights_from_simple_rnn` and
:func:`rnn_lab.cells.weights.simple_rnn_weights_from_cell`).

Also here, for chapter 1: the model's parameter counts by formula (:func:`count_parameters`)
and the book's random input data (:func:`make_sequences`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._validate import as_float_array, check_dtype_name, check_positive_int, check_shape

FIELD_LAYOUTS = {"Wx": "(D, H)", "Wh": "(H, H)", "Bh": "(H,)", "Wo": "(H, O)", "Bo": "(O,)"}
FIELD_RANKS = {"Wx": 2, "Wh": 2, "Bh": 1, "Wo": 2, "Bo": 1}


class ArrayRecord:
    """What every record of named arrays shares, for a frozen dataclass whose fields are
    the arrays in ``model.get_weights()`` order: the optimisers' parameter protocol
    (:class:`rnn_lab.training.optimizers.ParameterRecord`: ``as_list``, ``with_arrays``,
    ``dtype``) and ``astype``, ``count`` and a readable ``repr``."""

    @property
    def dtype(self) -> np.dtype:
        return self.as_list()[0].dtype

    def as_list(self) -> list[np.ndarray]:
        """The arrays in field order: the order of ``model.get_weights()``."""
        return [getattr(self, f.name) for f in fields(self)]

    def with_arrays(self, arrays: Any) -> Any:
        """The same kind of record holding ``arrays`` (in :meth:`as_list` order)."""
        return type(self)(*arrays)

    def astype(self, dtype: Any) -> Any:
        """The same record in ``dtype`` (float32 or float64)."""
        dtype = check_dtype_name(dtype)
        return self.with_arrays([array.astype(dtype) for array in self.as_list()])

    def count(self) -> int:
        """Number of trainable numbers."""
        return int(sum(a.size for a in self.as_list()))

    def shapes(self) -> str:
        """``"Wx=(3, 5), ..."``: each field's shape, for ``repr``."""
        return ", ".join(f"{f.name}={getattr(self, f.name).shape}" for f in fields(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.shapes()}, dtype={self.dtype.name})"


def dimension(array: str, axis: int, doc: str) -> property:
    """A read-only size of a record, ``getattr(record, array).shape[axis]``, documented by
    ``doc`` (which names the book's symbol for it: ``D``, ``H``, ...)."""
    return property(lambda record: getattr(record, array).shape[axis], doc=doc)


def checked_fields(
    record: Any, layouts: dict[str, str], ranks: dict[str, int]
) -> dict[str, np.ndarray]:
    """Each field of ``record`` named in ``layouts`` as a finite float array of its rank
    (errors name the field and its layout, e.g. ``"(D, H)"``)."""
    return {
        name: as_float_array(name, getattr(record, name), ndim=ranks[name], layout=layout)
        for name, layout in layouts.items()
    }


def store_frozen(record: Any, arrays: dict[str, np.ndarray]) -> None:
    """Store read-only copies of ``arrays`` on the frozen ``record``, in one float dtype
    (float32 if all are float32, else float64)."""
    dtype = np.result_type(*arrays.values())
    for name, array in arrays.items():
        frozen = np.array(array, dtype=dtype, copy=True)
        frozen.flags.writeable = False
        object.__setattr__(record, name, frozen)


@dataclass(frozen=True, eq=False, repr=False)  # ArrayRecord's repr: shapes
class SimpleRNNWeights(ArrayRecord):
    """``Wx (D,H)``, ``Wh (H,H)``, ``Bh (H,)``, ``Wo (H,O)``, ``Bo (O,)`` for
    ``h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)`` and ``y_t = h_t·Wo + Bo``.

    Construction checks every shape against the others and stores read-only
    copies in one float dtype (float32 if all five are float32, else float64).
    """

    Wx: np.ndarray
    Wh: np.ndarray
    Bh: np.ndarray
    Wo: np.ndarray
    Bo: np.ndarray

    def __post_init__(self) -> None:
        arrays = checked_fields(self, FIELD_LAYOUTS, FIELD_RANKS)
        H = arrays["Wx"].shape[1]
        O = arrays["Wo"].shape[1]
        check_shape("Wh", arrays["Wh"], (H, H), FIELD_LAYOUTS["Wh"])
        check_shape("Bh", arrays["Bh"], (H,), FIELD_LAYOUTS["Bh"])
        check_shape("Wo", arrays["Wo"], (H, O), FIELD_LAYOUTS["Wo"])
        check_shape("Bo", arrays["Bo"], (O,), FIELD_LAYOUTS["Bo"])
        store_frozen(self, arrays)

    dims = dimension("Wx", 0, "``D``, input features per timestep.")
    hidden_units = dimension("Wx", 1, "``H``, the size of the hidden state.")
    outputs = dimension("Wo", 1, "``O``, outputs of the Dense layer.")

    def scaled(self, recurrent_scale: float) -> SimpleRNNWeights:
        """The same weights with ``Wh`` multiplied by ``recurrent_scale``."""
        scale = float(recurrent_scale)
        if not np.isfinite(scale):
            raise ValueError(f"recurrent_scale must be finite; got {recurrent_scale!r}")
        return SimpleRNNWeights(
            self.Wx, self.Wh * self.dtype.type(scale), self.Bh, self.Wo, self.Bo
        )


def random_weights(
    dims: int,
    hidden_units: int,
    outputs: int,
    *,
    seed: int = 0,
    dtype: Any = "float32",
    scale: float = 0.5,
) -> SimpleRNNWeights:
    """Random weights with **non-zero biases**, for tests and exercises.

    ``Wx``, ``Bh``, ``Wo``, ``Bo`` are uniform in ``[-scale, scale]``; ``Wh`` is uniform
    in ``[-1, 1] / sqrt(H)``, which keeps its spectral radius near ``1/sqrt(3) ≈ 0.58``
    for every ``H`` (a stable recurrence, like Keras's orthogonal ``Wh`` with radius 1).
    Keras starts ``Bh`` and ``Bo`` at zero, which would let a loop that forgets a bias
    still agree with Keras; these weights cannot hide that mistake.
    """
    D = check_positive_int("dims", dims)
    H = check_positive_int("hidden_units", hidden_units)
    O = check_positive_int("outputs", outputs)
    dtype = check_dtype_name(dtype)
    rng = np.random.default_rng(seed)
    Wx = rng.uniform(-scale, scale, (D, H))
    Wh = rng.uniform(-1.0, 1.0, (H, H)) / np.sqrt(H)
    Bh = rng.uniform(-scale, scale, H)
    Wo = rng.uniform(-scale, scale, (H, O))
    Bo = rng.uniform(-scale, scale, O)
    return SimpleRNNWeights(*(a.astype(dtype) for a in (Wx, Wh, Bh, Wo, Bo)))


def weights_from_list(arrays: Any) -> SimpleRNNWeights:
    """Build the record from ``[Wx, Wh, Bh, Wo, Bo]``, e.g. ``model.get_weights()``."""
    arrays = list(arrays)
    if len(arrays) != 5:
        raise ValueError(
            "expected 5 arrays [Wx, Wh, Bh, Wo, Bo] (SimpleRNN kernel, recurrent_kernel, "
            f"bias, Dense kernel, bias); got {len(arrays)}"
        )
    return SimpleRNNWeights(*arrays)


def count_parameters(dims: int, hidden_units: int, outputs: int) -> dict[str, int]:
    """Trainable parameters per layer.

    SimpleRNN: ``D·H`` (``Wx``) ``+ H·H`` (``Wh``) ``+ H`` (``Bh``).
    Dense: ``H·O`` (``Wo``) ``+ O`` (``Bo``).
    The count does not depend on the sequence length ``T``: the same weights are
    used at every timestep.
    """
    D = check_positive_int("dims", dims)
    H = check_positive_int("hidden_units", hidden_units)
    O = check_positive_int("outputs", outputs)
    simple_rnn = D * H + H * H + H
    dense = H * O + O
    return {"SimpleRNN": simple_rnn, "Dense": dense, "total": simple_rnn + dense}


def make_sequences(
    n_samples: int = 100,
    seq_len: int = 15,
    dims: int = 3,
    *,
    seed: int = 0,
    dtype: Any = "float32",
) -> np.ndarray:
    """Random inputs ``x`` of shape ``(n, T, D)``, uniform in ``[0, 1)``.

    The same ``seed`` always gives the same array, in float32 and float64 alike
    (the float32 array is the float64 one rounded), so the two precisions can be
    compared on the same numbers.
    """
    n = check_positive_int("n_samples", n_samples)
    T = check_positive_int("seq_len", seq_len)
    D = check_positive_int("dims", dims)
    dtype = check_dtype_name(dtype)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer; got {type(seed).__name__} {seed!r}")
    rng = np.random.default_rng(seed)
    return rng.random((n, T, D)).astype(dtype)
