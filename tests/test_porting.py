"""Keras ↔ PyTorch weight conversion: round trips in NumPy, then real torch.nn modules.

The round-trip tests need neither TensorFlow nor PyTorch. The comparison tests load the
converted weights into ``torch.nn.RNN/LSTM/GRU`` and compare every output and final
state with the Keras layer, within the book's tolerances (``FLOAT32_ATOL = 1e-5``,
``FLOAT64_ATOL = 1e-12``, see ``rnn_lab/tolerances.py``). PyTorch is a test dependency
(requirements-dev.txt), not a learner one: without it those tests skip, saying so.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnn_lab.cells.replay import run_recurrence
from rnn_lab.cells.weights import CellWeights, random_cell_weights
from rnn_lab.keras_side.porting import (
    TORCH_GATE_ORDER,
    TORCH_MODULE,
    UnsupportedConversionError,
    keras_to_torch,
    labelled_weights,
    torch_parameter_count,
    torch_style_forward,
    torch_to_keras,
)
from rnn_lab.tolerances import tolerance_for

KINDS = ("SimpleRNN", "LSTM", "GRU")
DTYPES = ("float32", "float64")
TORCH_MISSING = (
    "PyTorch is not installed: the Keras <-> PyTorch comparison tests are SKIPPED. "
    "Install the test dependencies (pip install -r requirements-dev.txt) to run them."
)


def assert_same_weights(a: CellWeights, b: CellWeights) -> None:
    assert (a.kind, a.reset_after, a.dtype) == (b.kind, b.reset_after, b.dtype)
    assert len(a.as_list()) == len(b.as_list())
    for x, y in zip(a.as_list(), b.as_list(), strict=True):
        np.testing.assert_array_equal(x, y)


# --- NumPy only ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "dtype", "use_bias"), list(itertools.product(KINDS, DTYPES, (True, False)))
)
def test_keras_torch_keras_round_trip_is_exact(kind, dtype, use_bias):
    weights = random_cell_weights(kind, 3, 4, seed=1, dtype=dtype, use_bias=use_bias)
    state = keras_to_torch(weights)
    assert set(state) == {"weight_ih_l0", "weight_hh_l0"} | (
        {"bias_ih_l0", "bias_hh_l0"} if use_bias else set()
    )
    assert_same_weights(torch_to_keras(kind, state), weights)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_keras_torch_round_trip(kind):
    """Exact for a GRU; SimpleRNN/LSTM fold bias_hh into bias_ih (same sum, same outputs)."""
    rng = np.random.default_rng(2)
    g = len(TORCH_GATE_ORDER[kind])
    state = {
        "weight_ih_l0": rng.normal(size=(g * 4, 3)),
        "weight_hh_l0": rng.normal(size=(g * 4, 4)),
        "bias_ih_l0": rng.normal(size=g * 4),
        "bias_hh_l0": rng.normal(size=g * 4),
    }
    back = keras_to_torch(torch_to_keras(kind, state))
    for key in ("weight_ih_l0", "weight_hh_l0"):
        np.testing.assert_array_equal(back[key], state[key])
    if kind == "GRU":
        np.testing.assert_array_equal(back["bias_ih_l0"], state["bias_ih_l0"])
        np.testing.assert_array_equal(back["bias_hh_l0"], state["bias_hh_l0"])
    else:
        np.testing.assert_array_equal(back["bias_ih_l0"], state["bias_ih_l0"] + state["bias_hh_l0"])
        np.testing.assert_array_equal(back["bias_hh_l0"], 0.0)


def test_gate_blocks_land_where_pytorch_expects_them():
    """Read the layouts off labelled weights: block k of Keras holds the value k + 1."""
    H = 2
    lstm = keras_to_torch(labelled_weights("LSTM", 3, H))
    np.testing.assert_array_equal(lstm["weight_ih_l0"][:, 0], np.repeat([1, 2, 3, 4], H))
    np.testing.assert_array_equal(lstm["bias_hh_l0"], 0.0)
    gru = keras_to_torch(labelled_weights("GRU", 3, H))
    # PyTorch [r, z, n] = Keras blocks [2, 1, 3]; bias_hh comes from Keras bias[1] (negated codes)
    np.testing.assert_array_equal(gru["weight_hh_l0"][:, 0], np.repeat([2, 1, 3], H))
    np.testing.assert_array_equal(gru["bias_ih_l0"], np.repeat([2, 1, 3], H))
    np.testing.assert_array_equal(gru["bias_hh_l0"], -np.repeat([2, 1, 3], H))
    assert keras_to_torch(labelled_weights("SimpleRNN", 3, H))["weight_ih_l0"].shape == (H, 3)


@pytest.mark.parametrize(("kind", "use_bias"), list(itertools.product(KINDS, (True, False))))
def test_pytorch_equations_in_numpy_match_the_keras_loop(kind, use_bias):
    """PyTorch's documented equations on converted weights = the Keras-convention loop."""
    weights = random_cell_weights(kind, 3, 4, seed=9, dtype="float64", use_bias=use_bias)
    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, (3, 7, 3))
    h0 = [rng.uniform(-1, 1, (3, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    _, expected, expected_states = run_recurrence(weights, x, initial_state=h0)
    outputs, states = torch_style_forward(kind, keras_to_torch(weights), x, initial_state=h0)
    np.testing.assert_allclose(outputs, expected, rtol=0, atol=tolerance_for("float64"))
    for ours, theirs in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance_for("float64"))


def test_keras_gru_without_reset_after_is_refused():
    weights = random_cell_weights("GRU", 3, 4, reset_after=False)
    with pytest.raises(UnsupportedConversionError, match="reset_after=False"):
        keras_to_torch(weights)


def test_bad_state_dicts_are_refused():
    good = keras_to_torch(random_cell_weights("LSTM", 3, 4))
    with pytest.raises(ValueError, match=r"unexpected \['weight_ih_l1'\]"):
        torch_to_keras("LSTM", {**good, "weight_ih_l1": good["weight_ih_l0"]})
    with pytest.raises(ValueError, match=r"missing \['bias_hh_l0'\]"):
        torch_to_keras("LSTM", {k: v for k, v in good.items() if k != "bias_hh_l0"})
    with pytest.raises(ValueError, match=r"weight_hh_l0 must have shape \(3H, H\)"):
        torch_to_keras("GRU", good)  # LSTM arrays (16 rows) are not a GRU's 3H = 12
    with pytest.raises(ValueError, match="kind must be one of"):
        torch_to_keras("Transformer", good)
    with pytest.raises(TypeError, match="must be a CellWeights"):
        keras_to_torch(good)


@pytest.mark.parametrize(("kind", "module_kind"), list(TORCH_MODULE.items()))
def test_torch_parameter_counts(kind, module_kind):
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    for bias in (True, False):
        module = getattr(torch.nn, module_kind)(3, 5, bias=bias)
        expected = sum(p.numel() for p in module.parameters())
        assert torch_parameter_count(kind, 3, 5, bias=bias) == expected


# --- real PyTorch modules against real Keras layers ----------------------------------------


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    torch.set_num_threads(1)  # small matrices; avoids oversubscribing a shared CI runner
    return torch


@pytest.fixture(scope="module")
def keras():
    from rnn_lab.keras_side.models import import_keras

    return import_keras()


def run_torch(torch, kind, state, x, initial_state, *, bias, dtype):
    """(outputs (n,T,H), final states) of torch.nn.<module> loaded with ``state``."""
    n, T, D = x.shape
    H = state["weight_hh_l0"].shape[1]
    module = getattr(torch.nn, TORCH_MODULE[kind])(D, H, batch_first=True, bias=bias)
    module = module.to(getattr(torch, dtype))
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    hidden = [torch.from_numpy(s)[None] for s in initial_state]  # (num_layers=1, n, H)
    with torch.no_grad():
        outputs, final = module(torch.from_numpy(x), tuple(hidden) if kind == "LSTM" else hidden[0])
    final = final if kind == "LSTM" else (final,)
    return outputs.numpy(), [f[0].numpy() for f in final]


def keras_layer(keras, kind, weights, *, dtype):
    layer = getattr(keras.layers, kind)(
        weights.hidden_units,
        dtype=dtype,
        use_bias=weights.use_bias,
        return_sequences=True,
        return_state=True,
    )
    layer.build((None, None, weights.dims))
    layer.set_weights(weights.as_list())
    return layer


def max_difference(keras, keras_out, torch_out) -> float:
    k_seq, *k_states = (keras.ops.convert_to_numpy(a) for a in keras_out)
    t_seq, t_states = torch_out
    pairs = [(k_seq, t_seq), *zip(k_states, t_states, strict=True)]
    return max(float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) for a, b in pairs)


@pytest.mark.parametrize(
    ("kind", "dtype", "use_bias"), list(itertools.product(KINDS, DTYPES, (True, False)))
)
def test_keras_weights_in_torch_give_keras_outputs(torch, keras, kind, dtype, use_bias):
    rng = np.random.default_rng(3)
    n, T, D, H = 4, 9, 3, 5
    weights = random_cell_weights(kind, D, H, seed=4, dtype=dtype, use_bias=use_bias)
    x = rng.uniform(-1, 1, (n, T, D)).astype(dtype)
    h0 = [rng.uniform(-1, 1, (n, H)).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]
    keras_out = keras_layer(keras, kind, weights, dtype=dtype)(x, initial_state=h0)
    state = keras_to_torch(weights)
    torch_out = run_torch(torch, kind, state, x, h0, bias=use_bias, dtype=dtype)
    assert max_difference(keras, keras_out, torch_out) <= tolerance_for(dtype)
    # the NumPy transcription of PyTorch's equations agrees with PyTorch itself
    outputs, states = torch_style_forward(kind, state, x, initial_state=h0)
    assert max_difference(keras, (outputs, *states), torch_out) <= tolerance_for(dtype)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_weights_in_keras_give_torch_outputs(torch, keras, kind):
    torch.manual_seed(5)
    n, T, D, H = 3, 8, 4, 6
    module = getattr(torch.nn, TORCH_MODULE[kind])(D, H, batch_first=True)
    with torch.no_grad():  # PyTorch starts both biases non-zero; make them larger still
        for name, parameter in module.named_parameters():
            if name.startswith("bias"):
                parameter.uniform_(-0.5, 0.5)
    state = {k: v.numpy() for k, v in module.state_dict().items()}
    weights = torch_to_keras(kind, state)
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, (n, T, D)).astype("float32")
    h0 = [rng.uniform(-1, 1, (n, H)).astype("float32") for _ in range(2 if kind == "LSTM" else 1)]
    keras_out = keras_layer(keras, kind, weights, dtype="float32")(x, initial_state=h0)
    torch_out = run_torch(torch, kind, state, x, h0, bias=True, dtype="float32")
    assert max_difference(keras, keras_out, torch_out) <= tolerance_for("float32")


def test_pytorch_gate_order_is_not_keras_order(torch, keras):
    """Loading Keras GRU weights without reordering the gates must visibly disagree."""
    weights = random_cell_weights("GRU", 3, 4, seed=7)
    naive = {
        "weight_ih_l0": np.ascontiguousarray(weights.kernel.T),
        "weight_hh_l0": np.ascontiguousarray(weights.recurrent_kernel.T),
        "bias_ih_l0": weights.bias[0].copy(),
        "bias_hh_l0": weights.bias[1].copy(),
    }
    x = np.random.default_rng(8).uniform(-1, 1, (2, 6, 3)).astype("float32")
    h0 = [np.zeros((2, 4), "float32")]
    keras_out = keras_layer(keras, "GRU", weights, dtype="float32")(x, initial_state=h0)
    torch_out = run_torch(torch, "GRU", naive, x, h0, bias=True, dtype="float32")
    assert max_difference(keras, keras_out, torch_out) > 1e-2
