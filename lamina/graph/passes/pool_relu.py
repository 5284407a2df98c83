"""Folding a ReLU's gradient into the max-pooling gradient that feeds it.

A convolution block runs conv -> ReLU -> max pooling, so its backward pass routes the pooled
gradient to the window maxima (``MaxPoolGrad``) and then masks it by the ReLU
(``ReluGrad(dx, y)``, reading the ReLU's output y). The pooling gradient already reads y, as
its input ``x``: the merged node applies the mask in the same pass, ``dx * (y > 0)``, saving a
pass over the largest activation of the network. The float operations are the same, in the
same order, as the two nodes'.
"""
from __future__ import annotations

from .. import program as P
from . import rewrite, single_use


def run(program: P.Program) -> bool:
    single = single_use(program)

    def rule(node: P.Node, emit) -> P.Node | None:
        if node.op != "ReluGrad" or len(node.inputs) != 2:
            return None
        pool, features = node.inputs
        if (pool.op != "MaxPoolGrad" or pool.attrs.get("relu") or pool.inputs[0] is not features
                or not single(pool)
                or pool.shape != node.shape or pool.dtype != node.dtype):
            return None
        merged = P.Node(pool.op, pool.prim, pool.inputs, dict(pool.attrs, relu=True),
                        node.shape, node.dtype, node.name)
        emit(merged)
        return merged

    return rewrite(program, rule)
