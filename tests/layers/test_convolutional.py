"""Convolution layers through the shared harness, against loop references, and their errors."""
import re

import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer

L = lm.layers


# ---- NumPy loop references --------------------------------------------------------------------
def _same_pads(n, k, s, d):
    """TensorFlow's SAME padding (before, after) for one axis."""
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def conv2d_ref(x, k, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """x (N, H, W, C), k (KH, KW, C, O); padding "valid", "same" or ((t, b), (l, r))."""
    n, h, w, _ = x.shape
    kh, kw, _, o = k.shape
    if padding == "valid":
        pads = ((0, 0), (0, 0))
    elif padding == "same":
        pads = (_same_pads(h, kh, strides[0], dilation[0]),
                _same_pads(w, kw, strides[1], dilation[1]))
    else:
        pads = padding
    xp = np.pad(x.astype(np.float64), ((0, 0), pads[0], pads[1], (0, 0)))
    oh = (xp.shape[1] - dilation[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (xp.shape[2] - dilation[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, oh, ow, o))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for p in range(kh):
                    for q in range(kw):
                        cell = xp[b, i * strides[0] + p * dilation[0],
                                  j * strides[1] + q * dilation[1]]
                        out[b, i, j] += cell @ k[p, q]
    return out


def conv_transpose_ref(x, k, out_hw, strides, padding):
    """Scatter form: input cell (i, j) adds x[i, j] @ k[p, q].T at output
    (i * s + p - pad_top, j * s + q - pad_left). k is (KH, KW, O, C)."""
    n, h, w, _ = x.shape
    kh, kw, o, _ = k.shape
    pads = [(0, 0), (0, 0)] if padding == "valid" else [
        _same_pads(size, kk, s, 1) for size, kk, s in zip(out_hw, (kh, kw), strides)]
    out = np.zeros((n, out_hw[0] + sum(pads[0]) + kh, out_hw[1] + sum(pads[1]) + kw, o))
    for b in range(n):
        for i in range(h):
            for j in range(w):
                for p in range(kh):
                    for q in range(kw):
                        out[b, i * strides[0] + p, j * strides[1] + q] += k[p, q] @ x[b, i, j]
    top, left = pads[0][0], pads[1][0]
    return out[:, top:top + out_hw[0], left:left + out_hw[1]]


def depthwise_ref(x, k, strides=(1, 1), padding="valid"):
    """k (KH, KW, C, M): output channel c * M + m from channel c with k[..., c, m]."""
    c, mult = k.shape[2:]
    outs = []
    for ch in range(c):
        for m in range(mult):
            outs.append(conv2d_ref(x[..., ch:ch + 1], k[:, :, ch:ch + 1, m:m + 1], strides,
                                   padding)[..., 0])
    return np.stack(outs, axis=-1)


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _set_random_weights(layer, seed=1):
    layer.set_weights([_random(w.shape, seed + i) for i, w in enumerate(layer.weights)])


# ---- the harness ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, input_shape, out_shape", [
    ({}, (2, 8, 8, 2), (2, 6, 6, 4)),
    ({"strides": 2}, (2, 8, 8, 2), (2, 3, 3, 4)),
    ({"padding": "same", "strides": 2}, (2, 7, 7, 2), (2, 4, 4, 4)),
    ({"padding": "SAME", "kernel_size": (2, 3)}, (2, 5, 6, 2), (2, 5, 6, 4)),
    ({"dilation_rate": 2}, (2, 8, 8, 2), (2, 4, 4, 4)),
    ({"use_bias": False, "activation": "relu"}, (2, 8, 8, 2), (2, 6, 6, 4)),
    ({"groups": 2, "activation": lm.tanh}, (2, 6, 6, 4), (2, 4, 4, 4)),
    ({"data_format": "channels_first"}, (2, 2, 8, 7), (2, 4, 6, 5)),
])
def test_conv2d_harness(kwargs, input_shape, out_shape):
    kwargs = {"kernel_size": 3, **kwargs}
    weights = 1 if kwargs.get("use_bias") is False else 2
    check_layer(lambda: L.Conv2D(4, **kwargs), input_shape, expected_output_shape=out_shape,
                expected_num_weights=weights, expected_trainable_weights=weights)


@pytest.mark.parametrize("kwargs, out_shape", [
    ({}, (2, 8, 4)),
    ({"padding": "causal", "dilation_rate": 2}, (2, 10, 4)),
    ({"padding": "same", "strides": 3, "use_bias": False}, (2, 4, 4)),
    ({"activation": "sigmoid", "groups": 3}, (2, 8, 3)),
])
def test_conv1d_harness(kwargs, out_shape):
    filters = 3 if "groups" in kwargs else 4
    check_layer(lambda: L.Conv1D(filters, 3, **kwargs), (2, 10, 3),
                expected_output_shape=out_shape,
                expected_num_weights=1 if kwargs.get("use_bias") is False else 2)


@pytest.mark.parametrize("kwargs, out_shape", [
    ({}, (2, 6, 5, 3)),
    ({"strides": 2, "padding": "same"}, (2, 8, 6, 3)),
    ({"strides": 2}, (2, 9, 7, 3)),
    ({"strides": 2, "output_padding": 1, "use_bias": False}, (2, 10, 8, 3)),
    ({"strides": (2, 3), "padding": "same", "output_padding": (1, 0)}, (2, 8, 7, 3)),
    ({"dilation_rate": 2, "activation": "relu"}, (2, 8, 7, 3)),
    ({"data_format": "channels_first", "strides": 2}, (2, 3, 9, 7)),
])
def test_conv2d_transpose_harness(kwargs, out_shape):
    shape = (2, 2, 4, 3) if kwargs.get("data_format") else (2, 4, 3, 2)
    check_layer(lambda: L.Conv2DTranspose(3, 3, **kwargs), shape,
                expected_output_shape=out_shape,
                expected_num_weights=1 if kwargs.get("use_bias") is False else 2)


@pytest.mark.parametrize("kwargs, out_shape", [
    ({}, (2, 4, 4, 3)),
    ({"depth_multiplier": 2, "padding": "same", "strides": 2}, (2, 3, 3, 6)),
    ({"use_bias": False, "dilation_rate": 2, "activation": "relu"}, (2, 2, 2, 3)),
])
def test_depthwise_conv2d_harness(kwargs, out_shape):
    check_layer(lambda: L.DepthwiseConv2D(3, **kwargs), (2, 6, 6, 3),
                expected_output_shape=out_shape,
                expected_num_weights=1 if kwargs.get("use_bias") is False else 2)


@pytest.mark.parametrize("kwargs, out_shape", [
    ({}, (2, 4, 4, 5)),
    ({"depth_multiplier": 2, "padding": "same", "data_format": "channels_first"},
     (2, 5, 6, 6)),
])
def test_separable_conv2d_harness(kwargs, out_shape):
    shape = (2, 3, 6, 6) if kwargs.get("data_format") else (2, 6, 6, 3)
    check_layer(lambda: L.SeparableConv2D(5, 3, **kwargs), shape,
                expected_output_shape=out_shape, expected_num_weights=3)


# ---- numbers against the references -----------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {},
    {"strides": (2, 1), "padding": "same"},
    {"dilation_rate": (1, 2), "padding": "same"},
    {"kernel_size": (2, 3), "strides": 3},
])
def test_conv2d_matches_loops(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    layer = L.Conv2D(4, activation="relu", **kwargs)
    x = _random((2, 7, 8, 3))
    layer(x)
    _set_random_weights(layer)
    k, b = layer.get_weights()
    strides = tuple(np.broadcast_to(kwargs.get("strides", 1), 2))
    dilation = tuple(np.broadcast_to(kwargs.get("dilation_rate", 1), 2))
    want = np.maximum(conv2d_ref(x, k, strides, kwargs.get("padding", "valid"), dilation) + b,
                      0)
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-4, atol=1e-4)


