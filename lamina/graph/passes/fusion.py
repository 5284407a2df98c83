"""Elementwise fusion: a chain of elementwise ops, each feeding only the next, becomes one
"Fused" node whose ``body`` lists the steps.

On a GPU a fused node becomes one generated kernel (one read and one write of memory instead
of one per op). On the CPU NumPy runs each step anyway, and the memory planner already makes
such chains work in place, so the CPU backend does not ask for this pass by default; the CPU
code generator still supports fused nodes (each step a ufunc writing into the output).

A body step is ``(op, prim, args, attrs)`` where each arg is ``("in", k)`` (the node's k-th
input) or ``("prev",)`` (the previous step's result).
"""
from __future__ import annotations

from .. import program as P

FUSED = "Fused"


def fusible(node: P.Node) -> bool:
    """Single-ufunc elementwise primitives (and Relu) with a known shape."""
    return (node.prim is not None and (node.prim.ufunc is not None or node.op == "Relu")
            and node.static)


def run(program: P.Program) -> bool:
    users = program.users()
    outputs = {id(n) for n in program.outputs} | {id(n) for n in program.effects}
    chain_of: dict[int, list[P.Node]] = {}   # id(last node of a chain) -> its nodes
    for node in program.nodes:
        if not fusible(node):
            continue
        chain = [node]
        for x in node.inputs:
            earlier = chain_of.get(id(x))
            if (earlier is not None and len(users[id(x)]) == 1 and id(x) not in outputs
                    and x.shape == node.shape and x.dtype is node.dtype):
                chain = earlier + [node]
                del chain_of[id(x)]
                break
        chain_of[id(node)] = chain
    changed = False
    for chain in chain_of.values():
        if len(chain) > 1:
            _fuse(program, chain)
            changed = True
    return changed


def _fuse(program: P.Program, chain: list[P.Node]) -> None:
    """Turns the last node of ``chain`` into a Fused node; the others become dead."""
    inputs: list[P.Node] = []
    body = []
    previous = None
    for node in chain:
        args = []
        for x in node.inputs:
            if x is previous:
                args.append(("prev",))
            else:
                if x not in inputs:
                    inputs.append(x)
                args.append(("in", inputs.index(x)))
        body.append((node.op, node.prim, tuple(args), dict(node.attrs)))
        previous = node
    last = chain[-1]
    last.op, last.prim, last.inputs = FUSED, None, inputs
    last.attrs = {"body": body}
