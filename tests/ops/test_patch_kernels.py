"""The numba kernels behind max-pooling gradients and col2im (lamina/backends/numba_kernels.py)
give the NumPy code's numbers bit for bit: ties, padding, overlapping and tiled windows,
strides, dilations, float32 and float64."""
import numpy as np
import pytest

from lamina.backends import numba_kernels
from lamina.ops import nn, pooling

pytestmark = pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed")


def _with_and_without_kernels(monkeypatch, fn, *args):
    with_kernels = np.asarray(fn(np, *args))
    monkeypatch.setattr(numba_kernels, "for_arrays", lambda *a: None)
    without = np.asarray(fn(np, *args))
    monkeypatch.undo()
    return with_kernels, without


POOLS = [((2, 2), (2, 2), "VALID"), ((2, 2), (2, 2), "SAME"), ((3, 3), (2, 2), "SAME"),
         ((3, 3), (1, 1), "VALID"), ((3, 2), (1, 2), "SAME"), ((2, 2), (1, 1), "SAME")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ksize, strides, padding", POOLS)
@pytest.mark.parametrize("hw", [(7, 7), (8, 6)])
@pytest.mark.parametrize("relu", [False, True])
def test_max_pool_grad_kernel(dtype, ksize, strides, padding, hw, relu, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *hw, 3)).astype(dtype)
    x[0, 0, :3] = 1.0                      # tied maxima share the gradient
    x[1, -1, -2:] = -np.inf                # ties with the padding's -inf
    x[1, 0, :2] = 0.0                      # a ReLU's zeros: masked out
    out = pooling._max_forward(np, x, ksize, strides, padding)
    g = rng.standard_normal(out.shape).astype(dtype)

    def grad(xp, *args):
        return pooling._max_grad_forward(xp, *args, relu=relu)

    a, b = _with_and_without_kernels(monkeypatch, grad, x, out, g, ksize, strides, padding)
    assert a.shape == b.shape == x.shape and a.dtype == b.dtype == dtype
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
    if relu:   # the folded mask equals ReluGrad after the plain gradient, bit for bit
        plain = np.asarray(pooling._max_grad_forward(np, x, out, g, ksize, strides, padding))
        np.testing.assert_array_equal(a, plain * (x > 0))


