"""numpy_replay and the NumPy cells against real Keras SimpleRNN/LSTM/GRU layers.

Every layer gets random weights with non-zero biases and a different value in every
entry (``random_cell_weights``), so a swapped gate, a transposed block or a dropped
bias row changes the output by far more than the tolerance (``test_mistakes_are_caught``
checks exactly that). Tolerances are the book's: ``FLOAT32_ATOL = 1e-5`` and
``FLOAT64_ATOL = 1e-12`` (see ``rnn_lab/tolerances.py`` for why these sizes).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnn_lab.cells.replay import RecurrentConfig, UnsupportedLayerError, replay, run_recurrence
from rnn_lab.cells.steps import initial_states, lstm_step, trace_gates
from rnn_lab.cells.weights import (
    ACTIVATIONS,
    CellWeights,
    count_cell_parameters,
    hard_sigmoid,
    random_cell_weights,
    sigmoid,
)
from rnn_lab.keras_side.agreement import measure_agreement
from rnn_lab.keras_side.models import import_keras
from rnn_lab.keras_side.replay import config_from_layer, numpy_replay, weights_from_layer
from rnn_lab.tolerances import FLOAT32_ATOL, FLOAT64_ATOL, tolerance_for

keras = import_keras()

KINDS = ("SimpleRNN", "LSTM", "GRU")
DTYPES = ("float32", "float64")
#: Mask rows that exercise every masking case: leading, trailing and inner masked steps,
#: a fully masked sample (it must return its initial state) and an unmasked one.
MASK_ROWS = (
    (0, 0, 1, 1, 1, 1),
    (1, 1, 1, 1, 0, 0),
    (1, 0, 1, 0, 0, 1),
    (0, 0, 0, 0, 0, 0),
    (1, 1, 1, 1, 1, 1),
)
#: A mistake in the replay must overshoot the float32 tolerance by this factor at least:
#: it shows the random weights make gate-order mistakes impossible to miss.
MISTAKE_FACTOR = 100


def make_layer(
    kind, units, dims, *, dtype="float32", weights=None, seed=0, batch_size=None, **options
):
    """A built Keras layer holding ``weights`` (random, non-zero biases by default)."""
    layer = getattr(keras.layers, kind)(units, dtype=dtype, **options)
    layer.build((batch_size, None, dims))
    if weights is None:
        weights = random_cell_weights(
            kind,
            dims,
            units,
            seed=seed,
            dtype=dtype,
            use_bias=options.get("use_bias", True),
            reset_after=options.get("reset_after") if kind == "GRU" else None,
        )
    layer.set_weights(weights.as_list())
    return layer


def as_tuple(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def max_error(keras_result, numpy_result) -> float:
    keras_parts, numpy_parts = as_tuple(keras_result), as_tuple(numpy_result)
    assert len(keras_parts) == len(numpy_parts)
    errors = []
    for k, r in zip(keras_parts, numpy_parts, strict=True):
        k = keras.ops.convert_to_numpy(k)
        assert k.shape == r.shape, (k.shape, r.shape)
        assert k.dtype == r.dtype, (k.dtype, r.dtype)
        errors.append(float(np.max(np.abs(k.astype(np.float64) - r.astype(np.float64)))))
    return max(errors)


def random_inputs(rng, n, T, D, dtype):
    return rng.uniform(-1.0, 1.0, (n, T, D)).astype(dtype)


def random_states(rng, kind, n, H, dtype):
    return [rng.uniform(-1.0, 1.0, (n, H)).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]


# --- every sequence option, in every combination ------------------------------------------

OPTION_GRID = list(
    itertools.product(KINDS, DTYPES, [False, True], [False, True], [False, True], [False, True])
)


@pytest.mark.parametrize(
    ("kind", "dtype", "go_backwards", "zero_output_for_mask", "unroll", "return_sequences"),
    OPTION_GRID,
)
def test_sequence_options_with_mask_and_initial_state(
    kind, dtype, go_backwards, zero_output_for_mask, unroll, return_sequences
):
    rng = np.random.default_rng(len(OPTION_GRID))
    mask = np.array(MASK_ROWS, dtype=bool)
    n, T = mask.shape
    D, H = 3, 4
    layer = make_layer(
        kind,
        H,
        D,
        dtype=dtype,
        seed=7,
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
        unroll=unroll,
    )
    x = random_inputs(rng, n, T, D, dtype)
    h0 = random_states(rng, kind, n, H, dtype)
    for kwargs in ({"initial_state": h0, "mask": mask}, {"mask": mask}, {}):
        expected = layer(x, **kwargs)
        assert max_error(expected, numpy_replay(layer, x, **kwargs)) <= tolerance_for(dtype)


def test_go_backwards_returns_the_sequence_in_processing_order():
    """The first output of a go_backwards layer belongs to x_T: Keras does not reverse back."""
    rng = np.random.default_rng(1)
    x = random_inputs(rng, 2, 5, 3, "float64")
    backwards = make_layer("GRU", 4, 3, dtype="float64", go_backwards=True, return_sequences=True)
    forwards = make_layer("GRU", 4, 3, dtype="float64", return_sequences=True)
    ours = numpy_replay(backwards, x)
    np.testing.assert_allclose(ours, numpy_replay(forwards, x[:, ::-1]), atol=FLOAT64_ATOL)
    assert np.max(np.abs(ours - numpy_replay(forwards, x)[:, ::-1])) > 1e-3


def test_masked_first_steps_output_zeros_but_keep_the_initial_state():
    x = np.ones((1, 3, 2))
    layer = make_layer("SimpleRNN", 2, 2, dtype="float64", return_sequences=True, return_state=True)
    h0 = np.array([[0.5, -0.5]])
    output, h_T = numpy_replay(layer, x, initial_state=[h0], mask=np.array([[0, 0, 0]]))
    np.testing.assert_array_equal(output, 0.0)
    np.testing.assert_array_equal(h_T, h0)


# --- random configurations: shapes, activations, bias, reset_after, implementation ---------

N_RANDOM = 16


def random_configuration(kind: str, dtype: str, case: int):
    rng = np.random.default_rng(1000 * KINDS.index(kind) + case)
    names = sorted(ACTIVATIONS)
    options = {
        "activation": names[case % len(names)],
        "use_bias": bool(case % 4),
        "return_sequences": bool(rng.integers(2)),
        "return_state": bool(rng.integers(2)),
        "go_backwards": bool(rng.integers(2)),
    }
    if kind != "SimpleRNN":
        options["recurrent_activation"] = names[(case // 2 + 1) % len(names)]
        options["implementation"] = int(rng.integers(1, 3))
    if kind == "GRU":
        options["reset_after"] = bool(case % 2)
    n, T, D, H = (int(v) for v in rng.integers(1, 7, 4))
    with_mask, with_state = bool(rng.integers(2)), bool(rng.integers(2))
    return options, (n, T, D, H), with_mask, with_state, rng


@pytest.mark.parametrize("case", range(N_RANDOM))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_random_configurations(kind, dtype, case):
    options, (n, T, D, H), with_mask, with_state, rng = random_configuration(kind, dtype, case)
    layer = make_layer(kind, H, D, dtype=dtype, seed=case, **options)
    x = random_inputs(rng, n, T, D, dtype)
    kwargs = {}
    if with_mask:
        kwargs["mask"] = rng.random((n, T)) < 0.7
    if with_state:
        kwargs["initial_state"] = random_states(rng, kind, n, H, dtype)
    assert max_error(layer(x, **kwargs), numpy_replay(layer, x, **kwargs)) <= tolerance_for(dtype)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_each_activation_both_roles(name):
    """Each supported activation as the LSTM's activation and as its recurrent_activation."""
    rng = np.random.default_rng(3)
    x = random_inputs(rng, 3, 6, 2, "float64") * 4  # wide enough to reach clipping regions
    for role in ("activation", "recurrent_activation"):
        layer = make_layer("LSTM", 3, 2, dtype="float64", return_sequences=True, **{role: name})
        assert max_error(layer(x), numpy_replay(layer, x)) <= FLOAT64_ATOL


