"""Batching a sum of small matrix products into one product.

The weight gradient of a recurrent layer is a sum over time steps of ``h_t^T @ g_t``: T
products whose inner dimension is the batch size (say 32), each too small for BLAS to run
fast. Since ``sum_i A_i @ B_i = [A_1 ... A_T] @ [B_1; ...; B_T]``, the pass replaces the sum
by one ``MatMulSum`` node, which code generation turns into copies of the operands into two
stacked buffers and a single large product. The result equals the sum up to float rounding
(the additions happen in another order).

Merged are trees of additions whose leaves are 2-D products with small inner dimensions
(MAX_INNER; large products are fast already), each value feeding nothing but the sum, and
only when there are at least MIN_TERMS products.
"""
from __future__ import annotations

from .. import program as P
from . import rewrite, single_use
from .assemble import ASSEMBLE

# inputs: A_1, B_1, A_2, B_2, ...; output: sum of A_i @ B_i. With attrs["stacked_b"]: inputs
# A_1, ..., A_T and one node holding B_1, ..., B_T stacked along its first axis.
MATMUL_SUM = "MatMulSum"
MIN_TERMS = 4
MAX_INNER = 128


def _sum_trees(program: P.Program) -> dict[int, list[P.Node]]:
    """For each addition that sums small products only: the operands A_1, B_1, A_2, ..."""
    single = single_use(program)
    terms: dict[int, list[P.Node]] = {}

    def leaf(node: P.Node) -> list[P.Node] | None:
        if not single(node):
            return None
        if id(node) in terms:
            return terms[id(node)]
        if node.op == "MatMul" and len(node.shape) == 2 and all(
                len(i.shape) == 2 for i in node.inputs) and node.inputs[0].shape[1] <= MAX_INNER:
            return list(node.inputs)
        return None

    for node in program.nodes:
        if node.op != "Add" or not node.static or node.inputs[0] is node.inputs[1]:
            continue
        if any(i.shape != node.shape for i in node.inputs):
            continue
        a, b = (leaf(i) for i in node.inputs)
        if a is not None and b is not None:
            terms[id(node)] = a + b
    # Keep the roots: sums not themselves merged into a larger sum.
    inner = {id(i) for n in program.nodes if id(n) in terms for i in n.inputs}
    return {k: v for k, v in terms.items() if k not in inner and len(v) // 2 >= MIN_TERMS}


def _stacked(program: P.Program, operands: list[P.Node], before: int) -> tuple | None:
    """An AssembleSlices node, computed before position ``before``, that already stacks every
    B_i along a new first axis (a recurrent layer's gate gradients, stacked for its input
    projection): (that node, the A_i in its order). The product then reads it as it is."""
    partner = {id(b): a for a, b in zip(operands[0::2], operands[1::2])}
    if len(partner) != len(operands) // 2:
        return None
    for node in program.nodes[:before]:
        if node.op != ASSEMBLE or len(node.inputs) != len(partner) or not node.static:
            continue
        specs = node.attrs["specs"]
        if not all(len(s) == 1 and s[0][0] == "int" for s in specs):
            continue
        order = sorted(range(len(specs)), key=lambda k: specs[k][0][1])
        # each B_i exactly once (a stack repeating one would drop another's term)
        if ([specs[k][0][1] for k in order] != list(range(node.shape[0]))
                or {id(i) for i in node.inputs} != partner.keys()
                or any(i.shape != node.shape[1:] for i in node.inputs)):
            continue
        return node, [partner[id(node.inputs[k])] for k in order]
    return None


def run(program: P.Program) -> bool:
    roots = _sum_trees(program)
    position = {id(n): k for k, n in enumerate(program.nodes)}

    def rule(node: P.Node, emit) -> P.Node | None:
        operands = roots.get(id(node))
        if operands is None:
            return None
        found = _stacked(program, operands, position[id(node)])
        if found is not None:   # inputs A_1 ... A_T, then the stack of the B_i
            stack, a_nodes = found
            merged = P.Node(MATMUL_SUM, None, [*a_nodes, stack], {"stacked_b": True},
                            node.shape, node.dtype, node.name)
        else:
            merged = P.Node(MATMUL_SUM, None, operands, {}, node.shape, node.dtype, node.name)
        emit(merged)
        return merged

    return rewrite(program, rule)
