"""rnn_lab: Keras's SimpleRNN rebuilt in NumPy, the helper package of the rnn-lab book.

The pure-NumPy parts import eagerly; everything that needs TensorFlow
(``build_keras_model``, ``weights_from_keras``, ``error_per_timestep``, ...) is loaded
on first use, so ``import rnn_lab`` does not pay for importing TensorFlow.
"""

from __future__ import annotations

import importlib

from .data import make_sequences
from .forward import hidden_states, manual_forward, rnn_step, seed_loop
from .params import count_parameters
from .tolerances import FLOAT32_ATOL, FLOAT64_ATOL, machine_epsilon, tolerance_for
from .weights import SimpleRNNWeights, random_weights, weights_from_list

__version__ = "0.1.0"

# name -> module for the parts that import TensorFlow or matplotlib when first used
_LAZY = {
    "import_keras": "keras_models",
    "build_keras_model": "keras_models",
    "weights_from_keras": "keras_models",
    "set_keras_weights": "keras_models",
    "keras_reference": "keras_models",
    "error_per_timestep": "compare",
    "max_abs_error": "compare",
    "plot_error_per_timestep": "plots",
    "plot_inputs": "plots",
    "plot_weight_matrices": "plots",
    "show_table": "notebook",
    "draw_timestep": "diagrams",
    "setup_notebook": "notebook",
    "glue": "notebook",
    "glue_math": "notebook",
}

__all__ = [
    "FLOAT32_ATOL",
    "FLOAT64_ATOL",
    "SimpleRNNWeights",
    "count_parameters",
    "hidden_states",
    "machine_epsilon",
    "make_sequences",
    "manual_forward",
    "random_weights",
    "rnn_step",
    "seed_loop",
    "tolerance_for",
    "weights_from_list",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rnn_lab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
