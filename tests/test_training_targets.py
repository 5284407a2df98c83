"""Training to stated targets through the model API (compile / fit / evaluate).

Each test trains a small model from a fixed seed and checks a score on held-out data, so a
change that quietly breaks learning (a gradient, an optimizer, a layer, the train step) fails
here even when every unit test still passes. The targets leave a margin below what the
models reach on this machine (given in brackets), so they hold across BLAS builds.

| model                                       | data                  | target (reached)       |
|---------------------------------------------|-----------------------|------------------------|
| functional and subclassed 4-16-3 networks   | iris, 30 test flowers | accuracy >= 0.95 (1.0) |
| each optimizer, Sequential 4-16-3           | iris                  | >= 0.90 (0.97-1.0)     |
| one-hot labels, categorical cross-entropy   | iris                  | >= 0.95 (1.0)          |
| MLP, binary cross-entropy                   | two moons, 200 points | >= 0.97 (0.995)        |
| MLP regression, mse + R2Score               | sin(x) on [-3, 3]     | R^2 >= 0.99 (0.998)    |
| MLP with BatchNormalization and Dropout     | digits, 359 images    | >= 0.95 (0.96-0.97)    |
| Conv1D + GlobalMaxPooling1D                 | 3 noisy waveforms     | >= 0.97 (1.0)          |
| GRU, LSTM (slow)                            | 3 noisy waveforms     | >= 0.97 (0.99-1.0)     |
| Embedding + GlobalAveragePooling1D          | token "sentiment"     | >= 0.97 (1.0)          |
| Embedding + MultiHeadAttention (functional) | token "sentiment"     | >= 0.95 (1.0)          |
"""
import numpy as np
import pytest

import lamina as lm


def iris_data():
    (x_train, y_train), (x_test, y_test) = lm.datasets.iris.load_data()
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return (x_train - mean) / std, y_train, (x_test - mean) / std, y_test


def train(model, x, y, x_test, y_test, *, loss, optimizer, epochs, metrics=("accuracy",),
          batch_size=32):
    """Compiles, fits and evaluates; returns the evaluation as a dict."""
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0, return_dict=True)


# ---- iris: the three ways to build a model, each optimizer, one-hot labels --------------------
def test_functional_model_on_iris():
    lm.utils.set_random_seed(0)
    x, y, x_test, y_test = iris_data()
    inputs = lm.Input(shape=(4,))
    hidden = lm.layers.Dense(16, activation="tanh")(inputs)
    outputs = lm.layers.Dense(3, activation="softmax")(hidden)
    scores = train(lm.Model(inputs, outputs), x, y, x_test, y_test,
                   loss="sparse_categorical_crossentropy",
                   optimizer=lm.optimizers.Adam(0.01), epochs=60, batch_size=16)
    assert scores["accuracy"] >= 0.95


class IrisNet(lm.Model):
    """A subclassed model: layers made in __init__, the forward pass written in call."""

    def __init__(self):
        super().__init__()
        self.hidden = lm.layers.Dense(16, activation="tanh")
        self.out = lm.layers.Dense(3)

    def call(self, inputs):
        return lm.nn.softmax(self.out(self.hidden(inputs)))


def test_subclassed_model_on_iris():
    lm.utils.set_random_seed(0)
    x, y, x_test, y_test = iris_data()
    scores = train(IrisNet(), x, y, x_test, y_test, loss="sparse_categorical_crossentropy",
                   optimizer=lm.optimizers.Adam(0.01), epochs=60, batch_size=16)
    assert scores["accuracy"] >= 0.95


