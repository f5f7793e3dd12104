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

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..cells.weights import random_cell_weights
from ..keras_side.porting import TORCH_FROM_KERAS, keras_to_torch, torch_to_keras
from .answers import Arrays
from .core import Refusal, exercise
from .hidden import drawn_case, seeded_cases
from .texts import Texts
from .verdicts import Case, with_mistake

TEXTS = Texts(__name__)

#: ``(D, H, dtype)`` of the hidden GRU kernels and LSTM biases.
PORT_CONFIGS = ((2, 4, "float32"), (5, 3, "float64"), (4, 4, "float32"))

#: What every porting exercise refuses: the converters that do the whole job.
PORTING_ROUTES = ("rnn_lab.keras_to_torch", "rnn_lab.torch_to_keras")


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
    TEXTS.exercise("gru_weight_ih", configs=len(PORT_CONFIGS)),
    _weight_ih_cases,
    refuses=Refusal.of(*PORTING_ROUTES),
)


# --- PyTorch's two LSTM biases -> Keras's one -------------------------------------------


#: The three arrays of a Keras LSTM, in the order ``lstm_from_torch`` returns them.
LSTM_PARTS = ("kernel", "recurrent_kernel", "bias")


def _swap_first_blocks(array: np.ndarray, axis: int) -> np.ndarray:
    i, f, g, o = np.split(array, 4, axis=axis)
    return np.concatenate([f, i, g, o], axis=axis)


@dataclass(frozen=True)
class LSTMFromTorch:
    """Keras's ``(kernel, recurrent_kernel, bias)`` from PyTorch's LSTM: the weights
    transposed, the two biases added, the gate blocks in the same order, as hooks."""

    laid_out: Callable = lambda w: w.T  # a PyTorch weight (4H, ·) as Keras's (·, 4H)
    bias: Callable = lambda b_ih, b_hh: b_ih + b_hh
    ordered: Callable = lambda array, axis: array  # PyTorch's blocks [i, f, g, o] are Keras's

    def run(self, w_ih, w_hh, b_ih, b_hh) -> tuple:
        kernel, recurrent = self.laid_out(w_ih), self.laid_out(w_hh)
        return (
            self.ordered(kernel, 1),
            self.ordered(recurrent, 1),
            self.ordered(self.bias(b_ih, b_hh), 0),
        )


LSTM_BIAS_PLANTED = TEXTS.planted(
    "lstm_from_torch",
    {
        "ih_only": dict(bias=lambda b_ih, b_hh: b_ih),
        "hh_only": dict(bias=lambda b_ih, b_hh: b_hh),
        "mean": dict(bias=lambda b_ih, b_hh: (b_ih + b_hh) / 2),
        "concatenated": dict(bias=lambda b_ih, b_hh: np.concatenate([b_ih, b_hh])),
        "stacked": dict(bias=lambda b_ih, b_hh: np.stack([b_ih, b_hh])),
        "not_transposed": dict(laid_out=lambda w: w),
        "reshaped": dict(laid_out=lambda w: w.reshape(w.T.shape)),
        "gru_reorder": dict(ordered=_swap_first_blocks),
    },
)


def lstm_from_torch_variant(w_ih, w_hh, b_ih, b_hh, mistake: str | None = None) -> tuple:
    """Keras's ``(kernel, recurrent_kernel, bias)`` from PyTorch's LSTM, or with ``mistake``."""
    return with_mistake(LSTMFromTorch(), LSTM_BIAS_PLANTED, mistake).run(w_ih, w_hh, b_ih, b_hh)


def _lstm_bias_case(rng, D, H, dtype, *, seed: int) -> Case:
    state = keras_to_torch(random_cell_weights("LSTM", D, H, seed=seed, dtype=dtype))
    b_ih, b_hh = (rng.uniform(-0.5, 0.5, 4 * H).astype(dtype) for _ in range(2))
    state = dict(state, bias_ih_l0=b_ih, bias_hh_l0=b_hh)
    args = tuple(state[key] for key in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))

    def answers(*args):
        expected = tuple(torch_to_keras("LSTM", state).as_list())
        return expected, {name: lstm_from_torch_variant(*args, name) for name in LSTM_BIAS_PLANTED}

    return drawn_case(args, answers, f"D={D}, H={H}, {dtype}", dtype)


check_lstm_from_torch = exercise(
    TEXTS.exercise("lstm_from_torch", configs=len(PORT_CONFIGS)),
    seeded_cases(PORT_CONFIGS, 1150, _lstm_bias_case, pass_seed=True),
    answer=Arrays(LSTM_PARTS),
    refuses=Refusal.of(*PORTING_ROUTES),
)


# --- Exercise 11.3: PyTorch's two GRU biases -> Keras's two rows ---------------------------


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
    TEXTS.exercise("gru_bias_from_torch", configs=len(PORT_CONFIGS)),
    seeded_cases(PORT_CONFIGS, 1160, _gru_bias_case, pass_seed=True),
    refuses=Refusal.of(*PORTING_ROUTES),
)