@pytest.mark.parametrize("kind", KINDS)
def test_keras_default_weights_and_use_bias_false(kind):
    """With Keras's own initialisers (zero biases, the LSTM's forget bias 1) and without bias."""
    rng = np.random.default_rng(4)
    x = random_inputs(rng, 4, 7, 3, "float32")
    keras.utils.set_random_seed(0)
    for use_bias in (True, False):
        layer = getattr(keras.layers, kind)(5, use_bias=use_bias, return_state=True)
        assert max_error(layer(x), numpy_replay(layer, x)) <= FLOAT32_ATOL


@pytest.mark.parametrize("unit_forget_bias", [True, False])
def test_lstm_unit_forget_bias(unit_forget_bias):
    """unit_forget_bias only changes the initial bias (1 for the forget gate, block H:2H)."""
    keras.utils.set_random_seed(0)
    layer = keras.layers.LSTM(3, unit_forget_bias=unit_forget_bias, return_sequences=True)
    x = random_inputs(np.random.default_rng(5), 2, 4, 2, "float32")
    expected = layer(x)
    blocks = weights_from_layer(layer).blocks()
    np.testing.assert_array_equal(blocks["f"]["B"], 1.0 if unit_forget_bias else 0.0)
    for gate in ("i", "c", "o"):
        np.testing.assert_array_equal(blocks[gate]["B"], 0.0)
    assert max_error(expected, numpy_replay(layer, x)) <= FLOAT32_ATOL


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_reset_after_both_ways(reset_after, dtype):
    layer = make_layer("GRU", 4, 3, dtype=dtype, reset_after=reset_after, return_sequences=True)
    assert layer.get_weights()[2].shape == ((2, 12) if reset_after else (12,))
    x = random_inputs(np.random.default_rng(6), 3, 8, 3, dtype)
    assert max_error(layer(x), numpy_replay(layer, x)) <= tolerance_for(dtype)


