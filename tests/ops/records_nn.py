"""Records for lm.nn (lamina/ops/nn.py) and the random draws it uses (lamina/ops/random.py).

Convolution and pooling are checked against plain float64 NumPy loops written here from
TensorFlow's definitions. Random draws cannot match a reference value, so their records check
properties that hold for every draw (a range, a 0/1 value), written so the result is exact.
"""
import numpy as np

import lamina as lm
from tests.ops.harness import Fixed, OpRecord, distinct, positive


# ---- references -----------------------------------------------------------------------------
def _pad_amounts(size, k, stride, dilation, padding):
    """(before, after) padding of one spatial axis, following TensorFlow."""
    if padding == "VALID":
        return 0, 0
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
        return total // 2, total - total // 2
    return padding


def _windows(x, ksize, strides, dilations, padding, fill):
    """Yields (i, j, window) over a padded NHWC input; window is (N, KH, KW, C)."""
    (kh, kw), (sh, sw), (dh, dw) = ksize, strides, dilations
    pads = [_pad_amounts(n, k, s, d, p) for n, k, s, d, p in
            zip(x.shape[1:3], ksize, strides, dilations, padding)]
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=fill)
    oh = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    for i in range(oh):
        for j in range(ow):
            rows = [i * sh + a * dh for a in range(kh)]
            cols = [j * sw + b * dw for b in range(kw)]
            yield i, j, oh, ow, xp[:, rows][:, :, cols]


def conv2d_ref(x, w, strides=(1, 1), padding=("VALID", "VALID"), dilations=(1, 1)):
    out = None
    for i, j, oh, ow, win in _windows(x, w.shape[:2], strides, dilations, padding, 0.0):
        if out is None:
            out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
        for a in range(w.shape[0]):
            for b in range(w.shape[1]):
                out[:, i, j] += win[:, a, b] @ w[a, b]
    return out


def pool_ref(x, ksize, strides, padding, kind):
    ones = np.ones(x.shape[:3] + (1,))
    fill = -np.inf if kind == "max" else 0.0
    wins = list(_windows(x, ksize, strides, (1, 1), padding, fill))
    counts = [w for *_, w in _windows(ones, ksize, strides, (1, 1), padding, 0.0)]
    oh, ow = wins[0][2], wins[0][3]
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for (i, j, _, _, win), count in zip(wins, counts):
        if kind == "max":
            out[:, i, j] = win.max(axis=(1, 2))
        else:
            out[:, i, j] = win.sum(axis=(1, 2)) / count.sum(axis=(1, 2))
    return out


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _labels(shape, classes):
    return Fixed(lambda rng: rng.integers(0, classes, shape).astype(np.int32))


# ---- records --------------------------------------------------------------------------------
def _conv(shape_x, shape_w, strides, padding, dilations=1, grad2=False):
    """A conv2d record; ``padding`` is "VALID", "SAME" or TF's explicit 4 pairs."""
    s = (strides, strides) if isinstance(strides, int) else strides
    s = tuple(s[1:3]) if len(s) == 4 else tuple(s)
    d = (dilations, dilations) if isinstance(dilations, int) else dilations
    p = (padding, padding) if isinstance(padding, str) else tuple(padding[1:3])
    return OpRecord("nn.conv2d",
                    lambda x, w: lm.nn.conv2d(x, w, strides, padding, dilations=dilations),
                    lambda x, w: conv2d_ref(x, w, s, p, d), [(shape_x, shape_w)],
                    grad2=grad2, rtol=1e-4, atol=1e-5)


def _conv1d_ref(x, w, stride, padding, dilation=1):
    pad = padding if isinstance(padding, str) else tuple(padding[1])
    out = conv2d_ref(x[:, None], w[None], (1, stride), ("VALID", pad), (1, dilation))
    return out[:, 0]


def _conv2d_input_grad(dy, w, x_shape, strides, padding):
    """The gradient of conv2d with respect to its input, as a function of (dy, w)."""
    x = lm.zeros(x_shape, dtype=dy.dtype)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = lm.nn.conv2d(x, w, strides, padding)
    return tape.gradient(y, x, output_gradients=dy)


def _conv2d_input_grad_ref(dy, w, x_shape, strides, padding):
    """d/dx of sum(conv2d(x, w) * dy), column by column of the (linear) reference."""
    out = np.zeros(x_shape)
    flat = out.reshape(-1)
    for k in range(flat.size):
        e = np.zeros(x_shape)
        e.reshape(-1)[k] = 1.0
        flat[k] = np.sum(conv2d_ref(e, w, strides, padding) * dy)
    return out


