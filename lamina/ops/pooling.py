"""Pooling primitives: max and average pooling over NHWC windows, and their gradients.

Each window position (i, j) of a KH x KW window is a strided view of the (padded) input,
``x[:, i::sh, j::sw]`` cut to the output size, so pooling is KH*KW - 1 elementwise calls on
views: no copy of the windows (im2col), no reduction over middle axes (both slow in NumPy).
The gradients add into the same strided views.

Max pooling sends the gradient of each window to its maximum; tied maxima share it equally
(the rule of ``lm.max``). Average pooling divides by the number of real (unpadded) cells.
MaxPool/MaxPoolGrad and AvgPool/AvgPoolGrad are primitive pairs: AvgPoolGrad is AvgPool's
transpose (and so its gradient is AvgPool); MaxPoolGrad's gradient is written with the
patches primitives, which is slow but only second-order gradients use it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backends import numba_kernels
from . import math as m
from .registry import ANY, Aval, bind, defprim


def _geometry(hw: tuple, ksize: tuple, strides: tuple, padding: Any) -> tuple:
    from .nn import _pads
    pads = _pads(hw, ksize, strides, (1, 1), padding)
    size = [n + a + b for n, (a, b) in zip(hw, pads)]
    out = [(n - k) // s + 1 for n, k, s in zip(size, ksize, strides)]
    return pads, out


def _padded(xp, x, pads, value):
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    from .nn import _pad_input
    return _pad_input(xp, x, pads, value)


def _windows(x, ksize, strides, out_hw):
    """(i, j, view) for each window position: the cells each window takes at (i, j)."""
    (kh, kw), (sh, sw), (oh, ow) = ksize, strides, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]


def _max_forward(xp, x, ksize, strides, padding, into=None):
    pads, out_hw = _geometry(x.shape[1:3], ksize, strides, padding)
    x = _padded(xp, x, pads, -np.inf)
    views = [v for _, _, v in _windows(x, ksize, strides, out_hw)]
    if into is None:
        into = xp.empty(views[0].shape, dtype=x.dtype)
    xp.copyto(into, views[0])
    for view in views[1:]:
        xp.maximum(into, view, out=into)
    return into


def _max_grad_forward(xp, x, out, g, ksize, strides, padding, into=None, relu=False):
    """The gradient routed to each window's maxima; ``relu``: then masked by ``x > 0`` (set by
    graph/passes/pool_relu.py when x is a ReLU's output and the ReLU's gradient follows)."""
    pads, out_hw = _geometry(x.shape[1:3], ksize, strides, padding)
    kernel = numba_kernels.for_arrays(xp, "max_pool_grad", x, out, g)
    if kernel is not None and (into is None or into.flags.c_contiguous):
        # the same numbers in one or two passes instead of a dozen
        dx = xp.empty(x.shape, dtype=g.dtype) if into is None else into
        kernel(x, out, g, *ksize, *strides, pads[0][0], pads[1][0],
               tuple(strides) == tuple(ksize), relu, dx)
        return dx
    if relu:
        dx = _max_grad_forward(xp, x, out, g, ksize, strides, padding, into=into)
        return xp.multiply(dx, x > 0, out=dx)
    padded = any(pads[0] + pads[1])
    if into is not None and padded:   # computed on the padded grid, then the inside copied
        xp.copyto(into, _max_grad_forward(xp, x, out, g, ksize, strides, padding))
        return into
    xpad = _padded(xp, x, pads, -np.inf)
    windows = list(_windows(xpad, ksize, strides, out_hw))
    masks = [view == out for _, _, view in windows]
    count = xp.array(masks[0], dtype=g.dtype)
    for mask in masks[1:]:
        count += mask
    share = g / count
    tiled = tuple(strides) == tuple(ksize)   # each cell in exactly one window (or none)
    if into is not None:                     # no padding: the gradient's own shape
        dx = into
        if not tiled:
            dx.fill(0)
    else:
        dx = (xp.zeros if not tiled or padded else xp.empty)(xpad.shape, dtype=g.dtype)
    if tiled:
        covered = tuple(k * n for k, n in zip(ksize, out_hw))
        if covered != xpad.shape[1:3]:          # cells no window reaches get nothing
            dx[:, covered[0]:] = 0
            dx[:, :, covered[1]:] = 0
    for (i, j, _), mask in zip(windows, masks):
        (sh, sw), (oh, ow) = strides, out_hw
        target = dx[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
        if tiled:
            xp.multiply(mask, share, out=target)
        else:
            target += mask * share
    (top, _), (left, _) = pads
    return dx[:, top:top + x.shape[1], left:left + x.shape[2]]


def _counts(xp, hw, ksize, strides, padding, dtype):
    """Real (unpadded) cells per window: KH*KW for VALID, else (OH, OW, 1) counts."""
    if padding == "VALID":
        return xp.asarray(ksize[0] * ksize[1], dtype=dtype)
    from .nn import _window_counts
    return xp.asarray(_window_counts(hw, ksize, strides, padding), dtype=dtype)


def _avg_forward(xp, x, ksize, strides, padding):
    pads, out_hw = _geometry(x.shape[1:3], ksize, strides, padding)
    xpad = _padded(xp, x, pads, 0.0)
    views = [v for _, _, v in _windows(xpad, ksize, strides, out_hw)]
    out = xp.array(views[0])
    for view in views[1:]:
        out += view
    out /= _counts(xp, x.shape[1:3], ksize, strides, padding, out.dtype)
    return out


def _avg_grad_forward(xp, g, like, ksize, strides, padding):
    hw = like.shape[1:3]
    pads, out_hw = _geometry(hw, ksize, strides, padding)
    share = g / _counts(xp, hw, ksize, strides, padding, g.dtype)
    (top, bottom), (left, right) = pads
    dx = xp.zeros((like.shape[0], hw[0] + top + bottom, hw[1] + left + right, like.shape[3]),
                  dtype=g.dtype)
    (sh, sw), (oh, ow) = strides, out_hw
    for i in range(ksize[0]):
        for j in range(ksize[1]):
            dx[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += share
    return dx[:, top:top + hw[0], left:left + hw[1]]


def _pool_rule(x: Aval, ksize, strides, padding) -> Aval:
    from .nn import _patches_rule
    n, oh, ow, _, _, c = _patches_rule(x, ksize, strides, (1, 1), padding, 0.0).shape
    return Aval((n, oh, ow, c), x.dtype)


def _max_grad_vjp(h, dx, x, out, g, ksize, strides, padding):
    """d/dg of the routed gradient: each window's share of ``h`` at its maxima."""
    from .nn import _patches
    px = _patches(x, ksize, strides, (1, 1), padding, pad_value=-np.inf)
    ph = _patches(h, ksize, strides, (1, 1), padding)
    from .shape import expand_dims
    hit = m.cast(m.equal(px, expand_dims(expand_dims(out, 3), 4)), h.dtype)
    return None, None, m.sum(ph * hit, (3, 4)) / m.sum(hit, (3, 4))


