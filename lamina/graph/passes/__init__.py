"""Optimizing passes over a Program, one per file, run in the order of PIPELINE.

Each pass is a function ``run(program) -> bool`` (True if it changed something) that rewrites
the program in place. They share :func:`rewrite`, which walks the nodes in order and lets a
rule replace a node by another (earlier or newly inserted) node.
"""
from __future__ import annotations

from typing import Callable

from ..program import Node, Program


def rewrite(program: Program, rule: Callable[[Node, Callable[[Node], Node]], Node | None]
            ) -> bool:
    """Applies ``rule(node, emit)`` to every node in order.

    The rule returns None to keep the node, or the node that should replace it; it may call
    ``emit(new_node)`` to insert new nodes (built from earlier nodes) before the replacement.
    Uses of replaced nodes are redirected, including program outputs.
    """
    alias: dict[int, Node] = {}
    out: list[Node] = []
    changed = False
    for node in program.nodes:
        if alias:                   # most passes replace nothing: no need to rebuild inputs
            node.inputs = [alias.get(id(i), i) for i in node.inputs]
        replacement = rule(node, out.append) if node not in program.effects else None
        if replacement is None or replacement is node:
            out.append(node)
            continue
        alias[id(node)] = replacement
        changed = True
    program.nodes = out
    program.outputs = [alias.get(id(o), o) for o in program.outputs]
    return changed


def single_use(program: Program) -> Callable[[Node], bool]:
    """A test of the program as it is now: whether a node feeds exactly one node and is no
    program output (so a pass may merge its value into that one user)."""
    users = program.users()
    outputs = {id(n) for n in program.outputs}
    return lambda node: len(users.get(id(node), ())) == 1 and id(node) not in outputs


from . import (assemble, batch_matmul, bias_relu, bias_relu_pool,  # noqa: E402
               constant_folding, cse, dce, fused_decay, fusion, gather_matmul, memory,
               pool_relu, simplify, sum_squares)

# The cleanup passes run until nothing changes (at most MAX_ROUNDS times).
CLEANUP = (simplify.run, constant_folding.run, cse.run, dce.run, assemble.run)
MAX_ROUNDS = 4


def _cleanup(program: Program) -> None:
    for _ in range(MAX_ROUNDS):
        changed = False
        for p in CLEANUP:
            changed |= p(program)
        if not changed:
            break


def optimize(program: Program, fuse: bool = False, kernels: bool = False) -> Program:
    """Runs the cleanup passes to a fixed point, then the moving of products in front of row
    gathers (cleaning up again after it), the merging of small products and of ReLU masks
    into pooling gradients, then elementwise fusion if asked (else the merging of bias
    additions with the ReLU after them, of sums of squares into dot products and, where the
    CPU's numba kernels will run the code (``kernels``), of bias + ReLU with the max pooling
    after it and of weight-penalty gradients into the fused optimizer step)."""
    _cleanup(program)
    if gather_matmul.run(program):
        _cleanup(program)
    if batch_matmul.run(program) | pool_relu.run(program):
        dce.run(program)
    if fuse:
        fusion.run(program)
        dce.run(program)
    elif (bias_relu.run(program) | sum_squares.run(program)
          | (kernels and (bias_relu_pool.run(program) | fused_decay.run(program)))):
        dce.run(program)
    return program
