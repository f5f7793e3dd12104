"""Drawn diagrams: one timestep of ``SimpleRNN -> Dense`` with every array's shape, and one
LSTM and one GRU step with the path their backward pass keeps open."""

from __future__ import annotations

from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

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


# --- gated cells -----------------------------------------------------------------------------

_GATE, _PATH, _STATE, _INPUT = "#e6e6e6", "#c0712b", "#fde2c8", "#dbe9f6"


def _cell_helpers(ax):
    """Box, operator circle and arrow drawers for one axes, in the style of draw_timestep."""

    def box(x, y, text, color=_GATE, w=0.9, h=0.55):
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04",
                facecolor=color, edgecolor="0.25",
            )
        )  # fmt: skip
        ax.text(x, y, text, ha="center", va="center", fontsize=9)

    def op(x, y, symbol, color="white"):
        ax.add_patch(Circle((x, y), 0.22, facecolor=color, edgecolor="0.25", zorder=3))
        ax.text(x, y, symbol, ha="center", va="center", fontsize=10, zorder=4)

    def arrow(start, end, color="0.25", width=1.0, style="-|>"):
        ax.add_patch(
            FancyArrowPatch(
                start, end, arrowstyle=style, mutation_scale=11, color=color, linewidth=width,
                shrinkA=0, shrinkB=0,
            )
        )  # fmt: skip

    return box, op, arrow


def _gated_step(ax, times_x: float, plus_x: float, ends: tuple[str, str], note: str):
    """The axes of one gated step with its kept path along the top: ``ends[0]`` times a gate
    at ``times_x``, plus the new part at ``plus_x``, gives ``ends[1]``; drawn thick, with
    ``note`` saying what the backward pass multiplies by. Returns ``(fig, ax, drawers)``."""
    fig, ax = new_axes(ax, figsize=(6.0, 4.0))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6.2)
    ax.set_axis_off()
    box, op, arrow = _cell_helpers(ax)
    arrow((0.3, 5.0), (times_x - 0.22, 5.0), _PATH, 2.6)
    op(times_x, 5.0, "×")
    arrow((times_x + 0.22, 5.0), (plus_x - 0.22, 5.0), _PATH, 2.6)
    op(plus_x, 5.0, "+")
    arrow((plus_x + 0.22, 5.0), (9.7, 5.0), _PATH, 2.6)
    ax.text(0.3, 5.25, ends[0], fontsize=10)
    ax.text(9.2, 5.25, ends[1], fontsize=10)
    ax.text((times_x + plus_x) / 2, 5.6, note, fontsize=8, color=_PATH, ha="center")
    return fig, ax, (box, op, arrow)


def draw_lstm_cell(ax=None):
    """One LSTM step: the gates read ``[h_{t-1}, x_t]``; ``c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t``
    along the top (the path whose backward factor is ``diag(f_t)``, drawn thick), and
    ``h_t = o_t ⊙ tanh(c_t)``. Returns ``(fig, ax)``."""
    fig, ax, (box, op, arrow) = _gated_step(
        ax, 3.0, 5.5, ("$c_{t-1}$", "$c_t$"), r"backward: $\times\,\mathrm{diag}(f_t)$ only"
    )
    # gates reading [h_{t-1}, x_t]
    box(1.2, 0.6, "$h_{t-1}$, $x_t$", _INPUT, w=1.7)
    gates = [(3.0, r"$\sigma$: $f_t$"), (4.6, r"$\sigma$: $i_t$"), (6.0, r"tanh: $\tilde c_t$"),
             (7.6, r"$\sigma$: $o_t$")]  # fmt: skip
    arrow((2.05, 0.6), (8.3, 0.6), "0.5", 0.8, "-")
    for x, label in gates:
        arrow((x, 0.6), (x, 1.72), "0.5", 0.8)
        box(x, 2.0, label, w=1.25)
    arrow((3.0, 2.28), (3.0, 4.78))  # f_t into c_{t-1} ×
    op(5.5, 3.6, "×")
    arrow((4.6, 2.28), (5.3, 3.45))
    arrow((6.0, 2.28), (5.65, 3.42))
    arrow((5.5, 3.82), (5.5, 4.78))  # i ⊙ c̃ into +
    box(8.6, 3.9, "tanh", w=0.8)
    arrow((8.6, 4.95), (8.6, 4.18))
    op(8.6, 2.9, "×")
    arrow((8.6, 3.62), (8.6, 3.12))
    arrow((7.6, 2.28), (8.4, 2.82))
    arrow((8.82, 2.9), (9.7, 2.9))
    ax.text(9.25, 3.05, "$h_t$", fontsize=10)
    ax.set_title("An LSTM step (Keras gate order [i, f, c, o])", fontsize=10)
    return fig, ax


