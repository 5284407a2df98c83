"""Multiplying an embedding table before gathering its rows, not the gathered rows after.

An embedding feeding a dense map, as in Embedding -> LSTM (the LSTM's input projection over
every time step) or Embedding -> Dense, computes ``X @ W`` with ``X = E[ids]``: N gathered
rows of a table E of V rows. When N > V the same numbers come cheaper from the table:

    E[ids] @ W            = (E @ W)[ids]                    forward: V rows multiplied, not N
    E[ids]^T @ G          = E^T @ S                         weight gradient
    scatter_add(G @ W^T)  = S @ W^T                         table gradient
    where S = scatter_add(G, ids) (V rows: G's rows added up per id)

and a bias added to the product rides along: ``E[ids] @ W + b = (E @ W + b)[ids]``. For the
char_lstm benchmark (N = 32 x 32 steps, V = 64) this turns three (1024 x 64 x 512) products
into three of 64 rows. The gathered rows may pass through reshapes and transposes that keep
their last axis (batch-major to time-major, flattening): the same moves are applied to the ids.
The forward rule also takes products with leading axes (a Dense layer on embedded sequences,
``(batch, steps, D) @ (D, H)``); the gradient rules take the 2-D products of the LSTM path.

Each rule holds on its own, so the pass rewrites whatever part of the pattern it finds. Results
equal the unmerged program's up to float rounding (sums of products in another order).
"""
from __future__ import annotations

import numpy as np

from .. import program as P
from ...ops import indexing
from ...ops.registry import REGISTRY
from . import rewrite, single_use

_CHAIN = ("Reshape", "Transpose")


def _row_mode(spec: tuple) -> str | None:
    """The index mode of a GetItem/ScatterAdd spec on a 2-D array that selects whole rows at
    its one index input, ``E[ids]``; None for any other spec. The rule is indexing's
    ``_rows_only``, narrowed to the single item that ``E[ids]``, ``gather`` and Embedding
    write: ``E[ids, :]`` selects the same rows (rewriting it would be as sound) but is left
    as written."""
    return spec[0][2] if len(spec) == 1 and indexing._rows_only(spec, 2) else None


def _row_gather(node: P.Node) -> tuple[P.Node, P.Node, str] | None:
    """(table, ids, mode) when ``node`` gathers whole rows of a 2-D table: ``E[ids]``."""
    if node.op != "GetItem" or len(node.inputs) != 2:
        return None
    mode = _row_mode(node.attrs["spec"])
    table, ids = node.inputs
    if (mode is None or not table.static or len(table.shape) != 2
            or not ids.static or not ids.dtype.is_integer or not ids.shape
            or tuple(node.shape) != tuple(ids.shape) + (table.shape[1],)):
        return None
    return table, ids, mode


def _chain_step(node: P.Node) -> tuple | None:
    """A Reshape/Transpose that keeps the last axis, as an op on the leading axes alone:
    (op, attribute) with the attribute for the leading axes; None for anything else."""
    if node.op not in _CHAIN or not node.static or not node.shape:
        return None
    x = node.inputs[0]
    if not x.static or not x.shape or x.shape[-1] != node.shape[-1]:
        return None
    if node.op == "Transpose":
        perm = tuple(node.attrs["perm"])
        return ("Transpose", perm[:-1]) if perm[-1] == len(perm) - 1 else None
    return ("Reshape", tuple(node.shape[:-1]))


def _gathered(x: P.Node) -> tuple | None:
    """For ``x`` = moves(E[ids]): (table, ids, mode, the moves from ids to x's rows)."""
    moves = []
    node = x
    while (step := _chain_step(node)) is not None:
        moves.append(step)
        node = node.inputs[0]
    found = _row_gather(node)
    if found is None:
        return None
    return (*found, tuple(reversed(moves)))


def _scattered(values: P.Node) -> tuple[P.Node, tuple] | None:
    """For ``values`` = moves(M) with a 2-D product M: (M, the inverse moves, which take an
    array shaped like ``values``' leading axes to M's rows, in the order they apply)."""
    inverse = []
    node = values
    while _chain_step(node) is not None:
        x = node.inputs[0]
        if node.op == "Transpose":
            inverse.append(("Transpose", tuple(np.argsort(node.attrs["perm"][:-1]).tolist())))
        else:
            inverse.append(("Reshape", tuple(x.shape[:-1])))
        node = x
    if node.op != "MatMul" or len(node.shape) != 2:
        return None
    return node, tuple(inverse)


