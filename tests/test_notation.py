"""The notation table (rnn_lab.book.notation) against the code and real Keras/PyTorch layers."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest

from rnn_lab.book.notation import (
    NOTATION,
    SECTIONS,
    TABLE_HEADER,
    shape_of,
    size_of,
    table_rows,
)
from rnn_lab.cells.weights import random_cell_weights
from rnn_lab.keras_side.porting import keras_to_torch

SIZES = {"D": 3, "H": 5, "O": 2}


def has_attribute(owner, name: str) -> bool:
    """A class attribute, a dataclass field (with or without default) or a NamedTuple field."""
    if dataclasses.is_dataclass(owner) and name in {f.name for f in dataclasses.fields(owner)}:
        return True
    return name in getattr(owner, "_fields", ()) or hasattr(owner, name)


@pytest.mark.parametrize("entry", [e for e in NOTATION if e.attribute], ids=lambda e: e.symbol)
def test_every_code_name_exists(entry):
    module_name, _, path = entry.attribute.partition(":")
    owner = importlib.import_module(f"rnn_lab.{module_name}")
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    assert has_attribute(owner, name), f"{entry.attribute} does not exist"
    # The name the page shows is the attribute it points to.
    assert name in entry.code or name in {"hidden_states", "manual_forward"}, entry


def keras_layer(spec: str):
    from rnn_lab.keras_side.models import import_keras

    keras = import_keras()
    D, H, O = SIZES["D"], SIZES["H"], SIZES["O"]
    if spec == "Dense":
        layer = keras.layers.Dense(O)
        layer.build((None, H))
        return layer
    kind, _, options = spec.partition("(")
    kwargs = {"reset_after": False} if options.startswith("reset_after=False") else {}
    layer = getattr(keras.layers, kind)(H, **kwargs)
    layer.build((None, 7, D))
    return layer


@pytest.mark.parametrize("entry", [e for e in NOTATION if e.keras_weight], ids=lambda e: e.symbol)
def test_keras_weights_have_the_stated_shape(entry):
    spec, variable = entry.keras_weight
    layer = keras_layer(spec)
    shapes = {w.name: tuple(w.shape) for w in layer.weights}
    assert variable in shapes, f"{spec} has no weight {variable!r}: {sorted(shapes)}"
    assert shapes[variable] == shape_of(entry.shape, **SIZES)


@pytest.mark.parametrize(
    "entry", [e for e in NOTATION if e.torch_parameter], ids=lambda e: e.symbol
)
def test_pytorch_parameters_have_the_stated_shape(entry):
    kind, key, shape = entry.torch_parameter
    state = keras_to_torch(random_cell_weights(kind, SIZES["D"], SIZES["H"], seed=0))
    assert key in state, f"nn.{kind} has no {key!r}: {sorted(state)}"
    assert state[key].shape == shape_of(shape, **SIZES)


def test_real_torch_modules_agree_when_installed():
    torch = pytest.importorskip("torch")
    modules = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}
    for entry in NOTATION:
        if entry.torch_parameter:
            kind, key, shape = entry.torch_parameter
            module = modules[kind](SIZES["D"], SIZES["H"], batch_first=True)
            assert tuple(module.state_dict()[key].shape) == shape_of(shape, **SIZES)


def test_the_page_covers_every_section_and_layer_weight():
    shown = {(e.keras_weight or (None, None)) for e in NOTATION}
    for kind in ("SimpleRNN", "LSTM", "GRU", "GRU(reset_after=False)"):
        for variable in ("kernel", "recurrent_kernel", "bias"):
            assert (kind if kind != "SimpleRNN" else "SimpleRNN", variable) in shown or (
                kind == "GRU(reset_after=False)" and variable != "bias"
            ), (kind, variable)
    for section in SECTIONS:
        rows = table_rows(section)
        assert rows and all(len(row) == len(TABLE_HEADER) for row in rows)
    symbols = [(e.section, e.symbol) for e in NOTATION]
    assert len(symbols) == len(set(symbols)), "a symbol appears twice in one section"


def test_shape_helpers():
    assert shape_of(("D", "4H"), D=3, H=5) == (3, 20)
    assert size_of("2", {}) == 2
    with pytest.raises(ValueError, match="needs the size 'H'"):
        size_of("3H", {"D": 1})
    with pytest.raises(ValueError, match="section must be one of"):
        table_rows("CNN")
    assert np.prod(shape_of(("n", "H"), n=4, H=5)) == 20
