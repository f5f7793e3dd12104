"""The Keras side: Keras models and layers built from this package's weight records, and
Keras's own answers that the NumPy code is checked against.

- :mod:`~rnn_lab.keras_side.models`: ``import_keras`` (quiet, lazy), ``keras_floatx``, chapter
  1's ``SimpleRNN -> Dense`` model, its weights in and out, Keras's forward pass as reference.
- :mod:`~rnn_lab.keras_side.layers`: a Keras layer holding given cell weights, and the
  gradients ``tf.GradientTape`` finds through it.
- :mod:`~rnn_lab.keras_side.replay`: a built Keras layer or whole model read and replayed in
  NumPy (:func:`~rnn_lab.keras_side.replay.numpy_replay`, ``numpy_replay_model``).
- :mod:`~rnn_lab.keras_side.agreement`: that replay against Keras, option by option.
- :mod:`~rnn_lab.keras_side.porting`: weights between Keras's and PyTorch's layouts.

TensorFlow is imported only inside functions, through ``import_keras``. May import:
:mod:`rnn_lab._validate`, :mod:`rnn_lab.tolerances`, :mod:`rnn_lab.weights`,
:mod:`rnn_lab.cells`, and its own modules.
"""
