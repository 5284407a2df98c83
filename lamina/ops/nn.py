"""Neural-network ops (``lm.nn``), with TensorFlow's ``tf.nn`` signatures and semantics.

Convolution and pooling rest on one pair of primitives: ``ExtractPatches`` (im2col: NHWC
input to windows of shape (N, OH, OW, KH, KW, C)) and ``CombinePatches`` (col2im: adds the
windows back into an NHWC tensor). Each is the other's gradient, so a convolution, written as
``reshape(patches) @ reshape(filters)``, has gradients of every order with no rule of its own.
Everything else here (softmax, losses, normalization, dropout) is a composite.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._state import STATE
from ..backends import numba_kernels
from ..tensor import Tensor, _fmt_shape, convert
from . import math as m
from . import random as _random
from . import rules
from .creation import ones_like
from .linalg import einsum, matmul
from .math import (elu, gelu, sigmoid, selu, softplus, softsign, swish, tanh, relu,
                   _as_float)
from .registry import Aval, bind, defprim
from .shape import _as_tensor, expand_dims, reshape, squeeze, transpose

__all__ = [
    "softmax",
    "log_softmax",
    "conv1d",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "max_pool1d",
    "avg_pool1d",
    "max_pool",
    "avg_pool",
    "dropout",
    "batch_normalization",
    "moments",
    "sparse_softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits",
    "l2_normalize",
    "bias_add",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "silu",
    "swish",
]


# ---- activations ----------------------------------------------------------------------------
def relu6(features: Any, name: str | None = None) -> Tensor:
    """``min(max(x, 0), 6)``.

    Example:
        >>> lm.nn.relu6([-1.0, 3.0, 9.0]).numpy()
        array([0., 3., 6.], dtype=float32)
    """
    return m.minimum(relu(features), 6.0, name=name)


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """``x`` where positive, ``alpha * x`` elsewhere (``alpha`` defaults to 0.2, as in
    ``tf.nn.leaky_relu``; ``lm.leaky_relu`` follows Keras with 0.01).

    Example:
        >>> lm.nn.leaky_relu([-1.0, 2.0]).numpy()
        array([-0.2,  2. ], dtype=float32)
    """
    return m.leaky_relu(features, alpha, name=name)


def silu(features: Any, beta: float = 1.0, name: str | None = None) -> Tensor:
    """``x * sigmoid(beta * x)`` (also called swish).

    Example:
        >>> float(lm.nn.silu(0.0))
        0.0
    """
    if beta == 1.0:
        return m.silu(features, name=name)
    x = _as_float(features)
    return x * sigmoid(x * beta)


def bias_add(value: Any, bias: Any, data_format: str | None = None,
             name: str | None = None) -> Tensor:
    """Adds a 1-D ``bias`` along the channel axis of ``value`` (the last axis, or axis 1 for
    a ``data_format`` starting with "NC").

    Example:
        >>> lm.nn.bias_add(lm.zeros((2, 3)), [1.0, 2.0, 3.0]).shape
        (2, 3)
    """
    x, b = _as_tensor(value), _as_tensor(bias)
    if b.ndim != 1:
        raise ValueError(f"bias_add: expected a 1-D bias, received shape {_fmt_shape(b.shape)}.")
    channels_first = data_format is not None and data_format.upper().startswith("NC")
    axis = 1 if channels_first else -1
    if x.ndim < 2:
        raise ValueError(f"bias_add: expected value of rank >= 2, received shape "
                         f"{_fmt_shape(x.shape)}.")
    if None not in (x.shape[axis], b.shape[0]) and x.shape[axis] != b.shape[0]:
        raise ValueError(f"bias_add: bias of size {b.shape[0]} does not match the channel "
                         f"axis of value (shape {_fmt_shape(x.shape)}).")
    if channels_first:
        b = reshape(b, (-1,) + (1,) * (x.ndim - 2))
    return m.add(x, b, name=name)


# ---- softmax --------------------------------------------------------------------------------
def _shifted(logits: Any, axis: int) -> tuple[Tensor, int]:
    """``logits - max(logits)`` along ``axis`` (the max held constant; a row of -inf or inf
    is shifted by 0), which keeps ``exp`` from overflowing."""
    x = _as_float(logits)
    if x.ndim == 0:
        raise ValueError("softmax: expected logits of rank >= 1, received a scalar.")
    axis = rules.normalize_axis(axis, x.ndim, "softmax")
    top = m.stop_gradient(m.max(x, axis, keepdims=True))
    top = m.where(m.is_finite(top), top, m.zeros_like_scalar(top))
    return x - top, axis


def softmax(logits: Any, axis: int = -1, name: str | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, without overflow for large logits.

    Example:
        >>> lm.nn.softmax([1e4, 1e4]).numpy()
        array([0.5, 0.5], dtype=float32)
    """
    z, axis = _shifted(logits, -1 if axis is None else axis)
    e = m.exp(z)
    return m.divide(e, m.sum(e, axis, keepdims=True), name=name)


