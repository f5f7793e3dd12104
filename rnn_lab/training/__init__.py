"""Training: the optimisers, the hand-written loops and their Keras twins.

- :mod:`~rnn_lab.training.optimizers`: SGD, momentum and Adam with Keras's exact update rules,
  over one parameter protocol (:class:`~rnn_lab.training.optimizers.ParameterRecord`): the one
  place where weights are updated, Keras's treatment of an embedding's gradient rows
  (``step_with_rows``) included.
- :mod:`~rnn_lab.training.loop`: the one hand-written training loop (gradients, then an
  update, batch after batch), which chapters 8, 12, 13 and 15 run.
- :mod:`~rnn_lab.training.simple_rnn`: chapter 8's ``SimpleRNN -> Dense`` trained by hand
  (mini-batches, truncated BPTT), and the delayed-copy task.
- :mod:`~rnn_lab.training.regressor`: ``recurrent layer -> Dense`` for any cell (chapter 13),
  one model or several seeds trained as one stacked layer, gate initialisations.
- :mod:`~rnn_lab.training.keras_loops`: the one Keras-side training loop (``fit``, each
  batch's own loss recorded), which chapters 8, 12, 13 and 15 run to compare update by update.

May import: :mod:`rnn_lab._validate`, :mod:`rnn_lab.tolerances`, :mod:`rnn_lab.weights`,
:mod:`rnn_lab.cells`, :mod:`rnn_lab.keras_side`, the SimpleRNN modules of chapters 3-7
(:mod:`rnn_lab.forward`, :mod:`rnn_lab.backward`, ...) and its own modules.
"""
