"""A drawn diagram of one timestep of ``SimpleRNN -> Dense``, with every array's shape."""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .axes import new_axes


def draw_timestep(*, dims: int = 3, hidden_units: int = 5, outputs: int = 5, ax=None):
    """Draw ``h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh)``, ``y_t = h_t·Wo + Bo`` as boxes and
    arrows, labelled with the shapes for ``D``, ``H``, ``O``. Returns ``(fig, ax)``."""
    D, H, O = dims, hidden_units, outputs
    fig, ax = new_axes(ax, figsize=(8.0, 4.2))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5.4)
    ax.set_axis_off()

    def box(x, y, text, color, w=1.6, h=0.8):
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0.05",
                facecolor=color,
                edgecolor="0.25",
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=9)

    def arrow(start, end, label=None, offset=(0, 0.18)):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="0.25"))
        if label:
            mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
            ax.text(mx, my, label, ha="center", va="bottom", fontsize=8, color="0.15")

    inputs, state, weights, dense = "#dbe9f6", "#fde2c8", "#e6e6e6", "#d9f0d3"
    box(1.0, 1.0, f"$x_t$\n(n, {D})", inputs)
    box(1.0, 3.2, f"$h_{{t-1}}$\n(n, {H})", state)
    box(4.0, 2.1, "+  $B_h$\n" + f"({H},)", weights, w=1.5)
    box(5.9, 2.1, "tanh", weights, w=1.1)
    box(7.7, 2.1, f"$h_t$\n(n, {H})", state)
    box(7.7, 4.5, f"$y_t = h_t W_o + B_o$\n(n, {O})", dense, w=2.6)
    arrow((1.8, 1.0), (3.25, 1.9), f"$\\cdot W_x$  ({D}, {H})", offset=(-0.1, -0.55))
    arrow((1.8, 3.2), (3.25, 2.3), f"$\\cdot W_h$  ({H}, {H})", offset=(-0.1, 0.15))
    arrow((4.75, 2.1), (5.35, 2.1))
    arrow((6.45, 2.1), (6.9, 2.1))
    arrow((7.7, 2.5), (7.7, 4.1), f"Dense: $\\cdot W_o$ ({H}, {O})", offset=(1.05, -0.1))
    # the recurrence: h_t goes back round to be the next step's h_{t-1}
    ax.add_patch(
        FancyArrowPatch(
            (7.3, 2.5),
            (1.0, 3.6),
            connectionstyle="arc3,rad=0.35",
            arrowstyle="-|>",
            mutation_scale=12,
            color="#c0712b",
            linestyle="--",
        )
    )
    ax.text(
        3.6,
        4.75,
        "$h_t$ becomes $h_{t-1}$ of the next timestep",
        ha="center",
        fontsize=8,
        color="#c0712b",
    )
    ax.set_title("One timestep of SimpleRNN → Dense (n samples at once)", fontsize=10)
    return fig, ax
