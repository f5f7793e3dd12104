"""Every figure of the book, grouped by what it draws: :mod:`.basics` (a sample's inputs, the
weight matrices, the Keras-vs-loop error per timestep), :mod:`.states` (the hidden state
``h_t`` over time, as a heat map and in 2-D), :mod:`.stability` (error growth, eigenvalues of
``Wh``, sensitivity), :mod:`.gradients` (``‖dL/dh_t‖``, truncation, clipping, training curves),
:mod:`.gates` (LSTM/GRU gates and weight layouts), :mod:`.text` (the language model:
perplexity, training curves, text coloured by a hidden unit), :mod:`.gated` (the gradient
reaching each step for several cells, the delay each can bridge), :mod:`.masks` (the state
carried through padded steps), :mod:`.attention` (attention heat maps) and :mod:`.diagrams`
(a drawn timestep); :mod:`.axes` holds the one helper they share, :mod:`.alt_text` describes
every figure for screen readers and :mod:`.palette` sets the colour-blind-safe colours. Each
function takes arrays, not models, labels its axes in the book's notation and returns what it
drew. Plots may import the maths
(the top-level modules of :mod:`rnn_lab`) and each other, never the explorer, the benchmark,
the book tooling or the checks.
"""

from .attention import plot_attention_maps
from .basics import plot_error_per_timestep, plot_inputs, plot_weight_matrices
from .diagrams import draw_timestep
from .gated import plot_delay_sweep, plot_gradient_reach, plot_gradient_reach_before_after
from .gates import plot_gate_heatmaps, plot_state_lines, plot_weight_layout
from .gradients import (
    plot_clipping,
    plot_gradient_norms,
    plot_loss_curves,
    plot_predictions,
    plot_training_comparison,
    plot_truncation_errors,
)
from .masks import plot_carried_state
from .stability import (
    plot_eigenvalues,
    plot_error_growth,
    plot_hidden_trajectories,
    plot_scale_sweep,
    plot_sensitivity,
)
from .states import (
    plot_projected_trajectory,
    plot_state_heatmap,
    plot_state_overview,
    plot_unit_trajectories,
)

__all__ = [
    "draw_timestep",
    "plot_attention_maps",
    "plot_carried_state",
    "plot_clipping",
    "plot_delay_sweep",
    "plot_eigenvalues",
    "plot_error_growth",
    "plot_error_per_timestep",
    "plot_gate_heatmaps",
    "plot_gradient_norms",
    "plot_gradient_reach",
    "plot_gradient_reach_before_after",
    "plot_hidden_trajectories",
    "plot_inputs",
    "plot_loss_curves",
    "plot_predictions",
    "plot_projected_trajectory",
    "plot_scale_sweep",
    "plot_sensitivity",
    "plot_state_heatmap",
    "plot_state_lines",
    "plot_state_overview",
    "plot_training_comparison",
    "plot_truncation_errors",
    "plot_unit_trajectories",
    "plot_weight_layout",
    "plot_weight_matrices",
]
