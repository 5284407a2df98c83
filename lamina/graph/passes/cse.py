"""Common-subexpression elimination: two pure nodes with the same op, inputs and attributes
compute the same value, so the later one is replaced by the earlier. Small constants with equal
values are merged the same way."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import program as P
from . import rewrite

SMALL_CONST = 64  # elements: larger constants are compared by identity only


def attr_key(value: Any) -> Any:
    """A hashable stand-in for an attribute value (arrays by content when small)."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.size <= SMALL_CONST:
            return ("array", arr.dtype.str, arr.shape, arr.tobytes())
        return ("id", id(value))
    if isinstance(value, dict):
        return tuple(sorted((k, attr_key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(attr_key(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def run(program: P.Program) -> bool:
    seen: dict[Any, P.Node] = {}

    def rule(node: P.Node, emit) -> P.Node | None:
        if node.op == P.CONST:
            key = ("Const", node.dtype.name, attr_key(node.attrs["value"]))
        elif node.pure:
            key = (node.op, tuple(id(i) for i in node.inputs), attr_key(node.attrs))
        else:
            return None
        earlier = seen.get(key)
        if earlier is not None and earlier.shape == node.shape and earlier.dtype is node.dtype:
            return earlier
        seen[key] = node
        return None

    return rewrite(program, rule)
