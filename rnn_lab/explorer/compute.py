"""What the explorer computes, without any widget: one configuration in, Keras's and the
manual loop's hidden states and outputs, their difference per timestep, and a summary out.

The network is ``SimpleRNN(H) -> Dense(O)`` with ``random_weights(D, H, O, seed)`` and
``Wh`` multiplied by the recurrent scale ``s``:

    h_t = tanh(x_t·Wx + h_{t-1}·(s·Wh) + Bh),   y_t = h_t·Wo + Bo
    e_t = max over samples and outputs of |y_t(Keras) − y_t(manual)|

The inputs are the first ``T`` steps of ``N_SAMPLES`` fixed sequences of
``SEQ_LEN_RANGE[1]`` steps, so a longer ``T`` continues the same story rather than
drawing new data; the seed only draws new weights.

Keras runs through one ``SimpleRNN`` and one ``Dense`` layer per dtype, inside a
``tf.function`` traced once for every size (``n``, ``T`` and ``H`` unknown to the trace):
each call hands Keras the weights of the network explored, so an update of any control,
a new ``H`` included, takes milliseconds instead of the hundreds a fresh layer and a new
trace need (``benchmarks/widget_latency.py`` measures it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import check_dtype_name
from ..forward import hidden_states
from ..keras_side.models import import_keras
from ..stability import SATURATION_LEVEL, spectral_radius
from ..tolerances import tolerance_for
from ..weights import SimpleRNNWeights, count_parameters, make_sequences, random_weights

#: Hidden units ``H`` the explorer offers (64 still draws and runs quickly).
HIDDEN_UNITS_RANGE = (1, 64)
#: Sequence lengths ``T`` (200 is long enough to see a state forget or saturate).
SEQ_LEN_RANGE = (1, 200)
#: Seeds for the weights.
SEED_RANGE = (0, 9_999)
#: Factor on ``Wh``: 0 removes the memory, ~1.7 puts the spectral radius near 1, 4 saturates.
RECURRENT_SCALE_RANGE = (0.0, 4.0)
#: Input sequences to choose from (the batch ``n``).
N_SAMPLES = 8
#: Input features ``D`` and outputs ``O``, as in the book's running example.
DIMS = 3
OUTPUTS = 5
#: The fixed input data's seed (the weights' seed is a control).
DATA_SEED = 0

#: Every control's range ``(low, high)``, ends included: the one place they are written.
#: The widget clamps to them, the static page checks its grids against them, and
#: ``explorer.js`` reads them from the settings it is sent (``renderer.settings``).
CONTROL_RANGES = {
    "hidden_units": HIDDEN_UNITS_RANGE,
    "seq_len": SEQ_LEN_RANGE,
    "recurrent_scale": RECURRENT_SCALE_RANGE,
    "seed": SEED_RANGE,
    "sample": (0, N_SAMPLES - 1),
}
_INT_RANGES = {name: CONTROL_RANGES[name] for name in ("hidden_units", "seq_len", "seed", "sample")}


def _check_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    low, high = _INT_RANGES[name]
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low}..{high}; got {value}")
    return int(value)


def _check_scale(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"recurrent_scale must be a number; got {type(value).__name__}")
    low, high = RECURRENT_SCALE_RANGE
    if not low <= float(value) <= high:  # also refuses NaN
        raise ValueError(f"recurrent_scale must be in {low}..{high}; got {value}")
    return float(value)


@dataclass(frozen=True)
class ExplorerConfig:
    """One setting of the explorer's controls; out-of-range values are refused
    (``ValueError``), wrong types too (``TypeError``). :meth:`clamped` clamps instead."""

    hidden_units: int = 5
    seq_len: int = 15
    seed: int = 0
    recurrent_scale: float = 1.0
    sample: int = 0
    dtype: str = "float32"

    def __post_init__(self) -> None:
        for name in _INT_RANGES:
            object.__setattr__(self, name, _check_int(name, getattr(self, name)))
        object.__setattr__(self, "recurrent_scale", _check_scale(self.recurrent_scale))
        object.__setattr__(self, "dtype", check_dtype_name(self.dtype).name)

    @classmethod
    def clamped(cls, **values: Any) -> ExplorerConfig:
        """Like the constructor, but numbers outside their range are moved to the
        nearest end of it (``hidden_units=500`` becomes 64); NaN is still refused."""
        for name, (low, high) in CONTROL_RANGES.items():
            value = values.get(name)
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, bool
            ):
                values[name] = type(value)(min(max(value, low), high)) if value == value else value
        return cls(**values)

    def with_values(self, **changes: Any) -> ExplorerConfig:
        """A copy with some controls changed (checked like the constructor)."""
        return replace(self, **changes)


@functools.lru_cache(maxsize=2)
def _keras_runner(dtype: str):
    # One SimpleRNN and one Dense layer, built at a nominal size and traced ONCE with every
    # size unknown (n, T, H): the explorer's weights reach Keras's own layer code through
    # keras.StatelessScope (the mechanism Keras's stateless_call uses), so a new H is one
    # more call of the same graph, not a new layer and a new trace (~0.5 s each).
    keras = import_keras()
    import tensorflow as tf

    rnn = keras.layers.SimpleRNN(1, return_sequences=True, dtype=dtype)
    dense = keras.layers.Dense(OUTPUTS, dtype=dtype)
    rnn.build((None, None, DIMS))
    dense.build((None, 1))
    variables = [*rnn.weights, *dense.weights]  # kernel, recurrent_kernel, bias; kernel, bias

    def spec(*shape):
        return tf.TensorSpec(shape, dtype)

    signature = [
        spec(None, None, DIMS),  # x (n, T, D)
        spec(DIMS, None),  # Wx (D, H)
        spec(None, None),  # Wh (H, H)
        spec(None),  # Bh (H,)
        spec(None, OUTPUTS),  # Wo (H, O)
        spec(OUTPUTS),  # Bo (O,)
    ]

    @tf.function(input_signature=signature)
    def run(x, Wx, Wh, Bh, Wo, Bo):
        with keras.StatelessScope():
            for variable, value in zip(variables, (Wx, Wh, Bh, Wo, Bo), strict=True):
                variable.assign(value)  # inside the scope: seen by the layers, stored nowhere
            # h_0 = 0 of the network's own width (the layers' default would be the nominal one)
            h0 = tf.zeros(tf.stack([tf.shape(x)[0], tf.shape(Wh)[0]]), dtype)
            states = rnn(x, initial_state=[h0])
            return states, dense(states)

    return run


def keras_tracing_count(dtype: str = "float32") -> int:
    """How many times the explorer's Keras function has been traced for ``dtype``: 1 after
    the first call, whatever ``H``, ``T`` and ``n`` were asked for since."""
    return int(_keras_runner(check_dtype_name(dtype).name).experimental_get_tracing_count())


def keras_states_and_outputs(
    weights: SimpleRNNWeights, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Keras's ``h_t`` ``(n, T, H)`` and ``y_t`` ``(n, T, O)`` for the explorer's shapes
    (``D = DIMS``, ``O = OUTPUTS``): Keras's own layers, run with ``weights`` through one
    function traced once for every size (see :func:`keras_tracing_count`)."""
    if weights.dims != DIMS or weights.outputs != OUTPUTS:
        raise ValueError(
            f"the explorer's network has D = {DIMS} and O = {OUTPUTS}; "
            f"got weights with D = {weights.dims}, O = {weights.outputs}"
        )
    run = _keras_runner(weights.dtype.name)
    states, outputs = run(np.asarray(x, dtype=weights.dtype), *weights.as_list())
    return np.asarray(states), np.asarray(outputs)