CONVS = [((3, 3), (1, 1), (1, 1), "VALID"), ((3, 3), (1, 1), (1, 1), "SAME"),
         ((3, 3), (2, 2), (1, 1), "SAME"), ((2, 3), (1, 2), (2, 1), "SAME"),
         ((5, 5), (2, 2), (1, 1), "VALID"), ((3, 3), (1, 1), (1, 1), ((2, 0), (1, 3)))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ksize, strides, dilations, padding", CONVS)
def test_combine_patches_kernel(dtype, ksize, strides, dilations, padding, monkeypatch):
    rng = np.random.default_rng(1)
    like = np.empty((2, 9, 8, 4), dtype)
    shape = nn._extract_forward(np, like, ksize, strides, dilations, padding, 0.0).shape
    p = rng.standard_normal(shape).astype(dtype)
    a, b = _with_and_without_kernels(monkeypatch, nn._combine_forward, p, like, ksize,
                                     strides, dilations, padding)
    assert a.shape == b.shape == like.shape
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (7, 5), (7, 2, 3)])
def test_add_rows_kernel(dtype, shape, monkeypatch):
    """An embedding's gradient: duplicate and negative rows add up. The kernel adds in index
    order; NumPy's sort + reduceat groups the sums its own way, so both are held to the
    float64 reference (float32 rounding), not to each other bit for bit."""
    from lamina.ops import indexing
    rng = np.random.default_rng(3)
    rows = rng.integers(-7, 7, size=40)
    values = rng.standard_normal((40,) + shape[1:]).astype(dtype)

    def scatter(xp, values, rows):
        out = np.zeros(shape, dtype)
        indexing._add_rows(out, rows, values)
        return out

    a, b = _with_and_without_kernels(monkeypatch, scatter, values, rows)
    want = np.zeros(shape, np.float64)
    np.add.at(want, rows, values.astype(np.float64))
    for got in (a, b):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_kernel_is_numpys_add_then_maximum(dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((9, 7)).astype(dtype)
    b = rng.standard_normal(7).astype(dtype)
    x[0, :3] = [np.nan, -0.0, 0.0]
    b[:3] = [1.0, -0.0, -0.0]              # NaN stays NaN; maximum(-0.0, 0) is +0.0
    out = np.empty_like(x)
    numba_kernels.kernels()["bias_relu"](x, b, out)
    want = np.maximum(x + b, 0)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_relu_kernels_equal_the_out_of_place_ones(dtype):
    """bias_relu_into_x and relu_grad_into_g / _into_x (what compiled plans call when the
    output reuses an input's buffer) give the out-of-place kernels' numbers bit for bit."""
    rng = np.random.default_rng(8)
    kernels = numba_kernels.kernels()
    x = rng.standard_normal((33, 17)).astype(dtype)
    b = rng.standard_normal(17).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    x[0, :3], b[:3], g[1, 0] = [np.nan, -0.0, 0.0], [1.0, -0.0, -0.0], np.nan
    want = np.empty_like(x)
    kernels["bias_relu"](x, b, want)
    got = x.copy()
    kernels["bias_relu_into_x"](got, b)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    want = np.empty(x.size, dtype)
    kernels["relu_grad"](g.ravel(), x.ravel(), want)
    into_g, into_x = g.ravel().copy(), x.ravel().copy()
    kernels["relu_grad_into_g"](into_g, x.ravel())
    kernels["relu_grad_into_x"](g.ravel(), into_x)
    for got in (into_g, into_x):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_two_pass_cross_entropy_equals_the_one_kernel(dtype):
    """xent_shift, NumPy's exp and xent_normalize (larger batches) against xent_forward and
    a float64 reference: the same loss and softmax up to the exp's last bit."""
    rng = np.random.default_rng(9)
    logits = (rng.standard_normal((37, 11)) * 5).astype(dtype)
    logits[0] = [1e4, -1e4, *[0.0] * 9]              # exact for logits far apart
    labels = rng.integers(0, 11, 37).astype(np.int32)
    labels[0] = 1
    kernels = numba_kernels.kernels()
    loss, probs = np.empty(37, dtype), np.empty((37, 11), dtype)
    kernels["xent_forward"](logits, labels, loss, probs)
    loss2, probs2 = np.empty(37, dtype), np.empty((37, 11), dtype)
    kernels["xent_shift"](logits, labels, loss2, probs2)
    np.exp(probs2, out=probs2)
    kernels["xent_normalize"](loss2, probs2)
    z = logits.astype(np.float64) - logits.max(1, keepdims=True)
    want = np.log(np.exp(z).sum(1)) - z[np.arange(37), labels]
    assert loss2[0] == 2e4
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(loss2, want, rtol=8 * eps, atol=8 * eps)
    np.testing.assert_allclose(loss2, loss, rtol=4 * eps, atol=4 * eps)
    np.testing.assert_allclose(probs2, probs, rtol=4 * eps, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ksize", [(2, 2), (3, 3), (1, 2), (2, 5), (4, 8)])
@pytest.mark.parametrize("hw", [(8, 10), (9, 11)])
def test_bias_relu_pool_kernels_are_bias_relu_then_max_pool(dtype, ksize, hw):
    """bias_relu_pool and pool_mask_grad give the numbers of bias + ReLU, max pooling and its
    gradient with the ReLU mask folded in, bit for bit: ties (rounded data), NaN, windows
    that leave rows and columns over, masks of 8 to 32 bits."""
    from lamina.graph.passes.bias_relu_pool import mask_dtype

    rng = np.random.default_rng(7)
    z = np.round(rng.standard_normal((3, *hw, 5)) * 2).astype(dtype) / 2   # many ties
    b = np.round(rng.standard_normal(5) * 2).astype(dtype) / 2
    z[0, 0, 0, 0] = np.nan
    z[1, 1, 1, 1] = np.nan
    z[1, 0, 0, 1] = np.inf
    kernels = numba_kernels.kernels()
    act = np.empty_like(z)
    kernels["bias_relu"](z.reshape(-1, 5), b, act.reshape(-1, 5))
    pooled = pooling._max_forward(np, act, ksize, ksize, "VALID")
    g = rng.standard_normal(pooled.shape).astype(dtype)
    g[0, 0, 0, 2] = -g[0, 0, 0, 2] if g[0, 0, 0, 2] > 0 else g[0, 0, 0, 2]  # a negative share
    want_grad = pooling._max_grad_forward(np, act, pooled, g, ksize, ksize, "VALID", relu=True)

    out = np.empty_like(pooled)
    mask = np.empty(pooled.shape, mask_dtype(ksize))
    kernels["bias_relu_pool"](z, b, *ksize, out, mask)
    grad = np.full_like(z, 7.0)            # every cell is written, those of no window with 0
    kernels["pool_mask_grad"](out, mask, g, *ksize, grad, np.empty(0))
    for got, want in ((out, pooled), (grad, want_grad)):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    # with the per-channel sums (a bias gradient): the same gradient, and its float64 sum
    sums, again = np.full(5, 7.0), np.full_like(z, 7.0)
    kernels["pool_mask_grad"](out, mask, g, *ksize, again, sums)
    np.testing.assert_array_equal(again, grad)
    want_sums = grad.astype(np.float64).sum((0, 1, 2))
    np.testing.assert_allclose(sums, want_sums, rtol=1e-12, atol=1e-12)
    assert np.isnan(sums).tolist() == np.isnan(want_sums).tolist()
