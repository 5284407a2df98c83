"""Flattening and rebuilding nested lists, tuples and dicts (fetches, gradients, weights)."""
from __future__ import annotations

from typing import Any, Callable


def is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def flatten(structure: Any) -> list:
    """The leaves of a nested structure, depth first (dicts in sorted key order)."""
    if isinstance(structure, dict):
        return [leaf for k in sorted(structure, key=str) for leaf in flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_like(structure: Any, leaves: list) -> Any:
    """Rebuilds ``structure`` with its leaves replaced, in :func:`flatten` order."""
    it = iter(leaves)

    def build(node: Any) -> Any:
        if isinstance(node, dict):
            built = {k: build(node[k]) for k in sorted(node, key=str)}
            return type(node)((k, built[k]) for k in node)
        if isinstance(node, tuple) and hasattr(node, "_fields"):
            return type(node)(*[build(v) for v in node])
        if isinstance(node, (list, tuple)):
            return type(node)(build(v) for v in node)
        return next(it)

    return build(structure)


def map_structure(fn: Callable, structure: Any) -> Any:
    return pack_like(structure, [fn(x) for x in flatten(structure)])
