"""The one hand-written training loop, which every chapter's training by hand runs.

For each batch in order::

    record, g = gradients(weights, batch)       the loss (and what else is kept) and dL/dθ,
                                                 both at the weights *before* the update
    weights, state = update(weights, g, state)  one optimiser step (rnn_lab.training.optimizers)

Chapter 8's ``SimpleRNN -> Dense`` (:func:`rnn_lab.training.simple_rnn.train_manual`), chapter
13's regressors for any cell (:mod:`rnn_lab.training.regressor`), chapter 12's language
model (:func:`rnn_lab.language.training.train_manual`) and chapter 15's encoder–decoder
(:func:`rnn_lab.seq2seq.model.train`) differ only in what ``gradients`` and
``update`` are: the loop, and so the order of loss, gradient and update, is this one. Its
Keras twin, which those chapters compare with, is
:func:`rnn_lab.training.keras_loops.run_keras_updates`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def run_updates(
    weights: Any,
    batches: Iterable[Any],
    gradients: Callable[[Any, Any], tuple[Any, Any]],
    update: Callable[[Any, Any, Any], tuple[Any, Any]],
    state: Any,
) -> tuple[Any, Any, list[Any]]:
    """Run ``gradients`` then ``update`` on each batch; return the final weights, the final
    optimiser ``state`` and the records ``gradients`` returned, one per update."""
    records = []
    for batch in batches:
        record, grads = gradients(weights, batch)
        records.append(record)
        weights, state = update(weights, grads, state)
    return weights, state, records