def test_conv2d_channels_first_matches_channels_last():
    x = _random((2, 6, 5, 3))
    last = L.Conv2D(4, 3, padding="same")
    first = L.Conv2D(4, 3, padding="same", data_format="channels_first")
    last(x)
    first(x.transpose(0, 3, 1, 2))
    _set_random_weights(last)
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).numpy(),
                               last(x).numpy().transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)


def test_grouped_conv2d_is_independent_convolutions():
    x = _random((1, 5, 5, 4))
    layer = L.Conv2D(6, 3, groups=2)
    layer(x)
    _set_random_weights(layer)
    k, b = layer.get_weights()
    assert k.shape == (3, 3, 2, 6)
    want = np.concatenate([conv2d_ref(x[..., :2], k[..., :3]),
                           conv2d_ref(x[..., 2:], k[..., 3:])], axis=-1) + b
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding, dilation", [("valid", 1), ("same", 1), ("causal", 2)])
def test_conv1d_matches_loops(padding, dilation):
    x = _random((2, 9, 3))
    layer = L.Conv1D(4, 3, padding=padding, dilation_rate=dilation)
    layer(x)
    _set_random_weights(layer)
    k, b = layer.get_weights()
    pads = ((0, 0), (2 * dilation, 0)) if padding == "causal" else padding
    want = conv2d_ref(x[:, None], k[None], (1, 1), pads, (1, dilation))[:, 0] + b
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-4, atol=1e-4)