@pytest.mark.parametrize("kind", KINDS)
def test_stateful_layer_starts_from_its_states_and_is_not_modified(kind):
    rng = np.random.default_rng(7)
    layer = make_layer(kind, 3, 2, stateful=True, return_state=True, batch_size=2)
    layer(random_inputs(rng, 2, 4, 2, "float32"))  # the states are now non-zero
    before = [s.numpy().copy() for s in layer.states]
    assert np.max(np.abs(before[0])) > 0.05
    x = random_inputs(rng, 2, 5, 2, "float32")
    ours = numpy_replay(layer, x)
    after = [s.numpy() for s in layer.states]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)
    assert max_error(layer(x), ours) <= FLOAT32_ATOL
    h0 = random_states(rng, kind, 2, 3, "float32")  # an explicit initial_state wins
    assert max_error(layer(x, initial_state=h0), numpy_replay(layer, x, initial_state=h0)) <= (
        FLOAT32_ATOL
    )
    with pytest.raises(ValueError, match="batch of 2"):
        numpy_replay(layer, random_inputs(rng, 3, 5, 2, "float32"))


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_generic_rnn_wrapper_around_a_cell(cell):
    layer = keras.layers.RNN(getattr(keras.layers, cell)(3), return_sequences=True)
    layer.build((None, None, 2))
    kind = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}[cell]
    layer.set_weights(random_cell_weights(kind, 2, 3, seed=8).as_list())
    x = random_inputs(np.random.default_rng(8), 2, 5, 2, "float32")
    assert max_error(layer(x), numpy_replay(layer, x)) <= FLOAT32_ATOL


