"""The cells' weights and activations: :class:`CellWeights` (one SimpleRNN, LSTM or GRU layer as
Keras stores it), conversions to and from chapters 1-8's
:class:`~rnn_lab.weights.SimpleRNNWeights`, random weights, parameter counts, and the NumPy
twins of ``keras.activations``.

Each cell has three arrays, named as Keras names them (``layer.get_weights()`` order):

=========  ==============  ====================  ===========================================
cell       ``kernel`` Wx   ``recurrent_kernel``  ``bias``
=========  ==============  ====================  ===========================================
SimpleRNN  ``(D, H)``      ``(H, H)``            ``(H,)``
LSTM       ``(D, 4H)``     ``(H, 4H)``           ``(4H,)``; gate blocks ``[i, f, c, o]``
GRU        ``(D, 3H)``     ``(H, 3H)``           ``(2, 3H)`` if reset_after else ``(3H,)``;
                                                 gate blocks ``[z, r, h]``
=========  ==============  ====================  ===========================================

The gates of one cell are packed side by side along the last axis: the LSTM's input gate
uses columns ``0:H`` of ``kernel``, ``recurrent_kernel`` and ``bias``, its forget gate
``H:2H``, and so on. ``use_bias=False`` layers have no ``bias`` (``None`` here).

Two records, one SimpleRNN. :class:`~rnn_lab.weights.SimpleRNNWeights` is the whole model of
chapters 1-8, ``SimpleRNN -> Dense``, as five arrays with the book's names (``Wx, Wh, Bh, Wo,
Bo``). :class:`CellWeights` here is one recurrent *layer* of any kind, as the three arrays Keras
stores (``kernel, recurrent_kernel, bias``, gates packed side by side), for chapters 9-11. For a
SimpleRNN they hold the same numbers: ``kernel = Wx``, ``recurrent_kernel = Wh``, ``bias = Bh``;
:func:`cell_weights_from_simple_rnn` and :func:`simple_rnn_weights_from_cell` convert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import (
    as_float_array,
    check_dtype_name,
    check_positive_int,
    check_record,
    check_shape,
)
from ..weights import SimpleRNNWeights, dimension, store_frozen

Activation = Callable[[np.ndarray], np.ndarray]

#: Gate blocks of each cell, in the order Keras packs them along the last axis.
GATE_ORDER: dict[str, tuple[str, ...]] = {
    "SimpleRNN": ("h",),
    "LSTM": ("i", "f", "c", "o"),
    "GRU": ("z", "r", "h"),
}
CELL_KINDS = tuple(GATE_ORDER)


# --- activations: the NumPy twins of keras.activations -------------------------------------


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``σ(x) = 1 / (1 + e^{-x})``, written with ``e^{-|x|}`` so that it never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """Keras 3's ``hard_sigmoid``: ``relu6(x + 3) / 6``, i.e. ``clip(x/6 + 1/2, 0, 1)``."""
    return np.clip(x + 3, 0, 6) / x.dtype.type(6)


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``."""
    return np.maximum(x, 0)


def linear(x: np.ndarray) -> np.ndarray:
    """The identity (Keras's ``activation=None``)."""
    return x


def _shifted(logits: Any) -> np.ndarray:
    """``y - m``, ``m = max_j y[j]`` over the last axis (integers as float64)."""
    y = np.asarray(logits)
    if y.dtype.kind != "f":
        y = y.astype(np.float64)
    return y - y.max(axis=-1, keepdims=True)


def softmax(logits: Any) -> np.ndarray:
    """``p[k] = exp(y[k] - m) / Σ_j exp(y[j] - m)`` over the last axis, ``m = max_j y[j]``.

    Subtracting the maximum changes nothing mathematically and keeps ``exp`` from
    overflowing: the largest exponent is 0.
    """
    e = np.exp(_shifted(logits))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(logits: Any) -> np.ndarray:
    """``log p[k] = y[k] - m - log Σ_j exp(y[j] - m)``, stable for any logits."""
    shifted = _shifted(logits)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


#: Keras activation name -> NumPy function. Keras 2's hard_sigmoid (slope 0.2) differs
#: from Keras 3's (slope 1/6); this table follows Keras 3.
ACTIVATIONS: dict[str, Activation] = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "relu": relu,
    "linear": linear,
}


