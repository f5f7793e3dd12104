"""Precision and stability of the recurrence ``h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)``.

Two questions, one mechanism. *How far apart are Keras and the manual loop?* Each step
adds a rounding difference of a few machine epsilons. *Does it grow along the
sequence?* To first order, a difference ``δ`` in ``h_{t-1}`` reaches ``h_t`` as

    δh_t = (δh_{t-1}·Wh) ⊙ (1 - h_t²)

so it is multiplied by ``Wh`` and damped by ``tanh' = 1 - h_t² ≤ 1`` at every step.
Over many steps ``Wh``'s spectral radius ``ρ(Wh)`` decides: below 1 old differences
(and old inputs) fade, well above 1 the units saturate or the dynamics turn chaotic
and amplify any difference, however small. The functions here measure each piece.

Which operations make Keras and NumPy differ at all is measured by swapping one routine
at a time (:func:`operation_swaps`): the matrix products, the additions, ``tanh`` and the
order of the bias. Matrix-product kernels are chosen per processor, so what comes out
bit-identical is a property of the machine (:func:`rnn_lab.book.doctor.machine_summary` names
it); how far apart two correct kernels can be is not (:func:`summation_bound`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._validate import as_float_array, check_dtype_name, check_features
from .forward import check_weights, error_per_timestep, hidden_states, manual_forward
from .keras_side.models import import_keras, keras_reference
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


def step_routines(library: str) -> dict[str, Callable[..., np.ndarray]]:
    """The routines one step is made of, from ``"numpy"`` or ``"tensorflow"``.

    ``{"matmul": A, B -> A·B, "add": a, b -> a + b, "tanh": a -> tanh(a)}``; every
    routine returns a NumPy array. ``"tensorflow"`` calls ``tf.matmul``, ``tf.add`` and
    ``tf.tanh``, the ops Keras's ``SimpleRNNCell`` runs on the TensorFlow backend.
    """
    if library == "numpy":
        return {"matmul": np.matmul, "add": np.add, "tanh": np.tanh}
    if library == "tensorflow":
        import_keras()  # TensorFlow, imported quietly
        import tensorflow as tf

        return {
            "matmul": lambda a, b: tf.matmul(a, b).numpy(),
            "add": lambda a, b: tf.add(a, b).numpy(),
            "tanh": lambda a: tf.tanh(a).numpy(),
        }
    raise ValueError(f"library must be 'numpy' or 'tensorflow'; got {library!r}")


def hidden_states_with(
    x: Any,
    weights: SimpleRNNWeights,
    *,
    matmul_x: Callable[[Any, Any], Any] | None = None,
    matmul_h: Callable[[Any, Any], Any] | None = None,
    add: Callable[[Any, Any], Any] | None = None,
    tanh: Callable[[Any], Any] | None = None,
    bias_first: bool = True,
) -> np.ndarray:
    """``h_t`` for every ``t``, shape ``(n, T, H)``, with every operation chosen.

    ``bias_first=True`` is Keras's order, ``h_t = tanh((x_t·Wx + Bh) + h_{t-1}·Wh)``;
    ``False`` is :func:`rnn_step`'s, ``tanh((x_t·Wx + h_{t-1}·Wh) + Bh)``. ``matmul_x``
    computes ``x_t·Wx``, ``matmul_h`` computes ``h_{t-1}·Wh``, ``add`` each ``+`` and
    ``tanh`` the activation (NumPy's when not given; see :func:`step_routines`). The
    formula is the same whatever is chosen: only the rounding can differ.
    """
    weights = check_weights(weights)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    check_features("x", x, weights.dims, "Wx")
    routines = {"matmul_x": matmul_x, "matmul_h": matmul_h, "add": add, "tanh": tanh}
    for name, routine in routines.items():
        if routine is not None and not callable(routine):
            raise TypeError(f"{name} must be a function; got {type(routine).__name__}")
    numpy = step_routines("numpy")
    matmul_x = matmul_x or numpy["matmul"]
    matmul_h = matmul_h or numpy["matmul"]
    add, tanh = add or numpy["add"], tanh or numpy["tanh"]
    n, T, _ = x.shape
    h_t = np.zeros((n, weights.hidden_units), dtype=weights.dtype)
    states = np.empty((n, T, weights.hidden_units), dtype=weights.dtype)
    for t in range(T):
        x_t = np.ascontiguousarray(x[:, t, :])
        if bias_first:
            pre = add(add(matmul_x(x_t, weights.Wx), weights.Bh), matmul_h(h_t, weights.Wh))
        else:
            pre = add(add(matmul_x(x_t, weights.Wx), matmul_h(h_t, weights.Wh)), weights.Bh)
        h_t = np.asarray(tanh(pre), dtype=weights.dtype)
        states[:, t, :] = h_t
    return states


def hidden_states_keras_order(
    x: Any, weights: SimpleRNNWeights, *, tanh: Callable[[Any], Any] | None = None
) -> np.ndarray:
    """``h_t = tanh((x_t·Wx + Bh) + h_{t-1}·Wh)`` for every ``t``, shape ``(n, T, H)``.

    The same recurrence as :func:`hidden_states`, with the additions in the order
    Keras's ``SimpleRNNCell`` performs them (bias first) and NumPy's matrix products.
    Floating-point addition is not associative, so the order changes the last bit of
    some results. ``tanh`` may be another implementation, e.g. ``tf.tanh``.
    """
    return hidden_states_with(x, weights, tanh=tanh, bias_first=True)


#: The operation-swap experiment: each row starts from TensorFlow's own routines in
#: Keras's order (literally the operations Keras runs) and changes what it names.
OPERATION_SWAPS: dict[str, dict[str, Any]] = {
    "none: TensorFlow's routines, Keras's order": {},
    "x_t·Wx by NumPy's matmul": {"matmul_x": "numpy"},
    "h_(t-1)·Wh by NumPy's matmul": {"matmul_h": "numpy"},
    "the additions by NumPy's +": {"add": "numpy"},
    "tanh by NumPy's np.tanh": {"tanh": "numpy"},
    "bias added last": {"bias_first": False},
    "all but tanh NumPy's (hidden_states_keras_order with tf.tanh)": {
        "matmul_x": "numpy", "matmul_h": "numpy", "add": "numpy"},
    "everything NumPy's (our rnn_step)": {
        "matmul_x": "numpy", "matmul_h": "numpy", "add": "numpy", "tanh": "numpy",
        "bias_first": False},
}  # fmt: skip


def agreement(a: Any, b: Any) -> dict[str, float]:
    """How closely two float arrays of one dtype and shape agree, value by value.

    ``"identical"``: the fraction of bit-identical values; ``"max_abs"``: ``max |a - b|``;
    ``"max_eps"``: the same in machine epsilons ``ε`` of the dtype (for values in
    ``[-1, 1]``, one ulp is at most ``ε``); ``"max_ulps"``: the largest
    :func:`ulp_difference`, counted in the ulps of each value itself (large for values
    near 0, whose ulps are tiny).
    """
    ulps = ulp_difference(a, b)  # checks dtype and shape
    difference = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    return {
        "identical": float(np.mean(ulps == 0)),
        "max_abs": float(difference.max(initial=0.0)),
        "max_eps": float(difference.max(initial=0.0) / np.finfo(np.asarray(a).dtype).eps),
        "max_ulps": float(ulps.max(initial=0.0)),
    }


def operation_swaps(weights: SimpleRNNWeights, x: Any) -> dict[str, dict[str, float]]:
    """Keras's ``h_t`` against the loop of :func:`hidden_states_with`, one change at a time.

    For each row of :data:`OPERATION_SWAPS`, the loop runs TensorFlow's routines
    (:func:`step_routines`) in Keras's order except for the changes the row names, and
    :func:`agreement` compares its ``(n, T, H)`` states with :func:`keras_hidden_states`.
    The first row changes nothing, so it is bit for bit Keras's computation on any
    machine; each other row shows what one routine contributes on *this* machine.
    """
    weights = check_weights(weights)
    x = as_float_array("x", x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    keras_h = keras_hidden_states(weights, x)
    libraries = {name: step_routines(name) for name in ("numpy", "tensorflow")}
    results = {}
    for label, changes in OPERATION_SWAPS.items():
        choice = {"matmul_x": "tensorflow", "matmul_h": "tensorflow", "add": "tensorflow",
                  "tanh": "tensorflow", "bias_first": True, **changes}  # fmt: skip
        bias_first = choice.pop("bias_first")
        routines = {
            slot: libraries[library]["matmul" if slot.startswith("matmul") else slot]
            for slot, library in choice.items()
        }
        ours = hidden_states_with(x, weights, bias_first=bias_first, **routines)
        results[label] = agreement(ours, keras_h)
    return results


def summation_bound(A: Any, B: Any) -> np.ndarray:
    """``γ_K·(|A|·|B|)``, the most a float matrix product ``A·B`` can be off, per entry.

    Each entry is a sum of ``K`` products (``A`` is ``(n, K)``, ``B`` is ``(K, m)``).
    Whatever the order of the additions, blocked or not, with or without fused
    multiply-adds, the rounded result is within ``γ_K·Σ_k |A_ik|·|B_kj|`` of the exact
    one, where ``γ_K = K·u / (1 - K·u)`` and ``u = ε / 2`` (Higham, *Accuracy and
    Stability of Numerical Algorithms*, §3.1). Two correct kernels therefore differ
    by at most twice this, on any processor. Returned in float64, shape ``(n, m)``.
    """
    A = as_float_array("A", A, ndim=2, layout="(n, K)")
    B = as_float_array("B", B, ndim=2, layout="(K, m)")
    if A.shape[1] != B.shape[0]:
        raise ValueError(f"A is (n, K = {A.shape[1]}) but B is (K = {B.shape[0]}, m)")
    dtype = np.result_type(A.dtype, B.dtype)
    K, u = A.shape[1], np.finfo(dtype).eps / 2
    gamma = K * u / (1 - K * u)
    return gamma * (np.abs(A.astype(np.float64)) @ np.abs(B.astype(np.float64)))


def compare_matmuls(A: Any, B: Any) -> dict[str, float]:
    """NumPy's ``A @ B`` against TensorFlow's ``tf.matmul(A, B)``: one operation, two kernels.

    :func:`agreement` of the two products, plus ``"of_bound"``: the largest difference
    as a fraction of ``2·``:func:`summation_bound`, the most two correct kernels can
    differ by. ``"of_bound"`` is at most 1 on any machine; ``"identical"`` is whatever
    this processor's kernels make it.
    """
    A = as_float_array("A", A, ndim=2, layout="(n, K)")
    B = as_float_array("B", B, ndim=2, layout="(K, m)", dtype=A.dtype)
    bound = 2 * summation_bound(A, B)
    ours, theirs = A @ B, step_routines("tensorflow")["matmul"](A, B)
    difference = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
    of_bound = np.divide(difference, bound, out=np.zeros_like(bound), where=bound > 0)
    return {**agreement(ours, theirs), "of_bound": float(of_bound.max())}


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
