"""rnn_lab: Keras's SimpleRNN rebuilt in NumPy, the helper package of the rnn-lab book.

This is the front door: the maths lives in the top-level modules, the figures in
:mod:`rnn_lab.plots`, the rest in rooms by role (:mod:`rnn_lab.explorer`, :mod:`rnn_lab.bench`,
:mod:`rnn_lab.book`, :mod:`rnn_lab.checks`); see the README, "How the code is organised".

The pure-NumPy parts import eagerly; everything that needs TensorFlow
(``build_keras_model``, ``weights_from_keras``, ``error_per_timestep``, ...) is loaded
on first use, so ``import rnn_lab`` does not pay for importing TensorFlow.
"""

from __future__ import annotations

import importlib

from .backward import Gradients, manual_backward
from .cells.replay import RecurrentConfig, UnsupportedLayerError, replay
from .cells.steps import gru_step, lstm_step, simple_rnn_step, trace_gates
from .cells.weights import (
    CellWeights,
    cell_weights_from_simple_rnn,
    count_cell_parameters,
    random_cell_weights,
    simple_rnn_weights_from_cell,
)
from .forward import hidden_states, manual_forward, rnn_step, seed_loop
from .gradcheck import (
    finite_difference_gradients,
    gradient_errors,
    keras_gradients,
    numerical_gradient,
    numerical_weight_gradients,
)
from .keras_side.agreement import measure_agreement
from .keras_side.porting import keras_to_torch, torch_style_forward, torch_to_keras
from .keras_side.replay import numpy_replay
from .tolerances import FLOAT32_ATOL, FLOAT64_ATOL, machine_epsilon, relative_error, tolerance_for
from .training.keras_loops import train_keras
from .training.optimizers import SGD, Adam, clip_by_global_norm, global_norm
from .training.simple_rnn import TrainingHistory, delayed_copy_task, train_manual
from .weights import (
    SimpleRNNWeights,
    count_parameters,
    make_sequences,
    random_weights,
    weights_from_list,
)

__version__ = "0.1.0"

# name -> module for the parts that import TensorFlow or matplotlib when first used
_LAZY = {
    "import_keras": "keras_side.models",
    "build_keras_model": "keras_side.models",
    "weights_from_keras": "keras_side.models",
    "set_keras_weights": "keras_side.models",
    "keras_reference": "keras_side.models",
    "error_per_timestep": "forward",
    "max_abs_error": "tolerances",
    "plot_error_per_timestep": "plots.basics",
    "plot_inputs": "plots.basics",
    "plot_weight_matrices": "plots.basics",
    "show_table": "book.notebook",
    "draw_timestep": "plots.diagrams",
    "run_benchmark": "bench.harness",
    "spectral_radius": "stability",
    "saturated_fraction": "stability",
    "explore": "explorer.compute",
    "ExplorerConfig": "explorer.compute",
    "ExplorerResult": "explorer.compute",
    "project_trajectory": "projection",
    "plot_unit_trajectories": "plots.states",
    "plot_state_heatmap": "plots.states",
    "plot_projected_trajectory": "plots.states",
    "plot_state_overview": "plots.states",
    "build_static_explorer": "explorer.static",
    "plot_gradient_norms": "plots.gradients",
    "plot_truncation_errors": "plots.gradients",
    "plot_loss_curves": "plots.gradients",
    "plot_training_comparison": "plots.gradients",
    "plot_predictions": "plots.gradients",
    "plot_gate_heatmaps": "plots.gates",
    "plot_state_lines": "plots.gates",
    "plot_weight_layout": "plots.gates",
    "setup_notebook": "book.notebook",
    "glue": "book.notebook",
    "glue_math": "book.notebook",
}

__all__ = [
    "Adam",
    "Gradients",
    "SGD",
    "TrainingHistory",
    "clip_by_global_norm",
    "delayed_copy_task",
    "finite_difference_gradients",
    "global_norm",
    "gradient_errors",
    "keras_gradients",
    "manual_backward",
    "numerical_gradient",
    "numerical_weight_gradients",
    "relative_error",
    "train_keras",
    "train_manual",
    "FLOAT32_ATOL",
    "FLOAT64_ATOL",
    "CellWeights",
    "cell_weights_from_simple_rnn",
    "simple_rnn_weights_from_cell",
    "RecurrentConfig",
    "SimpleRNNWeights",
    "UnsupportedLayerError",
    "count_cell_parameters",
    "count_parameters",
    "gru_step",
    "keras_to_torch",
    "lstm_step",
    "measure_agreement",
    "numpy_replay",
    "random_cell_weights",
    "replay",
    "simple_rnn_step",
    "torch_style_forward",
    "torch_to_keras",
    "trace_gates",
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
