"""Slice assembly: a sum of ``ScatterAdd`` nodes (slices written into zeros) becomes one
``AssembleSlices`` node.

Gradients of slicing look like this: every ``x[t]`` a recurrent layer reads contributes a
gradient the size of all of ``x`` that is zero outside slice ``t``, and the backward walk adds
them up. For T slices that is T full-size arrays and T full-size additions, O(T^2) work. The
assembled node zero-fills once and adds each slice into its place (or, when the slices cover
the array exactly once, just copies them there), O(T) work.

Only ScatterAdds with a static basic index (ints and slices, no index tensors) are merged,
and only where each merged value feeds nothing but the sum.
"""
from __future__ import annotations

from .. import program as P
from . import rewrite

ASSEMBLE = "AssembleSlices"   # inputs: the slices' values; attrs["specs"]: their indices


def _parts(node: P.Node, users: dict[int, list], outputs: set[int]) -> list | None:
    """(value, spec) pairs a node contributes, if it may be merged into its one user."""
    if len(users.get(id(node), ())) != 1 or id(node) in outputs:
        return None
    if node.op == ASSEMBLE:
        return list(zip(node.inputs, node.attrs["specs"]))
    if node.op == "ScatterAdd" and len(node.inputs) == 2 and _basic(node.attrs["spec"]):
        return [(node.inputs[0], node.attrs["spec"])]
    return None


def _basic(spec: tuple) -> bool:
    from ...ops.indexing import _is_basic
    return _is_basic(spec) and not any(isinstance(f, tuple) for item in spec for f in item)


def run(program: P.Program) -> bool:
    users = program.users()
    outputs = {id(n) for n in program.outputs}

    def rule(node: P.Node, emit) -> P.Node | None:
        if node.op != "Add" or not node.static:
            return None
        a, b = node.inputs
        if a.shape != node.shape or b.shape != node.shape or a is b:
            return None
        pa, pb = _parts(a, users, outputs), _parts(b, users, outputs)
        if pa is None or pb is None:
            return None
        parts = pa + pb
        merged = P.Node(ASSEMBLE, None, [v for v, _ in parts], {"specs": [s for _, s in parts]},
                        node.shape, node.dtype, node.name)
        emit(merged)
        users[id(merged)] = users.get(id(node), [])
        return merged

    return rewrite(program, rule)
