"""Training ``SimpleRNN -> Dense`` twice: with the manual backward pass, and with Keras ``fit``
(:func:`rnn_lab.training.keras_loops.train_keras`).

Both loops see the same data in the same order (``shuffle=False``; batches
``x[0:b], x[b:2b], ...``, the last one possibly shorter, as Keras cuts them), start from
the same weights and use the same update rule, so their losses can be compared step by
step. The loss recorded for a step is the mean-squared error of that step's batch under
the weights *before* the step's update: the number the update differentiates.

Also here: :func:`delayed_copy_task`, a small task that needs memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_dtype_name, check_positive_int
from ..backward import check_targets, manual_backward
from ..forward import check_inputs, check_weights
from ..weights import SimpleRNNWeights
from .loop import run_updates
from .optimizers import Optimizer, global_norm


@dataclass(frozen=True, eq=False)
class TrainingHistory:
    """``losses``: one per update, ``(steps,)`` float64; ``weights``: after the last update;
    ``grad_norms``: the global gradient norm at each step before clipping (manual loop only)."""

    losses: np.ndarray
    weights: SimpleRNNWeights
    grad_norms: np.ndarray | None = None

    @property
    def steps(self) -> int:
        return int(self.losses.size)


def batch_slices(n_samples: int, batch_size: int) -> list[slice]:
    """``[slice(0, b), slice(b, 2b), ...]`` covering ``n`` samples; the last may be shorter."""
    n = check_positive_int("n_samples", n_samples)
    b = check_positive_int("batch_size", batch_size)
    return [slice(start, min(start + b, n)) for start in range(0, n, b)]


def check_training_data(
    x: object, y: object, weights: SimpleRNNWeights, return_sequences: bool
) -> tuple[np.ndarray, np.ndarray]:
    weights = check_weights(weights)
    x = check_inputs(x, weights)
    y = check_targets(y, x.shape[0], x.shape[1], weights, return_sequences)
    return x, y


def check_optimizer(optimizer: Any) -> None:
    if not (
        callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "step", None))
    ):
        raise TypeError(
            "optimizer must have init(weights) and step(weights, grads, state), e.g. "
            f"rnn_lab.training.optimizers.SGD() or Adam(); got {type(optimizer).__name__}"
        )


def train_manual(
    x: object,
    y: object,
    weights: SimpleRNNWeights,
    optimizer: Optimizer,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    return_sequences: bool = False,
    truncate: int | None = None,
) -> TrainingHistory:
    """Mini-batch training with :func:`manual_backward` and a NumPy optimiser.

    For each epoch, for each batch in order (the one loop,
    :func:`rnn_lab.training.loop.run_updates`): ``L, g = manual_backward(batch)``, then
    ``weights, state = optimizer.step(weights, g, state)``. ``truncate=k`` trains with
    truncated BPTT(k). Returns the per-step losses and the final weights.
    """
    x, y = check_training_data(x, y, weights, bool(return_sequences))
    check_optimizer(optimizer)
    epochs = check_positive_int("epochs", epochs)
    slices = batch_slices(x.shape[0], batch_size)

    def gradients(weights: SimpleRNNWeights, batch: slice) -> tuple:
        result = manual_backward(
            x[batch], y[batch], weights, return_sequences=return_sequences, truncate=truncate
        )
        return (result.loss, global_norm(result.grads)), result.grads

    batches = [batch for _ in range(epochs) for batch in slices]
    weights, _, records = run_updates(
        weights, batches, gradients, optimizer.step, optimizer.init(weights)
    )
    losses, norms = zip(*records, strict=True)
    return TrainingHistory(np.array(losses), weights, np.array(norms))


def delayed_copy_task(
    n_samples: int,
    seq_len: int,
    delay: int,
    *,
    seed: int = 0,
    dtype: Any = "float32",
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``x (n, T, 1)`` uniform in ``[-1, 1]`` and targets ``y = x_{T-delay} (n, 1)``.

    After reading the whole sequence the network must output the value it saw ``delay``
    steps before the end, so it has to carry that value through ``delay`` recurrent
    steps while newer inputs arrive. ``delay = 0`` needs no memory; ``delay = T - 1``
    asks for the first input. Predicting 0 (the mean) gives a loss of ``1/3``, the
    variance of the uniform distribution: a model has learned something only below that.
    """
    n = check_positive_int("n_samples", n_samples)
    T = check_positive_int("seq_len", seq_len)
    if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)):
        raise TypeError(f"delay must be an integer in [0, T-1]; got {type(delay).__name__}")
    if not 0 <= delay < T:
        raise ValueError(f"delay must be in [0, T-1] = [0, {T - 1}]; got {delay}")
    dtype = check_dtype_name(dtype)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, T, 1)).astype(dtype)
    return x, x[:, T - 1 - delay, :].copy()