def test_causal_conv1d_output_depends_only_on_the_past():
    layer = L.Conv1D(2, 3, padding="causal")
    x = _random((1, 8, 2))
    y = layer(x).numpy()
    x2 = x.copy()
    x2[:, 5:] += 10.0
    np.testing.assert_allclose(layer(x2).numpy()[:, :5], y[:, :5], rtol=1e-6)


@pytest.mark.parametrize("strides, padding, output_padding", [
    ((1, 1), "valid", None), ((2, 2), "valid", None), ((2, 2), "same", None),
    ((2, 3), "same", (1, 2)), ((3, 2), "valid", (2, 1)), ((4, 4), "valid", None),
])
def test_conv2d_transpose_matches_scatter_loops(strides, padding, output_padding):
    layer = L.Conv2DTranspose(2, 3, strides=strides, padding=padding,
                              output_padding=output_padding)
    x = _random((2, 3, 4, 3))
    y = layer(x)
    _set_random_weights(layer)
    k, b = layer.get_weights()
    y = layer(x).numpy()
    want = conv_transpose_ref(x, k, y.shape[1:3], strides, padding) + b
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    """<conv2d(u, k), v> == <u, conv2d_transpose(v, k)> with the same kernel and geometry."""
    layer = L.Conv2DTranspose(2, 3, strides=2, padding="same", use_bias=False)
    v = _random((1, 4, 4, 3))
    u_hat = layer(v).numpy()
    k = layer.get_weights()[0]
    u = _random(u_hat.shape, seed=5)
    lhs = np.sum(conv2d_ref(u, k, (2, 2), "same") * v)
    np.testing.assert_allclose(lhs, np.sum(u * u_hat), rtol=1e-4)


@pytest.mark.parametrize("multiplier, strides, padding", [(1, 1, "valid"), (2, 2, "same"),
                                                          (3, 1, "same")])
def test_depthwise_conv2d_matches_loops(multiplier, strides, padding):
    layer = L.DepthwiseConv2D(3, strides=strides, padding=padding,
                              depth_multiplier=multiplier)
    x = _random((2, 6, 5, 3))
    layer(x)
    _set_random_weights(layer)
    k, b = layer.get_weights()
    want = depthwise_ref(x, k, (strides, strides), padding) + b
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-4, atol=1e-4)


