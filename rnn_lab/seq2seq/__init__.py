"""The sequence-to-sequence room: a task, attention, and an encoder–decoder (chapter 15).

- :mod:`.dates`: the task, dates written many ways (``"3rd of March 1999"``) to translate
  into ISO ``1999-03-03``, generated from Python's ``datetime``; a training set, held-out
  dates and inputs longer than any seen in training.
- :mod:`.attention`: additive and dot-product attention, the masked softmax over source
  positions and one head of multi-head attention, forward and backward, in NumPy.
- :mod:`.model`: the encoder–decoder (chapter 14's bidirectional GRU as the encoder, a GRU
  decoder started from its two final states, optional dot-product attention), trained with
  teacher forcing; greedy decoding and beam search.
- :mod:`.keras_twins`: the same layers and model built and trained in Keras, for the
  comparisons (the only module here that imports TensorFlow).

Imports: this room is the top of the maths layer. It may import the rooms below it
(``cells``, whose ``replay`` holds the ``Bidirectional`` layer; ``keras_side``,
``training``, ``language``, ``tolerances``, ``_validate``) and its
own modules; nothing in it imports plots, checks or the book.
"""
