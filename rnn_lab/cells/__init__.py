"""The recurrent layer itself, for every cell: its weights, one step, the backward pass.

- :mod:`~rnn_lab.cells.weights`: :class:`~rnn_lab.cells.weights.CellWeights` (one SimpleRNN,
  LSTM or GRU layer in Keras's packed layout), the activations, random weights, counts.
- :mod:`~rnn_lab.cells.steps`: one timestep of each cell, and a sequence with every gate kept.
- :mod:`~rnn_lab.cells.masking`: masks ``(n, T)``, padding, the masked loss.
- :mod:`~rnn_lab.cells.bptt`: the package's one backward pass through time (SimpleRNN, LSTM,
  both GRUs, masks), which every training loop and the language model use.
- :mod:`~rnn_lab.cells.replay`: the layer with every Keras option (``go_backwards``, masks,
  ``unroll``...), stacks of layers and Bidirectional layers, NumPy only.

May import: :mod:`rnn_lab._validate`, :mod:`rnn_lab.tolerances`, :mod:`rnn_lab.weights`, and
its own modules. Nothing here imports Keras: the Keras twins live in :mod:`rnn_lab.keras_side`.
"""