MAX_POOL_GRAD = defprim("MaxPoolGrad", _max_grad_forward, vjp=_max_grad_vjp,
                        shape=lambda x, out, g, **attrs: x,
                        inputs=("x", "out", "gradient"), promote=(), accepts=ANY,
                        takes_into=True)
MAX_POOL = defprim("MaxPool", _max_forward, shape=_pool_rule, takes_into=True,
                   vjp=lambda g, out, x, **attrs: (bind(MAX_POOL_GRAD, x, out, g, **attrs),))
AVG_POOL_GRAD = defprim("AvgPoolGrad", _avg_grad_forward,
                        vjp=lambda h, out, g, like, **attrs: (bind(AVG_POOL, h, **attrs), None),
                        shape=lambda g, like, **attrs: Aval(like.shape, g.dtype),
                        inputs=("gradient", "like"), promote=(), accepts=ANY)
AVG_POOL = defprim("AvgPool", _avg_forward, shape=_pool_rule,
                   vjp=lambda g, out, x, **attrs: (bind(AVG_POOL_GRAD, g, x, **attrs),))


def max_pool(x, ksize: tuple, strides: tuple, padding: Any, name: str | None = None):
    """NHWC max pooling (arguments already checked by lm.nn)."""
    return bind(MAX_POOL, x, ksize=tuple(ksize), strides=tuple(strides), padding=padding,
                name=name)


def avg_pool(x, ksize: tuple, strides: tuple, padding: Any, name: str | None = None):
    """NHWC average pooling over the real cells of each window."""
    return bind(AVG_POOL, x, ksize=tuple(ksize), strides=tuple(strides), padding=padding,
                name=name)
