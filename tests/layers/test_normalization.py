"""BatchNormalization and LayerNormalization: harness, NumPy references, moving statistics in
compiled training, freezing, and errors."""
import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer

L = lm.layers


def _random(shape, seed=0, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def normalize_ref(x, mean, var, gamma, beta, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


# ---- the harness ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, shape, weights, trainable", [
    ({}, (4, 3), 4, 2),
    ({"momentum": 0.5, "epsilon": 0.01}, (4, 3, 3, 2), 4, 2),
    ({"axis": 1}, (4, 2, 3, 3), 4, 2),
    ({"center": False}, (4, 3), 3, 1),
    ({"scale": False, "center": False}, (4, 3), 2, 0),
])
def test_batch_normalization_harness(kwargs, shape, weights, trainable):
    layer = check_layer(lambda: L.BatchNormalization(**kwargs), shape,
                        expected_output_shape=shape, expected_num_weights=weights,
                        expected_trainable_weights=trainable)
    assert len(layer.non_trainable_weights) == 2


@pytest.mark.parametrize("kwargs, shape, weights", [
    ({}, (4, 3), 2),
    ({"axis": [1, 2]}, (2, 3, 4), 2),
    ({"axis": 1, "center": False}, (2, 3, 4), 1),
    ({"axis": (-3, -1), "epsilon": 1e-5}, (2, 3, 2, 4), 2),
])
def test_layer_normalization_harness(kwargs, shape, weights):
    check_layer(lambda: L.LayerNormalization(**kwargs), shape, expected_output_shape=shape,
                expected_num_weights=weights, expected_trainable_weights=weights)


# ---- BatchNormalization numbers ----------------------------------------------------------------
def _bn_with_random_weights(x, **kwargs):
    layer = L.BatchNormalization(**kwargs)
    layer(x)
    gamma, beta = _random((2, 3), seed=1)
    layer.set_weights([gamma, beta, _random(3, seed=2), np.abs(_random(3, seed=3)) + 0.5])
    return layer


def test_batch_normalization_training_vs_inference():
    x = _random((8, 3), scale=3.0, shift=2.0)
    layer = _bn_with_random_weights(x, epsilon=0.01, momentum=0.8)
    gamma, beta, mm, mv = layer.get_weights()
    inference = layer(x, training=False).numpy()
    np.testing.assert_allclose(inference, normalize_ref(x, mm, mv, gamma, beta, 0.01),
                               rtol=1e-5, atol=1e-5)
    assert np.array_equal(layer.moving_mean.numpy(), mm)   # inference leaves them alone
    training = layer(x, training=True).numpy()
    np.testing.assert_allclose(training,
                               normalize_ref(x, x.mean(0), x.var(0), gamma, beta, 0.01),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mm * 0.8 + x.mean(0) * 0.2,
                               rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), mv * 0.8 + x.var(0) * 0.2,
                               rtol=1e-5)
    # a call without training= runs in inference mode (Keras)
    np.testing.assert_allclose(layer(x).numpy(), layer(x, training=False).numpy())


