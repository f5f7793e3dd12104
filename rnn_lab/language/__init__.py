"""Text and the character-level language model of chapter 12, ``Embedding -> SimpleRNN/LSTM
-> Dense``, by hand and in Keras.

- :mod:`~rnn_lab.language.text`: a corpus, a character vocabulary, one-hot vectors, softmax
  cross-entropy, sampling, perplexity, count-based baselines.
- :mod:`~rnn_lab.language.model`: the model's weights, forward pass, loss and gradients (through
  the one backward pass, :mod:`rnn_lab.cells.bptt`), finite differences, the mean loss of a text.
- :mod:`~rnn_lab.language.training`: training by hand, chunk after chunk with the state carried,
  with Keras's treatment of the embedding's gradient.
- :mod:`~rnn_lab.language.sampling`: generating text one character at a time.
- :mod:`~rnn_lab.language.keras_lm`: the same model, gradients, training and sampling in Keras.

The model's public names are also importable from here (``from rnn_lab import language as lm``;
``lm.train_manual``, ``lm.generate`` ...). May import: :mod:`rnn_lab._validate`,
:mod:`rnn_lab.tolerances`, :mod:`rnn_lab.cells`, :mod:`rnn_lab.keras_side`,
:mod:`rnn_lab.training`, :mod:`rnn_lab.gradcheck`, and its own modules.
"""

from __future__ import annotations

from .keras_lm import (
    build_keras_lm,
    glorot_weights,
    keras_lm_gradients,
    keras_stepper,
    set_keras_lm_weights,
    train_keras,
    weights_from_keras_lm,
)
from .model import (
    FD_RICHARDSON_STEP,
    FD_RTOL,
    GRAD_RTOL,
    KINDS,
    LAYOUTS,
    RANKS,
    TRAIN_RTOL,
    ForwardPass,
    LanguageModelWeights,
    LMGradients,
    check_chunk,
    check_lm_weights,
    check_state,
    finite_difference_gradients,
    forward,
    hidden_trace,
    loss_and_gradients,
    mean_loss,
    zero_state,
)
from .sampling import (
    generate,
    manual_stepper,
)
from .training import (
    LMRun,
    check_chunks,
    keras_norms,
    keras_update,
    train_manual,
)

__all__ = [
    "FD_RICHARDSON_STEP",
    "FD_RTOL",
    "GRAD_RTOL",
    "KINDS",
    "LAYOUTS",
    "RANKS",
    "TRAIN_RTOL",
    "ForwardPass",
    "LMGradients",
    "LMRun",
    "LanguageModelWeights",
    "build_keras_lm",
    "check_chunk",
    "check_chunks",
    "check_lm_weights",
    "check_state",
    "finite_difference_gradients",
    "forward",
    "generate",
    "glorot_weights",
    "hidden_trace",
    "keras_lm_gradients",
    "keras_norms",
    "keras_stepper",
    "keras_update",
    "loss_and_gradients",
    "manual_stepper",
    "mean_loss",
    "set_keras_lm_weights",
    "train_keras",
    "train_manual",
    "weights_from_keras_lm",
    "zero_state",
]
