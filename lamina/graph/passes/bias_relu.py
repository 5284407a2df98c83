"""Merging a bias addition and the ReLU after it into one ``BiasRelu`` node.

Dense and convolution layers with ``activation="relu"`` compute ``relu(x @ W + b)``: after the
product, two passes over the activation (add the bias, clip at zero). The merged node makes
one (a numba kernel on the CPU; the two NumPy calls without numba). It runs where elementwise
fusion does not (the CPU): a fused chain does the same and more on the GPU.
"""
from __future__ import annotations

from .. import program as P
from . import rewrite, single_use

BIAS_RELU = "BiasRelu"   # inputs: x (..., C), b (C,); output: max(x + b, 0)


def run(program: P.Program) -> bool:
    single = single_use(program)

    def rule(node: P.Node, emit) -> P.Node | None:
        if node.op != "Relu" or not node.static or node.dtype.np.kind != "f":
            return None
        (add,) = node.inputs
        if add.op != "Add" or not single(add) or add.dtype != node.dtype:
            return None
        x, b = add.inputs
        if len(b.shape) != 1 and len(x.shape) == 1:
            x, b = b, x
        if (x.shape != node.shape or len(b.shape) != 1 or len(x.shape) < 2
                or b.shape[0] != x.shape[-1] or x.dtype != node.dtype or b.dtype != node.dtype):
            return None
        merged = P.Node(BIAS_RELU, None, [x, b], {}, node.shape, node.dtype, node.name)
        emit(merged)
        return merged

    return rewrite(program, rule)