def test_batch_normalization_on_images_uses_all_but_the_channel_axis():
    x = _random((4, 3, 5, 2), shift=1.0)
    layer = L.BatchNormalization(axis=-1, epsilon=1e-3)
    y = layer(x, training=True).numpy()
    np.testing.assert_allclose(y, normalize_ref(x, x.mean((0, 1, 2)), x.var((0, 1, 2)), 1, 0,
                                                1e-3), rtol=1e-4, atol=1e-5)
    xc = x.transpose(0, 3, 1, 2)
    first = L.BatchNormalization(axis=1)
    np.testing.assert_allclose(first(xc, training=True).numpy(), y.transpose(0, 3, 1, 2),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(first.moving_mean.numpy(), 0.01 * x.mean((0, 1, 2)), rtol=1e-5)


def _fit_bn_model(x, y, momentum, run_eagerly, steps_per_epoch_batch, epochs, **bn_kwargs):
    bn = L.BatchNormalization(momentum=momentum, **bn_kwargs)
    model = lm.Sequential([lm.Input(x.shape[1:]), bn, L.GlobalAveragePooling2D(), L.Dense(1)])
    model.compile(optimizer=lm.optimizers.SGD(0.05), loss="mse", run_eagerly=run_eagerly)
    model.fit(x, y, batch_size=steps_per_epoch_batch, epochs=epochs, shuffle=False, verbose=0)
    return model, bn


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_moving_statistics_follow_the_keras_recurrence_in_fit(run_eagerly):
    x = _random((24, 3, 3, 2), scale=2.0, shift=-1.0)
    y = _random((24, 1), seed=4)
    model, bn = _fit_bn_model(x, y, 0.9, run_eagerly, 8, 2)
    mean, var = np.zeros(2), np.ones(2)
    for _ in range(2):
        for start in range(0, 24, 8):
            batch = x[start:start + 8].astype(np.float64)
            mean = mean * 0.9 + batch.mean((0, 1, 2)) * 0.1
            var = var * 0.9 + batch.var((0, 1, 2)) * 0.1
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    # evaluate and predict run in inference mode: the statistics stay put
    before = bn.get_weights()
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    for a, b in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_frozen_batch_normalization_runs_in_inference_mode():
    x = _random((16, 3, 3, 2), shift=3.0)
    y = _random((16, 1), seed=4)
    bn = L.BatchNormalization()
    bn(x)
    bn.trainable = False
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4
    before = bn.get_weights()
    np.testing.assert_allclose(bn(x, training=True).numpy(), bn(x, training=False).numpy())
    model = lm.Sequential([lm.Input(x.shape[1:]), bn, L.GlobalAveragePooling2D(), L.Dense(1)])
    model.compile(optimizer=lm.optimizers.SGD(0.1), loss="mse")
    assert len(model.trainable_weights) == 2  # only the Dense layer's
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_batch_normalization_gradients_match_finite_differences():
    x = _random((5, 3), shift=1.0).astype(np.float64)
    layer = L.BatchNormalization(dtype="float64")
    layer(x)
    xv = lm.Variable(x)
    w = _random((5, 3), seed=7).astype(np.float64)
    with lm.GradientTape() as tape:
        loss = lm.sum(layer(xv, training=True) * w)
    grad = tape.gradient(loss, xv).numpy()

    def f(z):
        z = z - z.mean(0)
        return np.sum(z / np.sqrt((z ** 2).mean(0) + 1e-3) * w)
    eps, numeric = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        numeric[idx] = (f(x + d) - f(x - d)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_batch_normalization_config_round_trip():
    layer = L.BatchNormalization(axis=1, momentum=0.5, epsilon=0.1, center=False,
                                 gamma_regularizer=lm.regularizers.L2(0.01))
    config = layer.get_config()
    assert (config["axis"], config["momentum"], config["epsilon"]) == (1, 0.5, 0.1)
    clone = L.BatchNormalization.from_config(config)
    assert (clone.axis, clone.momentum, clone.center, clone.scale) == (1, 0.5, False, True)
    clone(np.ones((2, 3, 4), np.float32))
    assert clone.gamma.shape == (3,) and len(clone.losses) == 1


# ---- LayerNormalization numbers ----------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, [1, 2], 1])
def test_layer_normalization_matches_numpy(axis):
    x = _random((3, 4, 5), scale=2.0, shift=1.0)
    layer = L.LayerNormalization(axis=axis, epsilon=1e-3)
    layer(x)
    axes = tuple(np.atleast_1d(axis) % 3)
    param_shape = tuple(x.shape[a] for a in axes)
    gamma, beta = _random(param_shape, seed=1), _random(param_shape, seed=2)
    layer.set_weights([gamma, beta])
    bshape = [x.shape[a] if a in axes else 1 for a in range(3)]
    want = normalize_ref(x, x.mean(axes, keepdims=True), x.var(axes, keepdims=True),
                         gamma.reshape(bshape), beta.reshape(bshape), 1e-3)
    for training in (False, True):
        np.testing.assert_allclose(layer(x, training=training).numpy(), want, rtol=1e-4,
                                   atol=1e-5)


# ---- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, message", [
    (lambda: L.BatchNormalization(axis=1.5), TypeError, "axis must be an integer"),
    (lambda: L.BatchNormalization(momentum=1.5), ValueError, r"momentum must be a number in "
                                                             r"\[0, 1\], received"),
    (lambda: L.BatchNormalization(epsilon=0), ValueError, "epsilon must be a positive number"),
    (lambda: L.BatchNormalization(beta_initializer="nope"), ValueError, "nope"),
    (lambda: L.BatchNormalization(renorm=True), TypeError, "unexpected keyword argument"),
    (lambda: L.LayerNormalization(axis="last"), TypeError, "axis must be an int or a "
                                                           "non-empty list of ints"),
    (lambda: L.LayerNormalization(axis=[]), TypeError, "axis must be an int"),
    (lambda: L.LayerNormalization(epsilon=-1.0), ValueError, "epsilon must be a positive"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_axis_out_of_range_names_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"Layer 'bn': axis 3 is out of range for input of "
                                         r"shape \(2, 4, 5\)"):
        L.BatchNormalization(axis=3, name="bn")(np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"Layer 'ln': axis -4 is out of range"):
        L.LayerNormalization(axis=[-1, -4], name="ln")(np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"names an axis twice"):
        L.LayerNormalization(axis=[1, -1])(np.ones((2, 4), np.float32))


def test_unknown_feature_size_is_rejected():
    with pytest.raises(ValueError, match=r"axis 2 of the input must have a known size"):
        L.BatchNormalization()(lm.Input((4, None)))


def test_wrong_feature_count_after_build():
    layer = L.BatchNormalization(name="bn")
    layer(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"'bn' is incompatible.*axis -1.*value 3.*\(2, 4\)"):
        layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'bn' is incompatible.*expected ndim=2, received "
                                         r"ndim=3"):
        layer(np.ones((2, 5, 3), np.float32))
