"""Core layers (Activation, Dropout, Flatten, Reshape, Embedding, Lambda, Identity, RepeatVector,
Permute) through the shared harness, against NumPy, and with bad arguments and inputs."""
import json

import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer, random_input

L = lm.layers


def _x(*shape, seed=0):
    return random_input(shape, seed=seed)


# ---- the harness ------------------------------------------------------------------------------
@pytest.mark.parametrize("make, input_shape, output_shape", [
    (lambda: L.Activation("relu"), (2, 3), (2, 3)),
    (lambda: L.Activation(lm.tanh), (2, 3, 4), (2, 3, 4)),
    (lambda: L.Flatten(), (2, 3, 4), (2, 12)),
    (lambda: L.Flatten(data_format="channels_first"), (2, 3, 4, 5), (2, 60)),
    (lambda: L.Flatten(), (3,), (3, 1)),
    (lambda: L.Reshape((3, 4)), (2, 12), (2, 3, 4)),
    (lambda: L.Reshape((-1, 2)), (2, 3, 4), (2, 6, 2)),
    (lambda: L.Lambda(lm.tanh), (2, 3), (2, 3)),
    (lambda: L.Identity(), (2, 3), (2, 3)),
    (lambda: L.RepeatVector(3), (2, 4), (2, 3, 4)),
    (lambda: L.Permute((2, 1)), (2, 3, 4), (2, 4, 3)),
    (lambda: L.Permute((3, 1, 2)), (2, 3, 4, 5), (2, 5, 3, 4)),
])
def test_weightless_layers_through_the_harness(make, input_shape, output_shape):
    check_layer(make, input_shape, expected_output_shape=output_shape, expected_num_weights=0)


@pytest.mark.parametrize("noise_shape", [None, (None, 1, 3)])
def test_dropout_through_the_harness(noise_shape):
    check_layer(lambda: L.Dropout(0.5, noise_shape=noise_shape, seed=1), (4, 2, 3),
                expected_output_shape=(4, 2, 3), expected_num_weights=0, deterministic=False)


def test_embedding_through_the_harness():
    layer = check_layer(lambda: L.Embedding(10, 4), (2, 3), input_dtype="int32",
                        expected_output_shape=(2, 3, 4), expected_num_weights=1,
                        expected_trainable_weights=1)
    assert layer.embeddings.shape == (10, 4)


# ---- Activation -------------------------------------------------------------------------------
def test_activation_matches_numpy_and_round_trips_custom_functions():
    x = _x(3, 4)
    np.testing.assert_allclose(L.Activation("sigmoid")(x).numpy(), 1 / (1 + np.exp(-x)),
                               rtol=1e-6)

    def cube(t):
        return t * t * t
    layer = L.Activation(cube)
    config = layer.get_config()
    assert config["activation"] == "cube"
    clone = L.Activation.from_config(config, custom_objects={"cube": cube})
    np.testing.assert_allclose(clone(x).numpy(), x ** 3, rtol=1e-5)


def test_dense_with_a_custom_activation_loads_from_custom_objects():
    def cube(t):
        return t * t * t
    model = lm.Sequential([lm.Input((3,)), L.Dense(2, activation=cube)])
    with pytest.raises(ValueError, match="Unknown activation 'cube'"):
        lm.Sequential.from_config(json.loads(json.dumps(model.get_config())))
    _check_reloads(model, custom_objects={"cube": cube})


def _check_reloads(model, custom_objects):
    """The model rebuilt from its JSON config (with ``custom_objects``) predicts the same."""
    config = json.loads(json.dumps(model.get_config()))
    clone = lm.Sequential.from_config(config, custom_objects=custom_objects)
    clone.set_weights(model.get_weights())
    x = _x(4, 3)
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)


def test_activation_bad_name():
    with pytest.raises(ValueError, match="Unknown activation 'rellu'"):
        L.Activation("rellu")


# ---- Dropout ----------------------------------------------------------------------------------
def test_dropout_is_the_identity_outside_training():
    x = _x(8, 5)
    layer = L.Dropout(0.5)
    for training in (None, False):
        np.testing.assert_array_equal(layer(x, training=training).numpy(), x)


