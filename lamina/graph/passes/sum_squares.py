"""A sum of squares over every axis becomes one ``SumSquares`` node (a dot product).

An L2 penalty (``kernel_regularizer``, scikit-learn's ``alpha``) adds ``sum(square(w))`` for
each weight matrix to the loss on every step: a pass writing the squares, then a reduction
reading them. ``dot(w, w)`` on the flattened array is one BLAS call reading ``w`` once
(a 64 x 100 matrix: 3.5 -> 1 us). The sum runs in another order than ``add.reduce``'s, within
float rounding of it. Like ``bias_relu`` it runs where elementwise fusion does not.
"""
from __future__ import annotations

from .. import program as P
from . import rewrite

SUM_SQUARES = "SumSquares"   # input: x; output: the sum of x * x over all of x, shape ()/(1,..)


def run(program: P.Program) -> bool:
    users = program.users()
    outputs = {id(n) for n in program.outputs}

    def rule(node: P.Node, emit) -> P.Node | None:
        if node.op != "Sum" or not node.static or node.dtype.np.kind != "f":
            return None
        (square,) = node.inputs
        if (square.op != "Square" or len(users.get(id(square), ())) != 1
                or id(square) in outputs or square.dtype != node.dtype or not square.shape):
            return None
        axis = node.attrs.get("axis")
        rank = len(square.shape)
        axes = range(rank) if axis is None else (axis,) if isinstance(axis, int) else axis
        if sorted(a % rank for a in axes) != list(range(rank)):
            return None
        (x,) = square.inputs
        if x.dtype != node.dtype or x.shape != square.shape:
            return None
        merged = P.Node(SUM_SQUARES, None, [x], {}, node.shape, node.dtype, node.name)
        emit(merged)
        return merged

    return rewrite(program, rule)