def explorer_inputs(seq_len: int, dtype: Any = "float32") -> np.ndarray:
    """The first ``T`` steps of the explorer's fixed sequences, ``(N_SAMPLES, T, DIMS)``."""
    T = _check_int("seq_len", seq_len)
    full = make_sequences(N_SAMPLES, SEQ_LEN_RANGE[1], DIMS, seed=DATA_SEED, dtype=dtype)
    return full[:, :T]


def explorer_weights(config: ExplorerConfig) -> SimpleRNNWeights:
    """``random_weights(DIMS, H, OUTPUTS, seed)`` with ``Wh`` times the recurrent scale."""
    base = random_weights(DIMS, config.hidden_units, OUTPUTS, seed=config.seed, dtype=config.dtype)
    return base.scaled(config.recurrent_scale)


@dataclass(frozen=True, eq=False)
class ExplorerResult:
    """Everything the explorer shows for one configuration (all samples; the
    ``config.sample`` only chooses which one is drawn). Arrays are read-only."""

    config: ExplorerConfig
    weights: SimpleRNNWeights
    x: np.ndarray  # (n, T, D)
    states: np.ndarray  # manual h_t, (n, T, H)
    keras_states: np.ndarray  # (n, T, H)
    manual_y: np.ndarray  # (n, T, O)
    keras_y: np.ndarray  # (n, T, O)

    @property
    def errors_per_sample(self) -> np.ndarray:
        """``max over outputs |y_t(Keras) − y_t(manual)|``, shape ``(n, T)``."""
        diff = self.keras_y.astype(np.float64) - self.manual_y.astype(np.float64)
        return np.abs(diff).max(axis=2)

    @property
    def errors(self) -> np.ndarray:
        """``e_t``, the maximum over samples too, shape ``(T,)`` (as ``error_per_timestep``)."""
        return self.errors_per_sample.max(axis=0)

    @property
    def max_error(self) -> float:
        return float(self.errors.max())

    @property
    def sample_states(self) -> np.ndarray:
        """The manual ``h_t`` of the chosen sample, ``(T, H)``."""
        return self.states[self.config.sample]

    @property
    def parameter_count(self) -> int:
        return count_parameters(DIMS, self.config.hidden_units, OUTPUTS)["total"]

    @property
    def spectral_radius(self) -> float:
        """``ρ(s·Wh)``, the largest ``|eigenvalue|``: below 1 old states fade away."""
        return spectral_radius(self.weights.Wh)

    @property
    def saturated_fraction(self) -> float:
        """Share of all ``h_t[j]`` (every sample, step and unit) with ``|h| > SATURATION_LEVEL``."""
        return float(np.mean(np.abs(self.states) > SATURATION_LEVEL))

    @property
    def within_tolerance(self) -> bool:
        return self.max_error <= tolerance_for(self.config.dtype)

    def truncated(self, seq_len: int) -> ExplorerResult:
        """The result for the first ``T`` steps only: what a run of ``T`` steps gives,
        because ``h_t`` depends on ``x_1 .. x_t`` alone and the inputs of a shorter run
        are the first steps of a longer one."""
        steps = _check_int("seq_len", seq_len)
        if steps > self.config.seq_len:
            raise ValueError(f"seq_len must be at most {self.config.seq_len}; got {steps}")
        arrays = (self.x, self.states, self.keras_states, self.manual_y, self.keras_y)
        config = self.config.with_values(seq_len=steps)
        return ExplorerResult(config, self.weights, *(a[:, :steps] for a in arrays))

    @property
    def summary(self) -> str:
        """One line: sizes, parameter count, max error against the tolerance, memory."""
        c = self.config
        verdict = "within" if self.within_tolerance else "ABOVE"
        return (
            f"H = {c.hidden_units}, T = {c.seq_len}, Wh × {c.recurrent_scale:g} "
            f"(spectral radius {self.spectral_radius:.2f}): {self.parameter_count} parameters; "
            f"max |Keras − manual| = {self.max_error:.1e}, {verdict} the {c.dtype} tolerance "
            f"{tolerance_for(c.dtype):.0e}; {self.saturated_fraction:.0%} of h_t saturated"
        )


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=32)
def _run_full_length(hidden_units: int, seed: int, scale: float, dtype: str) -> ExplorerResult:
    # Always the longest sequence: shorter ones are its first steps (see ``truncated``),
    # so moving the length slider costs nothing and every length shows the same numbers.
    T = SEQ_LEN_RANGE[1]
    config = ExplorerConfig(hidden_units, T, seed, scale, 0, dtype)
    weights = explorer_weights(config)
    x = explorer_inputs(T, dtype)
    states = hidden_states(x, weights)
    keras_states, keras_y = keras_states_and_outputs(weights, x)
    manual_y = states @ weights.Wo + weights.Bo
    arrays = (x, states, keras_states, manual_y, keras_y)
    return ExplorerResult(config, weights, *(_frozen(a) for a in arrays))


def explore(config: ExplorerConfig | None = None, **values: Any) -> ExplorerResult:
    """Run Keras and the manual loop for ``config`` (or ``ExplorerConfig(**values)``).

    Both run over ``SEQ_LEN_RANGE[1]`` steps once per network (``H``, seed, scale,
    dtype) and the result is cut to ``T`` steps, so changing ``T`` or the sample is free.
    """
    if config is None:
        config = ExplorerConfig(**values)
    elif values:
        config = config.with_values(**values)
    if not isinstance(config, ExplorerConfig):
        raise TypeError(f"config must be an ExplorerConfig; got {type(config).__name__}")
    full = _run_full_length(config.hidden_units, config.seed, config.recurrent_scale, config.dtype)
    result = full.truncated(config.seq_len)
    return replace(result, config=config)