def test_dropout_drops_the_rate_and_scales_the_rest():
    lm.random.seed(0)
    x = np.ones((200, 100), np.float32)
    y = L.Dropout(0.25, seed=3)(x, training=True).numpy()
    dropped = np.mean(y == 0)
    assert abs(dropped - 0.25) < 0.01            # 20,000 draws: std of the fraction ~0.003
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02            # the expected value is kept


def test_dropout_seed_makes_masks_reproducible():
    x = np.ones((6, 7), np.float32)
    layer = L.Dropout(0.5, seed=11)
    lm.random.seed(5)
    a = layer(x, training=True).numpy()
    b = layer(x, training=True).numpy()
    lm.random.seed(5)
    c = layer(x, training=True).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)              # a new mask on every call


def test_dropout_noise_shape_shares_the_mask():
    x = np.ones((4, 5, 6), np.float32)
    y = L.Dropout(0.5, noise_shape=(None, 1, 6))(x, training=True).numpy()
    assert np.all(y == y[:, :1, :])               # same mask at every step
    assert 0 < np.mean(y == 0) < 1


def test_dropout_compiled_draws_a_new_mask_each_call():
    layer = L.Dropout(0.5)
    step = lm.function(lambda t: layer(t, training=True))
    x = lm.ones((10, 10))
    a, b = step(x).numpy(), step(x).numpy()
    assert step.experimental_get_tracing_count() == 1
    assert not np.array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}