def get_activation(name: str) -> Activation:
    """The NumPy function for a Keras activation name; ``ValueError`` for unknown names."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation {name!r} has no NumPy twin here; supported: {sorted(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]


# --- the weights ---------------------------------------------------------------------------


def check_kind(kind: Any) -> str:
    if kind not in GATE_ORDER:
        raise ValueError(f"kind must be one of {CELL_KINDS}; got {kind!r}")
    return kind


def bias_shape(kind: str, hidden_units: int, *, reset_after: bool | None = None) -> tuple:
    """Shape of Keras's ``bias``: ``(GH,)``, or ``(2, 3H)`` for a GRU with ``reset_after``."""
    GH = len(GATE_ORDER[check_kind(kind)]) * hidden_units
    return (2, GH) if kind == "GRU" and reset_after else (GH,)


@dataclass(frozen=True, eq=False)
class CellWeights:
    """``kernel (D, GH)``, ``recurrent_kernel (H, GH)``, ``bias`` of one recurrent cell.

    ``G`` is the number of gate blocks: 1 (SimpleRNN), 4 (LSTM, ``[i, f, c, o]``) or
    3 (GRU, ``[z, r, h]``). ``bias`` is ``None`` for ``use_bias=False``. ``reset_after``
    is required for a GRU (it decides the bias shape and the candidate's equation) and
    must be ``None`` otherwise. Arrays are stored as read-only copies in one dtype.
    """

    kind: str
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray | None = None
    reset_after: bool | None = None

    def __post_init__(self) -> None:
        kind = check_kind(self.kind)
        if kind == "GRU" and not isinstance(self.reset_after, bool):
            raise TypeError(f"a GRU needs reset_after=True or False; got {self.reset_after!r}")
        if kind != "GRU" and self.reset_after is not None:
            raise ValueError(f"reset_after only applies to a GRU; got it for a {kind}")
        G = len(GATE_ORDER[kind])
        kernel = as_float_array("kernel", self.kernel, ndim=2, layout=f"(D, {G}H)")
        recurrent = as_float_array(
            "recurrent_kernel", self.recurrent_kernel, ndim=2, layout=f"(H, {G}H)"
        )
        H = recurrent.shape[0]
        check_shape("recurrent_kernel", recurrent, (H, G * H), f"(H, {G}H)")
        check_shape("kernel", kernel, (kernel.shape[0], G * H), f"(D, {G}H) with H = {H}")
        arrays = {"kernel": kernel, "recurrent_kernel": recurrent}
        if self.bias is not None:
            shape = bias_shape(kind, H, reset_after=self.reset_after)
            layout = "(2, 3H)" if len(shape) == 2 else f"({G}H,)"
            bias = as_float_array("bias", self.bias, ndim=len(shape), layout=layout)
            check_shape("bias", bias, shape, f"{layout} with H = {H}")
            arrays["bias"] = bias
        store_frozen(self, arrays)  # bias stays None without use_bias

    dims = dimension("kernel", 0, "``D``, input features per timestep.")
    hidden_units = dimension("recurrent_kernel", 0, "``H``, the size of the hidden state.")

    @property
    def dtype(self) -> np.dtype:
        return self.kernel.dtype

    @property
    def use_bias(self) -> bool:
        return self.bias is not None

    def as_list(self) -> list[np.ndarray]:
        """``[kernel, recurrent_kernel(, bias)]``: the order of ``layer.get_weights()``."""
        return [self.kernel, self.recurrent_kernel] + ([self.bias] if self.use_bias else [])

    def astype(self, dtype: Any) -> CellWeights:
        """The same weights in ``dtype`` (float32 or float64)."""
        dtype = check_dtype_name(dtype)
        bias = None if self.bias is None else self.bias.astype(dtype)
        return CellWeights(
            self.kind,
            self.kernel.astype(dtype),
            self.recurrent_kernel.astype(dtype),
            bias,
            self.reset_after,
        )

    def blocks(self) -> dict[str, dict[str, np.ndarray]]:
        """Unpack the gates: ``{gate: {"Wx": (D,H), "Wh": (H,H), "B": (H,)}}``.

        ``B`` is the gate's bias (``B^(i)``, ``B^(f)``, ... in the book; for a SimpleRNN the
        one block ``"h"`` has ``B = Bh``, the hidden bias). A GRU with ``reset_after=True``
        has two biases per gate instead of ``B``: ``Bx`` (Keras's ``bias[0]``, added to
        ``x_t·Wx``) and ``Bhh`` (``bias[1]``, added to ``h_{t-1}·Wh``, PyTorch's
        ``bias_hh``); ``Bh`` is kept for the SimpleRNN's hidden bias alone. No bias entries
        for ``use_bias=False``. Views, not copies.
        """
        H = self.hidden_units
        out = {}
        for k, gate in enumerate(GATE_ORDER[self.kind]):
            cols = slice(k * H, (k + 1) * H)
            block = {"Wx": self.kernel[:, cols], "Wh": self.recurrent_kernel[:, cols]}
            if self.bias is not None and self.bias.ndim == 2:
                block["Bx"], block["Bhh"] = self.bias[0, cols], self.bias[1, cols]
            elif self.bias is not None:
                block["B"] = self.bias[cols]
            out[gate] = block
        return out

    def __repr__(self) -> str:
        shapes = ", ".join(
            f"{name}={getattr(self, name).shape}"
            for name in ("kernel", "recurrent_kernel", "bias")
            if getattr(self, name) is not None
        )
        extra = "" if self.reset_after is None else f", reset_after={self.reset_after}"
        return f"CellWeights({self.kind}, {shapes}{extra}, dtype={self.dtype.name})"


