"""Several regressors trained as one stacked layer (rnn_lab.training.regressor.train_regressors)
against separate runs of train_regressor: the same losses, weights and gradient norms."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.training.keras_loops import keras_initial_regressor
from rnn_lab.training.optimizers import Adam
from rnn_lab.training.regressor import (
    random_regressor,
    stack_regressors,
    train_regressor,
    train_regressors,
    unstack_regressor,
    with_open_gate,
)
from rnn_lab.training.simple_rnn import delayed_copy_task

RTOL = {"float32": 2e-4, "float64": 1e-9}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kind, reset_after", [("SimpleRNN", None), ("LSTM", None), ("GRU", True), ("GRU", False)]
)
def test_stacked_training_is_separate_training(kind, reset_after, dtype):
    x, y = delayed_copy_task(48, 6, 5, seed=3)
    models = [
        random_regressor(kind, 1, 3, seed=seed, dtype=dtype, reset_after=reset_after)
        for seed in (0, 1, 2)
    ]
    adam = Adam(learning_rate=0.01)
    together = train_regressors(models, x, y, adam, epochs=2, batch_size=16)
    for model, joint in zip(models, together, strict=True):
        alone = train_regressor(model, x, y, adam, epochs=2, batch_size=16)
        np.testing.assert_allclose(joint.losses, alone.losses, rtol=RTOL[dtype])
        for a, b in zip(joint.model.as_list(), alone.model.as_list(), strict=True):
            np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=RTOL[dtype])
        np.testing.assert_allclose(joint.dh_norms_start, alone.dh_norms_start, rtol=RTOL[dtype])
        np.testing.assert_allclose(joint.dh_norms_end, alone.dh_norms_end, rtol=RTOL[dtype])


def test_stack_round_trip_and_refusals():
    models = [with_open_gate(keras_initial_regressor("LSTM", 2, 4, seed=s), 3.0) for s in (0, 1)]
    back = unstack_regressor(stack_regressors(models), 2)
    for model, again in zip(models, back, strict=True):
        for a, b in zip(model.as_list(), again.as_list(), strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="must share kind"):
        stack_regressors([models[0], random_regressor("GRU", 2, 4, seed=0)])
    with pytest.raises(ValueError, match="do not split into 3"):
        unstack_regressor(stack_regressors(models), 3)
    with pytest.raises(ValueError, match="must not be empty"):
        stack_regressors([])


def test_masked_training_ignores_the_padding():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (20, 7, 1))
    lengths = rng.integers(1, 8, 20)
    mask = np.arange(7)[None, :] < lengths[:, None]
    y = x[np.arange(20), lengths - 1]
    models = [random_regressor("GRU", 1, 3, seed=s, dtype="float64") for s in (0, 1)]
    adam = Adam(learning_rate=0.01)
    clean = train_regressors(models, np.where(mask[..., None], x, 0.0), y, adam, mask=mask)
    noisy = train_regressors(models, np.where(mask[..., None], x, 50.0), y, adam, mask=mask)
    for a, b in zip(clean, noisy, strict=True):
        np.testing.assert_array_equal(a.losses, b.losses)
    from rnn_lab.cells.bptt import forward_trace
    from rnn_lab.cells.masking import last_real_output

    first = models[0]
    h_last = last_real_output(forward_trace(first.cell, x, mask=mask).outputs, mask)
    expected = np.mean((h_last @ first.Wo + first.Bo - y) ** 2)  # one batch: all 20
    np.testing.assert_allclose(clean[0].losses[0], expected, rtol=1e-12)


def test_chrono_initialisation():
    from rnn_lab.training.regressor import with_chrono_init

    model = keras_initial_regressor("LSTM", 1, 50, seed=0, dtype="float64")
    chrono = with_chrono_init(model, 80, seed=1)
    H = 50
    b_f, b_i = chrono.cell.bias[H : 2 * H], chrono.cell.bias[:H]
    assert np.all((b_f >= 0) & (b_f <= np.log(79)))
    np.testing.assert_array_equal(b_i, -b_f)
    np.testing.assert_array_equal(chrono.cell.bias[2 * H :], model.cell.bias[2 * H :])
    np.testing.assert_array_equal(chrono.cell.kernel, model.cell.kernel)
    with pytest.raises(ValueError, match="for an LSTM"):
        with_chrono_init(keras_initial_regressor("GRU", 1, 3, seed=0), 80)
    with pytest.raises(ValueError, match="at least 3"):
        with_chrono_init(model, 2)