def run(program: P.Program) -> bool:
    single = single_use(program)
    made: dict = {}         # memo: one node per (kind, operands), shared by the rules
    lifted: dict[int, tuple] = {}   # id(new gather) -> (table product, ids, mode, old product)

    def once(key, build):
        if key not in made:
            made[key] = build()
        return made[key]

    def node(emit, op, inputs, attrs, shape, dtype) -> P.Node:
        prim = REGISTRY[op] if op != P.CONST else None
        new = P.Node(op, prim, inputs, attrs, tuple(shape), dtype)
        emit(new)
        return new

    def row_ids(emit, ids: P.Node, moves: tuple) -> P.Node:
        """The ids moved as the gathered rows were: one id per row of the product."""
        def build():
            cur = ids
            for op, attr in moves:
                if op == "Transpose":
                    if attr == tuple(range(len(attr))):
                        continue
                    shape = tuple(cur.shape[p] for p in attr)
                    cur = node(emit, "Transpose", [cur], {"perm": attr}, shape, ids.dtype)
                elif attr != tuple(cur.shape):
                    cur = node(emit, "Reshape", [cur], {"shape": attr}, attr, ids.dtype)
            return cur
        return once(("ids", id(ids), moves), build)

    def gather(emit, table: P.Node, idx: P.Node, mode: str) -> P.Node:
        shape = tuple(idx.shape) + (table.shape[1],)
        return node(emit, "GetItem", [table, idx], {"spec": (("array", 0, mode),)}, shape,
                    table.dtype)

    def row_sums(emit, g: P.Node, idx: P.Node, rows: int, mode: str) -> P.Node:
        """S = scatter_add(g, idx): g's rows added up per id, ``rows`` rows."""
        def build():
            shape = (rows, g.shape[1])
            # ScatterAdd reads only the shape of its "like" input: a broadcast zero holds it.
            like = node(emit, P.CONST, [], {"value": np.broadcast_to(
                np.zeros((), g.dtype.np), shape)}, shape, g.dtype)
            return node(emit, "ScatterAdd", [g, like, idx], {"spec": (("array", 0, mode),)},
                        shape, g.dtype)
        return once(("sums", id(g), id(idx), rows, mode), build)

    def transposed(emit, x: P.Node) -> P.Node:
        return once(("T", id(x)), lambda: node(emit, "Transpose", [x], {"perm": (1, 0)},
                                                x.shape[::-1], x.dtype))

    def matmul(emit, a: P.Node, b: P.Node) -> P.Node:
        return once(("mm", id(a), id(b)), lambda: node(
            emit, "MatMul", [a, b], {}, (a.shape[0], b.shape[1]), a.dtype))

    def forward(n: P.Node, emit) -> P.Node | None:
        """E[ids] @ W -> (E @ W)[ids] (x may have leading axes: a Dense layer on a sequence)."""
        x, w = n.inputs
        found = _gathered(x)
        if found is None or tuple(n.shape) != tuple(x.shape[:-1]) + (w.shape[1],):
            return None
        table, ids, mode, moves = found
        if (int(np.prod(x.shape[:-1])) <= table.shape[0]
                or not table.dtype == w.dtype == n.dtype):
            return None
        product = matmul(emit, table, w)
        out = gather(emit, product, row_ids(emit, ids, moves), mode)
        lifted[id(out)] = (product, out.inputs[1], mode, n)
        return out

    def bias(n: P.Node, emit) -> P.Node | None:
        """(E @ W)[ids] + b -> (E @ W + b)[ids] for a bias b broadcast along the rows."""
        k = next((k for k, i in enumerate(n.inputs) if id(i) in lifted), None)
        if k is None:
            return None
        product, idx, mode, old = lifted[id(n.inputs[k])]
        b = n.inputs[1 - k]
        if (not single(old) or not b.static
                or tuple(b.shape) not in ((product.shape[1],), (1, product.shape[1]))
                or b.dtype != n.dtype or tuple(n.shape) != tuple(n.inputs[k].shape)):
            return None
        operands = [product, b] if k == 0 else [b, product]
        return gather(emit, node(emit, "Add", operands, {}, product.shape, n.dtype), idx, mode)

    def weight_grad(n: P.Node, emit) -> P.Node | None:
        """E[ids]^T @ G -> E^T @ scatter_add(G, ids)."""
        a, g = n.inputs
        if (a.op != "Transpose" or tuple(a.attrs["perm"]) != (1, 0) or len(g.shape) != 2
                or len(n.shape) != 2):
            return None
        found = _gathered(a.inputs[0])
        if found is None:
            return None
        table, ids, mode, moves = found
        rows = table.shape[0]
        if g.shape[0] <= rows or not table.dtype == g.dtype == n.dtype:
            return None
        sums = row_sums(emit, g, row_ids(emit, ids, moves), rows, mode)
        return matmul(emit, transposed(emit, table), sums)

    def table_grad(n: P.Node, emit) -> P.Node | None:
        """scatter_add(moves(G @ Wt), ids) -> scatter_add(G, moved ids) @ Wt."""
        if len(n.inputs) != 3 or len(n.shape) != 2:
            return None
        mode = _row_mode(n.attrs["spec"])
        values, _, ids = n.inputs
        if mode is None or not ids.static or not ids.dtype.is_integer:
            return None
        found = _scattered(values)
        if found is None:
            return None
        product, inverse = found
        g, wt = product.inputs
        rows = n.shape[0]
        if (len(g.shape) != 2 or g.shape[0] <= rows or len(wt.shape) != 2
                or not g.dtype == wt.dtype == n.dtype):
            return None
        idx = row_ids(emit, ids, inverse)
        if tuple(idx.shape) != (g.shape[0],):
            return None
        return matmul(emit, row_sums(emit, g, idx, rows, mode), wt)

    def rule(n: P.Node, emit) -> P.Node | None:
        if not n.static or not n.dtype.is_floating:
            return None
        if (n.op == "MatMul" and len(n.inputs[0].shape) >= 2 and len(n.inputs[1].shape) == 2
                and all(i.static for i in n.inputs)):
            return forward(n, emit) or weight_grad(n, emit)
        if n.op == "Add":
            return bias(n, emit)
        if n.op == "ScatterAdd":
            return table_grad(n, emit)
        return None

    return rewrite(program, rule)
