"""Precision and stability of the recurrence ``h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)``.

Two questions, one mechanism. *How far apart are Keras and the manual loop?* Each step
adds a rounding difference of a few machine epsilons. *Does it grow along the
sequence?* To first order, a difference ``δ`` in ``h_{t-1}`` reaches ``h_t`` as

    δh_t = (δh_{t-1}·Wh) ⊙ (1 - h_t²)

so it is multiplied by ``Wh`` and damped by ``tanh' = 1 - h_t² ≤ 1`` at every step.
Over many steps ``Wh``'s spectral radius ``ρ(Wh)`` decides: below 1 old differences
(and old inputs) fade, well above 1 the units saturate or the dynamics turn chaotic
and amplify any difference, however small. The functions here measure each piece.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._validate import as_float_array, check_dtype_name, check_features
from .compare import error_per_timestep
from .forward import check_weights, hidden_states, manual_forward
from .keras_models import keras_reference
from .weights import SimpleRNNWeights

#: ``|h| >= 0.99`` counts as saturated: there ``tanh' = 1 - h² <= 0.02``, so the unit
#: passes on less than 2 % of any change to its input.
SATURATION_LEVEL = 0.99


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1 (|tanh| < 1); got {level}")
    return level


def spectral_radius(Wh: Any) -> float:
    """``ρ(Wh) = max_i |λ_i|``, the largest eigenvalue modulus of the square ``Wh (H, H)``.

    Without ``tanh`` and inputs, ``h_t = h_0·Wh^t`` would shrink like ``ρ^t`` for ``ρ < 1`` and
    blow up for ``ρ > 1``; ``tanh`` caps the blow-up at ``|h| < 1`` (saturation).
    """
    Wh = as_float_array("Wh", Wh, ndim=2, layout="(H, H)", dtype=np.float64)
    if Wh.shape[0] != Wh.shape[1]:
        raise ValueError(f"Wh must be square (H, H); got shape {Wh.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(Wh))))


def saturated_fraction(states: Any, level: float = SATURATION_LEVEL) -> float:
    """Fraction of hidden values with ``|h| >= level``: units stuck near ±1.

    ``states`` is any array of hidden states, e.g. ``(n, T, H)`` from :func:`hidden_states`.
    """
    level = _check_level(level)
    rank = max(np.ndim(states), 1)  # any rank >= 1: (H,), (T, H), (n, T, H) ...
    states = as_float_array("states", states, ndim=rank, layout="(n, T, H) or any rank >= 1")
    if np.any(np.abs(states) > 1.0):
        raise ValueError("states must be tanh outputs, within [-1, 1]")
    return float(np.mean(np.abs(states) >= level))


def error_growth(
    weights: SimpleRNNWeights, x: Any, dtypes: Iterable[Any] = ("float32", "float64")
) -> dict[str, np.ndarray]:
    """``e_t = max |y_t(Keras) - y_t(manual)|`` for each dtype, shape ``(T,)`` each.

    Weights and inputs are cast to each dtype and both sides compute in it. The
    first ``t`` outputs of a length-``T`` run are exactly the outputs of a length-``t``
    run, so ``e_t`` is also the error of the final output at sequence length ``t``.
    """
    weights = check_weights(weights)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)")
    result = {}
    for dtype in dtypes:
        dtype = check_dtype_name(dtype)
        result[dtype.name] = error_per_timestep(weights.astype(dtype), x.astype(dtype))
    return result


def keras_hidden_states(weights: SimpleRNNWeights, x: Any) -> np.ndarray:
    """Keras's ``h_1 .. h_T``, shape ``(n, T, H)``, bit for bit.

    Runs :func:`keras_reference` with the Dense layer set to the identity:
    ``y_t = h_t·I + 0`` adds exact zeros to exact products ``h·1``, so no rounding
    happens and ``y_t`` *is* Keras's ``h_t``.
    """
    weights = check_weights(weights)
    H, dtype = weights.hidden_units, weights.dtype
    probe = SimpleRNNWeights(weights.Wx, weights.Wh, weights.Bh, np.eye(H, dtype=dtype),
                             np.zeros(H, dtype=dtype))  # fmt: skip
    return keras_reference(probe, x, return_sequences=True)


def hidden_states_keras_order(
    x: Any, weights: SimpleRNNWeights, *, tanh: Callable[[Any], Any] | None = None
) -> np.ndarray:
    """``h_t = tanh((x_t·Wx + Bh) + h_{t-1}·Wh)`` for every ``t``, shape ``(n, T, H)``.

    The same recurrence as :func:`hidden_states`, with the additions in the order
    Keras's ``SimpleRNNCell`` performs them (bias first). Floating-point addition is
    not associative, so the order changes the last bit of some results. ``tanh`` may
    be another implementation, e.g. ``tf.tanh``; its result is converted to NumPy.
    """
    weights = check_weights(weights)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    check_features("x", x, weights.dims, "Wx")
    tanh = np.tanh if tanh is None else tanh
    n, T, _ = x.shape
    h_t = np.zeros((n, weights.hidden_units), dtype=weights.dtype)
    states = np.empty((n, T, weights.hidden_units), dtype=weights.dtype)
    for t in range(T):
        h_t = np.asarray(tanh((x[:, t, :] @ weights.Wx + weights.Bh) + h_t @ weights.Wh))
        states[:, t, :] = h_t
    return states


def distance_from_float64(weights: SimpleRNNWeights, x: Any) -> np.ndarray:
    """``max |y_t(float32) - y_t(float64)|`` of the manual loop at each step, ``(T,)``.

    The float64 result stands in for the exact answer (it is about 10⁹ times closer
    to it), so this is the float32 rounding error itself: the size to expect of any
    disagreement between two float32 implementations.
    """
    weights = check_weights(weights)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=np.float64)
    y32 = manual_forward(x.astype(np.float32), weights.astype("float32"), return_sequences=True)
    y64 = manual_forward(x, weights.astype("float64"), return_sequences=True)
    return np.abs(y32.astype(np.float64) - y64).max(axis=(0, 2))


def ulp_difference(a: Any, b: Any) -> np.ndarray:
    """``|a - b|`` in units in the last place: ``|a - b| / spacing(max(|a|, |b|))``.

    0 means bit-identical, 1 means neighbouring floats. Both arrays must have the
    same float dtype and shape; the result is float64 of that shape.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.dtype.name not in ("float32", "float64"):
        raise TypeError(f"a and b must share a float32 or float64 dtype; got {a.dtype}, {b.dtype}")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    spacing = np.spacing(np.maximum(np.abs(a), np.abs(b)))
    return np.abs(a.astype(np.float64) - b.astype(np.float64)) / spacing.astype(np.float64)


