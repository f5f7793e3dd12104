"""The manual training loop against Keras ``fit``, step by step; the optimisers; the task."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_lab.gradcheck import gradient_errors
from rnn_lab.tolerances import relative_error
from rnn_lab.training.keras_loops import keras_optimizer, run_keras_updates, train_keras
from rnn_lab.training.optimizers import (
    SGD,
    Adam,
    AdamState,
    SGDState,
    clip_by_global_norm,
    clip_each_by_norm,
    global_norm,
)
from rnn_lab.training.simple_rnn import (
    TrainingHistory,
    batch_slices,
    delayed_copy_task,
    train_manual,
)
from rnn_lab.weights import SimpleRNNWeights, random_weights

#: After 20 updates, manual vs Keras weights (relative error per parameter array). Every
#: step adds rounding of ~1e-7 (float32) / ~1e-16 (float64) relative to the gradient and
#: the next steps carry it along; measured at most 1.8e-7 (float32) and 2.6e-16 (float64).
#: The issue's bars, 1e-4 and 1e-9, leave a wide margin, yet a plausible but different rule
#: (the paper's ε placement in Adam: 5e-5; momentum not rounded to float32 as Keras does:
#: 1.6e-7, both in float64) exceeds them: see test_tolerances_catch_a_different_update_rule.
WEIGHTS_RTOL = {"float32": 1e-4, "float64": 1e-9}
#: The same bars for each step's loss (measured at most 2.1e-7 / 3.5e-16).
LOSS_RTOL = WEIGHTS_RTOL
#: 38 samples in batches of 8 (the last one has 6) for 4 epochs: 20 updates.
N_SAMPLES, BATCH_SIZE, EPOCHS, STEPS = 38, 8, 4, 20
#: Training must move the weights by far more than the tolerance, or agreement is vacuous.
MIN_WEIGHT_CHANGE = 1e-3

OPTIMIZERS = {
    "sgd": SGD(learning_rate=0.1),
    "momentum": SGD(learning_rate=0.05, momentum=0.9),
    "nesterov": SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam": Adam(learning_rate=0.01),
    "adam-defaults": Adam(),
    "adam-global-clipnorm": Adam(learning_rate=0.01, global_clipnorm=0.1),
    "sgd-clipnorm": SGD(learning_rate=0.1, clipnorm=0.05),
}
# (optimizer, return_sequences): every optimiser once; the main three in both modes.
TRAINING_CASES = [
    ("sgd", False),
    ("sgd", True),
    ("momentum", False),
    ("momentum", True),
    ("adam", False),
    ("adam", True),
    ("nesterov", True),
    ("adam-defaults", False),
    ("adam-global-clipnorm", True),
    ("sgd-clipnorm", False),
]


def make_data(return_sequences, dtype, seed=0):
    weights = random_weights(2, 4, 3, seed=seed, dtype=dtype)
    rng = np.random.default_rng(100 + seed)
    x = rng.uniform(-1, 1, (N_SAMPLES, 5, 2)).astype(dtype)
    y = rng.normal(size=(N_SAMPLES, 5, 3) if return_sequences else (N_SAMPLES, 3)).astype(dtype)
    return x, y, weights


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "return_sequences"), TRAINING_CASES)
def test_manual_training_matches_keras_fit_step_by_step(name, return_sequences, dtype):
    x, y, weights = make_data(return_sequences, dtype)
    kwargs = {"epochs": EPOCHS, "batch_size": BATCH_SIZE, "return_sequences": return_sequences}
    manual = train_manual(x, y, weights, OPTIMIZERS[name], **kwargs)
    keras = train_keras(x, y, weights, OPTIMIZERS[name], **kwargs)
    assert manual.steps == keras.steps == STEPS
    loss_errors = np.abs(manual.losses - keras.losses) / np.abs(keras.losses)
    assert loss_errors.max() <= LOSS_RTOL[dtype], f"worst step {loss_errors.argmax()}"
    for param, error in gradient_errors(manual.weights, keras.weights).items():
        assert error <= WEIGHTS_RTOL[dtype], f"{param}: relative error {error:.2e}"
    assert manual.weights.dtype == keras.weights.dtype == np.dtype(dtype)
    change = max(gradient_errors(manual.weights, weights).values())
    assert change > MIN_WEIGHT_CHANGE


def test_the_keras_loop_stops_mid_epoch_with_each_loss_before_its_update():
    from rnn_lab.keras_side.models import (
        build_keras_model,
        import_keras,
        keras_floatx,
        set_keras_weights,
    )

    x, y, weights = make_data(False, "float64")
    per_epoch = -(-N_SAMPLES // BATCH_SIZE)  # the last batch is shorter
    steps = per_epoch + 2
    optimizer = SGD(learning_rate=0.1, momentum=0.9)
    with keras_floatx("float64"):
        model = build_keras_model(5, 2, 4, 3, dtype="float64")
        set_keras_weights(model, weights)
        loss = import_keras().losses.MeanSquaredError()
        losses = run_keras_updates(model, optimizer, loss, x, y, batch_size=BATCH_SIZE, steps=steps)
    manual = train_manual(x, y, weights, optimizer, epochs=2, batch_size=BATCH_SIZE)
    assert losses.shape == (steps,)
    errors = np.abs(losses - manual.losses[:steps]) / manual.losses[:steps]
    assert errors.max() <= LOSS_RTOL["float64"]


@pytest.mark.parametrize("optimizer", [SGD(learning_rate=0.1, momentum=0.9), Adam(0.01)])
def test_the_keras_loop_run_again_keeps_its_step_and_restarts_the_optimizer(optimizer):
    """A second run on the same model (a new seed's weights) reuses the traced step but
    starts from a fresh optimiser: it repeats a fresh model's run exactly."""
    from rnn_lab.keras_side.models import (
        build_keras_model,
        import_keras,
        keras_floatx,
        set_keras_weights,
        weights_from_keras,
    )

    x, y, weights = make_data(False, "float64")
    other = random_weights(2, 4, 3, seed=11, dtype="float64")
    steps = 4
    runs = []
    with keras_floatx("float64"):
        loss = import_keras().losses.MeanSquaredError()
        fresh = build_keras_model(5, 2, 4, 3, dtype="float64")
        set_keras_weights(fresh, other)
        expected = run_keras_updates(
            fresh, optimizer, loss, x, y, batch_size=BATCH_SIZE, steps=steps
        )
        model = build_keras_model(5, 2, 4, 3, dtype="float64")
        for start in (weights, other):
            set_keras_weights(model, start)
            losses = run_keras_updates(
                model, optimizer, loss, x, y, batch_size=BATCH_SIZE, steps=steps
            )
            runs.append((losses, model.train_function, weights_from_keras(model)))
        different = SGD(learning_rate=0.05) if isinstance(optimizer, Adam) else Adam(0.05)
        set_keras_weights(model, other)
        run_keras_updates(model, different, loss, x, y, batch_size=BATCH_SIZE, steps=1)
        assert type(model.optimizer).__name__ == type(different).__name__  # compiled anew
    (_, first_step, _), (second, second_step, trained) = runs
    assert second_step is first_step  # not traced again
    assert not np.array_equal(runs[0][0], second)
    np.testing.assert_array_equal(second, expected)  # same graph, same kernels: exact
    np.testing.assert_array_equal(trained.Wh, weights_from_keras(fresh).Wh)


def adam_textbook_epsilon(weights, grads, state, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    """Kingma & Ba's Algorithm 1: ε added to sqrt(v̂), not to sqrt(v)."""
    t = state.iterations + 1
    new_w, new_m, new_v = [], [], []
    for w, g, m, v in zip(
        weights.as_list(), grads.as_list(), state.m.as_list(), state.v.as_list(), strict=True
    ):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        new_w.append(w - lr * m_hat / (np.sqrt(v_hat) + eps))
        new_m.append(m)
        new_v.append(v)
    return SimpleRNNWeights(*new_w), AdamState(
        t, SimpleRNNWeights(*new_m), SimpleRNNWeights(*new_v)
    )


class TextbookAdam(Adam):
    def step(self, weights, grads, state):
        return adam_textbook_epsilon(weights, grads, state, lr=self.learning_rate)


class UnroundedMomentum(SGD):
    """SGD momentum with β used exactly in float64 (Keras rounds it to float32 first)."""

    def step(self, weights, grads, state):
        velocity = [
            m * self.momentum - g * self.learning_rate
            for m, g in zip(state.velocity.as_list(), grads.as_list(), strict=True)
        ]
        new = [w + m for w, m in zip(weights.as_list(), velocity, strict=True)]
        return SimpleRNNWeights(*new), SGDState(SimpleRNNWeights(*velocity))


def test_tolerances_catch_a_different_update_rule():
    # Two plausible but different rules, each off Keras's by more than the tolerance.
    x, y, weights = make_data(False, "float64")
    kwargs = {"epochs": EPOCHS, "batch_size": BATCH_SIZE}
    keras = train_keras(x, y, weights, Adam(learning_rate=0.01), **kwargs)
    textbook = train_manual(x, y, weights, TextbookAdam(learning_rate=0.01), **kwargs)
    assert max(gradient_errors(textbook.weights, keras.weights).values()) > WEIGHTS_RTOL["float64"]
    keras = train_keras(x, y, weights, SGD(learning_rate=0.05, momentum=0.9), **kwargs)
    exact = train_manual(
        x, y, weights, UnroundedMomentum(learning_rate=0.05, momentum=0.9), **kwargs
    )
    assert max(gradient_errors(exact.weights, keras.weights).values()) > WEIGHTS_RTOL["float64"]


# ---------------------------------------------------------------- optimisers, without Keras


def tiny(value, dtype="float64"):
    """Weights whose five arrays are all filled with ``value`` (D = H = O = 1)."""
    return SimpleRNNWeights(*(np.full(shape, value, dtype=dtype) for shape in SHAPES))


SHAPES = [(1, 1), (1, 1), (1,), (1, 1), (1,)]


def test_sgd_step_is_w_minus_lr_g():
    weights, grads = tiny(1.0), tiny(0.5)
    new, _ = SGD(learning_rate=0.1).step(weights, grads, SGD().init(weights))
    for array in new.as_list():
        assert array.item() == 1.0 - 0.1 * 0.5


def test_momentum_accumulates_velocity():
    sgd = SGD(learning_rate=0.1, momentum=0.5)
    weights, grads = tiny(0.0), tiny(1.0)
    state = sgd.init(weights)
    weights, state = sgd.step(weights, grads, state)  # m = -0.1; w = -0.1
    weights, state = sgd.step(weights, grads, state)  # m = -0.05 - 0.1; w = -0.25
    assert state.velocity.Wx.item() == pytest.approx(-0.15, rel=1e-7)
    assert weights.Wx.item() == pytest.approx(-0.25, rel=1e-7)


def test_adam_first_step_puts_epsilon_outside_the_bias_correction():
    # At t = 1: m = (1-β1) g, v = (1-β2) g², α = lr·sqrt(1-β2')/(1-β1') with β' the
    # float32-rounded betas, so Δw = lr·g / (|g| + ε/sqrt(1-β2)) ≈ lr·sign(g): ε is
    # effectively 30x larger than in the paper's Algorithm 1 on the first step.
    adam = Adam(learning_rate=0.01)
    weights = random_weights(3, 4, 2, seed=0, dtype="float64")
    grads = random_weights(3, 4, 2, seed=1, dtype="float64")
    new, state = adam.step(weights, grads, adam.init(weights))
    b1, b2 = float(np.float32(0.9)), float(np.float32(0.999))
    alpha = 0.01 * np.sqrt(1 - b2) / (1 - b1)
    for w, g, w_new in zip(weights.as_list(), grads.as_list(), new.as_list(), strict=True):
        m, v = (1 - 0.9) * g, (1 - 0.999) * g**2
        np.testing.assert_allclose(w - w_new, alpha * m / (np.sqrt(v) + 1e-7), rtol=1e-12)
        np.testing.assert_allclose(w - w_new, 0.01 * np.sign(g), rtol=1e-2)
    assert state.iterations == 1


def test_global_norm_clipping():
    grads = random_weights(3, 4, 2, seed=0, dtype="float64")
    norm = global_norm(grads)
    clipped = clip_by_global_norm(grads, norm / 4)
    assert global_norm(clipped) == pytest.approx(norm / 4, rel=1e-12)
    for g, c in zip(grads.as_list(), clipped.as_list(), strict=True):
        np.testing.assert_allclose(c, g / 4, rtol=1e-12)  # same direction
    # Below the threshold the factor is clip_norm·(1/clip_norm): 1 up to one rounding.
    unchanged = clip_by_global_norm(grads, 2 * norm)
    assert max(gradient_errors(unchanged, grads).values()) <= 4 * np.finfo(np.float64).eps


def test_per_array_norm_clipping():
    grads = random_weights(3, 4, 2, seed=0, dtype="float64")
    clipped = clip_each_by_norm(grads, 0.1)
    for g, c in zip(grads.as_list(), clipped.as_list(), strict=True):
        assert np.linalg.norm(c) == pytest.approx(min(np.linalg.norm(g), 0.1), rel=1e-12)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: SGD(learning_rate=-0.1), ValueError, "learning_rate"),
        (lambda: SGD(learning_rate="0.1"), TypeError, "learning_rate must be a number"),
        (lambda: SGD(momentum=1.5), ValueError, "momentum"),
        (lambda: SGD(nesterov=1), TypeError, "nesterov"),
        (lambda: SGD(clipnorm=1.0, global_clipnorm=1.0), ValueError, "at most one"),
        (lambda: SGD(clipnorm=0.0), ValueError, "clipnorm must be > 0"),
        (lambda: Adam(beta_1=1.0), ValueError, "must be < 1"),
        (lambda: Adam(epsilon=float("nan")), ValueError, "epsilon"),
        (lambda: clip_by_global_norm(tiny(1.0), 0.0), ValueError, "clip_norm must be > 0"),
        (lambda: clip_by_global_norm([np.ones(2)], 1.0), TypeError, "SimpleRNNWeights"),
        (lambda: global_norm(None), TypeError, "SimpleRNNWeights"),
    ],
)
def test_optimizers_reject_bad_hyperparameters(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_optimizer_steps_reject_bad_input():
    weights = random_weights(2, 3, 1, dtype="float64")
    other = random_weights(2, 4, 1, dtype="float64")
    for optimizer in (SGD(momentum=0.9), Adam()):
        state = optimizer.init(weights)
        with pytest.raises(ValueError, match=r"grads.Wx must have the shape"):
            optimizer.step(weights, other, state)
        with pytest.raises(TypeError, match="grads must be a SimpleRNNWeights"):
            optimizer.step(weights, weights.as_list(), state)
        with pytest.raises(TypeError, match="state must be"):
            optimizer.step(weights, weights, None)
        with pytest.raises(TypeError, match="weights must be a SimpleRNNWeights"):
            optimizer.init(None)


# ---------------------------------------------------------------- loop and task


def test_train_manual_loop_is_backward_then_step():
    x, y, weights = make_data(False, "float64")
    history = train_manual(x, y, weights, SGD(learning_rate=0.1), epochs=2, batch_size=40)
    assert isinstance(history, TrainingHistory)
    assert history.steps == 2  # one full batch per epoch
    assert history.losses[1] < history.losses[0]
    assert history.grad_norms.shape == (2,)


def test_truncation_longer_than_the_sequence_changes_nothing():
    x, y, weights = make_data(True, "float64")
    full = train_manual(x, y, weights, Adam(0.01), epochs=2, batch_size=8, return_sequences=True)
    cut = train_manual(
        x, y, weights, Adam(0.01), epochs=2, batch_size=8, return_sequences=True, truncate=5
    )
    np.testing.assert_array_equal(full.losses, cut.losses)
    short = train_manual(
        x, y, weights, Adam(0.01), epochs=2, batch_size=8, return_sequences=True, truncate=1
    )
    assert relative_error(short.losses[1:], full.losses[1:]) > 0


def test_batch_slices_cover_the_data_in_order():
    slices = batch_slices(38, 8)
    assert [(s.start, s.stop) for s in slices] == [(0, 8), (8, 16), (16, 24), (24, 32), (32, 38)]
    assert batch_slices(3, 10) == [slice(0, 3)]
    with pytest.raises(ValueError, match="batch_size"):
        batch_slices(10, 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size": 2.5}, TypeError, "batch_size"),
        ({"y": np.zeros((N_SAMPLES, 2))}, ValueError, r"\(n, O\)"),
        ({"y": np.zeros((N_SAMPLES - 1, 3))}, ValueError, r"\(n, O\)"),
        ({"optimizer": "adam"}, TypeError, "init"),
        ({"weights": None}, TypeError, "SimpleRNNWeights"),
    ],
)
def test_train_manual_rejects_bad_input(kwargs, error, message):
    x, y, weights = make_data(False, "float32")
    arguments = {"y": y, "weights": weights, "optimizer": SGD(), **kwargs}
    with pytest.raises(error, match=message):
        train_manual(
            x, arguments.pop("y"), arguments.pop("weights"), arguments.pop("optimizer"), **arguments
        )


def test_keras_side_rejects_what_it_cannot_mirror():
    x, y, weights = make_data(False, "float32")
    with pytest.raises(TypeError, match="SGD or Adam"):
        keras_optimizer(object())
    with pytest.raises(ValueError, match=r"\(n, O\)"):
        train_keras(x, y[:, :1], weights, SGD())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_delayed_copy_task(dtype):
    x, y = delayed_copy_task(50, 7, 3, seed=1, dtype=dtype)
    assert x.shape == (50, 7, 1) and y.shape == (50, 1)
    assert x.dtype == y.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(y, x[:, 7 - 1 - 3])
    assert np.all(np.abs(x) <= 1)
    again, _ = delayed_copy_task(50, 7, 3, seed=1, dtype=dtype)
    np.testing.assert_array_equal(x, again)
    with pytest.raises(ValueError, match=r"\[0, 6\]"):
        delayed_copy_task(50, 7, 7)
    with pytest.raises(TypeError, match="delay"):
        delayed_copy_task(50, 7, 1.0)
