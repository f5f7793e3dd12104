"""`from rnn_lab import X` keeps working for every public name the flat package had.

The list is a copy of ``rnn_lab.__all__`` before the package was regrouped into rooms by role
(issue 12); it is written out, not read from the package, so that a name dropped from
``__all__`` fails here instead of silently disappearing.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import rnn_lab

PUBLIC_BEFORE_REGROUPING = (
    "Adam", "CellWeights", "ExplorerConfig", "ExplorerResult", "FLOAT32_ATOL", "FLOAT64_ATOL",
    "Gradients", "RecurrentConfig", "SGD", "SimpleRNNWeights", "TrainingHistory",
    "UnsupportedLayerError", "build_keras_model", "build_static_explorer",
    "clip_by_global_norm", "count_cell_parameters", "count_parameters", "delayed_copy_task",
    "draw_timestep", "error_per_timestep", "explore", "finite_difference_gradients",
    "global_norm", "glue", "glue_math", "gradient_errors", "gru_step", "hidden_states",
    "import_keras", "keras_gradients", "keras_reference", "keras_to_torch", "lstm_step",
    "machine_epsilon", "make_sequences", "manual_backward", "manual_forward", "max_abs_error",
    "measure_agreement", "numerical_gradient", "numerical_weight_gradients", "numpy_replay",
    "plot_error_per_timestep", "plot_gate_heatmaps", "plot_gradient_norms", "plot_inputs",
    "plot_loss_curves", "plot_predictions", "plot_projected_trajectory", "plot_state_heatmap",
    "plot_state_lines", "plot_state_overview", "plot_training_comparison",
    "plot_truncation_errors", "plot_unit_trajectories", "plot_weight_layout",
    "plot_weight_matrices", "project_trajectory", "random_cell_weights", "random_weights",
    "relative_error", "replay", "rnn_step", "run_benchmark", "saturated_fraction", "seed_loop",
    "set_keras_weights", "setup_notebook", "show_table", "simple_rnn_step", "spectral_radius",
    "tolerance_for", "torch_style_forward", "torch_to_keras", "trace_gates", "train_keras",
    "train_manual", "weights_from_keras", "weights_from_list",
)  # fmt: skip


@pytest.mark.parametrize("name", PUBLIC_BEFORE_REGROUPING)
def test_every_old_public_name_is_still_importable(name):
    assert name in rnn_lab.__all__
    value = getattr(rnn_lab, name)
    module = getattr(value, "__module__", None)
    if module is not None and module.startswith("rnn_lab."):
        # the name is the object its home module defines, not a copy
        assert getattr(importlib.import_module(module), name) is value


def test_from_import_star_gives_every_old_name():
    namespace: dict = {}
    exec("from rnn_lab import *", namespace)
    assert set(PUBLIC_BEFORE_REGROUPING) <= set(namespace)


def test_importing_the_package_does_not_import_tensorflow():
    code = "import sys, rnn_lab; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