def log_softmax(logits: Any, axis: int = -1, name: str | None = None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``axis``: exact for logits far apart (no log of 0).

    Example:
        >>> lm.nn.log_softmax([1e4, -1e4]).numpy()
        array([     0., -20000.], dtype=float32)
    """
    z, axis = _shifted(logits, -1 if axis is None else axis)
    return m.subtract(z, m.log(m.sum(m.exp(z), axis, keepdims=True)), name=name)


# ---- im2col / col2im primitives -------------------------------------------------------------
def _same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's SAME padding: output ceil(size / s), the odd cell at the end."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _pads(hw: Sequence[int], ksize, strides, dilations, padding) -> tuple:
    """Padding as ((top, bottom), (left, right)) for spatial size ``hw``."""
    if padding == "VALID":
        return ((0, 0), (0, 0))
    if padding == "SAME":
        return tuple(_same_pads(n, k, s, d) for n, k, s, d in zip(hw, ksize, strides, dilations))
    return padding


def _out_size(n: int | None, k: int, s: int, d: int, padding: Any, axis: int) -> int | None:
    if n is None:
        return None
    if padding == "SAME":
        return -(-n // s)
    before, after = (0, 0) if padding == "VALID" else padding[axis]
    return (n + before + after - d * (k - 1) - 1) // s + 1


def _patches_rule(x: Aval, ksize, strides, dilations, padding, pad_value) -> Aval:
    if len(x.shape) != 4:
        raise ValueError(f"ExtractPatches: expected an NHWC input of rank 4, received shape "
                         f"{_fmt_shape(x.shape)}.")
    n, h, w, c = x.shape
    out = [_out_size(size, k, s, d, padding, i)
           for i, (size, k, s, d) in enumerate(zip((h, w), ksize, strides, dilations))]
    for size, o, k, d in zip((h, w), out, ksize, dilations):
        if o is not None and o < 1:
            raise ValueError(f"ExtractPatches: a window of size {k} (dilation {d}) does not "
                             f"fit an input of spatial size {size} with padding {padding}: "
                             f"input shape {_fmt_shape(x.shape)}.")
    return Aval((n, out[0], out[1], ksize[0], ksize[1], c), x.dtype)


def _pad_input(xp, x, pads, value):
    (top, bottom), (left, right) = pads
    n, h, w, c = x.shape
    out = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top:top + h, left:left + w] = x
    return out


def _extract_forward(xp, x, ksize, strides, dilations, padding, pad_value, into=None):
    pads = _pads(x.shape[1:3], ksize, strides, dilations, padding)
    if any(pads[0] + pads[1]):
        x = _pad_input(xp, x, pads, pad_value)
    (kh, kw), (sh, sw), (dh, dw) = ksize, strides, dilations
    oh = (x.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[2] - dw * (kw - 1) - 1) // sw + 1
    n, c = x.shape[0], x.shape[3]
    if oh < 1 or ow < 1:
        raise ValueError("the window does not fit the input")  # the shape rule explains
    out = xp.empty((n, oh, ow, kh, kw, c), dtype=x.dtype) if into is None else into
    if c == 1:  # measured: for one channel, KH*KW slice copies beat one strided copy
        for i in range(kh):
            for j in range(kw):
                out[:, :, :, i, j] = x[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                       j * dw:j * dw + sw * (ow - 1) + 1:sw]
        return out
    s0, s1, s2, s3 = x.strides
    view = xp.lib.stride_tricks.as_strided(
        x, (n, oh, ow, kh, kw, c), (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))
    xp.copyto(out, view)
    return out


def _combine_forward(xp, p, like, ksize, strides, dilations, padding, into=None):
    n, h, w, c = like.shape
    (top, bottom), (left, right) = _pads((h, w), ksize, strides, dilations, padding)
    (kh, kw), (sh, sw), (dh, dw) = ksize, strides, dilations
    oh, ow = p.shape[1:3]
    tiled = (sh, sw) == (kh, kw) and (dh, dw) == (1, 1)
    kernel = None if tiled else numba_kernels.for_arrays(xp, "combine_patches", p)
    if kernel is not None and (into is None or into.flags.c_contiguous):
        # one gathering pass instead of KH*KW strided adds
        out = xp.empty(like.shape, dtype=p.dtype) if into is None else into
        kernel(p, kh, kw, sh, sw, dh, dw, top, left, out)
        return out
    padded = any((top, bottom, left, right))
    if into is not None and padded:   # summed on the padded grid, then the inside copied
        xp.copyto(into, _combine_forward(xp, p, like, ksize, strides, dilations, padding))
        return into
    if into is None:
        out = xp.zeros((n, h + top + bottom, w + left + right, c), dtype=p.dtype)
    else:                             # no padding: sum straight into the planned buffer
        out = into
        if not tiled:
            out.fill(0)
        else:                         # the tiles below cover all but edges no window reaches
            out[:, oh * kh:] = 0
            out[:, :, ow * kw:] = 0
    if tiled:
        # Windows tile the input without overlap: one transposed copy puts them back.
        tiles = p.transpose(0, 1, 3, 2, 4, 5).reshape(n, oh * kh, ow * kw, c)
        out[:, :oh * kh, :ow * kw] = tiles
    else:
        # KH*KW strided adds (np.add.at would be far slower), (i, j) descending: each cell
        # sums its terms in the order the numba kernel's streaming scatter adds them.
        for i in reversed(range(kh)):
            for j in reversed(range(kw)):
                out[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                    j * dw:j * dw + sw * (ow - 1) + 1:sw] += p[:, :, :, i, j]
    return out[:, top:top + h, left:left + w]


def _combine_rule(p: Aval, like: Aval, ksize, strides, dilations, padding) -> Aval:
    if len(p.shape) != 6 or len(like.shape) != 4:
        raise ValueError(f"CombinePatches: expected patches of rank 6 and an NHWC shape "
                         f"of rank 4, received {_fmt_shape(p.shape)} and "
                         f"{_fmt_shape(like.shape)}.")
    return Aval(like.shape, p.dtype)


def _extract_vjp(g, out, x, ksize, strides, dilations, padding, pad_value):
    return (bind(COMBINE_PATCHES, g, x, ksize=ksize, strides=strides, dilations=dilations,
                 padding=padding),)


def _combine_vjp(g, out, p, like, ksize, strides, dilations, padding):
    return (bind(EXTRACT_PATCHES, g, ksize=ksize, strides=strides, dilations=dilations,
                 padding=padding, pad_value=0.0), None)


EXTRACT_PATCHES = defprim("ExtractPatches", _extract_forward, vjp=_extract_vjp,
                          shape=_patches_rule, accepts="float", takes_into=True)
COMBINE_PATCHES = defprim("CombinePatches", _combine_forward, vjp=_combine_vjp,
                          shape=_combine_rule, inputs=("patches", "like"), promote=(),
                          takes_into=True)


def _patches(x: Tensor, ksize, strides, dilations, padding, pad_value: float = 0.0) -> Tensor:
    return bind(EXTRACT_PATCHES, x, ksize=tuple(ksize), strides=tuple(strides),
                dilations=tuple(dilations), padding=padding, pad_value=float(pad_value))


# ---- argument parsing shared by convolution and pooling -------------------------------------
_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW")}


def _channels_first(data_format: str | None, rank: int, op: str) -> bool:
    if data_format is None:
        return False
    allowed = _FORMATS[rank]
    if data_format not in allowed:
        raise ValueError(f"{op}: data_format must be one of {allowed}, received "
                         f"{data_format!r}.")
    return data_format == allowed[1]


def _spatial_ints(value: Any, rank: int, channels_first: bool, what: str, op: str
                  ) -> tuple[int, ...]:
    """An int, ``rank`` ints, or ``rank + 2`` ints with 1 for batch and channels (TF forms)."""
    if isinstance(value, Tensor):
        value = value.numpy().tolist()
    items = [value] if isinstance(value, (int, np.integer)) else list(value)
    if len(items) == 1:
        items = items * rank
    elif len(items) == rank + 2:
        outer = (items[0], items[1]) if channels_first else (items[0], items[-1])
        if tuple(outer) != (1, 1):
            raise ValueError(f"{op}: {what} for the batch and channel dims must be 1, "
                             f"received {value!r}.")
        items = items[2:] if channels_first else items[1:-1]
    if len(items) != rank or not all(isinstance(v, (int, np.integer)) and v >= 1
                                     for v in items):
        raise ValueError(f"{op}: {what} must be an int >= 1, {rank} ints, or {rank + 2} ints "
                         f"(1 for batch and channels), received {value!r}.")
    return tuple(int(v) for v in items)


def _padding(padding: Any, rank: int, channels_first: bool, op: str) -> Any:
    """"VALID", "SAME", or explicit ((before, after), ...) for the spatial dims."""
    if isinstance(padding, str):
        key = padding.upper()
        if key not in ("VALID", "SAME"):
            raise ValueError(f"{op}: padding must be 'VALID', 'SAME' or a list of (before, "
                             f"after) pairs, received {padding!r}.")
        return key
    try:
        pairs = [tuple(int(v) for v in pair) for pair in padding]
    except (TypeError, ValueError):
        pairs = None
    if pairs is not None and len(pairs) == rank + 2:
        outer = (pairs[0], pairs[1]) if channels_first else (pairs[0], pairs[-1])
        if outer != ((0, 0), (0, 0)):
            pairs = None
        else:
            pairs = pairs[2:] if channels_first else pairs[1:-1]
    if (pairs is None or len(pairs) != rank
            or not all(len(p) == 2 and min(p) >= 0 for p in pairs)):
        raise ValueError(f"{op}: explicit padding must be {rank} (before, after) pairs of "
                         f"ints >= 0 (or {rank + 2} with zeros for batch and channels), "
                         f"received {padding!r}.")
    return tuple(pairs)


def _check_rank(x: Tensor, rank: int, op: str, what: str = "input") -> None:
    if x.ndim != rank:
        raise ValueError(f"{op}: expected {what} of rank {rank}, received shape "
                         f"{_fmt_shape(x.shape)}.")


def _to_channels_last(x: Tensor, channels_first: bool) -> Tensor:
    return transpose(x, (0, *range(2, x.ndim), 1)) if channels_first else x


def _to_channels_first(x: Tensor, channels_first: bool, name: str | None = None) -> Tensor:
    if not channels_first:
        return x
    return transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)), name=name)


def _as_2d_args(rank: int, strides, dilations, padding):
    """1-D arguments as the 2-D ones of the same op on an added axis of size 1."""
    if rank == 2:
        return strides, dilations, padding
    pad2 = padding if isinstance(padding, str) else ((0, 0), padding[0])
    return (1, *strides), (1, *dilations), pad2


# ---- convolution ----------------------------------------------------------------------------
def _conv_nhwc(x: Tensor, filters: Tensor, strides, dilations, padding, name) -> Tensor:
    kh, kw, cin, cout = filters.shape
    k = kh * kw * cin
    if (kh, kw) == (1, 1) and strides == (1, 1) and padding in ("VALID", "SAME"):
        cols = reshape(x, (-1, cin))  # a 1x1 convolution is a matmul over channels
        n, oh, ow = x.shape[:3]
    else:
        patches = _patches(x, (kh, kw), strides, dilations, padding)
        n, oh, ow = patches.shape[:3]
        if oh is None or ow is None:
            return einsum("nhwijc,ijco->nhwo", patches, filters, name=name)
        cols = reshape(patches, (-1, k))
    if None in (oh, ow):
        return einsum("nhwc,co->nhwo", x, reshape(filters, (cin, cout)), name=name)
    y = matmul(cols, reshape(filters, (k, cout)))
    return reshape(y, (-1 if n is None else n, oh, ow, cout), name=name)


def _convolution(input, filters, strides, padding, data_format, dilations, rank, op, name):
    x, w = _as_float(input), _as_float(filters)
    first = _channels_first(data_format, rank, op)
    _check_rank(x, rank + 2, op)
    _check_rank(w, rank + 2, op, "filters")
    if None in w.shape:
        raise ValueError(f"{op}: the filters' shape must be known, received "
                         f"{_fmt_shape(w.shape)}.")
    strides = _spatial_ints(strides, rank, first, "strides", op)
    dilations = _spatial_ints(1 if dilations is None else dilations, rank, first,
                              "dilations", op)
    padding = _padding(padding, rank, first, op)
    x = _to_channels_last(x, first)
    if x.shape[-1] is not None and x.shape[-1] != w.shape[-2]:
        raise ValueError(f"{op}: the input has {x.shape[-1]} channels but the filters (shape "
                         f"{_fmt_shape(w.shape)}, last two dims in, out) expect "
                         f"{w.shape[-2]}.")
    strides, dilations, padding = _as_2d_args(rank, strides, dilations, padding)
    if rank == 1:
        y = squeeze(_conv_nhwc(expand_dims(x, 1), expand_dims(w, 0), strides, dilations,
                               padding, None), 1, name=None if first else name)
    else:
        y = _conv_nhwc(x, w, strides, dilations, padding, None if first else name)
    return _to_channels_first(y, first, name)


def conv2d(input: Any, filters: Any, strides: Any, padding: Any, data_format: str = "NHWC",
           dilations: Any = None, name: str | None = None) -> Tensor:
    """2-D convolution (cross-correlation, as in TensorFlow).

    Args:
        input: (N, H, W, C) for "NHWC" (or (N, C, H, W) for "NCHW").
        filters: (KH, KW, C, O) (HWIO).
        strides: an int, [sh, sw], or [1, sh, sw, 1].
        padding: "VALID", "SAME" (output ceil(in / stride), the extra padding at the bottom
            and right), or explicit [[0, 0], [top, bottom], [left, right], [0, 0]].
        data_format: "NHWC" or "NCHW".
        dilations: like strides (default 1).

    Example:
        >>> lm.nn.conv2d(lm.ones((1, 5, 5, 3)), lm.ones((3, 3, 3, 8)), 1, "SAME").shape
        (1, 5, 5, 8)
    """
    return _convolution(input, filters, strides, padding, data_format, dilations, 2,
                        "conv2d", name)


def conv1d(input: Any, filters: Any, stride: Any, padding: Any, data_format: str = "NWC",
           dilations: Any = None, name: str | None = None) -> Tensor:
    """1-D convolution: ``input`` (N, W, C), ``filters`` (KW, C, O); ``stride`` an int,
    [s] or [1, s, 1]; ``padding`` as :func:`conv2d` (explicit: [[0, 0], [l, r], [0, 0]]).

    Example:
        >>> lm.nn.conv1d(lm.ones((2, 10, 3)), lm.ones((3, 3, 4)), 2, "VALID").shape
        (2, 4, 4)
    """
    return _convolution(input, filters, stride, padding, data_format, dilations, 1,
                        "conv1d", name)


# ---- pooling --------------------------------------------------------------------------------
def _pool(input, ksize, strides, padding, data_format, rank, kind, name):
    op = f"{kind}_pool{rank}d"
    x = _as_float(input)
    first = _channels_first(data_format, rank, op)
    _check_rank(x, rank + 2, op)
    ksize = _spatial_ints(ksize, rank, first, "ksize", op)
    strides = _spatial_ints(strides, rank, first, "strides", op)
    padding = _padding(padding, rank, first, op)
    if kind == "avg" and not isinstance(padding, str):
        raise ValueError(f"{op}: padding must be 'VALID' or 'SAME' (as TensorFlow), "
                         f"received {padding!r}.")
    x = _to_channels_last(x, first)
    if rank == 1:
        x = expand_dims(x, 1)
        ksize, (strides, _, padding) = (1, *ksize), _as_2d_args(1, strides, (1,), padding)
    pool = _max_pool if kind == "max" else _avg_pool
    y = pool(x, ksize, strides, padding, name if rank == 2 and not first else None)
    if rank == 1:
        y = squeeze(y, 1, name=None if first else name)
    return _to_channels_first(y, first, name)


def _max_pool(x, ksize, strides, padding, name) -> Tensor:
    # Padded cells hold -inf, so they never win. Tied maxima share the gradient (lm.max).
    from .pooling import max_pool
    return max_pool(x, ksize, strides, padding, name=name)


def _avg_pool(x, ksize, strides, padding, name) -> Tensor:
    h, w = x.shape[1:3]
    if h is None or w is None:  # count the real cells of each window at run time
        patches = _patches(x, ksize, strides, (1, 1), padding)
        count = m.sum(_patches(ones_like(x), ksize, strides, (1, 1), padding), (3, 4))
        return m.divide(m.sum(patches, (3, 4)), count, name=name)
    from .pooling import avg_pool
    return avg_pool(x, ksize, strides, padding, name=name)


def _window_counts(hw, ksize, strides, padding) -> np.ndarray:
    """How many real (unpadded) cells each window of a SAME pooling covers: (OH, OW, 1)."""
    per_axis = []
    for n, k, s, (before, _) in zip(hw, ksize, strides, _pads(hw, ksize, strides, (1, 1),
                                                               padding)):
        starts = np.arange(-(-n // s)) * s - before
        per_axis.append(np.minimum(starts + k, n) - np.maximum(starts, 0))
    return np.outer(per_axis[0], per_axis[1])[:, :, None].astype(np.float64)


def _const_like(array: np.ndarray, like: Tensor) -> Tensor:
    """A constant with ``like``'s dtype, on its device (a Const node in graph mode)."""
    array = array.astype(like.dtype.np)
    if STATE.graph is not None:
        return STATE.graph.capture(array)
    return convert(array, device=like.device)


def max_pool2d(input: Any, ksize: Any, strides: Any, padding: Any,
               data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """The largest value of each window. SAME padding never wins (it is -inf); tied maxima
    share the gradient equally.

    Args:
        input: (N, H, W, C) (or (N, C, H, W) for "NCHW").
        ksize, strides: an int, [kh, kw], or [1, kh, kw, 1].
        padding: "VALID", "SAME", or explicit pairs as in :func:`conv2d`.

    Example:
        >>> lm.nn.max_pool2d(lm.ones((1, 4, 4, 3)), 2, 2, "VALID").shape
        (1, 2, 2, 3)
    """
    return _pool(input, ksize, strides, padding, data_format, 2, "max", name)


def avg_pool2d(input: Any, ksize: Any, strides: Any, padding: Any,
               data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """The mean of each window; with SAME padding, over the real (unpadded) cells only.

    Example:
        >>> lm.nn.avg_pool2d(lm.ones((1, 5, 5, 1)), 2, 2, "SAME").shape
        (1, 3, 3, 1)
    """
    return _pool(input, ksize, strides, padding, data_format, 2, "avg", name)


def max_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: str | None = None) -> Tensor:
    """1-D max pooling of (N, W, C) input (see :func:`max_pool2d`).

    Example:
        >>> lm.nn.max_pool1d(lm.ones((2, 6, 3)), 2, 2, "VALID").shape
        (2, 3, 3)
    """
    return _pool(input, ksize, strides, padding, data_format, 1, "max", name)


def avg_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: str | None = None) -> Tensor:
    """1-D average pooling of (N, W, C) input (see :func:`avg_pool2d`).

    Example:
        >>> lm.nn.avg_pool1d(lm.ones((2, 5, 3)), 2, 2, "SAME").shape
        (2, 3, 3)
    """
    return _pool(input, ksize, strides, padding, data_format, 1, "avg", name)


def _pool_by_rank(kind: str, input, ksize, strides, padding, data_format, name) -> Tensor:
    x = _as_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"{kind}_pool: expected input of rank 3 (N, W, C) or 4 (N, H, W, C), "
                         f"received shape {_fmt_shape(x.shape)}.")
    rank = x.ndim - 2
    fmt = data_format if data_format is not None else _FORMATS[rank][0]
    return _pool(x, ksize, strides, padding, fmt, rank, kind, name)


