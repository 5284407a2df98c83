"""Shape manipulation: reshape, transpose, expand/squeeze, and the size of a tensor."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from .._state import STATE
from ..tensor import Tensor, _fmt_shape, convert
from . import rules
from .math import reshape_like
from .registry import ANY, Aval, bind, defprim

__all__ = [
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "size",
    "shape",
]


def _as_tensor(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if STATE.graph is not None:
        return STATE.graph.capture(x)
    return convert(x)


# ---- reshape ------------------------------------------------------------------------------
def _reshape_rule(x: Aval, shape: tuple) -> Aval:
    if shape.count(-1) > 1:
        raise ValueError(f"Reshape: at most one dimension may be -1, received {shape}.")
    known = x.shape is not None and None not in x.shape
    total = int(np.prod(x.shape)) if known else None
    rest = int(np.prod([d for d in shape if d != -1]))
    if -1 in shape:
        if total is None:
            out = tuple(None if d == -1 else d for d in shape)
        elif rest == 0 or total % rest:
            raise ValueError(f"Reshape: cannot reshape a tensor of shape {_fmt_shape(x.shape)} "
                             f"({total} elements) to {shape}: {total} is not a multiple of "
                             f"{rest}.")
        else:
            out = tuple(total // rest if d == -1 else d for d in shape)
    else:
        out = shape
        if total is not None and total != rest:
            raise ValueError(f"Reshape: cannot reshape a tensor of shape {_fmt_shape(x.shape)} "
                             f"({total} elements) to {_fmt_shape(shape)} ({rest} elements).")
    return Aval(out, x.dtype)


RESHAPE = defprim("Reshape", lambda xp, x, shape: xp.reshape(x, shape),
                  vjp=lambda g, out, x, shape: (reshape_like(g, x),),
                  shape=_reshape_rule, promote=(), accepts=ANY)


def reshape(x: Any, shape: Sequence[int], name: str | None = None) -> Tensor:
    """Gives ``x`` a new shape with the same number of elements; one dim may be -1.

    Example:
        >>> lm.reshape(lm.arange(6), (2, -1)).shape
        (2, 3)
    """
    t = _as_tensor(x)
    if isinstance(shape, Tensor):
        shape = [int(d) for d in shape.numpy()]
    shape = tuple(-1 if d is None else int(d) for d in (
        (shape,) if isinstance(shape, (int, np.integer)) else shape))
    if t.shape == shape:
        return t
    return bind(RESHAPE, t, shape=shape, name=name)


# ---- transpose ----------------------------------------------------------------------------
def _transpose_rule(x: Aval, perm: tuple) -> Aval:
    if sorted(perm) != list(range(len(x.shape))):
        raise ValueError(f"Transpose: perm must be a permutation of range({len(x.shape)}) for a "
                         f"tensor of rank {len(x.shape)}, received {perm}.")
    return Aval(tuple(x.shape[p] for p in perm), x.dtype)


def _transpose_vjp(g, out, x, perm):
    return (transpose(g, tuple(int(i) for i in np.argsort(perm))),)


TRANSPOSE = defprim("Transpose", lambda xp, x, perm: xp.transpose(x, perm),
                    vjp=_transpose_vjp, shape=_transpose_rule, promote=(), accepts=ANY)


def transpose(x: Any, perm: Sequence[int] | None = None, name: str | None = None) -> Tensor:
    """Permutes the axes (default: reverses them).

    Example:
        >>> lm.transpose(lm.ones((2, 3))).shape
        (3, 2)
    """
    t = _as_tensor(x)
    perm = tuple(range(t.ndim))[::-1] if perm is None else tuple(int(p) for p in perm)
    if perm == tuple(range(t.ndim)):
        return t
    return bind(TRANSPOSE, t, perm=perm, name=name)


# ---- expand_dims / squeeze ----------------------------------------------------------------
def _expand_rule(x: Aval, axis: int) -> Aval:
    return Aval(x.shape[:axis] + (1,) + x.shape[axis:], x.dtype)


def _squeeze_rule(x: Aval, axis: tuple) -> Aval:
    for a in axis:
        if x.shape[a] not in (1, None):
            raise ValueError(f"Squeeze: cannot squeeze axis {a} of a tensor of shape "
                             f"{_fmt_shape(x.shape)}: expected size 1, received {x.shape[a]}.")
    return Aval(tuple(d for i, d in enumerate(x.shape) if i not in axis), x.dtype)


EXPAND_DIMS = defprim("ExpandDims", lambda xp, x, axis: xp.expand_dims(x, axis),
                      vjp=lambda g, out, x, axis: (reshape_like(g, x),),
                      shape=_expand_rule, promote=(), accepts=ANY)
SQUEEZE = defprim("Squeeze", lambda xp, x, axis: xp.squeeze(x, axis),
                  vjp=lambda g, out, x, axis: (reshape_like(g, x),),
                  shape=_squeeze_rule, promote=(), accepts=ANY)


def expand_dims(x: Any, axis: int, name: str | None = None) -> Tensor:
    """Inserts a dimension of size 1 at ``axis`` (negative counts from the end)."""
    t = _as_tensor(x)
    axis = rules.normalize_axis(axis, t.ndim + 1, "ExpandDims")
    return bind(EXPAND_DIMS, t, axis=axis, name=name)


def squeeze(x: Any, axis: "int | Sequence[int] | None" = None,
            name: str | None = None) -> Tensor:
    """Removes dimensions of size 1 (all of them, or those in ``axis``)."""
    t = _as_tensor(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(t.shape) if d == 1)
    else:
        axes = rules.normalize_axes(axis, t.ndim, "Squeeze")
    if not axes:
        return t
    return bind(SQUEEZE, t, axis=axes, name=name)


# ---- size ---------------------------------------------------------------------------------
SIZE = defprim("Size", lambda xp, x: xp.asarray(x.size, dtype=np.int32),
               shape=lambda x: Aval((), _dt.int32), promote=(), accepts=ANY)
SHAPE = defprim("Shape", lambda xp, x: xp.asarray(x.shape, dtype=np.int32),
                shape=lambda x: Aval((None if x.shape is None else len(x.shape),), _dt.int32),
                promote=(), accepts=ANY)


def size(x: Any, name: str | None = None) -> Tensor:
    """The number of elements, as an int32 scalar tensor (known only at run time in graphs)."""
    return bind(SIZE, _as_tensor(x), name=name)


def shape(x: Any, name: str | None = None) -> Tensor:
    """The shape, as an int32 vector tensor (TensorFlow's ``tf.shape``)."""
    return bind(SHAPE, _as_tensor(x), name=name)