def test_inputs_are_cast_to_the_layer_dtype_and_dropout_is_inactive_in_inference():
    layer = make_layer("LSTM", 3, 2, dtype="float64", dropout=0.5, recurrent_dropout=0.5)
    x = random_inputs(np.random.default_rng(9), 2, 4, 2, "float32")
    ours = numpy_replay(layer, x)
    assert ours.dtype == np.float64
    assert max_error(layer(x), ours) <= FLOAT64_ATOL


def test_structure_matches_keras():
    x = random_inputs(np.random.default_rng(10), 2, 4, 2, "float32")
    for kind, n_states in (("SimpleRNN", 1), ("LSTM", 2), ("GRU", 1)):
        layer = make_layer(kind, 3, 2, return_state=True)
        expected, ours = layer(x), numpy_replay(layer, x)
        assert type(ours) is type(expected) is tuple
        assert len(ours) == 1 + n_states
    layer = make_layer("GRU", 3, 2)
    assert isinstance(numpy_replay(layer, x), np.ndarray)


# --- mistakes the tests (and later the exercise checkers) must see -------------------------


def _permute_blocks(weights: CellWeights, order) -> CellWeights:
    H = weights.hidden_units

    def perm(a):
        return np.concatenate([a[..., k * H : (k + 1) * H] for k in order], axis=-1)

    return CellWeights(
        weights.kind,
        perm(weights.kernel),
        perm(weights.recurrent_kernel),
        perm(weights.bias),
        weights.reset_after,
    )


def _mistakes():
    lstm = random_cell_weights("LSTM", 3, 4, seed=11, dtype="float64")
    gru = random_cell_weights("GRU", 3, 4, seed=12, dtype="float64")
    rnn = random_cell_weights("SimpleRNN", 3, 4, seed=13, dtype="float64")
    return {
        "LSTM gates read as [i, f, o, c]": (lstm, _permute_blocks(lstm, (0, 1, 3, 2))),
        "LSTM gates read as [f, i, c, o]": (lstm, _permute_blocks(lstm, (1, 0, 2, 3))),
        "GRU gates read in PyTorch order [r, z, h]": (gru, _permute_blocks(gru, (1, 0, 2))),
        "GRU recurrent bias row dropped": (
            gru,
            CellWeights("GRU", gru.kernel, gru.recurrent_kernel, gru.bias * [[1], [0]], True),
        ),
        "GRU treated as reset_after=False": (
            gru,
            CellWeights("GRU", gru.kernel, gru.recurrent_kernel, gru.bias.sum(axis=0), False),
        ),
        "SimpleRNN recurrent kernel transposed": (
            rnn,
            CellWeights("SimpleRNN", rnn.kernel, rnn.recurrent_kernel.T, rnn.bias),
        ),
    }


@pytest.mark.parametrize("mistake", sorted(_mistakes()))
def test_mistakes_are_caught(mistake):
    right, wrong = _mistakes()[mistake]
    x = random_inputs(np.random.default_rng(14), 4, 6, 3, "float64")
    config = RecurrentConfig(return_sequences=True)
    error = np.max(np.abs(replay(right, x, config) - replay(wrong, x, config)))
    assert error > MISTAKE_FACTOR * FLOAT32_ATOL, (mistake, error)


# --- the NumPy pieces on their own ---------------------------------------------------------


