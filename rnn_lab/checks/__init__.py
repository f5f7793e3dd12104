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
from .ch07 import check_backward_step, check_grad_Wh
from .ch08 import check_adam_step, check_momentum_step
from .ch09 import check_initial_lstm_bias, check_lstm_forward
from .ch10 import check_gru_forward
from .ch11 import check_gru_weight_ih, check_lstm_bias_from_torch
from .ch12 import check_perplexity_from_losses, check_sample_with_temperature, check_softmax_ce_grad
from .core import TIME_LIMIT_S, CheckResult

__all__ = [
    "TIME_LIMIT_S",
    "CheckResult",
    "check_adam_step",
    "check_agree",
    "check_backward_step",
    "check_count_params",
    "check_doubled_wh",
    "check_forward_batch",
    "check_forward_from",
    "check_forward_one",
    "check_forward_sequences",
    "check_grad_Wh",
    "check_gru_forward",
    "check_gru_weight_ih",
    "check_initial_lstm_bias",
    "check_lstm_bias_from_torch",
    "check_lstm_forward",
    "check_momentum_step",
    "check_output_shape",
    "check_perplexity_from_losses",
    "check_sample_with_temperature",
    "check_scaled_states",
    "check_softmax_ce_grad",
    "check_step",
    "check_step_output",
    "check_weight_shapes",
    "check_worst_timestep",
]