def max_pool(input: Any, ksize: Any, strides: Any, padding: Any,
             data_format: str | None = None, name: str | None = None) -> Tensor:
    """Max pooling of 1-D (rank 3) or 2-D (rank 4) input, chosen by the input's rank.

    Example:
        >>> lm.nn.max_pool(lm.ones((1, 4, 4, 1)), 2, 2, "VALID").shape
        (1, 2, 2, 1)
    """
    return _pool_by_rank("max", input, ksize, strides, padding, data_format, name)


def avg_pool(input: Any, ksize: Any, strides: Any, padding: Any,
             data_format: str | None = None, name: str | None = None) -> Tensor:
    """Average pooling of 1-D (rank 3) or 2-D (rank 4) input, chosen by the input's rank.

    Example:
        >>> lm.nn.avg_pool(lm.ones((1, 6, 2)), 3, 3, "VALID").shape
        (1, 2, 2)
    """
    return _pool_by_rank("avg", input, ksize, strides, padding, data_format, name)


# ---- dropout --------------------------------------------------------------------------------
def _check_rate(rate: Any) -> float:
    if isinstance(rate, Tensor):
        if rate.is_symbolic:
            raise TypeError(f"dropout: rate must be a number known when the graph is built, "
                            f"received symbolic tensor {rate.name}.")
        rate = rate.item()
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)):
        raise TypeError(f"dropout: rate must be a number in [0, 1), received {rate!r}.")
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), received {rate}.")
    return float(rate)


