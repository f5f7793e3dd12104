"""The two weight records of one SimpleRNN, the shared input checks, and the settled notation
(``Bh`` only for the SimpleRNN's hidden bias, ``Bx``/``Bhh`` for a GRU's two bias rows,
``c_tilde`` for the LSTM candidate). Pure NumPy: no Keras needed."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab import (
    CellWeights,
    cell_weights_from_simple_rnn,
    hidden_states,
    make_sequences,
    random_cell_weights,
    random_weights,
    simple_rnn_step,
    simple_rnn_weights_from_cell,
    trace_gates,
)
from rnn_lab._validate import check_features, check_record
from rnn_lab.cells.steps import LSTMGates, lstm_gates
from rnn_lab.explorer.compute import explore
from rnn_lab.stability import hidden_states_keras_order, spectral_radius
from rnn_lab.tolerances import tolerance_for
from rnn_lab.weights import SimpleRNNWeights

SHAPES = [(1, 1, 1, 1), (3, 5, 2, 4), (4, 2, 7, 3)]  # (D, H, O, T)
DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("D, H, O, T", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_two_records_hold_the_same_simple_rnn(D, H, O, T, dtype):
    weights = random_weights(D, H, O, seed=D + H, dtype=dtype)
    cell = cell_weights_from_simple_rnn(weights)
    assert cell.kind == "SimpleRNN" and cell.dtype == weights.dtype
    for keras_name, book_name in (("kernel", "Wx"), ("recurrent_kernel", "Wh"), ("bias", "Bh")):
        np.testing.assert_array_equal(getattr(cell, keras_name), getattr(weights, book_name))
    np.testing.assert_array_equal(cell.blocks()["h"]["B"], weights.Bh)  # the one block's B is Bh
    back = simple_rnn_weights_from_cell(cell, weights.Wo, weights.Bo)
    for a, b in zip(back.as_list(), weights.as_list(), strict=True):
        np.testing.assert_array_equal(a, b)
    # Run on either record, the recurrence gives the same states: bit for bit when the sums
    # are formed in the same (Keras's) order, within the tolerance in the book's order.
    x = make_sequences(2, T, D, seed=1, dtype=dtype)
    traced = trace_gates(cell, x)["h"]
    np.testing.assert_array_equal(traced, hidden_states_keras_order(x, weights))
    np.testing.assert_allclose(traced, hidden_states(x, weights), atol=tolerance_for(dtype))


def test_simple_rnn_step_adds_the_bias_first_as_its_docstring_says():
    cell = random_cell_weights("SimpleRNN", 3, 4, seed=2, dtype="float32")
    rng = np.random.default_rng(0)
    x_t = rng.normal(size=(5, 3)).astype("float32")
    h = rng.uniform(-1, 1, (5, 4)).astype("float32")
    keras_order = np.tanh((x_t @ cell.kernel + cell.bias) + h @ cell.recurrent_kernel)
    np.testing.assert_array_equal(simple_rnn_step(x_t, h, cell), keras_order)
    assert "(x_t·Wx + Bh) + h_{t-1}·Wh" in simple_rnn_step.__doc__


def test_only_a_simple_rnn_cell_with_a_bias_converts_back():
    weights = random_weights(3, 4, 2)
    with pytest.raises(ValueError, match="only a SimpleRNN cell with a bias"):
        simple_rnn_weights_from_cell(random_cell_weights("LSTM", 3, 4), weights.Wo, weights.Bo)
    no_bias = random_cell_weights("SimpleRNN", 3, 4, use_bias=False)
    with pytest.raises(ValueError, match="use_bias=False"):
        simple_rnn_weights_from_cell(no_bias, weights.Wo, weights.Bo)
    with pytest.raises(TypeError, match="weights must be a SimpleRNNWeights; got CellWeights"):
        cell_weights_from_simple_rnn(no_bias)
    with pytest.raises(TypeError, match="cell must be a CellWeights; got SimpleRNNWeights"):
        simple_rnn_weights_from_cell(weights, weights.Wo, weights.Bo)


def test_bias_names_one_meaning_each():
    gru = random_cell_weights("GRU", 3, 2, reset_after=True).blocks()
    assert all(set(block) == {"Wx", "Wh", "Bx", "Bhh"} for block in gru.values())
    gru_one_bias = random_cell_weights("GRU", 3, 2, reset_after=False).blocks()
    lstm = random_cell_weights("LSTM", 3, 2).blocks()
    for blocks in (gru_one_bias, lstm):
        assert all(set(block) == {"Wx", "Wh", "B"} for block in blocks.values())
    assert "Bh" in {field for field in SimpleRNNWeights.__dataclass_fields__}


def test_the_lstm_candidate_is_c_tilde():
    weights = random_cell_weights("LSTM", 2, 3, seed=4, dtype="float64")
    rng = np.random.default_rng(1)
    x_t, h, c = (rng.normal(size=(2, k)) for k in (2, 3, 3))
    step = lstm_gates(x_t, h, c, weights)
    assert LSTMGates._fields == ("i", "f", "c_tilde", "o", "c", "h")
    np.testing.assert_allclose(step.c, step.f * c + step.i * step.c_tilde)
    trace = trace_gates(weights, rng.normal(size=(2, 4, 2)))
    assert list(trace) == ["i", "f", "c_tilde", "o", "c", "h"]


# ------------------------------------------------------------------ the shared checks


def test_check_record_says_what_was_expected_and_given():
    weights = random_weights(2, 3, 1)
    assert check_record("weights", weights, SimpleRNNWeights) is weights
    with pytest.raises(TypeError, match=r"^weights must be a SimpleRNNWeights; got list$"):
        check_record("weights", [1, 2], SimpleRNNWeights)
    with pytest.raises(TypeError, match=r"^grads must be A or B \(hint\); got int$"):
        check_record("grads", 3, CellWeights, what="A or B", hint=" (hint)")


def test_check_features_names_both_sides():
    check_features("x", np.zeros((2, 5, 3)), 3, "Wx")
    with pytest.raises(ValueError) as error:
        check_features("x", np.zeros((2, 5, 4)), 3, "Wx")
    message = str(error.value)
    assert "x has D = 4 features per timestep but Wx expects D = 3" in message
    assert "(2, 5, 4)" in message


@pytest.mark.parametrize(
    "call",
    [
        lambda w, x: hidden_states(x, w),
        lambda w, x: hidden_states_keras_order(x, w),
        lambda w, x: trace_gates(cell_weights_from_simple_rnn(w), x),
    ],
    ids=["forward", "stability", "cells"],
)
def test_every_entry_point_reports_a_wrong_feature_count_the_same_way(call):
    weights = random_weights(3, 4, 2)
    with pytest.raises(ValueError, match=r"has D = 5 features per timestep but .* expects D = 3"):
        call(weights, np.zeros((2, 6, 5)))


def test_one_spectral_radius_for_the_explorer_and_the_book():
    result = explore(hidden_units=6, seq_len=5, recurrent_scale=1.5)
    expected = float(np.max(np.abs(np.linalg.eigvals(result.weights.Wh.astype(np.float64)))))
    assert result.spectral_radius == spectral_radius(result.weights.Wh) == expected