def test_model_fit_with_dropout():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = lm.Sequential([lm.Input((4,)), L.Dense(16, activation="relu"), L.Dropout(0.3),
                           L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert all(np.isfinite(history.history["loss"]))
    np.testing.assert_array_equal(model.predict(x), model.predict(x))   # inference: no dropout


def test_fit_drops_and_evaluate_does_not():
    # A sum of 50 ones: exact without dropout, noisy with it (learning rate 0 keeps the weights).
    x, y = np.ones((32, 50), np.float32), np.full((32, 1), 50.0, np.float32)
    model = lm.Sequential([lm.Input((50,)), L.Dropout(0.5),
                           L.Dense(1, kernel_initializer="ones", use_bias=False)])
    model.compile(optimizer=lm.optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert min(history.history["loss"]) > 1.0
    assert model.evaluate(x, y, verbose=0) == 0.0


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", True, None])
def test_dropout_bad_rate(rate):
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        L.Dropout(rate)


def test_dropout_bad_noise_shape_and_seed():
    with pytest.raises(ValueError, match="noise_shape must be a tuple of positive ints"):
        L.Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        L.Dropout(0.5, seed=-1)
    layer = L.Dropout(0.5, noise_shape=(None, 3), name="drop")
    with pytest.raises(ValueError, match=r"'drop'.*must be 1, None or the input's size.*"
                                         r"\(2, 4\)"):
        layer(np.ones((2, 4), np.float32), training=True)
    with pytest.raises(ValueError, match=r"'drop'.*one entry per input axis"):
        layer(np.ones((2, 4, 1), np.float32), training=True)


# ---- Flatten and Reshape ----------------------------------------------------------------------
def test_flatten_matches_numpy_in_both_data_formats():
    x = _x(2, 3, 4, 5)
    np.testing.assert_array_equal(L.Flatten()(x).numpy(), x.reshape(2, -1))
    np.testing.assert_array_equal(L.Flatten(data_format="channels_first")(x).numpy(),
                                  x.transpose(0, 2, 3, 1).reshape(2, -1))


def test_flatten_errors():
    with pytest.raises(ValueError, match="data_format must be 'channels_last'"):
        L.Flatten(data_format="NHWC")
    with pytest.raises(ValueError, match="needs the non-batch sizes"):
        L.Flatten(name="flat")(lm.Input((None, 3)))


def test_reshape_matches_numpy():
    x = _x(2, 3, 4)
    np.testing.assert_array_equal(L.Reshape((4, 3))(x).numpy(), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(L.Reshape((2, -1, 3))(x).numpy(), x.reshape(2, 2, 2, 3))
    assert L.Reshape((4, -1))(lm.Input((2, 6))).shape == (None, 4, 3)


def test_reshape_size_mismatch_names_the_layer():
    with pytest.raises(ValueError, match=r"Reshape layer 'rs'.*\(2, 12\) has 12 values per "
                                         r"sample.*target_shape \(5,\)"):
        L.Reshape((5,), name="rs")(np.ones((2, 12), np.float32))
    with pytest.raises(ValueError, match=r"12 values per sample.*\(5, -1\)"):
        L.Reshape((5, -1))(lm.Input((12,)))


@pytest.mark.parametrize("target", [(-1, -1), (0, 3), (2.5,), "ab", None, (True, 2)])
def test_reshape_bad_target_shape(target):
    with pytest.raises(ValueError, match="target_shape must be a tuple of positive ints"):
        L.Reshape(target)


# ---- Embedding --------------------------------------------------------------------------------
def test_embedding_looks_up_rows():
    layer = L.Embedding(6, 3)
    idx = np.array([[0, 5, 2], [2, 2, 1]], np.int32)
    out = layer(idx).numpy()
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(out, table[idx])
    assert out.dtype == np.float32
    assert np.all(np.abs(table) <= 0.05)         # Keras's "uniform": U(-0.05, 0.05)


def test_embedding_gradients_accumulate_for_repeated_indices():
    layer = L.Embedding(5, 2)
    idx = np.array([[1, 1, 3], [1, 0, 3]], np.int64)
    with lm.GradientTape() as tape:
        loss = lm.sum(layer(idx))
    (grad,) = tape.gradient(loss, [layer.embeddings])
    counts = np.bincount(idx.ravel(), minlength=5).astype(np.float32)
    np.testing.assert_array_equal(grad.numpy(), np.repeat(counts[:, None], 2, axis=1))


def test_embedding_accepts_float_indices_like_keras():
    layer = L.Embedding(4, 2)
    out = layer(np.array([[3.0, 1.0]], np.float32)).numpy()
    np.testing.assert_array_equal(out, layer.get_weights()[0][[[3, 1]]])


def test_embedding_out_of_range_index_names_layer_index_and_input_dim():
    layer = L.Embedding(5, 2, name="words")
    with pytest.raises(IndexError, match=r"'words' received index 7.*input_dim=5"):
        layer(np.array([[1, 7]], np.int32))
    with pytest.raises(IndexError, match=r"'words' received index -1"):
        layer(np.array([[-1, 2]], np.int32))
    with pytest.raises(IndexError, match=r"received index 1.5"):
        layer(np.array([[1.5]], np.float32))
    with pytest.raises(IndexError, match="out of range"):   # compiled: the gather checks
        lm.function(layer)(lm.tensor(np.array([[9]], np.int32)))


def test_embedding_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="input_dim must be a positive integer, received 0"):
        L.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim must be a positive integer"):
        L.Embedding(3, 2.5)
    with pytest.raises(ValueError, match="mask_zero=True is not supported"):
        L.Embedding(3, 2, mask_zero=True)
    with pytest.raises(TypeError, match="expects integer indices, received a bool"):
        L.Embedding(3, 2)(np.array([[True]]))


def test_model_fit_with_embedding():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 8, (32, 5)).astype(np.int32)
    y = (x[:, 0] > 3).astype(np.int32)
    model = lm.Sequential([lm.Input((5,), dtype="int32"), L.Embedding(8, 4), L.Flatten(),
                           L.Dense(2)])
    model.compile(optimizer=lm.optimizers.Adam(0.05),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---- Lambda -----------------------------------------------------------------------------------
def scale_and_shift(x, scale=1.0, shift=0.0):
    return x * scale + shift


def test_lambda_passes_arguments_and_training():
    x = _x(2, 3)
    layer = L.Lambda(scale_and_shift, arguments={"scale": 2.0, "shift": 1.0})
    np.testing.assert_allclose(layer(x).numpy(), 2 * x + 1, rtol=1e-6)
    seen = []

    def spy(t, training=None):
        seen.append(training)
        return t
    L.Lambda(spy)(x, training=True)
    assert seen == [True]


def test_lambda_config_names_the_function_and_loads_it_from_custom_objects():
    layer = L.Lambda(scale_and_shift, output_shape=(3,), arguments={"scale": 3.0})
    config = layer.get_config()
    json.dumps(config)
    assert config["function"] == "scale_and_shift"
    with pytest.raises(ValueError, match=r"custom_objects=\{'scale_and_shift'"):
        L.Lambda.from_config(config)
    clone = L.Lambda.from_config(config, custom_objects={"scale_and_shift": scale_and_shift})
    x = _x(2, 3)
    np.testing.assert_allclose(clone(x).numpy(), 3 * x, rtol=1e-6)


def test_lambda_in_a_saved_model_config():
    model = lm.Sequential([lm.Input((3,)), L.Lambda(scale_and_shift), L.Dense(2)])
    _check_reloads(model, custom_objects={"scale_and_shift": scale_and_shift})


def test_lambda_errors():
    with pytest.raises(TypeError, match="function must be callable"):
        L.Lambda("tanh")
    with pytest.raises(TypeError, match="output_shape must be a tuple or None"):
        L.Lambda(lm.tanh, output_shape=lambda s: s)
    with pytest.raises(ValueError, match="lambda expressions"):
        L.Lambda(lambda t: t).get_config()
    with pytest.raises(ValueError, match=r"'lam': output_shape is \(4,\).*\(2, 3\)"):
        L.Lambda(lm.tanh, output_shape=(4,), name="lam")(_x(2, 3))
    with pytest.raises(TypeError, match="must return lamina tensors"):
        L.Lambda(np.asarray)(_x(2, 3))


# ---- Identity, RepeatVector, Permute ----------------------------------------------------------
def test_identity_repeat_vector_and_permute_match_numpy():
    x = _x(2, 3, 4)
    np.testing.assert_array_equal(L.Identity()(x).numpy(), x)
    v = _x(2, 4)
    np.testing.assert_array_equal(L.RepeatVector(3)(v).numpy(),
                                  np.repeat(v[:, None, :], 3, axis=1))
    np.testing.assert_array_equal(L.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))


def test_repeat_vector_and_permute_errors():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        L.RepeatVector(0)
    with pytest.raises(ValueError, match=r"expected ndim=2, received ndim=3"):
        L.RepeatVector(2)(_x(2, 3, 4))
    for dims in [(0, 1), (1, 3), (1, 1), 2, (True, 2)]:
        with pytest.raises(ValueError, match="dims must be a permutation of 1..n"):
            L.Permute(dims)
    with pytest.raises(ValueError, match=r"expected ndim=3, received ndim=4"):
        L.Permute((2, 1))(_x(2, 3, 4, 5))


def test_a_sequential_built_from_a_list_calls_each_layer_once():
    """The constructor builds the symbolic graph once for the whole list (adding the layers
    one by one rebuilds it after each: quadratic in the depth); add() still builds at once."""
    calls = []

    class Counted(lm.layers.Dense):
        def call(self, inputs, training=None):
            calls.append(self.name)
            return super().call(inputs)

    layers = [Counted(4, name=f"counted_{k}") for k in range(6)]
    model = lm.Sequential([lm.Input(shape=(3,)), *layers])
    assert sorted(calls) == sorted(layer.name for layer in layers)
    assert model.output_shape == (None, 4)
    calls.clear()
    model.add(Counted(2, name="counted_last"))
    assert len(calls) == 7 and model.output_shape == (None, 2)
    with pytest.raises(ValueError):
        lm.Sequential([lm.Input(shape=(3,)), lm.layers.Dense(4), lm.layers.Reshape((5,))])
    # each entry is checked as it is added, before any layer is called
    with pytest.raises(ValueError, match="unique names"):
        lm.Sequential([lm.Input(shape=(3,)), lm.layers.Dense(4, name="d"),
                       lm.layers.Reshape((5,)), lm.layers.Dense(2, name="d")])

    class Logged(lm.Sequential):
        added = []

        def add(self, layer, rebuild=True):
            Logged.added.append(layer)
            super().add(layer, rebuild)

    logged = Logged([lm.Input(shape=(3,)), lm.layers.Dense(4, name="logged_a"),
                     lm.layers.Dense(2, name="logged_b")])
    assert len(Logged.added) == 3 and logged.output_shape == (None, 2)
    restored = Logged.from_config(logged.get_config())
    assert len(Logged.added) == 5 and restored.output_shape == (None, 2)
