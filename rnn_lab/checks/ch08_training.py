"""Checkers for the exercises of chapter 8, *Training side by side*, on the training loop
itself: clipping the gradient by its global norm, and the loop over epochs and batches
against Keras's fit.

    clip:  g ← g · clip_norm / max(‖g‖, clip_norm),   ‖g‖ over all the arrays together
    loop:  for each epoch, for each batch x[0:b], x[b:2b], ...:  w ← w − η·∇L(batch)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..tolerances import tolerance_for
from .answers import Arrays
from .core import Refusal, exercise
from .texts import Texts
from .verdicts import Case, mistakes_of, with_mistake

TEXTS = Texts(__name__)

# --- Exercise 8.3: clipping by the global norm --------------------------------------------

#: The five gradient arrays, in the order of ``model.trainable_variables``.
GRAD_PARTS = ("dWx", "dWh", "dBh", "dWo", "dBo")
#: Hidden cases: ``(D, H, O, dtype, gradient scale, clip_norm)``. Some gradients are longer
#: than ``clip_norm`` (they must shrink), one is shorter (it must stay as it is); the five
#: arrays have very different norms, so clipping each one separately gives other numbers.
CLIP_CASES = (
    (3, 4, 2, "float32", 1.0, 1.0),
    (2, 5, 3, "float64", 2.0, 3.0),
    (4, 3, 2, "float64", 0.05, 1.0),
    (3, 6, 1, "float32", 0.5, 0.25),
)


def _norm(arrays) -> float:
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(a, np.float64))) for a in arrays)))


@dataclass(frozen=True)
class GlobalNormClip:
    """``g_k · κ / max(‖g‖, κ)`` for every array ``g_k``, ``‖g‖`` the norm of all of them
    together and ``κ`` the clip norm, as hooks."""

    norm: Callable = lambda grads, g: _norm(grads)  # the norm that decides g's scaling
    ratio: Callable = lambda norm, c: (c, max(norm, c))  # the scaling's numerator, denominator
    scaled: Callable = lambda g, ratio, c: g * ratio[0] / ratio[1]

    def run(self, grads, clip_norm: float) -> tuple:
        grads = [np.asarray(g, np.float64) for g in grads]
        return tuple(
            self.scaled(g, self.ratio(self.norm(grads, g), clip_norm), clip_norm) for g in grads
        )


CLIP_PLANTED = TEXTS.planted(
    "clip_grads",
    {
        "each_separately": dict(norm=lambda grads, g: _norm([g])),
        "always_rescale": dict(ratio=lambda norm, c: (c, norm)),
        "squared_norm": dict(norm=lambda grads, g: _norm(grads) ** 2),
        "inverted": dict(ratio=lambda norm, c: (max(norm, c), c)),
        "clip_values": dict(scaled=lambda g, ratio, c: np.clip(g, -c, c)),
    },
)


def clip_variant(grads, clip_norm: float, mistake: str | None = None) -> tuple:
    """The clipped arrays, or what clipping with ``mistake`` gives."""
    return with_mistake(GlobalNormClip(), CLIP_PLANTED, mistake).run(grads, clip_norm)


@cache
def _clip_cases() -> tuple[Case, ...]:
    import tensorflow as tf

    cases = []
    for index, (D, H, O, dtype, scale, clip_norm) in enumerate(CLIP_CASES):
        rng = np.random.default_rng(8300 + index)
        shapes = ((D, H), (H, H), (H,), (H, O), (O,))
        sizes = (1.0, 0.3, 2.0, 0.6, 1.5)  # very different norms per array
        grads = [
            (rng.normal(0.0, scale * s, shape)).astype(dtype)
            for shape, s in zip(shapes, sizes, strict=True)
        ]
        for g in grads:
            g.flags.writeable = False
        clipped, _ = tf.clip_by_global_norm([tf.constant(g) for g in grads], clip_norm)
        expected = tuple(np.asarray(c) for c in clipped)
        variants = {name: clip_variant(grads, clip_norm, name) for name in CLIP_PLANTED}
        label = f"D={D}, H={H}, O={O}, {dtype}, ‖g‖ = {_norm(grads):.3g}, clip_norm = {clip_norm:g}"
        cases.append(Case((grads, clip_norm), expected, label, tolerance_for(dtype), variants))
    return tuple(cases)


check_clip_grads = exercise(
    TEXTS.exercise("clip_grads", cases=len(CLIP_CASES)),
    _clip_cases,
    answer=Arrays(GRAD_PARTS),
    refuses=Refusal.of(
        "rnn_lab.clip_by_global_norm",
        "rnn_lab.global_norm",
        "rnn_lab.training.optimizers.clip_each_by_norm",
    ),
)


# --- Exercise 8.4: the training loop, against Keras's fit ------------------------------------

#: Hidden runs: ``(n, T, D, H, O, dtype, learning rate, epochs, batch_size)``. ``n`` is never
#: a multiple of the batch size, so the last, shorter batch has to be there.
TRAIN_CASES = (
    (10, 5, 2, 4, 2, "float32", 0.1, 2, 4),
    (7, 4, 3, 5, 1, "float64", 0.05, 3, 3),
)


def _batches(n: int, batch_size: int) -> list[slice]:
    return [slice(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


@dataclass(frozen=True)
class TrainingLoop:
    """The loss before every update of plain SGD over ``fit``'s batches, written as hooks;
    ``TrainingLoop()`` is the reference.

        for each epoch: for each batch x[0:b], x[b:2b], ...:  w ← w − η·∇L(batch)
    """

    epochs: Callable = lambda epochs: epochs
    batches: Callable = _batches  # (n, batch_size) -> the slices of one epoch
    epoch_start: Callable = lambda weights, initial: weights  # the weights an epoch starts from
    sign: int = -1  # descend
    kept: Callable = lambda new, old: new  # the weights the next step starts from

    def run(self, x, y, weights, lr, epochs, batch_size) -> np.ndarray:
        from ..backward import manual_backward
        from ..weights import SimpleRNNWeights

        losses, initial = [], weights
        for _ in range(self.epochs(epochs)):
            weights = self.epoch_start(weights, initial)
            for batch in self.batches(x.shape[0], batch_size):
                result = manual_backward(x[batch], y[batch], weights)
                losses.append(result.loss)
                step = (
                    w + w.dtype.type(self.sign * lr) * g
                    for w, g in zip(weights.as_list(), result.grads.as_list(), strict=True)
                )
                weights = self.kept(SimpleRNNWeights(*step), weights)
        return np.array(losses)


TRAIN_PLANTED = TEXTS.planted(
    "train_sgd",
    {
        "no_update": dict(kept=lambda new, old: old),
        "ascent": dict(sign=1),
        "dropped_last_batch": dict(
            batches=lambda n, batch_size: _batches(n - n % batch_size, batch_size)
        ),
        "full_batch": dict(batches=lambda n, batch_size: _batches(n, n)),
        "one_epoch": dict(epochs=lambda epochs: 1),
        "restart_each_epoch": dict(epoch_start=lambda weights, initial: initial),
    },
)
TRAIN_MISTAKES = mistakes_of(TRAIN_PLANTED)


def train_variant(x, y, weights, lr, epochs, batch_size, mistake: str | None = None) -> np.ndarray:
    """The losses of the training loop with ``mistake`` planted (``None``: the right ones)."""
    loop = with_mistake(TrainingLoop(), TRAIN_PLANTED, mistake)
    return loop.run(x, y, weights, lr, epochs, batch_size)


@cache
def _train_cases() -> tuple[Case, ...]:
    from ..training.keras_loops import train_keras
    from ..training.optimizers import SGD
    from ..weights import make_sequences, random_weights

    cases = []
    for index, (n, T, D, H, O, dtype, lr, epochs, batch_size) in enumerate(TRAIN_CASES):
        seed = 8400 + index
        x = make_sequences(n, T, D, seed=seed, dtype=dtype)
        y = np.random.default_rng(seed).normal(0.0, 0.5, (n, O)).astype(dtype)
        weights = random_weights(D, H, O, seed=seed, dtype=dtype)
        x.flags.writeable = y.flags.writeable = False
        fit = train_keras(
            x, y, weights, SGD(learning_rate=lr), epochs=epochs, batch_size=batch_size
        )
        variants = {
            name: train_variant(x, y, weights, lr, epochs, batch_size, name)
            for name in TRAIN_MISTAKES
        }
        label = (
            f"n={n}, T={T}, D={D}, H={H}, O={O}, {dtype}, lr={lr:g}, epochs={epochs}, "
            f"batch_size={batch_size}"
        )
        args = (x, y, weights, lr, epochs, batch_size)
        cases.append(Case(args, fit.losses, label, tolerance_for(dtype), variants))
    return tuple(cases)


check_train_sgd = exercise(
    TEXTS.exercise("train_sgd", runs=len(TRAIN_CASES)),
    _train_cases,
    mistakes=TRAIN_MISTAKES,
    refuses=Refusal.of(
        "rnn_lab.train_manual",
        "rnn_lab.train_keras",
        "rnn_lab.training.optimizers.SGD.step",
        "rnn_lab.training.optimizers.Adam.step",
    ),
)
