"""Dead-code elimination: drop nodes that no output and no side effect depends on."""
from __future__ import annotations

from ..program import INPUT, Program


def run(program: Program) -> bool:
    live: set[int] = set()
    stack = [*program.outputs, *program.effects]
    while stack:
        node = stack.pop()
        if id(node) in live:
            continue
        live.add(id(node))
        stack.extend(node.inputs)
    kept = [n for n in program.nodes if id(n) in live or n.op == INPUT]
    changed = len(kept) != len(program.nodes)
    program.nodes = kept
    return changed
