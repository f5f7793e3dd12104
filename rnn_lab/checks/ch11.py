"""Checkers for the exercises of chapter 11, *Porting weights*: Keras's GRU ``kernel`` as
PyTorch's ``weight_ih_l0``, a whole PyTorch LSTM as Keras's three arrays, and PyTorch's two
GRU biases as Keras's two rows. No PyTorch needed.

    weight_ih_l0 (3H, D) = kernel (D, 3H) transposed, gate blocks [z, r, h] -> [r, z, n]
    LSTM: kernel = weight_ih_l0ᵀ, recurrent_kernel = weight_hh_l0ᵀ (same gate order
          [i, f, c/g, o]), bias (4H,) = bias_ih_l0 + bias_hh_l0
    GRU:  bias (2, 3H) = [bias_ih_l0, bias_hh_l0], each reordered [r, z, n] -> [z, r, h]

Expected answers come from ``rnn_lab.keras_side.porting``, which the test suite checks against real
``torch.nn`` modules. The kernels have a different value in every entry, and ``D ≠ 3H``
on most cases, so a reshape in place of a transpose, or blocks left in Keras's order,
change the numbers or the shape.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..cells.weights import random_cell_weights
from ..keras_side.porting import TORCH_FROM_KERAS, keras_to_torch, torch_to_keras
from .answers import Arrays
from .core import Card, Refusal, exercise
from .hidden import drawn_case, seeded_cases
from .verdicts import Case, Mistake

#: ``(D, H, dtype)`` of the hidden GRU kernels and LSTM biases.
PORT_CONFIGS = ((2, 4, "float32"), (5, 3, "float64"), (4, 4, "float32"))

_TRANSPOSE_ADVICE = (
    "Keras multiplies x_t @ kernel, PyTorch W_ih @ x_t: weight_ih_l0 is kernel.T, (3H, D), "
    "with its rows then reordered."
)
_ORDER_ADVICE = (
    "PyTorch's GRU blocks are [r, z, n], Keras's [z, r, h]: swap the first two blocks of H "
    "rows after transposing."
)
#: What every porting exercise refuses: the converters that do the whole job.
PORTING_ROUTES = ("rnn_lab.keras_to_torch", "rnn_lab.torch_to_keras")
WEIGHT_IH_MISTAKES = {
    "not_transposed": Mistake(
        "not_transposed", "reordered the blocks but kept Keras's (D, 3H) layout", _TRANSPOSE_ADVICE
    ),
    "untouched": Mistake(
        "not_transposed", "returned the kernel unchanged, (D, 3H)", _TRANSPOSE_ADVICE
    ),
    "reshaped": Mistake(
        "reshape_not_transpose",
        "used reshape(3H, D) where a transpose is needed",
        "reshape keeps the numbers in memory order and only relabels the axes; "
        "kernel.T really swaps rows and columns.",
    ),
    "reshaped_reordered": Mistake(
        "reshape_not_transpose",
        "used reshape(3H, D) where a transpose is needed (then reordered the blocks)",
        "reshape keeps the numbers in memory order and only relabels the axes; "
        "kernel.T really swaps rows and columns.",
    ),
    "not_reordered": Mistake(
        "gate_order", "transposed the kernel but kept Keras's block order [z, r, h]", _ORDER_ADVICE
    ),
}


def _reorder_rows(array: np.ndarray) -> np.ndarray:
    blocks = np.split(array, 3, axis=0)
    return np.concatenate([blocks[k] for k in TORCH_FROM_KERAS["GRU"]], axis=0)


def _weight_ih_variants(kernel: np.ndarray) -> dict[str, np.ndarray]:
    D, GH = kernel.shape
    reordered_columns = np.concatenate(
        [np.split(kernel, 3, axis=1)[k] for k in TORCH_FROM_KERAS["GRU"]], axis=1
    )
    return {
        "not_transposed": reordered_columns,
        "untouched": np.array(kernel),
        "reshaped": kernel.reshape(GH, D),
        "reshaped_reordered": _reorder_rows(kernel.reshape(GH, D)),
        "not_reordered": kernel.T,
    }


@cache
def _weight_ih_cases() -> tuple[Case, ...]:
    cases = []
    for index, (D, H, dtype) in enumerate(PORT_CONFIGS):
        weights = random_cell_weights("GRU", D, H, seed=1100 + index, dtype=dtype)
        expected = keras_to_torch(weights)["weight_ih_l0"]
        label = f"D={D}, H={H}, {dtype}"
        variants = _weight_ih_variants(weights.kernel)
        cases.append(Case((weights.kernel,), expected, label, 0.0, variants))
    return tuple(cases)


check_gru_weight_ih = exercise(
    "Check ``gru_weight_ih(kernel)``: Keras GRU ``kernel (D, 3H)`` -> ``weight_ih_l0 (3H, D)``.",
    _weight_ih_cases,
    returns="PyTorch's weight_ih_l0, an array of shape (3H, D)",
    verified=(
        f"it equals keras_to_torch(...)['weight_ih_l0'] exactly on {len(PORT_CONFIGS)} hidden "
        "GRU kernels (a different value in every entry)."
    ),
    mistakes=WEIGHT_IH_MISTAKES,
    refuses=Refusal.of(*PORTING_ROUTES, advice="transpose and reorder the blocks yourself"),
    card=Card(2, 15, "porting a GRU kernel to PyTorch"),
)


# --- PyTorch's two LSTM biases -> Keras's one -------------------------------------------

_SUM_ADVICE = (
    "PyTorch adds both biases to every gate's pre-activation; Keras has one bias there, "
    "so it must be their sum: bias_ih + bias_hh."
)
LSTM_BIAS_MISTAKES = {
    "ih_only": Mistake("one_bias_only", "kept only bias_ih and dropped bias_hh", _SUM_ADVICE),
    "hh_only": Mistake("one_bias_only", "kept only bias_hh and dropped bias_ih", _SUM_ADVICE),
    "mean": Mistake(
        "averaged_biases", "averaged the two biases instead of adding them", _SUM_ADVICE
    ),
    "concatenated": Mistake(
        "concatenated_biases",
        "concatenated the two biases into (8H,)",
        "Keras's LSTM bias is (4H,), one value per gate unit: add the two, don't chain them.",
    ),
    "stacked": Mistake(
        "stacked_biases",
        "stacked the two biases into (2, 4H), the layout of a GRU with reset_after=True",
        "Only the GRU keeps two bias rows; an LSTM's single (4H,) bias is bias_ih + bias_hh.",
    ),
}


LSTM_BIAS_MISTAKES.update(
    {
        "not_transposed": Mistake(
            "not_transposed",
            "kept PyTorch's (4H, D) and (4H, H) layouts",
            "PyTorch multiplies W_ih @ x_t, Keras x_t @ kernel: kernel = weight_ih_l0.T, "
            "(D, 4H), and recurrent_kernel = weight_hh_l0.T, (H, 4H).",
        ),
        "reshaped": Mistake(
            "reshape_not_transpose",
            "used reshape where a transpose is needed",
            "reshape keeps the numbers in memory order and only relabels the axes; "
            "weight_ih_l0.T really swaps rows and columns.",
        ),
        "gru_reorder": Mistake(
            "gate_order",
            "swapped the first two gate blocks, as for a GRU",
            "PyTorch's LSTM order [i, f, g, o] is Keras's [i, f, c, o]: an LSTM needs no "
            "reordering (only the GRU's [r, z, n] and [z, r, h] differ).",
        ),
    }
)
#: The three arrays of a Keras LSTM, in the order ``lstm_from_torch`` returns them.
LSTM_PARTS = ("kernel", "recurrent_kernel", "bias")


def _swap_first_blocks(array: np.ndarray, axis: int) -> np.ndarray:
    i, f, g, o = np.split(array, 4, axis=axis)
    return np.concatenate([f, i, g, o], axis=axis)


def lstm_from_torch_variant(w_ih, w_hh, b_ih, b_hh, mistake: str | None = None) -> tuple:
    """Keras's ``(kernel, recurrent_kernel, bias)`` from PyTorch's LSTM, one mistake planted."""
    kernel, recurrent = w_ih.T, w_hh.T
    bias = {
        "ih_only": b_ih,
        "hh_only": b_hh,
        "mean": (b_ih + b_hh) / 2,
        "concatenated": np.concatenate([b_ih, b_hh]),
        "stacked": np.stack([b_ih, b_hh]),
    }.get(mistake, b_ih + b_hh)
    if mistake == "not_transposed":
        kernel, recurrent = w_ih, w_hh
    if mistake == "reshaped":
        kernel, recurrent = w_ih.reshape(kernel.shape), w_hh.reshape(recurrent.shape)
    if mistake == "gru_reorder":
        kernel, recurrent = _swap_first_blocks(kernel, 1), _swap_first_blocks(recurrent, 1)
        bias = _swap_first_blocks(bias, 0)
    return kernel, recurrent, bias


def _lstm_bias_case(rng, D, H, dtype, *, seed: int) -> Case:
    state = keras_to_torch(random_cell_weights("LSTM", D, H, seed=seed, dtype=dtype))
    b_ih, b_hh = (rng.uniform(-0.5, 0.5, 4 * H).astype(dtype) for _ in range(2))
    state = dict(state, bias_ih_l0=b_ih, bias_hh_l0=b_hh)
    args = tuple(state[key] for key in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))

    def answers(*args):
        expected = tuple(torch_to_keras("LSTM", state).as_list())
        return expected, {name: lstm_from_torch_variant(*args, name) for name in LSTM_BIAS_MISTAKES}

    return drawn_case(args, answers, f"D={D}, H={H}, {dtype}", dtype)


check_lstm_from_torch = exercise(
    """Check ``lstm_from_torch(weight_ih, weight_hh, bias_ih, bias_hh)``: the Keras LSTM's
    ``(kernel, recurrent_kernel, bias)``.""",
    seeded_cases(PORT_CONFIGS, 1150, _lstm_bias_case, pass_seed=True),
    answer=Arrays(LSTM_PARTS),
    returns="(kernel, recurrent_kernel, bias) of the Keras LSTM",
    verified=(
        f"all three arrays equal torch_to_keras('LSTM', ...) on {len(PORT_CONFIGS)} hidden "
        "PyTorch LSTMs with random non-zero biases (float32 and float64)."
    ),
    mistakes=LSTM_BIAS_MISTAKES,
    refuses=Refusal.of(*PORTING_ROUTES, advice="transpose and combine the arrays yourself"),
    card=Card(2, 15, "porting a whole LSTM from PyTorch, the inverse of 11.1"),
)


# --- Exercise 11.3: PyTorch's two GRU biases -> Keras's two rows ---------------------------

_GRU_BIAS_ADVICE = (
    "Keras's reset_after=True bias is (2, 3H): row 0 goes with x_t (PyTorch's bias_ih), row 1 "
    "with h_(t-1) (bias_hh), each reordered from PyTorch's [r, z, n] to Keras's [z, r, h]."
)
GRU_BIAS_MISTAKES = {
    "summed": Mistake(
        "summed_gru_biases",
        "added the two biases, as for an LSTM",
        "A GRU cannot merge them: the reset gate multiplies the recurrent part, bias_hh "
        "included, so the two must stay in separate rows. " + _GRU_BIAS_ADVICE,
    ),
    "not_reordered": Mistake(
        "gate_order", "kept PyTorch's block order [r, z, n]", _GRU_BIAS_ADVICE
    ),
    "rows_swapped": Mistake(
        "rows_swapped", "put bias_hh in row 0 and bias_ih in row 1", _GRU_BIAS_ADVICE
    ),
    "concatenated": Mistake(
        "concatenated_biases",
        "concatenated the two biases into (6H,)",
        "Keras keeps them as two rows, shape (2, 3H): np.stack, not np.concatenate.",
    ),
}


def _torch_to_keras_blocks(bias: np.ndarray) -> np.ndarray:
    r, z, n = np.split(bias, 3)
    return np.concatenate([z, r, n])


def _gru_bias_case(rng, D, H, dtype, *, seed: int) -> Case:
    state = keras_to_torch(random_cell_weights("GRU", D, H, seed=seed, dtype=dtype))
    b_ih, b_hh = (rng.uniform(-0.5, 0.5, 3 * H).astype(dtype) for _ in range(2))

    def answers(b_ih, b_hh):
        expected = torch_to_keras("GRU", dict(state, bias_ih_l0=b_ih, bias_hh_l0=b_hh)).bias
        return expected, {
            "summed": _torch_to_keras_blocks(b_ih + b_hh),
            "not_reordered": np.stack([b_ih, b_hh]),
            "rows_swapped": np.stack([_torch_to_keras_blocks(b_hh), _torch_to_keras_blocks(b_ih)]),
            "concatenated": np.concatenate(
                [_torch_to_keras_blocks(b_ih), _torch_to_keras_blocks(b_hh)]
            ),
        }

    return drawn_case((b_ih, b_hh), answers, f"H={H}, {dtype}", dtype)


check_gru_bias_from_torch = exercise(
    """Check ``gru_bias_from_torch(bias_ih, bias_hh)``: Keras's ``(2, 3H)`` GRU bias.""",
    seeded_cases(PORT_CONFIGS, 1160, _gru_bias_case, pass_seed=True),
    returns="Keras's GRU bias, an array of shape (2, 3H)",
    verified=(
        f"it equals torch_to_keras('GRU', ...).bias on {len(PORT_CONFIGS)} hidden pairs of "
        "random non-zero biases (float32 and float64)."
    ),
    mistakes=GRU_BIAS_MISTAKES,
    refuses=Refusal.of(*PORTING_ROUTES, advice="reorder and stack the biases yourself"),
    card=Card(2, 15, "porting GRU biases from PyTorch, why they cannot be summed"),
)