def test_separable_conv2d_is_depthwise_then_pointwise():
    layer = L.SeparableConv2D(4, 3, depth_multiplier=2)
    x = _random((1, 5, 5, 3))
    layer(x)
    _set_random_weights(layer)
    dk, pk, b = layer.get_weights()
    assert (dk.shape, pk.shape) == ((3, 3, 3, 2), (1, 1, 6, 4))
    want = depthwise_ref(x, dk) @ pk[0, 0] + b
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-4, atol=1e-4)


def test_unknown_spatial_dims_in_a_functional_model():
    inp = lm.Input((None, None, 3))
    outs = [L.Conv2D(2, 3, padding="same")(inp), L.Conv2DTranspose(2, 3, strides=2)(inp),
            L.DepthwiseConv2D(3, depth_multiplier=2)(inp), L.SeparableConv2D(2, 3)(inp)]
    assert [o.shape[-1] for o in outs] == [2, 2, 6, 2]
    assert all(o.shape[:3] == (None, None, None) for o in outs)
    model = lm.Model(inp, outs)
    got = model.predict(_random((2, 5, 6, 3)))
    assert [g.shape for g in got] == [(2, 5, 6, 2), (2, 11, 13, 2), (2, 3, 4, 6), (2, 3, 4, 2)]


def test_conv_weights_shapes_and_config_round_trip():
    layer = L.Conv2D(8, (3, 2), strides=(2, 1), padding="Same", dilation_rate=1,
                     kernel_regularizer=lm.regularizers.L2(0.1), name="c")
    layer(np.zeros((1, 6, 6, 3), np.float32))
    assert layer.kernel.shape == (3, 2, 3, 8) and layer.bias.shape == (8,)
    config = layer.get_config()
    assert config["padding"] == "same" and config["kernel_size"] == (3, 2)
    assert config["strides"] == (2, 1) and config["data_format"] == "channels_last"
    assert len(layer.losses) == 1
    assert L.Conv2DTranspose(2, 3).kernel_size == (3, 3)
    config = L.Conv2DTranspose(2, 3, strides=2, output_padding=1).get_config()
    assert config["output_padding"] == (1, 1)