def _pool(kind, shape, ksize, strides, padding, **kwargs):
    fn = lm.nn.max_pool2d if kind == "max" else lm.nn.avg_pool2d
    k = (ksize, ksize) if isinstance(ksize, int) else ksize
    s = (strides, strides) if isinstance(strides, int) else strides
    s = tuple(s[1:3]) if len(s) == 4 else tuple(s)
    p = (padding, padding) if isinstance(padding, str) else tuple(padding[1:3])
    return OpRecord(f"nn.{kind}_pool2d", lambda x: fn(x, ksize, strides, padding),
                    lambda x: pool_ref(x, k, s, p, kind), [(shape,)], distinct,
                    rtol=1e-4, **kwargs)


def _pool1d(kind, shape, ksize, strides, padding):
    fn = lm.nn.max_pool1d if kind == "max" else lm.nn.avg_pool1d

    def ref(x):
        return pool_ref(x[:, None], (1, ksize), (1, strides), ("VALID", padding), kind)[:, 0]

    return OpRecord(f"nn.{kind}_pool1d", lambda x: fn(x, ksize, strides, padding), ref,
                    [(shape,)], distinct, rtol=1e-4)


def _batch_norm(x, mean, var, offset, scale):
    return (x - mean) / np.sqrt(var * var + 0.5 + 1e-3) * scale + offset


def _sparse_ce(labels, logits):
    logp = _log_softmax(logits)
    return -np.take_along_axis(logp, labels[..., None].astype(np.int64), -1)[..., 0]


def _moments_ref(x, axes, keepdims=False):
    return x.mean(axis=axes, keepdims=keepdims), x.var(axis=axes, keepdims=keepdims)


SOFTMAX_SHAPES = [((5,),), ((2, 3),), ((2, 3, 4),)]

