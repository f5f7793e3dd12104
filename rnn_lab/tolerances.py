"""How close "agrees with Keras" has to be, per dtype.

Machine epsilon is the gap between 1 and the next representable number:
``2**-23 ≈ 1.19e-7`` in float32 and ``2**-52 ≈ 2.22e-16`` in float64. One step of the
recurrence sums ``D + H`` products and takes a ``tanh``; Keras and NumPy add those
products in different orders (and TensorFlow may use fused, blocked kernels), so each
step can differ by a few epsilon. Because ``|tanh'| <= 1`` and a stable ``Wh`` shrinks
old differences, they do not snowball over time. The tolerances below leave a margin of
about 80 epsilon in float32 and about 4500 in float64: large enough that honest rounding
never trips them, small enough that any real mistake (a missing bias, a transposed
``Wh``, a different activation) overshoots them by orders of magnitude.

The two distances every comparison in the book uses live here too: :func:`max_abs_error`
(``max |a - b|``) and :func:`relative_error` (``‖a - b‖ / max(‖a‖, ‖b‖)``, for gradients).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import check_dtype_name

#: Largest |Keras - manual| accepted in float32.
FLOAT32_ATOL = 1e-5
#: Largest |Keras - manual| accepted in float64.
FLOAT64_ATOL = 1e-12
#: Largest difference, in float32 machine epsilons, between hidden states computed by the
#: same formula with one routine swapped for another library's (a matrix product, the
#: ``tanh``) or the bias added in the other order, on the short (T <= 30), contracting
#: runs the tests use. Which values come out bit-identical depends on the processor's
#: kernels; the size of the difference does not: each step sums ``D + H + 1`` terms whose
#: rounding a kernel may order as it likes, and ``tanh`` routines differ by a few ulps.
#: Measured differences are 1-4 ε (chapter 6); 16 ε leaves a margin for other machines
#: and is still 5 times tighter than ``FLOAT32_ATOL``.
KERNEL_SWAP_EPS = 16


def tolerance_for(dtype: Any) -> float:
    """``FLOAT32_ATOL`` or ``FLOAT64_ATOL`` for ``dtype``."""
    return FLOAT32_ATOL if check_dtype_name(dtype).name == "float32" else FLOAT64_ATOL


def machine_epsilon(dtype: Any) -> float:
    """``np.finfo(dtype).eps``: 1.19e-07 for float32, 2.22e-16 for float64."""
    return float(np.finfo(check_dtype_name(dtype)).eps)


#: Largest relative error ``‖a − b‖ / max(‖a‖, ‖b‖)`` accepted between a gradient computed by
#: hand and the same gradient from ``tf.GradientTape``, per dtype. Both sides round every
#: product to half an ulp and sum ``n·T`` terms per weight in different orders; measured
#: errors are 1e-7..3e-7 in float32 and below 1e-15 in float64 (chapters 7 and 13), so these
#: leave a margin of ~30 in float32 and ~10⁵ in float64, while a real mistake (a missing
#: term, a wrong gate) gives 1e-3..1.
GRADIENT_RTOL = {"float32": 1e-5, "float64": 1e-10}
#: The same against central finite differences (float64, step ``gradcheck.FD_STEP``):
#: truncation (∝ s²) and rounding (∝ ε/s) are each ~1e-11 relative, measured up to ~1e-9.
FD_GRADIENT_RTOL = 1e-7


def max_abs_error(a: object, b: object) -> float:
    """``max |a - b|`` over all entries, computed in float64; shapes must match."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b)))


def relative_error(a: Any, b: Any) -> float:
    """``‖a - b‖ / max(‖a‖, ‖b‖)`` (Frobenius norms, in float64); 0 when both are zero.

    Unlike the largest entry-wise ratio ``|a_i - b_i| / max(|a_i|, |b_i|)``, it is not
    dominated by entries that should be zero but carry rounding noise.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)
