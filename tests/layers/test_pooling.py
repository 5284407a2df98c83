"""Pooling layers through the shared harness, against loop references, and their errors."""
import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer

L = lm.layers


def pool2d_ref(x, size, strides, padding, kind):
    """x (N, H, W, C). "same" pads with cells that never win a max and are not counted in
    an average (TensorFlow)."""
    n, h, w, c = x.shape
    if padding == "same":
        oh, ow = -(-h // strides[0]), -(-w // strides[1])
        top = max((oh - 1) * strides[0] + size[0] - h, 0) // 2
        left = max((ow - 1) * strides[1] + size[1] - w, 0) // 2
    else:
        oh, ow = (h - size[0]) // strides[0] + 1, (w - size[1]) // strides[1] + 1
        top = left = 0
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - top, j * strides[1] - left
            window = x[:, max(r0, 0):r0 + size[0], max(c0, 0):c0 + size[1]]
            out[:, i, j] = window.max(axis=(1, 2)) if kind == "max" else window.mean(
                axis=(1, 2))
    return out


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("cls", [L.MaxPooling2D, L.AveragePooling2D])
@pytest.mark.parametrize("kwargs, out_shape", [
    ({}, (2, 3, 3, 2)),
    ({"pool_size": 3, "strides": 1}, (2, 5, 5, 2)),
    ({"pool_size": (2, 3), "padding": "same"}, (2, 4, 3, 2)),
    ({"pool_size": 3, "strides": 2, "padding": "SAME"}, (2, 4, 4, 2)),
])
def test_pooling2d_harness(cls, kwargs, out_shape):
    check_layer(lambda: cls(**kwargs), (2, 7, 7, 2), expected_output_shape=out_shape,
                expected_num_weights=0)


@pytest.mark.parametrize("cls", [L.MaxPooling1D, L.AveragePooling1D])
@pytest.mark.parametrize("kwargs, out_shape", [
    ({}, (2, 3, 3)),
    ({"pool_size": 3, "strides": 1, "padding": "same"}, (2, 7, 3)),
    ({"data_format": "channels_first"}, (2, 7, 1)),
])
def test_pooling1d_harness(cls, kwargs, out_shape):
    check_layer(lambda: cls(**kwargs), (2, 7, 3), expected_output_shape=out_shape,
                expected_num_weights=0)


@pytest.mark.parametrize("cls", [L.GlobalAveragePooling2D, L.GlobalMaxPooling2D])
@pytest.mark.parametrize("kwargs, out_shape", [
    ({}, (2, 3)), ({"keepdims": True}, (2, 1, 1, 3)),
    ({"data_format": "channels_first"}, (2, 4)),
])
def test_global_pooling2d_harness(cls, kwargs, out_shape):
    check_layer(lambda: cls(**kwargs), (2, 4, 5, 3), expected_output_shape=out_shape,
                expected_num_weights=0)


@pytest.mark.parametrize("cls", [L.GlobalAveragePooling1D, L.GlobalMaxPooling1D])
@pytest.mark.parametrize("kwargs, out_shape", [({}, (2, 3)), ({"keepdims": True}, (2, 1, 3))])
def test_global_pooling1d_harness(cls, kwargs, out_shape):
    check_layer(lambda: cls(**kwargs), (2, 5, 3), expected_output_shape=out_shape,
                expected_num_weights=0)


@pytest.mark.parametrize("kind, cls", [("max", L.MaxPooling2D), ("avg", L.AveragePooling2D)])
@pytest.mark.parametrize("size, strides, padding", [
    ((2, 2), (2, 2), "valid"), ((3, 3), (2, 2), "same"), ((3, 2), (1, 2), "same"),
    ((2, 3), (3, 1), "valid"),
])
def test_pooling2d_matches_loops(kind, cls, size, strides, padding):
    x = _random((2, 7, 6, 3))
    y = cls(size, strides, padding)(x).numpy()
    np.testing.assert_allclose(y, pool2d_ref(x, size, strides, padding, kind), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("kind, cls", [("max", L.MaxPooling1D), ("avg", L.AveragePooling1D)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling1d_matches_loops(kind, cls, padding):
    x = _random((2, 9, 3))
    y = cls(4, 2, padding)(x).numpy()
    want = pool2d_ref(x[:, None], (1, 4), (1, 2), padding, kind)[:, 0]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_channels_first_pooling_matches_channels_last():
    x = _random((2, 6, 6, 3))
    first = L.MaxPooling2D(3, 2, "same", data_format="channels_first")(x.transpose(0, 3, 1, 2))
    last = L.MaxPooling2D(3, 2, "same")(x)
    np.testing.assert_allclose(first.numpy(), last.numpy().transpose(0, 3, 1, 2))
    mean = L.GlobalAveragePooling2D(data_format="channels_first")(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(1, 2)), rtol=1e-5)


def test_global_pooling_matches_numpy():
    x = _random((2, 4, 5, 3))
    np.testing.assert_allclose(L.GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))
    np.testing.assert_allclose(L.GlobalAveragePooling1D()(x[:, 0]).numpy(),
                               x[:, 0].mean(axis=1), rtol=1e-5)


def test_max_pool_gradient_goes_to_the_maximum():
    x = lm.Variable(np.array([[[1.0], [5.0], [2.0], [0.0]]], np.float32))
    with lm.GradientTape() as tape:
        y = lm.sum(L.MaxPooling1D()(x))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy().ravel(), [0, 1, 1, 0])


def test_defaults_and_config():
    layer = L.MaxPooling2D()
    assert (layer.pool_size, layer.strides, layer.padding) == ((2, 2), (2, 2), "valid")
    config = L.AveragePooling1D(3, padding="Same").get_config()
    assert (config["pool_size"], config["strides"], config["padding"]) == ((3,), (3,), "same")
    assert config["data_format"] == "channels_last"
    assert L.GlobalMaxPooling2D(keepdims=True).get_config()["keepdims"] is True
    assert L.MaxPool2D is L.MaxPooling2D and L.GlobalAvgPool2D is L.GlobalAveragePooling2D


@pytest.mark.parametrize("make, message", [
    (lambda: L.MaxPooling2D(0), r"pool_size must be an integer >= 1 or a tuple of 2"),
    (lambda: L.MaxPooling2D((2, 2, 2)), r"received pool_size=\(2, 2, 2\)"),
    (lambda: L.AveragePooling1D(2, strides=-1), "strides must be an integer >= 1"),
    (lambda: L.MaxPooling1D(padding="causal"), r"padding must be one of \('valid', 'same'\)"),
    (lambda: L.AveragePooling2D(padding="full"), "received padding='full'"),
    (lambda: L.MaxPooling2D(data_format="NCHW"), "data_format must be 'channels_last' or"),
    (lambda: L.GlobalMaxPooling1D(data_format="last"), "data_format must be"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_pool_larger_than_input_names_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Layer 'p' \(MaxPooling2D\) cannot apply its pool of "
                                         r"size \(3, 3\).*input of shape \(1, 2, 5, 1\).*at "
                                         r"least the pool size \(3, 3\)"):
        L.MaxPooling2D(3, name="p")(np.zeros((1, 2, 5, 1), np.float32))
    with pytest.raises(ValueError, match=r"Layer 'q'.*\(None, 1, 4\)"):
        L.AveragePooling1D(2, name="q")(lm.Input((1, 4)))
    assert L.MaxPooling2D(3, padding="same")(np.zeros((1, 2, 2, 1), np.float32)).shape == \
        (1, 1, 1, 1)


@pytest.mark.parametrize("make, shape, ndim", [
    (lambda: L.MaxPooling2D(name="r"), (2, 8, 8), 4),
    (lambda: L.AveragePooling1D(name="r"), (2, 8, 8, 1), 3),
    (lambda: L.GlobalAveragePooling2D(name="r"), (2, 8), 4),
    (lambda: L.GlobalMaxPooling1D(name="r"), (2, 8, 8, 8), 3),
])
def test_wrong_input_rank(make, shape, ndim):
    with pytest.raises(ValueError, match=rf"layer 'r' is incompatible.*expected ndim={ndim}, "
                                         rf"received ndim={len(shape)}"):
        make()(np.zeros(shape, np.float32))