def _noise_shape(noise_shape: Any, x: Tensor) -> tuple[int, ...]:
    dims = list(noise_shape.numpy().tolist() if isinstance(noise_shape, Tensor)
                else noise_shape)
    if len(dims) != x.ndim:
        raise ValueError(f"dropout: noise_shape {noise_shape!r} must have the rank of x "
                         f"(shape {_fmt_shape(x.shape)}).")
    out = []
    for d, n in zip(dims, x.shape):
        d = n if d is None else int(d)
        if d is None or (n is not None and d not in (1, n)):
            raise ValueError(f"dropout: noise_shape {noise_shape!r} must broadcast to x's "
                             f"shape {_fmt_shape(x.shape)} (each dim 1 or x's size).")
        out.append(d)
    return tuple(out)


def dropout(x: Any, rate: float, noise_shape: Any = None, seed: int | None = None,
            name: str | None = None) -> Tensor:
    """Zeroes each element with probability ``rate`` and scales the others by
    ``1 / (1 - rate)``, so the expected value is unchanged.

    A new mask is drawn on every call, and on every run of a graph or compiled function.

    Args:
        x: a float tensor.
        rate: the probability of dropping, in [0, 1).
        noise_shape: the mask's shape, broadcast to x's (e.g. [N, 1, 1, C] drops channels).
        seed: an op-level seed (see :mod:`lamina.ops.random`).

    Example:
        >>> lm.nn.dropout(lm.ones((2, 2)), 0.0).numpy()
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """
    rate = _check_rate(rate)
    x = _as_float(x)
    if rate == 0:
        return x if name is None else m.identity(x, name=name)
    gen = _random.generator_for(seed)
    if noise_shape is None:
        u = _random.uniform_like(x, x.dtype, gen)
    else:
        u = gen.uniform(_noise_shape(noise_shape, x), dtype=x.dtype)
    return m.where(u >= rate, x * (1.0 / (1.0 - rate)), m.zeros_like_scalar(x), name=name)


