"""How closely the NumPy replay (:func:`rnn_lab.keras_side.replay.numpy_replay`) matches Keras,
option by option: the cases of the chapters' tables and of the closing note.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..cells.weights import CELL_KINDS
from .replay import numpy_replay

# --- agreement, option by option (for the chapters' tables and the closing note) ------------

#: One change from the defaults per case: (layer keyword arguments, call features, kinds).
#: Call features: "initial_state" (random h_0/c_0), "mask" (random, with masked first steps),
#: "stateful" (a warm-up batch first, so the states are not zero), "keras_init" (Keras's own
#: initial weights instead of random ones, which is what unit_forget_bias changes).
OPTION_CASES: dict[str, tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]] = {
    "defaults": ({}, (), CELL_KINDS),
    "return_sequences": ({"return_sequences": True}, (), CELL_KINDS),
    "return_state": ({"return_state": True}, (), CELL_KINDS),
    "initial_state": ({"return_sequences": True}, ("initial_state",), CELL_KINDS),
    "go_backwards": ({"return_sequences": True, "go_backwards": True}, (), CELL_KINDS),
    "mask": ({"return_sequences": True, "return_state": True}, ("mask",), CELL_KINDS),
    "mask + zero_output_for_mask": (
        {"return_sequences": True, "zero_output_for_mask": True},
        ("mask",),
        CELL_KINDS,
    ),
    "mask + zero_output_for_mask + go_backwards + unroll": (
        {
            "return_sequences": True,
            "zero_output_for_mask": True,
            "go_backwards": True,
            "unroll": True,
        },
        ("mask",),
        CELL_KINDS,
    ),
    "stateful": ({"return_sequences": True, "stateful": True}, ("stateful",), CELL_KINDS),
    "use_bias=False": ({"return_sequences": True, "use_bias": False}, (), CELL_KINDS),
    "unroll=True": ({"return_sequences": True, "unroll": True}, (), CELL_KINDS),
    "activation='relu'": ({"return_sequences": True, "activation": "relu"}, (), CELL_KINDS),
    "recurrent_activation='hard_sigmoid'": (
        {"return_sequences": True, "recurrent_activation": "hard_sigmoid"},
        (),
        ("LSTM", "GRU"),
    ),
    "implementation=1": ({"return_sequences": True, "implementation": 1}, (), ("LSTM", "GRU")),
    "unit_forget_bias=False (Keras init)": (
        {"return_sequences": True, "unit_forget_bias": False},
        ("keras_init",),
        ("LSTM",),
    ),
    "reset_after=False": ({"return_sequences": True, "reset_after": False}, (), ("GRU",)),
}


def measure_agreement(
    kind: str,
    case: str,
    *,
    dtype: str = "float32",
    seed: int = 0,
    shape: tuple[int, int, int, int] = (8, 12, 3, 5),
) -> float:
    """Build a ``kind`` layer with the :data:`OPTION_CASES` ``case``, run Keras and
    :func:`numpy_replay` on the same random inputs, return ``max |Keras − NumPy|`` over
    everything the layer returns. Weights are random with non-zero biases (except for the
    ``keras_init`` cases); ``shape`` is ``(n, T, D, H)``."""
    from ..cells.weights import random_cell_weights
    from .models import import_keras

    if kind not in CELL_KINDS:
        raise ValueError(f"kind must be one of {CELL_KINDS}; got {kind!r}")
    if case not in OPTION_CASES:
        raise ValueError(f"case must be one of {sorted(OPTION_CASES)}; got {case!r}")
    options, features, kinds = OPTION_CASES[case]
    if kind not in kinds:
        raise ValueError(f"case {case!r} applies to {kinds}, not to {kind}")
    keras = import_keras()
    n, T, D, H = shape
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    layer = getattr(keras.layers, kind)(H, dtype=dtype, **options)
    layer.build((n if "stateful" in features else None, T, D))
    if "keras_init" not in features:
        layer.set_weights(
            random_cell_weights(
                kind,
                D,
                H,
                seed=seed,
                dtype=dtype,
                use_bias=options.get("use_bias", True),
                reset_after=options.get("reset_after", True) if kind == "GRU" else None,
            ).as_list()
        )
    x = rng.uniform(-1.0, 1.0, (n, T, D)).astype(dtype)
    kwargs: dict[str, Any] = {}
    if "initial_state" in features:
        count = 2 if kind == "LSTM" else 1
        kwargs["initial_state"] = [rng.uniform(-1, 1, (n, H)).astype(dtype) for _ in range(count)]
    if "mask" in features:
        mask = rng.random((n, T)) < 0.7
        mask[0, :3] = False  # masked first steps: outputs start at zero
        kwargs["mask"] = mask
    if "stateful" in features:
        layer(rng.uniform(-1.0, 1.0, (n, T, D)).astype(dtype))
    ours = numpy_replay(layer, x, **kwargs)
    theirs = layer(x, **kwargs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    return max(
        float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
        for a, b in zip(ours, theirs, strict=True)
    )