def test_trace_gates_agrees_with_the_replay_and_the_equations():
    w = random_cell_weights("LSTM", 2, 3, seed=15, dtype="float64")
    x = random_inputs(np.random.default_rng(15), 2, 5, 2, "float64")
    trace = trace_gates(w, x)
    _, sequence, (h_T, c_T) = run_recurrence(w, x)
    np.testing.assert_array_equal(trace["h"], sequence)
    np.testing.assert_array_equal(trace["c"][:, -1], c_T)
    # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t and h_t = o_t ⊙ tanh(c_t), checked from the trace
    c_prev = np.concatenate([np.zeros((2, 1, 3)), trace["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(trace["c"], trace["f"] * c_prev + trace["i"] * trace["c_tilde"])
    np.testing.assert_allclose(trace["h"], trace["o"] * np.tanh(trace["c"]))
    gru = random_cell_weights("GRU", 2, 3, seed=16, dtype="float64")
    g = trace_gates(gru, x)
    h_prev = np.concatenate([np.zeros((2, 1, 3)), g["h"][:, :-1]], axis=1)
    np.testing.assert_allclose(g["h"], g["z"] * h_prev + (1 - g["z"]) * g["h_tilde"])


def test_lstm_step_by_hand_on_a_tiny_case():
    """D = H = 1 with weights chosen so every gate is computed by hand below."""
    w = CellWeights("LSTM", [[1.0, 2.0, 3.0, 4.0]], [[0.5, 0.5, 0.5, 0.5]], [0.1, 0.2, 0.3, 0.4])
    h, c = lstm_step(np.array([[1.0]]), np.array([[1.0]]), np.array([[2.0]]), w)
    i, f, g, o = (
        sigmoid(np.array(1.6)),
        sigmoid(np.array(2.7)),
        np.tanh(3.8),
        sigmoid(np.array(4.9)),
    )
    np.testing.assert_allclose(c, [[f * 2.0 + i * g]])
    np.testing.assert_allclose(h, [[o * np.tanh(f * 2.0 + i * g)]])


def test_activation_twins():
    x = np.linspace(-800, 800, 4001)
    with np.errstate(over="raise", invalid="raise"):  # the stable sigmoid never overflows
        s = sigmoid(x)
    np.testing.assert_allclose(s, 0.5 * (1 + np.tanh(x / 2)), atol=1e-15)
    np.testing.assert_array_equal(
        hard_sigmoid(np.array([-4.0, -3.0, 0.0, 3.0, 4.0])), [0, 0, 0.5, 1, 1]
    )


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_count_formula_matches_keras(kind):
    for D, H, use_bias, reset_after in itertools.product(
        (1, 3), (2, 5), (True, False), (True, False)
    ):
        if kind != "GRU" and not reset_after:
            continue
        options = {"reset_after": reset_after} if kind == "GRU" else {}
        layer = getattr(keras.layers, kind)(H, use_bias=use_bias, **options)
        layer.build((None, None, D))
        expected = count_cell_parameters(kind, D, H, reset_after=reset_after, use_bias=use_bias)
        assert layer.count_params() == expected


def test_random_cell_weights_cannot_hide_mistakes():
    for kind in KINDS:
        w = random_cell_weights(kind, 3, 4, seed=17)
        for array in w.as_list():
            assert np.unique(array).size == array.size  # every entry different, none zero
            assert np.all(array != 0)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["dropout", "recurrent_dropout"])
def test_dropout_in_training_mode_is_refused_by_name(setting):
    layer = make_layer("GRU", 3, 2, **{setting: 0.25})
    x = random_inputs(np.random.default_rng(18), 2, 4, 2, "float32")
    with pytest.raises(UnsupportedLayerError, match=rf"{setting}=0.25 in training mode"):
        numpy_replay(layer, x, training=True)
    plain = make_layer("GRU", 3, 2)  # no dropout: training mode computes the same thing
    assert max_error(plain(x, training=True), numpy_replay(plain, x, training=True)) <= FLOAT32_ATOL


def test_unknown_activations_are_refused_by_name():
    layer = make_layer("SimpleRNN", 3, 2, activation="elu")
    with pytest.raises(UnsupportedLayerError, match="activation='elu'"):
        numpy_replay(layer, np.ones((1, 2, 2)))
    layer = make_layer("LSTM", 3, 2, recurrent_activation=lambda v: v * 0.5)
    with pytest.raises(UnsupportedLayerError, match="recurrent_activation='<lambda>'"):
        numpy_replay(layer, np.ones((1, 2, 2)))


def test_mixed_precision_is_refused():
    layer = keras.layers.GRU(3, dtype="mixed_float16")
    layer.build((None, None, 2))
    with pytest.raises(UnsupportedLayerError, match="dtype policy 'mixed_float16'"):
        numpy_replay(layer, np.ones((1, 2, 2)))


def test_other_layers_are_refused():
    bidirectional = keras.layers.Bidirectional(keras.layers.LSTM(3))
    bidirectional.build((None, 4, 2))
    assert numpy_replay(bidirectional, np.ones((1, 4, 2))).shape == (1, 6)  # now replayed
    with pytest.raises(TypeError, match="got Conv1D"):
        numpy_replay(keras.layers.Conv1D(3, 2), np.ones((1, 4, 2)))
    with pytest.raises(TypeError, match="got Dense"):
        numpy_replay(keras.layers.Dense(3), np.ones((1, 4, 2)))
    with pytest.raises(ValueError, match="no weights yet"):
        numpy_replay(keras.layers.LSTM(3), np.ones((1, 4, 2)))


def test_bad_inputs_states_and_masks():
    layer = make_layer("LSTM", 3, 2)
    x = np.ones((2, 4, 2))
    with pytest.raises(ValueError, match="D = 5 features"):
        numpy_replay(layer, np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match="rank 3"):
        numpy_replay(layer, np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"must hold 2 array\(s\) \[h_0, c_0\]"):
        numpy_replay(layer, x, initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"initial c_0 must have shape"):
        numpy_replay(layer, x, initial_state=[np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"mask must have shape \(n, T\) = \(2, 4\)"):
        numpy_replay(layer, x, mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="only True/False"):
        numpy_replay(layer, x, mask=np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="finite"):
        numpy_replay(layer, np.full((2, 4, 2), np.nan))


def test_cell_weights_validation():
    with pytest.raises(ValueError, match="kind must be one of"):
        CellWeights("RNN", np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"recurrent_kernel must have shape \(H, 4H\)"):
        CellWeights("LSTM", np.ones((2, 12)), np.ones((3, 9)))
    with pytest.raises(ValueError, match=r"kernel must have shape \(D, 3H\)"):
        CellWeights("GRU", np.ones((2, 6)), np.ones((3, 9)), reset_after=True)
    with pytest.raises(ValueError, match=r"bias must have rank 2 with shape \(2, 3H\)"):
        CellWeights("GRU", np.ones((2, 9)), np.ones((3, 9)), np.ones(9), reset_after=True)
    with pytest.raises(
        ValueError, match=r"bias must have shape \(4H,\) with H = 3 = \(12,\); got \(9,\)"
    ):
        CellWeights("LSTM", np.ones((2, 12)), np.ones((3, 12)), np.ones(9))
    with pytest.raises(TypeError, match="needs reset_after"):
        CellWeights("GRU", np.ones((2, 9)), np.ones((3, 9)))
    with pytest.raises(ValueError, match="only applies to a GRU"):
        CellWeights("LSTM", np.ones((2, 12)), np.ones((3, 12)), reset_after=False)
    with pytest.raises(TypeError, match="go_backwards must be True or False"):
        RecurrentConfig(go_backwards="yes")
    with pytest.raises(ValueError, match="no NumPy twin"):
        RecurrentConfig(activation="elu")
    with pytest.raises(TypeError, match="weights must be a CellWeights"):
        run_recurrence(np.ones((2, 3)), np.ones((1, 2, 2)))
    w = random_cell_weights("GRU", 2, 3)
    with pytest.raises(ValueError, match=r"initial h_0 must have shape"):
        initial_states(w, 2, np.zeros((3, 3)))
    assert config_from_layer(make_layer("GRU", 3, 2)) == RecurrentConfig()


def test_measure_agreement_and_its_errors():
    assert measure_agreement("GRU", "mask + zero_output_for_mask + go_backwards + unroll") <= (
        FLOAT32_ATOL
    )
    with pytest.raises(ValueError, match="applies to"):
        measure_agreement("SimpleRNN", "reset_after=False")
    with pytest.raises(ValueError, match="case must be one of"):
        measure_agreement("LSTM", "dropout")
    with pytest.raises(ValueError, match="kind must be one of"):
        measure_agreement("Transformer", "defaults")
