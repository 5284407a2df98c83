"""Shape and dtype rules shared by many primitives.

A rule takes the inputs' abstract values (``Aval(shape, dtype)``; a dim may be None when a
graph does not know it yet) plus the op's attributes, and returns the output's Aval, raising
an error that says what was expected and what was received when the inputs do not fit.
"""
from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _fmt_shape
from .registry import Aval


def broadcast_shapes(*shapes: tuple, op: str = "op") -> tuple:
    """NumPy broadcasting, with None for dims a graph does not know yet."""
    ndim = max(len(s) for s in shapes)
    out = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            listed = " and ".join(_fmt_shape(s) for s in shapes)
            raise ValueError(f"{op}: incompatible shapes for broadcasting: {listed}. Expected "
                             f"dims that are equal or 1 in each position, received "
                             f"{sorted(known)} at axis {axis - ndim}.")
        if known:
            out.append(known.pop())
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def elementwise(name: str):
    """Rule of an elementwise op: inputs broadcast, output has the (promoted) input dtype."""
    def rule(*avals: Aval, **attrs) -> Aval:
        return Aval(broadcast_shapes(*(a.shape for a in avals), op=name), avals[0].dtype)
    return rule


def comparison(name: str):
    """Rule of an elementwise op with a bool result."""
    def rule(*avals: Aval, **attrs) -> Aval:
        return Aval(broadcast_shapes(*(a.shape for a in avals), op=name), _dt.bool_)
    return rule


def same(x: Aval, *rest: Aval, **attrs) -> Aval:
    return x


def normalize_axis(axis: int, ndim: int, op: str = "op") -> int:
    """A possibly negative axis as an index in ``range(ndim)``."""
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an integer, received {axis!r}.")
    axis = int(axis)  # NumPy integers are fine; attributes hold plain ints
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of rank {ndim}; "
                         f"expected an axis in [{-ndim}, {ndim - 1}].")
    return axis % ndim if ndim else 0


def normalize_axes(axis: "int | Sequence[int] | None", ndim: int, op: str = "op"
                   ) -> tuple[int, ...]:
    """Reduction axes as a sorted tuple of non-negative ints (None: all axes)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, numbers.Integral):
        axes = (axis,)
    elif isinstance(axis, (list, tuple)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, received "
                        f"{axis!r}.")
    out = sorted({normalize_axis(a, ndim, op) for a in axes})
    if len(out) != len(axes):
        raise ValueError(f"{op}: repeated axis in {axis!r}.")
    return tuple(out)


def reduction(name: str, dtype: _dt.DType | None = None):
    """Rule of a reduction with attrs ``axis`` (normalized tuple) and ``keepdims``."""
    def rule(x: Aval, axis: tuple, keepdims: bool, **attrs) -> Aval:
        for a in axis:
            if not 0 <= a < max(len(x.shape), 1):
                raise ValueError(f"{name}: axis {a} is out of range for a tensor of rank "
                                 f"{len(x.shape)}.")
        if keepdims:
            shape = tuple(1 if i in axis else d for i, d in enumerate(x.shape))
        else:
            shape = tuple(d for i, d in enumerate(x.shape) if i not in axis)
        return Aval(shape, dtype or x.dtype)
    return rule


def like(x: Aval, target: Aval, **attrs) -> Aval:
    """Rule of the ``*Like`` ops: the result has ``target``'s shape and ``x``'s dtype."""
    return Aval(target.shape, x.dtype)


def fixed_dtype(dtype: _dt.DType, base=same):
    def rule(*avals: Aval, **attrs) -> Aval:
        return Aval(base(*avals, **attrs).shape, dtype)
    return rule


# ---- shape arguments ----------------------------------------------------------------------
def static_shape(shape: Any, op: str = "op") -> tuple[int, ...]:
    """A shape argument given as an int, a tuple or list, or a 1-D int tensor whose value is
    known when the op is built (eager, or a graph constant)."""
    if isinstance(shape, Tensor):
        shape = known_value(shape, op)
    if isinstance(shape, np.ndarray):
        if shape.ndim > 1 or (shape.size and shape.dtype.kind not in "iu"):
            raise TypeError(f"{op}: expected a shape (a 1-D int tensor), received an array of "
                            f"shape {shape.shape} and dtype {shape.dtype}.")
        shape = shape.reshape(-1).tolist()
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        return tuple(_dim(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: expected a shape (ints >= 0 in a tuple, list or int tensor), "
                        f"received {shape!r}.") from None


def _dim(d: Any) -> int:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0:
        raise ValueError(d)
    return int(d)


def known_value(t: Tensor, op: str = "op") -> np.ndarray:
    """The value of an eager tensor or of a graph constant; other symbolic values are unknown
    until the graph runs, which is too late for an argument that fixes a shape."""
    if not t.is_symbolic:
        return t.numpy()
    if t.op.type == "Const":
        return np.asarray(t.op.attrs["value"])
    raise ValueError(f"{op}: needs a value known when the graph is built, received symbolic "
                     f"tensor {t.name}. Give it as Python ints.")