def sensitivity_to_h0(
    weights: SimpleRNNWeights, x: Any, *, delta: float = 1e-9, seed: int = 0
) -> np.ndarray:
    """``d_t = max |h_t(h_0 = δ·u) - h_t(h_0 = 0)|``, shape ``(T,)``, in float64.

    ``u`` is a random ±1 pattern, so the start differs by ``δ`` in every unit. The
    curve shows how the recurrence treats a small difference, such as a rounding
    error: it fades like ``ρ(Wh)^t`` when the recurrence contracts (the network
    forgets) and grows until ``O(1)`` when it is chaotic.
    """
    weights = check_weights(weights).astype("float64")
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=np.float64)
    delta = float(delta)
    if not (np.isfinite(delta) and 0.0 < delta < 1.0):
        raise ValueError(f"delta must be a small positive number (0 < delta < 1); got {delta}")
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=weights.hidden_units)
    h0 = np.broadcast_to(delta * signs, (x.shape[0], weights.hidden_units))
    return np.abs(hidden_states(x, weights, h0=h0) - hidden_states(x, weights)).max(axis=(0, 2))


def recurrent_scale_sweep(
    weights: SimpleRNNWeights, x: Any, scales: Any, *, with_keras: bool = True
) -> dict[str, np.ndarray]:
    """What scaling ``Wh`` by ``s`` does, for each ``s`` in ``scales``.

    Returns arrays of ``len(scales)``: ``"scale"``; ``"spectral_radius"``
    ``ρ(s·Wh) = s·ρ(Wh)``; ``"max_abs_h"`` ``max |h_t|``; ``"saturated_fraction"``
    (see :func:`saturated_fraction`); and, if ``with_keras``, ``"keras_error"``
    ``max_t e_t``, the largest ``|Keras - manual|`` over all outputs (in the weights' dtype).
    """
    weights = check_weights(weights)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    scales = as_float_array("scales", scales, ndim=1, layout="(k,)", dtype=np.float64)
    if np.any(scales <= 0):
        raise ValueError(f"scales must be positive; got {scales[scales <= 0]}")
    rows = []
    for s in scales:
        scaled = weights.scaled(s)
        states = hidden_states(x, scaled)
        row = [s, spectral_radius(scaled.Wh), np.abs(states).max(), saturated_fraction(states)]
        if with_keras:
            row.append(error_per_timestep(scaled, x).max())
        rows.append(row)
    names = ["scale", "spectral_radius", "max_abs_h", "saturated_fraction"]
    names += ["keras_error"] if with_keras else []
    columns = np.array(rows, dtype=np.float64).T
    return dict(zip(names, columns, strict=True))