# ---- normalization --------------------------------------------------------------------------
def moments(x: Any, axes: Any, keepdims: bool = False, name: str | None = None
            ) -> tuple[Tensor, Tensor]:
    """Mean and (population) variance of ``x`` over ``axes``.

    Example:
        >>> mean, var = lm.nn.moments(lm.tensor([[1.0, 3.0]]), axes=[1])
        >>> mean.numpy(), var.numpy()
        (array([2.], dtype=float32), array([1.], dtype=float32))
    """
    x = _as_float(x)
    mean = m.mean(x, axes, keepdims=True)
    variance = m.mean(m.square(x - mean), axes, keepdims=True)
    if not keepdims:
        reduced = rules.normalize_axes(axes, x.ndim, "moments")
        mean, variance = squeeze(mean, reduced), squeeze(variance, reduced)
    return mean, variance


def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any,
                        variance_epsilon: float, name: str | None = None) -> Tensor:
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset``; ``offset`` and
    ``scale`` may be None.

    Example:
        >>> lm.nn.batch_normalization(lm.tensor([1.0, 3.0]), 2.0, 1.0, None, None, 0.0).numpy()
        array([-1.,  1.], dtype=float32)
    """
    x = _as_float(x)
    inv = m.rsqrt(m.add(variance, variance_epsilon))
    if scale is not None:
        inv = inv * scale
    shift = -(_as_tensor(mean) * inv)
    if offset is not None:
        shift = shift + offset
    return m.add(x * m.cast(inv, x.dtype), m.cast(shift, x.dtype), name=name)


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12,
                 name: str | None = None) -> Tensor:
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``: unit length along ``axis`` (all axes
    when None), finite for a zero vector.

    Example:
        >>> lm.nn.l2_normalize([3.0, 4.0]).numpy()
        array([0.6, 0.8], dtype=float32)
    """
    x = _as_float(x)
    squares = m.sum(m.square(x), axis, keepdims=True)
    return m.multiply(x, m.rsqrt(m.maximum(squares, epsilon)), name=name)


