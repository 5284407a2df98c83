"""Python operators on tensors (``+ - * / // % ** @``, comparisons, ``& | ~``, indexing).

They go through :func:`~lamina.ops.registry.apply_binary`, which has a direct path for two
eager tensors of one dtype; everything else (Python numbers, promotion, graphs, tapes) takes
the general path of :func:`~lamina.ops.registry.bind`.
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import linalg, math as m, shape as shape_ops
from .registry import Primitive, apply_binary


def _binary(prim: Primitive):
    def forward(self, other):
        return apply_binary(prim, self, other)

    def reflected(self, other):
        return apply_binary(prim, other, self)

    return forward, reflected


def _reshape_method(self: Tensor, *shape: Any) -> Tensor:
    """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return shape_ops.reshape(self, shape)


def _transpose_method(self: Tensor, *perm: Any) -> Tensor:
    """``t.transpose()``, ``t.transpose(1, 0)`` or ``t.transpose((1, 0))``."""
    if len(perm) == 1 and not isinstance(perm[0], int):
        perm = perm[0]
    return shape_ops.transpose(self, perm or None)


def install() -> None:
    """Attaches the operators and the method forms of common functions to Tensor."""
    table = {"add": m.ADD, "sub": m.SUB, "mul": m.MUL, "truediv": m.DIV,
             "floordiv": m.FLOOR_DIV, "mod": m.MOD, "pow": m.POW,
             "and": m.LOGICAL_AND, "or": m.LOGICAL_OR, "xor": m.LOGICAL_XOR}
    for name, prim in table.items():
        forward, reflected = _binary(prim)
        setattr(Tensor, f"__{name}__", forward)
        setattr(Tensor, f"__r{name}__", reflected)
    for name, prim in {"eq": m.EQUAL, "ne": m.NOT_EQUAL, "lt": m.LESS, "le": m.LESS_EQUAL,
                       "gt": m.GREATER, "ge": m.GREATER_EQUAL}.items():
        setattr(Tensor, f"__{name}__", _binary(prim)[0])
    Tensor.__neg__ = lambda self: m.negative(self)
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = lambda self: m.abs(self)
    Tensor.__invert__ = lambda self: m.logical_not(self)
    Tensor.__matmul__ = lambda self, other: linalg.matmul(self, other)
    Tensor.__rmatmul__ = lambda self, other: linalg.matmul(other, self)
    Tensor.__getitem__ = lambda self, index: shape_ops.getitem(self, index)
    Tensor.T = property(lambda self: shape_ops.transpose(self))
    methods = {
        "sum": m.sum, "mean": m.mean, "max": m.max, "min": m.min, "prod": m.prod,
        "var": m.var, "std": m.std, "argmax": m.argmax, "argmin": m.argmin, "all": m.all,
        "any": m.any, "exp": m.exp, "log": m.log, "sqrt": m.sqrt, "abs": m.abs,
        "tanh": m.tanh, "sigmoid": m.sigmoid, "relu": m.relu, "square": m.square,
        "clip": m.clip, "astype": m.cast, "cast": m.cast,
        "reshape": _reshape_method, "transpose": _transpose_method,
        "squeeze": shape_ops.squeeze, "expand_dims": shape_ops.expand_dims,
        "flatten": lambda self: shape_ops.reshape(self, (-1,)),
        "matmul": linalg.matmul,
    }
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
