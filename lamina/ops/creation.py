"""Creating tensors: zeros, ones, full, the *_like forms, arange, linspace, eye.

Shapes given as Python ints make constants. ``zeros_like``/``ones_like`` of a tensor whose shape
a graph does not fully know yet become a ``FillLike`` node that takes the shape at run time.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._state import STATE
from ..backends import default_device
from ..tensor import Tensor, _wrap, constant
from . import rules
from .registry import ANY, Aval, bind, defprim

__all__ = [
    "full",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "full_like",
    "arange",
    "linspace",
    "eye",
]


def _make(array: np.ndarray, dtype: _dt.DType) -> Tensor:
    """A new tensor from a host array, on the current device (a Const node in graph mode)."""
    dev = default_device()
    t = _wrap(dev.backend.asarray(array, dtype=dtype.np), dtype, dev)
    return constant(t) if STATE.graph is not None else t


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value`` (dtype inferred from it by default).

    Example:
        >>> lm.full((2,), 7).numpy()
        array([7, 7], dtype=int32)
    """
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.result_type(
        [], [_dt.weak_kind(fill_value) if _dt.weak_kind(fill_value) is not None else 2])
    return _make(np.full(rules.static_shape(shape, "creation"), fill_value, dtype=dt.np), dt)


def zeros(shape: Any, dtype: Any = "float32") -> Tensor:
    """A tensor of zeros (float32 by default)."""
    dt = _dt.as_dtype(dtype)
    return _make(np.zeros(rules.static_shape(shape, "creation"), dtype=dt.np), dt)


def ones(shape: Any, dtype: Any = "float32") -> Tensor:
    """A tensor of ones (float32 by default)."""
    dt = _dt.as_dtype(dtype)
    return _make(np.ones(rules.static_shape(shape, "creation"), dtype=dt.np), dt)


def _fill_like(xp, x, value, dtype):
    return xp.full(x.shape, value, dtype=(dtype or _dt.from_numpy(x.dtype)).np)


FILL_LIKE = defprim("FillLike", _fill_like, promote=(), accepts=ANY,
                    shape=lambda x, value, dtype: Aval(x.shape, dtype or x.dtype))


def _fill_like_tensor(x: Any, value: float, dtype: Any) -> Tensor:
    from .shape import _as_tensor
    t = _as_tensor(x)
    dt = _dt.as_dtype(dtype) if dtype is not None else None
    if t._value is not None:
        target = dt or t._dtype
        return _wrap(t._device.xp.full(t.shape, value, dtype=target.np), target, t._device)
    return bind(FILL_LIKE, t, value=value, dtype=dt)


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros with the shape (and by default the dtype) of ``x``."""
    return _fill_like_tensor(x, 0, dtype)


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones with the shape (and by default the dtype) of ``x``."""
    return _fill_like_tensor(x, 1, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    return _fill_like_tensor(x, fill_value, dtype)


def arange(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, limit)``; int32 for ints, float32 for floats.

    Example:
        >>> lm.arange(3).numpy()
        array([0, 1, 2], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    values = [_number(v) for v in (start, limit, delta)]
    if values[2] == 0:
        raise ValueError("arange: delta must not be 0.")
    dt = _dt.as_dtype(dtype) if dtype is not None else (
        _dt.float32 if any(isinstance(v, float) for v in values) else _dt.int32)
    return _make(np.arange(*values, dtype=dt.np), dt)


def linspace(start: Any, stop: Any, num: int, dtype: Any = "float32") -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive."""
    if int(num) < 0:
        raise ValueError(f"linspace: num must be >= 0, received {num}.")
    dt = _dt.as_dtype(dtype)
    return _make(np.linspace(_number(start), _number(stop), int(num)).astype(dt.np), dt)


def eye(num_rows: int, num_columns: int | None = None, dtype: Any = "float32") -> Tensor:
    """The identity matrix (ones on the diagonal)."""
    dt = _dt.as_dtype(dtype)
    return _make(np.eye(int(num_rows), None if num_columns is None else int(num_columns),
                        dtype=dt.np), dt)


def _number(v: Any) -> Any:
    if isinstance(v, Tensor):
        v = v.numpy()
    if isinstance(v, np.generic):
        v = v.item()
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise TypeError(f"Expected a number, received {v!r}.")
    return v