@pytest.mark.parametrize("make_optimizer", [
    lambda: lm.optimizers.SGD(0.05, momentum=0.9),
    lambda: lm.optimizers.Adam(0.01),
    lambda: lm.optimizers.AdamW(0.01),
    lambda: lm.optimizers.RMSprop(0.01),
    lambda: lm.optimizers.Adagrad(0.2),
], ids=["sgd_momentum", "adam", "adamw", "rmsprop", "adagrad"])
def test_each_optimizer_trains_iris(make_optimizer):
    lm.utils.set_random_seed(0)
    x, y, x_test, y_test = iris_data()
    model = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(16, activation="tanh"),
                           lm.layers.Dense(3, activation="softmax")])
    scores = train(model, x, y, x_test, y_test, loss="sparse_categorical_crossentropy",
                   optimizer=make_optimizer(), epochs=60, batch_size=16)
    assert scores["accuracy"] >= 0.90
    assert model.evaluate(x, y, return_dict=True)["accuracy"] >= 0.95


def test_one_hot_labels_with_categorical_crossentropy():
    lm.utils.set_random_seed(0)
    x, y, x_test, y_test = iris_data()
    model = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(16, activation="tanh"),
                           lm.layers.Dense(3, activation="softmax")])
    scores = train(model, x, lm.utils.to_categorical(y, 3), x_test,
                   lm.utils.to_categorical(y_test, 3), loss="categorical_crossentropy",
                   optimizer=lm.optimizers.Adam(0.01), epochs=60, batch_size=16)
    assert scores["accuracy"] >= 0.95


# ---- dense networks: binary classification, regression, digits -------------------------------
def two_moons(count, rng, noise=0.15):
    """Two interleaved half circles, labels 0 and 1 (float column, as sigmoid outputs)."""
    angle = rng.uniform(0.0, np.pi, count)
    label = rng.integers(0, 2, count)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    points = np.where(label[:, None] == 0, upper, lower) + noise * rng.standard_normal((count, 2))
    return points.astype(np.float32), label[:, None].astype(np.float32)


def test_binary_classifier_separates_two_moons():
    lm.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    (x, y), (x_test, y_test) = two_moons(400, rng), two_moons(200, rng)
    model = lm.Sequential([lm.Input(shape=(2,)), lm.layers.Dense(32, activation="relu"),
                           lm.layers.Dense(32, activation="relu"),
                           lm.layers.Dense(1, activation="sigmoid")])
    scores = train(model, x, y, x_test, y_test, loss="binary_crossentropy",
                   optimizer=lm.optimizers.Adam(0.01), epochs=40)
    assert scores["accuracy"] >= 0.97


def test_regression_fits_a_sine_curve():
    lm.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-3.0, 3.0, (512, 1)).astype(np.float32)
    x_test = np.linspace(-3.0, 3.0, 200, dtype=np.float32)[:, None]
    model = lm.Sequential([lm.Input(shape=(1,)), lm.layers.Dense(32, activation="tanh"),
                           lm.layers.Dense(32, activation="tanh"), lm.layers.Dense(1)])
    scores = train(model, x, np.sin(x), x_test, np.sin(x_test), loss="mse",
                   optimizer=lm.optimizers.Adam(0.01), epochs=60, metrics=[lm.metrics.R2Score()])
    assert scores["r2_score"] >= 0.99
    assert scores["loss"] < 0.005


def test_mlp_with_batch_norm_and_dropout_on_digits():
    lm.utils.set_random_seed(0)
    (x, y), (x_test, y_test) = lm.datasets.digits.load_data()
    model = lm.Sequential([
        lm.Input(shape=(8, 8)), lm.layers.Flatten(), lm.layers.Dense(128),
        lm.layers.BatchNormalization(), lm.layers.ReLU(), lm.layers.Dropout(0.2),
        lm.layers.Dense(10, activation="softmax")])
    scores = train(model, x / 16.0, y, x_test / 16.0, y_test,
                   loss="sparse_categorical_crossentropy", optimizer="adam", epochs=20)
    assert scores["accuracy"] >= 0.95


# ---- sequences: which waveform is it? --------------------------------------------------------
STEPS = 32


