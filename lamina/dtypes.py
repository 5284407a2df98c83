"""Data types and the promotion rules between them.

lamina follows TensorFlow's conventions: Python ints become ``int32``, Python floats
``float32``, NumPy arrays keep their dtype. Python scalars are *weak*: ``x * 2.0`` keeps the
dtype of ``x``. Mixing an integer tensor with a float tensor gives the float dtype, never a
silent ``float64`` upcast.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class DType:
    """A tensor element type, e.g. ``lm.float32``.

    Compares equal to its name (``"float32"``), to the matching NumPy dtype and to itself.

    Example:
        >>> lm.float32 == "float32"
        True
    """

    __slots__ = ("name", "np", "category", "itemsize")

    def __init__(self, name: str, category: int):
        self.name = name
        self.np = np.dtype(name)
        # 0 = bool, 1 = integer, 2 = floating: the promotion ladder.
        self.category = category
        self.itemsize = self.np.itemsize

    @property
    def is_floating(self) -> bool:
        return self.category == 2

    @property
    def is_integer(self) -> bool:
        return self.category == 1

    @property
    def is_bool(self) -> bool:
        return self.category == 0

    @property
    def as_numpy_dtype(self) -> np.dtype:
        return self.np

    def __repr__(self) -> str:
        return f"lm.{self.name}"

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: Any) -> bool:
        if other is self:
            return True
        try:
            return as_dtype(other) is self
        except (TypeError, ValueError):
            return False

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self):
        return (as_dtype, (self.name,))


float16 = DType("float16", 2)
float32 = DType("float32", 2)
float64 = DType("float64", 2)
int8 = DType("int8", 1)
int16 = DType("int16", 1)
int32 = DType("int32", 1)
int64 = DType("int64", 1)
uint8 = DType("uint8", 1)
bool_ = DType("bool", 0)

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"bool_": bool_, "half": float16, "float": float32, "double": float64})
_BY_NP = {d.np: d for d in ALL}

FLOATING = (float16, float32, float64)
DEFAULT_FLOAT = float32
DEFAULT_INT = int32


def as_dtype(value: Any) -> DType:
    """Converts a name, NumPy dtype, Python type or DType to a lamina DType.

    Raises:
        TypeError: for something that names no dtype lamina supports.
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        found = _BY_NAME.get(value)
        if found is None:
            raise TypeError(f"Unknown dtype {value!r}: expected one of {_names()}.")
        return found
    if value is float:
        return float32
    if value is int:
        return int32
    if value is bool:
        return bool_
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Expected a dtype (one of {_names()}), received {value!r}.") from None
    found = _BY_NP.get(npd)
    if found is None:
        raise TypeError(f"Unsupported dtype {npd.name!r}: expected one of {_names()}.")
    return found


def from_numpy(npdtype: np.dtype) -> DType:
    """The DType of a NumPy dtype (fast path for arrays produced by the backend)."""
    found = _BY_NP.get(npdtype)
    if found is None:
        return as_dtype(npdtype)
    return found


def _names() -> str:
    return ", ".join(d.name for d in ALL)


# Python scalars are "weak": they take the dtype of the tensor they meet when the kinds agree.
WEAK_BOOL, WEAK_INT, WEAK_FLOAT = 0, 1, 2
_WEAK_DEFAULT = {WEAK_BOOL: bool_, WEAK_INT: int32, WEAK_FLOAT: float32}


def weak_kind(value: Any) -> int | None:
    """The weak category of a Python or NumPy scalar, or None if it is not one."""
    if isinstance(value, (bool, np.bool_)):
        return WEAK_BOOL
    if isinstance(value, (int, np.integer)):
        return WEAK_INT
    if isinstance(value, (float, np.floating)):
        return WEAK_FLOAT
    return None


def promote(a: DType, b: DType) -> DType:
    """The common dtype of two strong dtypes.

    Floats win over integers (int32 + float32 -> float32, not float64); within a category the
    wider type wins; integer pairs follow NumPy.
    """
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == 2:
        return a if a.itemsize >= b.itemsize else b
    return from_numpy(np.promote_types(a.np, b.np))


def result_type(strong: list[DType], weak: list[int]) -> DType:
    """The dtype of an operation on tensors of dtypes ``strong`` and scalars of kinds ``weak``."""
    if not strong:
        return _WEAK_DEFAULT[max(weak)]
    out = strong[0]
    for d in strong[1:]:
        out = promote(out, d)
    if weak and max(weak) > out.category:
        return _WEAK_DEFAULT[max(weak)]
    return out
