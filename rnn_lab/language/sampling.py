"""Text from a language model: feed a prime, then draw one character at a time and feed it
back (:func:`generate`), from the NumPy model (:func:`manual_stepper`) or from Keras
(:func:`rnn_lab.language.keras_lm.keras_stepper`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validate import (
    check_positive_int,
)
from .model import LanguageModelWeights, check_lm_weights, forward, zero_state
from .text import (
    check_temperature,
    sample_index,
    temperature_probabilities,
)

# --- sampling ------------------------------------------------------------------------------


def generate(
    next_logits: Callable[[int], np.ndarray],
    prime: Any,
    length: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
    greedy: bool = False,
) -> np.ndarray:
    """Feed the ``prime`` ids, then ``length`` characters drawn one at a time, each fed back.

    ``next_logits(c)`` reads character ``c`` (updating the model's state) and returns
    ``y``, the logits of the character after it. Each new character is drawn from
    ``softmax(y / τ)`` with ``u = rng.random()`` (:func:`rnn_lab.language.text.sample_index`), or is
    ``argmax y`` when ``greedy``. The same ``next_logits`` of two models that agree and the
    same ``seed`` give the same text. Returns the ``length`` new ids.
    """
    length = check_positive_int("length", length)
    tau = check_temperature(temperature)
    prime = np.asarray(prime)
    if prime.ndim != 1 or prime.size == 0 or prime.dtype.kind not in "iu":
        raise ValueError(f"prime must be a non-empty 1-D array of ids; got {prime!r}")
    rng = np.random.default_rng(seed)
    for c in prime:
        logits = next_logits(int(c))
    out = np.empty(length, dtype=np.int64)
    for t in range(length):
        if greedy:
            c = int(np.argmax(logits))
        else:
            c = sample_index(temperature_probabilities(logits, tau), rng.random())
        out[t] = c
        if t + 1 < length:
            logits = next_logits(c)
    return out


def manual_stepper(weights: LanguageModelWeights) -> Callable[[int], np.ndarray]:
    """``next_logits`` for :func:`generate`, from the NumPy model (state kept inside)."""
    weights = check_lm_weights(weights)
    state = [zero_state(weights, 1)]

    def next_logits(c: int) -> np.ndarray:
        fp = forward(np.array([[c]]), weights, state[0])
        state[0] = fp.final
        return fp.logits[0, 0]

    return next_logits