# ---- losses ---------------------------------------------------------------------------------
def _require(value: Any, what: str, op: str) -> Any:
    if value is None:
        raise ValueError(f"{op}: {what} is required (call it as {op}(labels=..., "
                         f"logits=...)).")
    return value


def _same_shape(labels: tuple, logits: tuple, op: str) -> None:
    if len(labels) != len(logits) or any(
            p is not None and q is not None and p != q for p, q in zip(labels, logits)):
        raise ValueError(f"{op}: labels must have the shape of logits: received labels of shape "
                         f"{_fmt_shape(labels)} and logits of shape {_fmt_shape(logits)}.")


def sigmoid_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                      name: str | None = None) -> Tensor:
    """Elementwise binary cross-entropy of probabilities ``sigmoid(logits)`` against
    ``labels``: ``max(x, 0) - x * z + log1p(exp(-|x|))``, exact for any logits.

    Example:
        >>> lm.nn.sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[-1e4]).numpy()
        array([10000.], dtype=float32)
    """
    op = "sigmoid_cross_entropy_with_logits"
    x = _as_float(_require(logits, "logits", op))
    z = m.cast(_as_tensor(_require(labels, "labels", op)), x.dtype)
    _same_shape(z.shape, x.shape, op)
    # softplus(x) is max(x, 0) + log1p(exp(-|x|)), with the exact gradient sigmoid(x).
    return m.subtract(softplus(x), x * z, name=name)


