"""The hidden-state explorer of chapter 4, one feature in three modules: :mod:`.compute`
runs the network for one setting (``H``, ``T``, recurrent scale, seed) and returns the
numbers every view draws; :mod:`.widget` is the live ipywidgets explorer (needs a Python
kernel); :mod:`.static` precomputes a grid of settings into a self-contained HTML block for
the static website, drawn by ``static_explorer.js`` (package data, next to this file). The
explorer may import the maths and :mod:`rnn_lab.plots`; nothing else in the package
imports the explorer.
"""
