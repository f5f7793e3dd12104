"""The hidden-state explorer of chapter 4, one feature in four modules: :mod:`.compute`
runs the network for one setting (``H``, ``T``, recurrent scale, seed) and returns the
numbers every view draws; :mod:`.renderer` is the browser side both explorers share, the
script ``explorer.js`` (package data, next to this file) that draws a view as SVG, its
style and the format of a view; :mod:`.widget` is the live explorer (an anywidget: needs a
Python kernel), which sends the browser one view per change; :mod:`.static` precomputes a
grid of views into a self-contained HTML block for the static website. The explorer may
import the maths and :mod:`rnn_lab.plots`; nothing else in the package imports it.
"""