def softmax_cross_entropy_with_logits(labels: Any = None, logits: Any = None, axis: int = -1,
                                      name: str | None = None) -> Tensor:
    """Cross-entropy of ``softmax(logits)`` against the distributions ``labels`` (same
    shape) along ``axis``; exact for logits far apart.

    Example:
        >>> lm.nn.softmax_cross_entropy_with_logits(labels=[[0.0, 1.0]],
        ...                                         logits=[[1e4, -1e4]]).numpy()
        array([20000.], dtype=float32)
    """
    op = "softmax_cross_entropy_with_logits"
    x = _as_float(_require(logits, "logits", op))
    z = m.cast(_as_tensor(_require(labels, "labels", op)), x.dtype)
    _same_shape(z.shape, x.shape, op)
    logp = log_softmax(x, axis)
    return m.negative(m.sum(z * logp, axis), name=name)


def sparse_softmax_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                             name: str | None = None) -> Tensor:
    """Cross-entropy of ``softmax(logits)`` against integer class ``labels`` of shape
    ``logits.shape[:-1]``; exact for logits far apart.

    Raises:
        ValueError: in eager mode, for a label outside [0, classes).

    Example:
        >>> lm.nn.sparse_softmax_cross_entropy_with_logits(labels=[1],
        ...                                                logits=[[1e4, -1e4]]).numpy()
        array([20000.], dtype=float32)
    """
    op = "sparse_softmax_cross_entropy_with_logits"
    x = _as_float(_require(logits, "logits", op))
    y = _as_tensor(_require(labels, "labels", op))
    _check_sparse_labels(y, x, op)
    return bind(SPARSE_XENT, x, y, name=name)