def waveforms(count, rng, noise=0.2):
    """Noisy sine (0), square (1) and sawtooth (2) waves of random frequency and phase."""
    kind = rng.integers(0, 3, count)
    cycles = (rng.uniform(1 / 16, 1 / 6, (count, 1)) * np.arange(STEPS)
              + rng.uniform(0.0, 1.0, (count, 1))) % 1.0
    shapes = np.stack([np.sin(2 * np.pi * cycles), np.where(cycles < 0.5, 1.0, -1.0),
                       2.0 * cycles - 1.0])
    waves = shapes[kind, np.arange(count)] + noise * rng.standard_normal((count, STEPS))
    return waves[..., None].astype(np.float32), kind.astype(np.int32)


def train_on_waveforms(layers, epochs):
    lm.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    (x, y), (x_test, y_test) = waveforms(1200, rng), waveforms(400, rng)
    model = lm.Sequential([lm.Input(shape=(STEPS, 1)), *layers,
                           lm.layers.Dense(3, activation="softmax")])
    return train(model, x, y, x_test, y_test, loss="sparse_categorical_crossentropy",
                 optimizer=lm.optimizers.Adam(0.005), epochs=epochs)


def test_conv1d_tells_waveforms_apart():
    scores = train_on_waveforms([lm.layers.Conv1D(16, 5, activation="relu"),
                                 lm.layers.GlobalMaxPooling1D()], epochs=15)
    assert scores["accuracy"] >= 0.97


@pytest.mark.slow
def test_gru_tells_waveforms_apart():
    assert train_on_waveforms([lm.layers.GRU(16)], epochs=15)["accuracy"] >= 0.97


@pytest.mark.slow
def test_lstm_tells_waveforms_apart():
    assert train_on_waveforms([lm.layers.LSTM(16)], epochs=25)["accuracy"] >= 0.97


# ---- tokens: embeddings and attention --------------------------------------------------------
VOCABULARY, LENGTH = 30, 12


def token_sentiment(count, rng):
    """Token sequences labelled 1 when "positive" tokens (1-5) outnumber "negative" ones (6-10).

    Ties are dropped, so every label is decided by the counts."""
    tokens = rng.integers(0, VOCABULARY, (count, LENGTH))
    positive = ((tokens >= 1) & (tokens <= 5)).sum(axis=1)
    negative = ((tokens >= 6) & (tokens <= 10)).sum(axis=1)
    keep = positive != negative
    return tokens[keep].astype(np.int32), (positive > negative)[keep, None].astype(np.float32)


def test_embedding_bag_learns_token_sentiment():
    lm.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    (x, y), (x_test, y_test) = token_sentiment(1500, rng), token_sentiment(500, rng)
    model = lm.Sequential([lm.Input(shape=(LENGTH,), dtype="int32"),
                           lm.layers.Embedding(VOCABULARY, 8),
                           lm.layers.GlobalAveragePooling1D(),
                           lm.layers.Dense(1, activation="sigmoid")])
    scores = train(model, x, y, x_test, y_test, loss="binary_crossentropy",
                   optimizer=lm.optimizers.Adam(0.01), epochs=20)
    assert scores["accuracy"] >= 0.97


def test_self_attention_learns_token_sentiment():
    lm.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    (x, y), (x_test, y_test) = token_sentiment(1500, rng), token_sentiment(500, rng)
    inputs = lm.Input(shape=(LENGTH,), dtype="int32")
    embedded = lm.layers.Embedding(VOCABULARY, 16)(inputs)
    attended = lm.layers.MultiHeadAttention(num_heads=2, key_dim=8)(embedded, embedded)
    mixed = lm.layers.LayerNormalization()(lm.layers.Add()([embedded, attended]))
    outputs = lm.layers.Dense(1, activation="sigmoid")(
        lm.layers.GlobalAveragePooling1D()(mixed))
    scores = train(lm.Model(inputs, outputs), x, y, x_test, y_test,
                   loss="binary_crossentropy", optimizer=lm.optimizers.Adam(0.005), epochs=20)
    assert scores["accuracy"] >= 0.95