RECORDS = [
    # softmax family
    OpRecord("nn.softmax", lm.nn.softmax, _softmax, SOFTMAX_SHAPES, grad2=True),
    OpRecord("nn.softmax", lambda x: lm.nn.softmax(x, axis=0), lambda x: _softmax(x, 0),
             [((3, 4),)], grad2=True),
    OpRecord("nn.log_softmax", lm.nn.log_softmax, _log_softmax, SOFTMAX_SHAPES, grad2=True),
    OpRecord("nn.log_softmax", lambda x: lm.nn.log_softmax(x, axis=1),
             lambda x: _log_softmax(x, 1), [((2, 3, 4),)], grad2=True),
    # conv2d: strides 1 and 2, SAME and VALID, dilation, kernel sizes 1 and 3, odd sizes
    _conv((2, 5, 5, 3), (3, 3, 3, 2), 1, "SAME", grad2=True),
    _conv((2, 5, 5, 3), (3, 3, 3, 2), 1, "VALID"),
    _conv((1, 5, 6, 2), (3, 3, 2, 3), 2, "SAME"),
    _conv((1, 7, 5, 2), (3, 3, 2, 2), 2, "VALID"),
    _conv((1, 7, 7, 2), (3, 3, 2, 2), 1, "SAME", dilations=2),
    _conv((1, 7, 6, 2), (3, 2, 2, 2), [1, 2, 1, 1], "VALID", dilations=[1, 2]),
    _conv((2, 4, 5, 3), (1, 1, 3, 4), 1, "VALID", grad2=True),
    _conv((2, 5, 5, 3), (1, 1, 3, 4), 2, "SAME"),
    _conv((2, 5, 5, 1), (3, 3, 1, 2), 1, "SAME", grad2=True),
    _conv((1, 4, 4, 2), (2, 2, 2, 3), 2, "VALID"),
    _conv((1, 4, 5, 2), (3, 3, 2, 2), 1, [[0, 0], [1, 2], [0, 1], [0, 0]]),
    OpRecord("nn.conv2d",
             lambda x, w: lm.nn.conv2d(x, w, [1, 1, 2, 2], "SAME", data_format="NCHW"),
             lambda x, w: conv2d_ref(x.transpose(0, 2, 3, 1), w, (2, 2),
                                     ("SAME", "SAME")).transpose(0, 3, 1, 2),
             [((1, 2, 5, 5), (3, 3, 2, 3))], rtol=1e-4, atol=1e-5),
    # the input gradient of conv2d as a function of (dy, w): builds col2im in the forward
    OpRecord("nn.conv2d",
             lambda dy, w: _conv2d_input_grad(dy, w, (1, 5, 5, 2), 2, "SAME"),
             lambda dy, w: _conv2d_input_grad_ref(dy, w, (1, 5, 5, 2), (2, 2),
                                                  ("SAME", "SAME")),
             [((1, 3, 3, 3), (3, 3, 2, 3))], rtol=1e-4, atol=1e-5),
    OpRecord("nn.conv2d",
             lambda dy, w: _conv2d_input_grad(dy, w, (1, 4, 4, 2), 2, "VALID"),
             lambda dy, w: _conv2d_input_grad_ref(dy, w, (1, 4, 4, 2), (2, 2),
                                                  ("VALID", "VALID")),
             [((1, 2, 2, 3), (2, 2, 2, 3))], rtol=1e-4, atol=1e-5),
    # conv1d
    OpRecord("nn.conv1d", lambda x, w: lm.nn.conv1d(x, w, 1, "SAME"),
             lambda x, w: _conv1d_ref(x, w, 1, "SAME"), [((2, 7, 3), (3, 3, 2))],
             rtol=1e-4, atol=1e-5, grad2=True),
    OpRecord("nn.conv1d", lambda x, w: lm.nn.conv1d(x, w, 2, "VALID", dilations=2),
             lambda x, w: _conv1d_ref(x, w, 2, "VALID", 2), [((2, 9, 2), (3, 2, 3))],
             rtol=1e-4, atol=1e-5),
    OpRecord("nn.conv1d", lambda x, w: lm.nn.conv1d(x, w, [1, 2, 1], "SAME"),
             lambda x, w: _conv1d_ref(x, w, 2, "SAME"), [((1, 6, 2), (1, 2, 2))],
             rtol=1e-4, atol=1e-5),
    OpRecord("nn.conv1d",
             lambda x, w: lm.nn.conv1d(x, w, 1, [[0, 0], [2, 0], [0, 0]]),
             lambda x, w: _conv1d_ref(x, w, 1, [[0, 0], [2, 0], [0, 0]]),
             [((1, 5, 2), (3, 2, 2))], rtol=1e-4, atol=1e-5),
    # pooling: VALID and SAME (odd sizes, so SAME pads), strides 1 and 2, ksize 1 and 3
    _pool("max", (2, 4, 4, 3), 2, 2, "VALID"),
    _pool("max", (1, 5, 5, 2), 3, 2, "SAME"),
    _pool("max", (1, 5, 4, 2), 3, 1, "SAME"),
    _pool("max", (1, 5, 5, 2), [2, 3], [1, 2, 1, 1], "VALID"),
    _pool("max", (1, 5, 5, 2), 1, 2, "VALID"),
    _pool("max", (1, 4, 4, 2), 2, 2, [[0, 0], [1, 1], [0, 1], [0, 0]]),
    _pool("avg", (2, 4, 4, 3), 2, 2, "VALID", grad2=True),
    _pool("avg", (1, 5, 5, 2), 3, 2, "SAME", grad2=True),
    _pool("avg", (1, 5, 4, 2), 3, 1, "SAME"),
    _pool("avg", (1, 5, 5, 2), [2, 3], 1, "VALID"),
    _pool1d("max", (2, 7, 3), 2, 2, "SAME"),
    _pool1d("avg", (2, 7, 3), 3, 2, "SAME"),
    OpRecord("nn.max_pool", lambda x: lm.nn.max_pool(x, 2, 1, "VALID"),
             lambda x: pool_ref(x, (2, 2), (1, 1), ("VALID", "VALID"), "max"),
             [((1, 3, 4, 2),)], distinct),
    OpRecord("nn.avg_pool", lambda x: lm.nn.avg_pool(x, 2, 2, "SAME"),
             lambda x: pool_ref(x[:, None], (1, 2), (1, 2), ("VALID", "SAME"), "avg")[:, 0],
             [((2, 5, 3),)]),
    OpRecord("nn.max_pool2d",
             lambda x: lm.nn.max_pool2d(x, [1, 1, 2, 2], [1, 1, 2, 2], "SAME", "NCHW"),
             lambda x: pool_ref(x.transpose(0, 2, 3, 1), (2, 2), (2, 2), ("SAME", "SAME"),
                                "max").transpose(0, 3, 1, 2),
             [((1, 2, 5, 5),)], distinct),
    # dropout: the real behaviour (random masks) is tested in tests/test_random.py
    OpRecord("nn.dropout", lambda x: lm.nn.dropout(x, 0.0), lambda x: x, [((3, 4),)]),
    # every kept element is x / (1 - rate), every other one 0: so d * (d - 2x) == 0 exactly
    OpRecord("nn.dropout", lambda x: (lambda d: d * (d - 2.0 * x))(lm.nn.dropout(x, 0.5)),
             np.zeros_like, [((3, 4),)], grad=False),
    OpRecord("nn.dropout",
             lambda x: (lambda d: d * (d - 4.0 * x))(lm.nn.dropout(x, 0.75, [3, 1])),
             np.zeros_like, [((3, 4),)], grad=False),
    # normalization
    OpRecord("nn.batch_normalization",
             lambda x, mean, var, offset, scale: lm.nn.batch_normalization(
                 x, mean, var * var + 0.5, offset, scale, 1e-3),
             _batch_norm, [((4, 3), (3,), (3,), (3,), (3,))], grad2=True),
    OpRecord("nn.batch_normalization",
             lambda x, mean, var: lm.nn.batch_normalization(x, mean, var, None, None, 0.0),
             lambda x, mean, var: (x - mean) / np.sqrt(var), [((2, 3), (3,), (3,))],
             positive),
    OpRecord("nn.moments", lambda x: lm.nn.moments(x, [0])[0],
             lambda x: _moments_ref(x, 0)[0], [((4, 3),)], grad2=True),
    OpRecord("nn.moments", lambda x: lm.nn.moments(x, [0, 2], keepdims=True)[1],
             lambda x: _moments_ref(x, (0, 2), True)[1], [((2, 3, 4),)], grad2=True),
    OpRecord("nn.l2_normalize", lm.nn.l2_normalize,
             lambda x: x / np.sqrt(np.sum(x * x)), [((5,),), ((2, 3),)], grad2=True),
    OpRecord("nn.l2_normalize", lambda x: lm.nn.l2_normalize(x, axis=1),
             lambda x: x / np.sqrt(np.sum(x * x, axis=1, keepdims=True)), [((3, 4),)],
             grad2=True),
    # losses
    OpRecord("nn.sparse_softmax_cross_entropy_with_logits",
             lambda y, x: lm.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x),
             _sparse_ce, [(_labels((4,), 5), (4, 5)), (_labels((2, 3), 4), (2, 3, 4))],
             grad2=True),
    OpRecord("nn.softmax_cross_entropy_with_logits",
             lambda y, x: lm.nn.softmax_cross_entropy_with_logits(labels=y, logits=x),
             lambda y, x: -np.sum(y * _log_softmax(x), -1), [((4, 5), (4, 5))], grad2=True),
    OpRecord("nn.softmax_cross_entropy_with_logits",
             lambda y, x: lm.nn.softmax_cross_entropy_with_logits(y, x, axis=0),
             lambda y, x: -np.sum(y * _log_softmax(x, 0), 0), [((3, 2), (3, 2))]),
    OpRecord("nn.sigmoid_cross_entropy_with_logits",
             lambda z, x: lm.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
             lambda z, x: np.logaddexp(0, x) - x * z, [((3, 4), (3, 4))], grad2=True),
    # activations only lm.nn has (the others are lm's own, tested in records_math)
    OpRecord("nn.relu6", lm.nn.relu6, lambda x: np.clip(x, 0, 6),
             [((5,),)], lambda rng, s: rng.uniform(0.2, 2.0, s) * rng.choice([-1, 4], s)),
    OpRecord("nn.leaky_relu", lm.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x),
             [((5,),)], lambda rng, s: rng.uniform(0.2, 2.0, s) * rng.choice([-1, 1], s)),
    OpRecord("nn.silu", lambda x: lm.nn.silu(x, beta=2.0),
             lambda x: x / (1 + np.exp(-2 * x)), [((5,),)], grad2=True),
    OpRecord("nn.bias_add", lm.nn.bias_add, lambda x, b: x + b, [((2, 3, 4), (4,))]),
    OpRecord("nn.bias_add", lambda x, b: lm.nn.bias_add(x, b, data_format="NCHW"),
             lambda x, b: x + b[:, None, None], [((2, 3, 2, 2), (3,))]),
    # random draws: exact properties of every draw (values are checked in test_random.py)
    OpRecord("random.uniform",
             lambda x: x + lm.floor(lm.random.uniform(x.shape, dtype=x.dtype)),
             lambda x: x, [((3, 4),)]),
    OpRecord("random.uniform",
             lambda x: x + lm.cast(lm.random.uniform(x.shape, 3, 5, dtype="int32") // 3 - 1,
                                   x.dtype), lambda x: x, [((3, 4),)]),
    OpRecord("random.normal",
             lambda x: x + 0.0 * lm.random.normal(x.shape, dtype=x.dtype),
             lambda x: x, [((3, 4),)]),
    OpRecord("random.truncated_normal",
             lambda x: x + lm.floor(lm.abs(lm.random.truncated_normal(x.shape, dtype=x.dtype))
                                    / 2.0000001), lambda x: x, [((3, 4),)]),
    OpRecord("random.bernoulli",
             lambda x: x + (lambda b: b * (1.0 - b))(lm.random.bernoulli(x.shape, 0.5,
                                                                         x.dtype)),
             lambda x: x, [((3, 4),)]),
    OpRecord("random.categorical",
             lambda x: x + lm.cast(lm.random.categorical(lm.zeros((3, 3)), 4) // 3, x.dtype),
             lambda x: x, [((3, 4),)]),
    OpRecord("random.shuffle", lambda x: lm.sum(lm.random.shuffle(x), axis=0),
             lambda x: np.sum(x, axis=0), [((4, 3),)], grad=False),
]