def draw_gru_cell(ax=None):
    """One GRU step (``reset_after=True``): ``h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t`` along
    the top (the direct path, backward factor ``diag(z_t)``, drawn thick); the candidate reads
    ``x_t`` and ``r_t ⊙ (h_{t-1}·W_h + B_hh)``. Returns ``(fig, ax)``."""
    fig, ax, (box, op, arrow) = _gated_step(
        ax,
        4.0,
        7.0,
        ("$h_{t-1}$", "$h_t$"),
        r"backward: $\mathrm{diag}(z_t)$ + terms through $W_h$",
    )
    box(1.2, 0.6, "$h_{t-1}$, $x_t$", _INPUT, w=1.7)
    arrow((2.05, 0.6), (7.6, 0.6), "0.5", 0.8, "-")
    for x, label in [(4.0, r"$\sigma$: $z_t$"), (5.6, r"$\sigma$: $r_t$")]:
        arrow((x, 0.6), (x, 1.72), "0.5", 0.8)
        box(x, 2.0, label, w=1.25)
    arrow((4.0, 2.28), (4.0, 4.78))  # z_t keeps the old state
    box(7.6, 2.0, r"tanh: $\tilde h_t$", w=1.25)
    arrow((7.6, 0.6), (7.6, 1.72), "0.5", 0.8)
    arrow((6.22, 2.0), (6.97, 2.0))  # r_t scales the recurrent part of the candidate
    ax.text(6.6, 1.55, r"$r_t\odot(\cdot)$", fontsize=8, ha="center")
    op(7.0, 3.6, "×")
    arrow((7.6, 2.28), (7.15, 3.42))
    arrow((4.2, 2.2), (6.8, 3.5), "0.45", 0.8)
    ax.text(5.3, 3.1, "$1 - z_t$", fontsize=8)
    arrow((7.0, 3.82), (7.0, 4.78))
    ax.set_title("A GRU step (Keras block order [z, r, h], reset_after=True)", fontsize=10)
    return fig, ax


def draw_gated_cells():
    """The LSTM and the GRU step side by side, with alt text saying what the figure shows.
    Returns ``(fig, (ax_lstm, ax_gru))``."""
    import matplotlib.pyplot as plt

    from .alt_text import set_alt_text

    fig, (left, right) = plt.subplots(1, 2, figsize=(12.0, 4.2), layout="constrained")
    draw_lstm_cell(left)
    draw_gru_cell(right)
    set_alt_text(
        fig,
        "Two cell diagrams. Left, an LSTM step: the cell state runs along the top from "
        "c_(t-1) through a multiplication by the forget gate f_t and an addition of "
        "i_t times the candidate c-tilde_t to c_t; the output h_t is o_t times tanh(c_t). "
        "The top path is drawn thick: backwards, its only factor is diag(f_t). Right, a GRU "
        "step: the state runs along the top from h_(t-1), multiplied by the update gate z_t, "
        "plus (1 - z_t) times the candidate h-tilde_t, which reads x_t and r_t times the "
        "recurrent product. Its thick top path has the backward factor diag(z_t), plus terms "
        "through W_h. All gates read h_(t-1) and x_t.",
    )
    return fig, (left, right)
