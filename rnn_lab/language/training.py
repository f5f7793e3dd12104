"""Training the character-level language model by hand, chunk after chunk with the state
carried (:func:`train_manual`), and one update exactly as Keras applies it to this model
(:func:`keras_update`: the embedding's gradient arrives as one row per character read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import (
    check_positive_int,
    one_blas_thread,
)
from ..training.loop import run_updates
from ..training.optimizers import SGD, Adam, global_norm, row_norms, step_with_rows
from .model import (
    LanguageModelWeights,
    LMGradients,
    check_lm_weights,
    loss_and_gradients,
    zero_state,
)
from .text import (
    check_ids,
)


def keras_norms(result: LMGradients) -> np.ndarray:
    """Each array's gradient norm as Keras's clipping measures it, ``(6,)``: for ``E`` the
    norm of the per-lookup rows ``sqrt(Σ_i ‖g_i‖²)``, not of their sums per character
    (:func:`rnn_lab.training.optimizers.row_norms`)."""
    if result.squared is None:
        raise ValueError("these gradients carry no squared rows (use loss_and_gradients)")
    return row_norms(result.squared)


def keras_update(
    optimizer: SGD | Adam, weights: LanguageModelWeights, result: LMGradients, state: Any
) -> tuple[LanguageModelWeights, Any]:
    """One update exactly as Keras applies it to this model: the embedding's gradient
    arrives as one row per character read, so clipping and Adam's ``v`` see the rows'
    squares (:func:`rnn_lab.training.optimizers.step_with_rows`)."""
    if result.squared is None:
        raise ValueError("these gradients carry no squared rows (use loss_and_gradients)")
    return step_with_rows(optimizer, weights, result.grads, result.squared, state)


# --- training ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LMRun:
    """A training run so far: per-update ``losses`` and global ``grad_norms`` before
    clipping (the norm the update clips by: over the embedding's per-lookup rows when the
    update follows Keras, :func:`keras_norms`, else over the summed gradient), the
    ``weights`` now, and what a continuation needs (optimizer state, carried hidden state,
    index of the next chunk)."""

    losses: np.ndarray
    grad_norms: np.ndarray
    weights: LanguageModelWeights
    optimizer_state: Any
    state: tuple[np.ndarray, ...]
    next_chunk: int

    @property
    def steps(self) -> int:
        return int(self.losses.size)


def check_chunks(x: Any, y: Any, weights: LanguageModelWeights) -> tuple[np.ndarray, np.ndarray]:
    x = check_ids(x, weights.vocab_size, "x")
    y = check_ids(y, weights.vocab_size, "y")
    if x.ndim != 3 or x.shape != y.shape:
        raise ValueError(
            "x and y must both be (K, n, T) chunks (text.sequential_chunks); "
            f"got {x.shape}, {y.shape}"
        )
    return x, y


def train_manual(
    x: Any,
    y: Any,
    weights: LanguageModelWeights,
    optimizer: SGD | Adam,
    steps: int,
    *,
    resume: LMRun | None = None,
    sparse_embedding: bool = True,
) -> LMRun:
    """``steps`` updates on consecutive chunks ``x[k], y[k]`` ``(K, n, T)``, state carried.

    Chunk ``k`` starts from the state at the end of chunk ``k-1`` (computed with the
    weights of that update, before it, as Keras's stateful layer keeps it); the state is
    reset to zeros when the chunks wrap around (a new epoch). ``resume`` continues a run.
    Updates follow Keras's treatment of the embedding gradient (:func:`keras_update`);
    ``sparse_embedding=False`` applies ``optimizer.step`` to the dense gradient instead.
    """
    weights = check_lm_weights(weights)
    x, y = check_chunks(x, y, weights)
    steps = check_positive_int("steps", steps)
    K, n, _ = x.shape
    if resume is None:
        opt_state, state, k = optimizer.init(weights), zero_state(weights, n), 0
        losses, norms = [], []
    else:
        weights, opt_state, state, k = (
            resume.weights,
            resume.optimizer_state,
            resume.state,
            resume.next_chunk,
        )
        losses, norms = list(resume.losses), list(resume.grad_norms)
    chunks = []  # (k, whether the state starts from zeros: the chunks wrapped around)
    for _ in range(steps):
        chunks.append((0, True) if k == K else (k, False))
        k = chunks[-1][0] + 1
    carried = [state]

    def gradients(weights: LanguageModelWeights, chunk: tuple[int, bool]) -> tuple:
        k, wrapped = chunk
        if wrapped:
            carried[0] = zero_state(weights, n)
        result = loss_and_gradients(x[k], y[k], weights, carried[0])
        carried[0] = result.final
        if sparse_embedding:
            norm = float(np.sqrt(np.sum(np.square(keras_norms(result)))))
        else:
            norm = global_norm(result.grads)
        return (result.loss, norm), result

    def update(weights: LanguageModelWeights, result: LMGradients, opt_state: Any) -> tuple:
        if sparse_embedding:
            return keras_update(optimizer, weights, result, opt_state)
        return optimizer.step(weights, result.grads, opt_state)

    with one_blas_thread():
        weights, opt_state, records = run_updates(weights, chunks, gradients, update, opt_state)
    for loss, norm in records:
        losses.append(loss)
        norms.append(norm)
    return LMRun(np.array(losses), np.array(norms), weights, opt_state, carried[0], k)
