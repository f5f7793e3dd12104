"""Self-checking exercises: one checker per exercise, ``check_xxx(answer)``.

Each checker runs the learner's function (or value) on hidden random cases against
Keras/NumPy references, prints ✓ with what was verified or ✗ with a diagnosis that
names a recognised mistake, and returns a :class:`CheckResult`. A checker never
raises because of the learner's code.
"""

from __future__ import annotations

from .ch01 import check_count_params, check_output_shape
from .ch02 import check_step, check_step_output, check_weight_shapes
from .ch03 import (
    check_agree,
    check_forward_batch,
    check_forward_from,
    check_forward_one,
    check_forward_sequences,
    check_worst_timestep,
)
from .ch04 import check_doubled_wh, check_scaled_states
from .core import TIME_LIMIT_S, CheckResult

__all__ = [
    "TIME_LIMIT_S",
    "CheckResult",
    "check_agree",
    "check_count_params",
    "check_doubled_wh",
    "check_forward_batch",
    "check_forward_from",
    "check_forward_one",
    "check_forward_sequences",
    "check_output_shape",
    "check_scaled_states",
    "check_step",
    "check_step_output",
    "check_weight_shapes",
    "check_worst_timestep",
]