def cell_weights_from_simple_rnn(weights: SimpleRNNWeights) -> CellWeights:
    """The recurrent layer of a ``SimpleRNN -> Dense`` record as a ``SimpleRNN`` cell:
    ``kernel = Wx``, ``recurrent_kernel = Wh``, ``bias = Bh`` (the Dense layer's ``Wo, Bo``
    are not part of the cell)."""
    weights = check_record("weights", weights, SimpleRNNWeights)
    return CellWeights("SimpleRNN", weights.Wx, weights.Wh, weights.Bh)


def simple_rnn_weights_from_cell(cell: CellWeights, Wo: Any, Bo: Any) -> SimpleRNNWeights:
    """The five-array record of ``SimpleRNN -> Dense`` from a ``SimpleRNN`` cell with a bias
    and the Dense layer's ``Wo (H, O)``, ``Bo (O,)``: ``Wx = kernel``, ``Wh =
    recurrent_kernel``, ``Bh = bias``."""
    cell = check_record("cell", cell, CellWeights)
    if cell.kind != "SimpleRNN" or cell.bias is None:
        raise ValueError(
            "only a SimpleRNN cell with a bias has the arrays Wx, Wh, Bh; "
            f"got {cell.kind} with use_bias={cell.use_bias}"
        )
    return SimpleRNNWeights(cell.kernel, cell.recurrent_kernel, cell.bias, Wo, Bo)


def random_cell_weights(
    kind: str,
    dims: int,
    hidden_units: int,
    *,
    reset_after: bool | None = None,
    use_bias: bool = True,
    seed: int = 0,
    dtype: Any = "float32",
    scale: float = 0.5,
) -> CellWeights:
    """Random weights with **non-zero biases and a different value in every entry**.

    ``kernel`` and ``bias`` are uniform in ``[-scale, scale]``, ``recurrent_kernel``
    uniform in ``[-1, 1]/sqrt(H)`` (each gate block has spectral radius near 0.58, a
    stable recurrence). Keras's initial biases are zeros (plus ones for the LSTM's
    forget gate): a loop that swapped two gates' biases, dropped the GRU's second bias
    row or read a transposed block could still agree with them; not with these.
    A GRU defaults to ``reset_after=True``, as in Keras.
    """
    kind = check_kind(kind)
    D = check_positive_int("dims", dims)
    H = check_positive_int("hidden_units", hidden_units)
    dtype = check_dtype_name(dtype)
    if kind == "GRU" and reset_after is None:
        reset_after = True
    G = len(GATE_ORDER[kind])
    rng = np.random.default_rng(seed)
    kernel = rng.uniform(-scale, scale, (D, G * H))
    recurrent = rng.uniform(-1.0, 1.0, (H, G * H)) / np.sqrt(H)
    bias = (
        rng.uniform(-scale, scale, bias_shape(kind, H, reset_after=reset_after))
        if use_bias
        else None
    )
    return CellWeights(
        kind,
        kernel.astype(dtype),
        recurrent.astype(dtype),
        None if bias is None else bias.astype(dtype),
        reset_after,
    )


def count_cell_parameters(
    kind: str, dims: int, hidden_units: int, *, reset_after: bool = True, use_bias: bool = True
) -> int:
    """Trainable parameters of a Keras recurrent layer.

    SimpleRNN ``DH + H² + H``; LSTM ``4(DH + H² + H)``; GRU ``3(DH + H² + 2H)`` with
    ``reset_after=True`` (two bias rows), ``3(DH + H² + H)`` without. ``use_bias=False``
    drops the bias terms. ``reset_after`` is ignored for SimpleRNN and LSTM.
    """
    kind = check_kind(kind)
    D = check_positive_int("dims", dims)
    H = check_positive_int("hidden_units", hidden_units)
    G = len(GATE_ORDER[kind])
    bias_rows = (2 if kind == "GRU" and reset_after else 1) if use_bias else 0
    return G * (D * H + H * H + bias_rows * H)
