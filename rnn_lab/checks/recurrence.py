"""Hidden cases for the exercises built on the recurrence (its known mistakes, with the
words a checker prints, are planted in :mod:`.variants`).

    h_t = tanh(x_t·Wx + h_{t-1}·Wh + Bh),   y_t = h_t·Wo + Bo

Every case uses ``random_weights`` (non-zero biases, so a forgotten bias shows) and
sizes that are all different from each other (``n ≠ T``, ``D ≠ H ≠ O``), so that a
swapped axis or a transposed matrix changes a shape or a value instead of hiding.
Expected answers come from Keras (``keras_reference``), computed once per process.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..keras_side.models import keras_reference
from ..tolerances import tolerance_for
from ..weights import SimpleRNNWeights, make_sequences, random_weights
from .variants import forward_variant, step_variant
from .verdicts import Case

#: ``(n, T, D, H, O, dtype)`` of the hidden cases, in the order they are tried: the
#: first ones have every size different; the last has ``D = H = O`` so that a
#: transposed matrix or a hidden state returned in place of the output can be
#: compared number by number instead of failing on its shape.
CONFIGS = (
    (4, 6, 3, 5, 2, "float32"),
    (3, 9, 2, 4, 3, "float64"),
    (5, 7, 4, 6, 3, "float32"),
    (2, 5, 4, 4, 4, "float64"),
)
#: Initial states are drawn from ``(-H0_RANGE, H0_RANGE)``: inside tanh's range, and
#: large enough that an ignored ``h0`` changes the result by far more than rounding.
H0_RANGE = 0.9


def label(n: int, T: int, D: int, H: int, O: int, dtype: str) -> str:
    return f"n={n}, T={T}, D={D}, H={H}, O={O}, {dtype}"


@cache
def setting(index: int) -> tuple[np.ndarray, SimpleRNNWeights, np.ndarray, str]:
    """``(x, weights, h0, label)`` of hidden case ``index``, the same in every call."""
    n, T, D, H, O, dtype = CONFIGS[index]
    seed = 1000 + index  # apart from the seeds the chapters use, so no case is on the page
    x = make_sequences(n, T, D, seed=seed, dtype=dtype)
    weights = random_weights(D, H, O, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    h0 = rng.uniform(-H0_RANGE, H0_RANGE, (n, H)).astype(dtype)
    x.flags.writeable = h0.flags.writeable = False
    return x, weights, h0, label(n, T, D, H, O, dtype)


def hidden_only(weights: SimpleRNNWeights) -> SimpleRNNWeights:
    """The same SimpleRNN with a Dense layer that copies ``h``: ``Wo = I``, ``Bo = 0``, so
    Keras's output is the hidden state itself (exactly: products with 1 and sums with 0
    are exact)."""
    H = weights.hidden_units
    return SimpleRNNWeights(
        weights.Wx,
        weights.Wh,
        weights.Bh,
        np.eye(H, dtype=weights.dtype),
        np.zeros(H, weights.dtype),
    )


@cache
def step_cases(variant_names: tuple[str, ...]) -> tuple[Case, ...]:
    """One step from a random ``h_prev``: ``h_t`` ``(n, H)`` per case, from Keras."""
    cases = []
    for index in range(len(CONFIGS)):
        x, weights, h_prev, name = setting(index)
        x_t = np.ascontiguousarray(x[:, 0, :])
        expected = keras_reference(hidden_only(weights), x_t[:, None, :], h0=h_prev)
        variants = {}
        for variant in variant_names:
            if variant == "wx_transposed" and weights.dims != weights.hidden_units:
                continue  # a shape error, recognised from the exception instead
            variants[variant] = step_variant(x_t, h_prev, weights, variant)
        args = (x_t, h_prev, weights.Wx, weights.Wh, weights.Bh)
        cases.append(Case(args, expected, name, tolerance_for(weights.dtype), variants))
    return tuple(cases)


@cache
def forward_cases(
    variant_names: tuple[str, ...],
    *,
    return_sequences: bool = False,
    with_h0: bool = False,
    one_sample: bool = False,
    steps: int | None = None,
    backwards: bool = False,
    time_major: bool = False,
) -> tuple[Case, ...]:
    """Cases for a forward pass: arguments ``(x, weights[, h0])`` (or ``(x[0], weights)``
    with ``one_sample``), and Keras's ``y_T`` or every ``y_t`` as the expected answer.
    ``steps`` cuts the sequences to their first ``steps`` timesteps (one step: the
    step-with-output exercise). ``backwards`` expects what Keras's ``go_backwards=True``
    computes, the recurrence over ``x_T, ..., x_1`` (the learner still gets ``x`` in time
    order); its variant ``not_reversed`` is the ordinary forward pass. ``time_major`` hands
    the learner ``x`` as ``(T, n, D)``, PyTorch's default layout; the answers do not change."""
    cases = []
    for index in range(len(CONFIGS)):
        x, weights, h0, _ = setting(index)
        if steps is not None:
            x = x[:, :steps, :]
        if one_sample:
            x = x[:1]
        h0 = h0[: x.shape[0]] if with_h0 or steps is not None else None
        read = np.ascontiguousarray(x[:, ::-1]) if backwards else x  # in processing order
        expected = keras_reference(weights, read, return_sequences=return_sequences, h0=h0)
        variants = {}
        for variant in variant_names:
            if variant == "wx_transposed" and weights.dims != weights.hidden_units:
                continue
            if variant == "not_reversed":
                variants[variant] = forward_variant(
                    x, weights, None, h0=h0, return_sequences=return_sequences
                )
                continue
            variants[variant] = forward_variant(
                read, weights, variant, h0=h0, return_sequences=return_sequences
            )
        n, T, D = x.shape
        name = label(n, T, D, weights.hidden_units, weights.outputs, weights.dtype.name)
        if one_sample:
            args: tuple = (x[0], weights)
            expected = expected[0]
            variants = {key: value[0] for key, value in variants.items()}
            name = name.replace("n=1, ", "")
        elif steps == 1:
            args = (np.ascontiguousarray(x[:, 0, :]), h0, weights)
        elif time_major:
            x_tnd = np.ascontiguousarray(x.transpose(1, 0, 2))
            x_tnd.flags.writeable = False
            args = (x_tnd, weights)
            name += ", given as (T, n, D)"
        else:
            args = (x, weights, h0) if with_h0 else (x, weights)
        cases.append(Case(args, expected, name, tolerance_for(weights.dtype), variants))
    return tuple(cases)


#: The library functions that compute the recurrence (or run Keras on it): an exercise
#: that asks for the step or the loop refuses answers that call any of them.
RECURRENCE_ROUTES = (
    "rnn_lab.rnn_step",
    "rnn_lab.seed_loop",
    "rnn_lab.hidden_states",
    "rnn_lab.manual_forward",
    "rnn_lab.simple_rnn_step",
    "rnn_lab.trace_gates",
    "rnn_lab.numpy_replay",
    "rnn_lab.replay",
    "rnn_lab.torch_style_forward",
    "rnn_lab.keras_reference",
)
