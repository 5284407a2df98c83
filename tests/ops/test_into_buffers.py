"""Forwards that take ``into=`` (compiled plans pass their buffers) give, in that buffer, the
numbers of the forward without it, bit for bit, on the NumPy paths too (no numba kernel; the
GPU's code), whatever the buffer held before."""
import numpy as np
import pytest

from lamina.backends import numba_kernels
from lamina.ops import nn, pooling

POOLS = [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "VALID"), ((2, 2), (2, 2), "SAME"),
         ((3, 3), (1, 1), "SAME")]


def _garbage(shape):
    return np.full(shape, np.nan, np.float32)


@pytest.mark.parametrize("ksize, strides, padding", POOLS)
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("kernels", [True, False])
def test_max_pool_gradient_into_a_buffer(ksize, strides, padding, relu, kernels, monkeypatch):
    if not kernels:
        monkeypatch.setattr(numba_kernels, "for_arrays", lambda *a: None)
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((2, 7, 8, 3)) * 2).astype(np.float32) / 2   # ties
    out = pooling._max_forward(np, x, ksize, strides, padding)
    g = rng.standard_normal(out.shape).astype(np.float32)
    want = pooling._max_grad_forward(np, x, out, g, ksize, strides, padding, relu=relu)
    into = _garbage(x.shape)
    got = pooling._max_grad_forward(np, x, out, g, ksize, strides, padding, into=into,
                                    relu=relu)
    np.testing.assert_array_equal(into, want)     # the plan reads the buffer
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("ksize, strides, padding", POOLS)
@pytest.mark.parametrize("kernels", [True, False])
def test_combine_patches_into_a_buffer(ksize, strides, padding, kernels, monkeypatch):
    if not kernels:
        monkeypatch.setattr(numba_kernels, "for_arrays", lambda *a: None)
    rng = np.random.default_rng(1)
    like = np.empty((2, 7, 8, 3), np.float32)
    patches = nn._extract_forward(np, rng.standard_normal(like.shape).astype(np.float32),
                                  ksize, strides, (1, 1), padding, 0.0)
    p = rng.standard_normal(patches.shape).astype(np.float32)
    want = nn._combine_forward(np, p, like, ksize, strides, (1, 1), padding)
    into = _garbage(like.shape)
    got = nn._combine_forward(np, p, like, ksize, strides, (1, 1), padding, into=into)
    np.testing.assert_array_equal(into, want)     # the plan reads the buffer
    np.testing.assert_array_equal(got, want)