def test_small_cnn_trains_with_compiled_fit():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.int32)
    lm.random.seed(0)
    model = lm.Sequential([lm.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"),
                           L.MaxPooling2D(), L.Conv2D(4, 1), L.GlobalAveragePooling2D(),
                           L.Dense(2)])
    model.compile(optimizer=lm.optimizers.Adam(0.02),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: L.Conv2D(-1, 3), "filters must be a positive integer, received -1"),
    (lambda: L.Conv2D(0, 3), "filters must be a positive integer"),
    (lambda: L.Conv2D(2.5, 3), "filters must be a positive integer"),
    (lambda: L.Conv2D(2, 0), r"kernel_size must be an integer >= 1 or a tuple of 2"),
    (lambda: L.Conv2D(2, (3, 3, 3)), r"kernel_size must be .* received kernel_size=\(3, 3, 3\)"),
    (lambda: L.Conv2D(2, 3, strides=0), "strides must be an integer >= 1"),
    (lambda: L.Conv2D(2, 3, padding="full"), r"padding must be one of \('valid', 'same'\)"),
    (lambda: L.Conv2D(2, 3, padding="causal"), "received padding='causal'"),
    (lambda: L.Conv1D(2, 3, padding=1), r"padding must be one of \('valid', 'same', 'causal'"),
    (lambda: L.Conv2D(2, 3, strides=2, dilation_rate=2), "strides > 1 is not supported"),
    (lambda: L.Conv2D(3, 3, groups=2), "filters must be divisible by groups"),
    (lambda: L.Conv2D(2, 3, groups=0), "groups must be a positive integer"),
    (lambda: L.Conv2D(2, 3, data_format="NHWC"), "data_format must be 'channels_last' or"),
    (lambda: L.Conv2D(2, 3, activation="relux"), "Unknown activation 'relux'"),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, output_padding=2),
     "output_padding must be smaller than strides"),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier must be a positive"),
    (lambda: L.SeparableConv2D(0, 3), "filters must be a positive integer"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        L.Conv2D(2, 3, filterz=3)


def test_kernel_larger_than_input_names_the_layer_and_shapes():
    layer = L.Conv2D(2, 5, name="big")
    with pytest.raises(ValueError, match=r"Layer 'big' \(Conv2D\) cannot apply its kernel of "
                                         r"size \(5, 5\).*input of shape \(2, 3, 3, 1\).*at "
                                         r"least the dilated kernel size \(5, 5\)"):
        layer(np.zeros((2, 3, 3, 1), np.float32))
    layer = L.Conv1D(2, 3, dilation_rate=3, name="dil")
    with pytest.raises(ValueError, match=r"'dil'.*\(1, 6, 2\).*\(7,\)"):
        layer(np.zeros((1, 6, 2), np.float32))
    with pytest.raises(ValueError, match=r"Layer 'sym'.*shape \(None, 2, 2, 1\)"):
        L.Conv2D(2, 3, name="sym")(lm.Input((2, 2, 1)))
    # a later call with a smaller input fails the same way
    layer = L.Conv2D(2, 3, name="later")
    layer(np.zeros((1, 5, 5, 1), np.float32))
    with pytest.raises(ValueError, match=r"'later'.*\(1, 2, 5, 1\)"):
        layer(np.zeros((1, 2, 5, 1), np.float32))
    # "same" padding always fits
    assert L.Conv2D(2, 5, padding="same")(np.zeros((1, 3, 3, 1), np.float32)).shape == \
        (1, 3, 3, 2)


def test_empty_transposed_output_is_an_error():
    layer = L.Conv2DTranspose(2, 2, padding="same", output_padding=0, name="tiny")
    with pytest.raises(ValueError, match=r"Layer 'tiny'.*\(1, 1, 1, 1\)"):
        layer(np.zeros((1, 1, 1, 1), np.float32))


@pytest.mark.parametrize("make, shape, ndim", [
    (lambda: L.Conv2D(2, 3, name="r"), (2, 8, 8), 4),
    (lambda: L.Conv1D(2, 3, name="r"), (2, 8, 8, 1), 3),
    (lambda: L.Conv2DTranspose(2, 3, name="r"), (8, 8), 4),
    (lambda: L.DepthwiseConv2D(3, name="r"), (2, 8, 8, 1, 1), 4),
])
def test_wrong_input_rank(make, shape, ndim):
    with pytest.raises(ValueError, match=rf"layer 'r' is incompatible.*expected ndim={ndim}, "
                                         rf"received ndim={len(shape)}"):
        make()(np.zeros(shape, np.float32))


def test_wrong_channel_count_after_build():
    layer = L.Conv2D(2, 3, name="ch")
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"'ch' is incompatible.*axis -1.*value 3.*"
                                         r"\(1, 5, 5, 4\)"):
        layer(np.zeros((1, 5, 5, 4), np.float32))


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r"divisible by groups=2.*\(1, 5, 5, 3\)"):
        L.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), np.float32))


def test_unknown_channels_are_rejected():
    with pytest.raises(ValueError, match="channel dimension of its input"):
        L.Conv2D(2, 3)(lm.Input((5, 5, None)))


def test_default_names_follow_keras():
    # Keras keeps a digit and the capital after it together: conv2d, not conv2_d.
    assert re.fullmatch(r"conv2d(_\d+)?", L.Conv2D(2, 3).name)
    assert re.fullmatch(r"conv2d_transpose(_\d+)?", L.Conv2DTranspose(2, 3).name)
    assert re.fullmatch(r"depthwise_conv2d(_\d+)?", L.DepthwiseConv2D(3).name)
