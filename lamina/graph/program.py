"""The compiler's IR: a Program of Nodes with concrete shapes, built from part of a Graph.

A Graph is what users build (names, scopes, placeholders with unknown dims). To compile, we
take the operations the fetches need, fix the shapes of the fed inputs, and copy them into a
Program whose every Node knows its concrete shape and dtype. The passes (passes/) rewrite the
Program; code generation (codegen/) turns it into a function. The user's Graph is never
changed, and ``print(program)`` shows the optimized result.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..backends import to_host
from ..ops.registry import Aval, Primitive
from ..tensor import _fmt_shape
from .ir import Operation

# Node kinds that are not primitives.
INPUT = "Input"          # a fed value (argument of the compiled function)
CONST = "Const"          # attrs["value"]: an array
READ = "ReadVariable"    # attrs["slot"]: an object whose ._value is the variable's array
ASSIGN = "Assign"        # attrs["slot"], attrs["how"]; input: the new value / delta


class Node:
    """One value of a Program: op type, input nodes, attributes, concrete shape and dtype."""

    __slots__ = ("op", "prim", "inputs", "attrs", "shape", "dtype", "name")

    def __init__(self, op: str, prim: Primitive | None, inputs: Sequence["Node"], attrs: dict,
                 shape: tuple | None, dtype: _dt.DType, name: str = ""):
        self.op = op
        self.prim = prim
        self.inputs = list(inputs)
        self.attrs = attrs
        self.shape = shape
        self.dtype = dtype
        self.name = name

    @property
    def static(self) -> bool:
        """True when every dim is known (so a buffer can be allocated ahead of time)."""
        return self.shape is not None and None not in self.shape

    @property
    def pure(self) -> bool:
        """True when the node's value depends on its inputs alone (no state, no randomness)."""
        return self.prim is not None and not self.prim.stateful and self.op not in (
            INPUT, READ, ASSIGN)

    def __repr__(self) -> str:
        return f"<Node {self.name or self.op}>"


