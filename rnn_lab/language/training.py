"""Training the character-level language model by hand, chunk after chunk with the state
carried (:func:`train_manual`), and one update exactly as Keras applies it to this model
(:func:`keras_update`: the embedding's gradient arrives as one row per character read).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import (
    check_positive_int,
    one_blas_thread,
)
from ..training.loop import run_updates
from ..training.optimizers import SGD, Adam, global_norm
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
    norm of the per-lookup rows ``sqrt(Σ_i ‖g_i‖²)``, not of their sums per character."""
    if result.squared is None:
        raise ValueError("these gradients carry no squared rows (use loss_and_gradients)")
    return np.sqrt([np.sum(g2) for g2 in result.squared.as_list()])


def keras_update(
    optimizer: SGD | Adam, weights: LanguageModelWeights, result: LMGradients, state: Any
) -> tuple[LanguageModelWeights, Any]:
    """One update exactly as Keras applies it to this model.

    Keras hands the optimiser the embedding's gradient as rows, one per character read
    (``tf.IndexedSlices``), not summed per character. Linear steps (SGD, momentum) sum
    them anyway, but two places square them first: the norms that ``clipnorm`` and
    ``global_clipnorm`` measure (:func:`keras_norms`), and Adam's second moment ``v``,
    which gets ``Σ_i g_i²`` where the dense gradient would give ``(Σ_i g_i)²``. This
    function clips with those norms, then calls ``optimizer.step`` without clipping,
    passing Adam the rows' squares, except after ``global_clipnorm``: Keras rescales with
    ``g * scale``, which turns the rows into one dense array, so Adam then squares the sums.
    """
    if not isinstance(optimizer, (SGD, Adam)):
        raise TypeError(f"optimizer must be rnn_lab's SGD or Adam; got {type(optimizer).__name__}")
    grads, squared = result.grads, result.squared
    dtype = weights.dtype.type
    norms = keras_norms(result).astype(weights.dtype)
    if optimizer.global_clipnorm is not None:
        clip = dtype(optimizer.global_clipnorm)
        total = dtype(np.sqrt(np.sum(np.square(norms))))
        with np.errstate(divide="ignore"):
            scale = clip * np.minimum(dtype(1.0) / total, dtype(1.0) / clip)
        scales = [scale] * len(norms)
    elif optimizer.clipnorm is not None:
        clip = dtype(optimizer.clipnorm)
        scales = [clip / np.maximum(norm, clip) for norm in norms]
    else:
        scales = None
    if scales is not None:
        grads = LanguageModelWeights(*(g * s for g, s in zip(grads.as_list(), scales, strict=True)))
        squared = LanguageModelWeights(
            *(g2 * (s * s) for g2, s in zip(squared.as_list(), scales, strict=True))
        )
    plain = replace(optimizer, clipnorm=None, global_clipnorm=None)
    if isinstance(plain, Adam) and optimizer.global_clipnorm is None:
        return plain.step(weights, grads, state, squared_grads=squared)
    return plain.step(weights, grads, state)


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
