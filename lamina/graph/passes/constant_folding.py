"""Constant folding: a pure node whose inputs are all constants is computed once, at compile
time, and becomes a constant (if its result is not too large to keep)."""
from __future__ import annotations

import numpy as np

from .. import program as P

MAX_ELEMENTS = 1 << 16


def run(program: P.Program) -> bool:
    changed = False
    for node in program.nodes:
        if _fold_broadcast(node):
            changed = True
            continue
        if not node.pure or node.prim.forward is None or node in program.effects:
            continue
        if not all(i.op == P.CONST for i in node.inputs) or not node.static:
            continue
        if int(np.prod(node.shape)) > MAX_ELEMENTS:
            continue
        value = node.prim.forward(np, *[i.attrs["value"] for i in node.inputs], **node.attrs)
        node.op, node.prim, node.inputs = P.CONST, None, []
        node.attrs = {"value": np.asarray(value)}
        changed = True
    return changed


def _fold_broadcast(node: P.Node) -> bool:
    """A broadcast of a small constant is a constant (so what uses it can fold too)."""
    from .simplify import BROADCAST
    if node.op != BROADCAST or node.inputs[0].op != P.CONST or not node.static:
        return False
    if int(np.prod(node.shape)) > MAX_ELEMENTS:
        return False
    value = np.broadcast_to(node.inputs[0].attrs["value"], node.shape).copy()
    node.op, node.prim, node.inputs, node.attrs = P.CONST, None, [], {"value": value}
    return True