class Program:
    """A straight-line program: nodes in execution order, with inputs, outputs and effects.

    Attributes:
        nodes: every node, each after its inputs (and after any earlier state change it must
            follow: assigns and reads of one variable keep their relative order).
        inputs: the INPUT nodes, in argument order.
        outputs: the nodes whose values the compiled function returns.
        effects: nodes that must run even though no output needs them (assigns).
    """

    def __init__(self):
        self.nodes: list[Node] = []
        self.inputs: list[Node] = []
        self.outputs: list[Node] = []
        self.effects: list[Node] = []
        self.optimized_with: dict | None = None    # optimize()'s options, once it ran

    def add(self, node: Node) -> Node:
        self.nodes.append(node)
        return node

    def replace_uses(self, old: Node, new: Node) -> None:
        """Makes every use of ``old`` (as an input, output or effect) use ``new``."""
        for n in self.nodes:
            n.inputs = [new if i is old else i for i in n.inputs]
        self.outputs = [new if o is old else o for o in self.outputs]

    def users(self) -> dict[int, list[Node]]:
        """id(node) -> the nodes that take it as an input."""
        out: dict[int, list[Node]] = {id(n): [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out.setdefault(id(i), []).append(n)
        return out

    def __str__(self) -> str:
        names = {id(n): f"%{k}" for k, n in enumerate(self.nodes)}
        lines = []
        for n in self.nodes:
            args = ", ".join(names.get(id(i), "?") for i in n.inputs)
            attrs = _fmt_attrs(n.attrs)
            shape = "?" if n.shape is None else _fmt_shape(n.shape)
            tag = ""
            if n in self.outputs:
                tag = "  # output"
            elif n in self.effects:
                tag = "  # effect"
            label = f" [{n.name}]" if n.name else ""
            lines.append(f"{names[id(n)]} = {n.op}({args}){attrs} : {n.dtype.name}{shape}"
                         f"{label}{tag}")
        return "\n".join(lines)


def _fmt_attrs(attrs: dict) -> str:
    shown = {}
    for k, v in attrs.items():
        if k == "slot":
            v = getattr(v, "_name", type(v).__name__)
        elif isinstance(v, (np.ndarray, np.generic)):
            v = (np.array2string(np.asarray(v), separator=",").replace("\n", "")
                 if np.size(v) <= 4 else f"<{np.asarray(v).dtype}{_fmt_shape(np.shape(v))}>")
        elif isinstance(v, _dt.DType):
            v = v.name
        elif k == "body":
            v = "[" + "; ".join(step[0] for step in v) + "]"
        shown[k] = v
    if not shown:
        return ""
    return " {" + ", ".join(f"{k}={v}" for k, v in shown.items()) + "}"


def build_program(ops: list[Operation], fetched: list, feeds: dict[int, np.ndarray],
                  slot_of: Any) -> tuple[Program, list]:
    """Copies ``ops`` into a Program with concrete shapes.

    Args:
        ops: the needed operations, in graph order.
        fetched: the tensors (or operations) to return, in order.
        feeds: id(tensor) -> fed array (only shapes and dtypes are used, plus the key order,
            which is the order of the compiled function's arguments).
        slot_of: maps a Variable to the object holding its array (``._value``).

    Returns:
        the Program and the list of fed tensor ids in argument order.
    """
    prog = Program()
    node_of: dict[int, Node] = {}
    feed_order = list(feeds)
    fed_ops = {}
    for op in ops:
        if op.outputs and id(op.outputs[0]) in feeds:
            fed_ops[id(op)] = op
    for key in feed_order:
        array = feeds[key]
        node = Node(INPUT, None, (), {"index": len(prog.inputs)}, tuple(array.shape),
                    _dt.from_numpy(array.dtype), f"input{len(prog.inputs)}")
        prog.inputs.append(prog.add(node))
        node_of[key] = node
    for op in ops:
        if id(op) in fed_ops or op.type in ("NoOp", "Placeholder"):
            continue
        node = _convert(op, node_of, slot_of)
        prog.add(node)
        node_of[id(op.outputs[0])] = node
        if node.op == ASSIGN or (node.prim is not None and node.prim.effect):
            prog.effects.append(node)
    for f in fetched:
        if isinstance(f, Operation):
            continue
        prog.outputs.append(node_of[id(f)])
    return prog, feed_order


def _convert(op: Operation, node_of: dict[int, Node], slot_of: Any) -> Node:
    out = op.outputs[0]
    name = op.name
    if op.type == "Const":   # constants are host arrays here; code generation places them
        value = np.asarray(to_host(op.attrs["value"]))
        return Node(CONST, None, (), {"value": value}, value.shape, out._dtype, name)
    if op.type in ("VariableV2", "ReadVariable"):
        var = op.attrs["var"]
        return Node(READ, None, (), {"slot": slot_of(var)}, tuple(var.shape), var._dtype, name)
    inputs = [node_of[id(t)] for t in op.inputs]
    if op.type == "Assign":
        var = op.attrs["var"]
        return Node(ASSIGN, None, inputs, {"slot": slot_of(var), "how": op.attrs["how"]},
                    tuple(var.shape), var._dtype, name)
    attrs = dict(op.attrs)
    if op.prim.effect:  # the variables it writes, as the objects holding their arrays here
        attrs["writes"] = tuple(slot_of(v) for v in attrs["writes"])
    aval = op.prim.shape(*[Aval(i.shape, i.dtype) for i in inputs], **attrs)
    return Node(op.type, op.prim, inputs, attrs, aval.shape, aval.dtype, name)


def written_slots(node: Node) -> tuple:
    """The variable slots a node changes: an assign's one slot, an effect's ``writes``."""
    if node.op == ASSIGN:
        return (node.attrs["slot"],)
    if node.prim is not None and node.prim.effect:
        return tuple(node.attrs["writes"])
    return ()


def reinfer(node: Node) -> None:
    """Recomputes a primitive node's shape and dtype from its inputs (after a rewrite)."""
    if node.prim is not None and node.prim.shape is not None:
        aval = node.prim.shape(*[Aval(i.shape, i.dtype) for i in node.inputs], **node.attrs)
        node.shape, node.dtype = aval.shape, aval.dtype
