"""Algebraic simplification and lowering to static shapes.

Rewrites that keep every value the same, bit for bit:
  * no-ops disappear: identity, stop_gradient, casts to the same dtype, reshapes/squeezes/
    transposes that change nothing, reductions over no axes, ``x + 0``, ``x - 0``, ``x * 1``,
    ``x / 1``, ``-(-x)``;
  * two transposes in a row become one; a select on a constant condition picks its branch;
  * the shape-polymorphic gradient helpers (SumToLike, BroadcastLike, ReshapeLike, FillLike,
    Size, Shape) become plain static ops now that every shape is known.
A rewrite applies only when the result has exactly the node's shape and dtype.
"""
from __future__ import annotations

import numpy as np

from ...ops.registry import REGISTRY
from .. import program as P
from . import rewrite

BROADCAST = "Broadcast"   # compiler-only view op: broadcast input 0 to attrs["shape"]

_VIEWS_OF_INPUT = ("Identity", "StopGradient", "Cast", "Reshape", "ExpandDims", "Squeeze",
                   "Transpose", "BroadcastLike", "ReshapeLike", "SumToLike")


def _same(a: P.Node, b: P.Node) -> bool:
    return a.shape == b.shape and a.dtype is b.dtype


def _const_all(node: P.Node, value: float) -> bool:
    return node.op == P.CONST and bool(np.all(node.attrs["value"] == value))


_REDUCTIONS = ("Sum", "Mean", "Max", "Min", "Prod", "All", "Any")


def _unchanged(node: P.Node, emit) -> P.Node | None:
    if node.op in _REDUCTIONS and not node.attrs["axis"] and _same(node.inputs[0], node):
        return node.inputs[0]   # a reduction over no axes
    if node.op in _VIEWS_OF_INPUT and node.inputs and _same(node.inputs[0], node):
        if node.op == "Transpose" and tuple(node.attrs["perm"]) != tuple(range(len(node.shape))):
            return None
        return node.inputs[0]
    return None


def _arithmetic(node: P.Node, emit) -> P.Node | None:
    if node.op not in ("Add", "Sub", "Mul", "RealDiv", "Neg"):
        return None
    if node.op == "Neg":
        x = node.inputs[0]
        return x.inputs[0] if x.op == "Neg" else None
    x, y = node.inputs
    neutral = 0 if node.op in ("Add", "Sub") else 1
    if _const_all(y, neutral) and _same(x, node):
        return x
    if node.op in ("Add", "Mul") and _const_all(x, neutral) and _same(y, node):
        return y
    return None


def _constant_select(node: P.Node, emit) -> P.Node | None:
    """``where(c, x, y)`` with a constant condition that is all true (all false) is x (y)."""
    if node.op != "Select" or node.inputs[0].op != P.CONST:
        return None
    condition = node.inputs[0].attrs["value"]
    chosen = node.inputs[1] if np.all(condition) else (
        node.inputs[2] if not np.any(condition) else None)
    return chosen if chosen is not None and _same(chosen, node) else None


def _double_transpose(node: P.Node, emit) -> P.Node | None:
    if node.op != "Transpose" or node.inputs[0].op != "Transpose":
        return None
    inner = node.inputs[0]
    perm = tuple(inner.attrs["perm"][p] for p in node.attrs["perm"])
    source = inner.inputs[0]
    if perm == tuple(range(len(perm))):
        return source
    return _emit(emit, P.Node("Transpose", REGISTRY["Transpose"], [source], {"perm": perm},
                              node.shape, node.dtype, node.name))


def _lower_like(node: P.Node, emit) -> P.Node | None:
    if node.op not in ("SumToLike", "BroadcastLike", "ReshapeLike") or not node.static:
        return None
    x = node.inputs[0]
    if not x.static:
        return None
    if node.op == "ReshapeLike":
        return _emit(emit, P.Node("Reshape", REGISTRY["Reshape"], [x],
                                  {"shape": tuple(node.shape)}, node.shape, node.dtype))
    if node.op == "BroadcastLike":
        return _emit(emit, P.Node(BROADCAST, None, [x], {"shape": tuple(node.shape)},
                                  node.shape, node.dtype))
    extra = len(x.shape) - len(node.shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, d in enumerate(node.shape)
                                       if d == 1 and x.shape[i + extra] != 1)
    kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    total = _emit(emit, P.Node("Sum", REGISTRY["Sum"], [x], {"axis": axes, "keepdims": True},
                               kept, node.dtype))
    if kept == tuple(node.shape):
        return total
    return _emit(emit, P.Node("Reshape", REGISTRY["Reshape"], [total],
                              {"shape": tuple(node.shape)}, node.shape, node.dtype))


def _static_values(node: P.Node, emit) -> P.Node | None:
    if node.op == "FillLike" and node.static:
        value = np.full(node.shape, node.attrs["value"], dtype=node.dtype.np)
    elif node.op == "Size" and node.inputs[0].static:
        value = np.asarray(int(np.prod(node.inputs[0].shape)), dtype=np.int32)
    elif node.op == "Shape" and node.inputs[0].static:
        value = np.asarray(node.inputs[0].shape, dtype=np.int32)
    else:
        return None
    return _emit(emit, P.Node(P.CONST, None, [], {"value": value}, value.shape, node.dtype))


def _emit(emit, node: P.Node) -> P.Node:
    emit(node)
    return node


RULES = (_unchanged, _arithmetic, _constant_select, _double_transpose, _lower_like,
         _static_values)


def run(program: P.Program) -> bool:
    def rule(node: P.Node, emit) -> P.Node | None:
        for r in RULES:
            out = r(node, emit)
            if out is not None:
                return out
        return None

    return rewrite(program, rule)