# Sparse softmax cross-entropy is one primitive (and its gradient another): as a composite it
# is ~30 small ops per training step, fused ~12. Both keep logits - max(logits), so the result
# is exact for logits far apart.
def _shift(xp, logits):
    return logits - logits.max(axis=-1, keepdims=True)


def _xent_forward(xp, logits, labels):
    z = _shift(xp, logits)
    total = xp.log(xp.exp(z).sum(axis=-1))
    picked = xp.take_along_axis(z, labels[..., None].astype(np.intp), axis=-1)[..., 0]
    return total - picked


def _xent_grad_forward(xp, logits, labels, g):
    e = xp.exp(_shift(xp, logits))
    e /= e.sum(axis=-1, keepdims=True)
    e -= labels[..., None] == xp.arange(logits.shape[-1])
    e *= g[..., None]
    return e


def _xent_grad_vjp(h, out, logits, labels, g):
    """Second order: d/dlogits of g * (p - onehot) is g * p * (h - sum(p * h))."""
    p = softmax(logits)
    ph = p * h
    d_logits = expand_dims(g, -1) * (ph - p * m.sum(ph, -1, keepdims=True))
    onehot = m.cast(m.equal(expand_dims(labels, -1), _const_like(
        np.arange(logits.shape[-1]), labels)), logits.dtype)
    return d_logits, None, m.sum(h * (p - onehot), -1)


SPARSE_XENT_GRAD = defprim(
    "SparseSoftmaxXentGrad", _xent_grad_forward, vjp=_xent_grad_vjp,
    shape=lambda logits, labels, g: logits, inputs=("logits", "labels", "gradient"),
    promote=(0, 2))
SPARSE_XENT = defprim(
    "SparseSoftmaxXent", _xent_forward,
    vjp=lambda g, out, logits, labels: (bind(SPARSE_XENT_GRAD, logits, labels, g), None),
    shape=lambda logits, labels: Aval(logits.shape[:-1], logits.dtype),
    inputs=("logits", "labels"), promote=(0,))


def _check_sparse_labels(y: Tensor, x: Tensor, op: str) -> None:
    if not y.dtype.is_integer:
        raise TypeError(f"{op}: labels must be integer class indices, received dtype "
                        f"{y.dtype.name}.")
    if x.ndim < 1 or x.shape[-1] is None:
        raise ValueError(f"{op}: logits need a known last (class) dimension, received shape "
                         f"{_fmt_shape(x.shape)}.")
    if len(y.shape) != len(x.shape) - 1 or any(
            p is not None and q is not None and p != q for p, q in zip(y.shape, x.shape)):
        raise ValueError(f"{op}: labels must have the shape of logits without its last "
                         f"(class) axis: received labels of shape {_fmt_shape(y.shape)} and "
                         f"logits of shape {_fmt_shape(x.shape)}.")
    if not y.is_symbolic and y.size:
        low, high = int(y.numpy().min()), int(y.numpy().max())
        if low < 0 or high >= x.shape[-1]:
            bad = low if low < 0 else high
            raise ValueError(f"{op}: labels must be in [0, {x.shape[-1]}) for logits with "
                             f"{x.shape[-1]} classes, received label {bad}.")
