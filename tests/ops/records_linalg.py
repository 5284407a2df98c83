"""Records for linear algebra (lamina/ops/linalg.py): tensordot, einsum, norm."""
import numpy as np

import lamina as lm
from tests.ops.harness import Fixed, OpRecord, away_from_zero, distinct


def _tensordot(axes):
    return OpRecord("tensordot", lambda a, b: lm.tensordot(a, b, axes),
                    lambda a, b: np.tensordot(a, b, axes), [], grad2=True)


def _with_inputs(record, inputs):
    record.inputs = inputs
    return record


def _einsum(equation, *shapes, domain=None):
    record = OpRecord("einsum", lambda *xs: lm.einsum(equation, *xs),
                      lambda *xs: np.einsum(equation, *xs), [shapes], grad2=True)
    if domain is not None:
        record.domain = domain
    return record


def _fro(x, axis=None, keepdims=False):
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


RECORDS = [
    # matmul: matrices, batches that broadcast, vectors on either side
    OpRecord("matmul", lm.matmul, np.matmul,
             [((3, 4), (4, 2)), ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (3, 4, 2)),
              ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4,))], grad2=True),
    OpRecord("__matmul__", lambda a, b: a @ b, np.matmul, [((3, 4), (4, 2))]),
    # tensordot: int axes, pairs of lists, outer product, all axes
    _with_inputs(_tensordot(1), [((3, 4), (4, 5)), ((2, 3, 4), (4, 2))]),
    _with_inputs(_tensordot([[1, 2], [1, 0]]), [((2, 3, 4), (4, 3, 5))]),
    _with_inputs(_tensordot(0), [((2, 3), (4,))]),
    _with_inputs(_tensordot(2), [((3, 4), (3, 4))]),
    _with_inputs(_tensordot([[0], [1]]), [((3, 2), (4, 3))]),
    # einsum: explicit, implicit, batched, ellipsis with broadcasting, reductions,
    # traces and diagonals, three operands
    _einsum("ij,jk->ik", (3, 4), (4, 2)),
    _einsum("ij,jk", (3, 4), (4, 2)),
    _einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 2)),
    _einsum("...ij,...jk->...ik", (2, 3, 4), (4, 2)),
    _einsum("ij,ij->ij", (1, 3), (2, 3)),
    _einsum("ij->ji", (3, 4)),
    _einsum("ij->", (3, 4)),
    _einsum("ij->j", (3, 4)),
    _einsum("i,i->", (5,), (5,)),
    _einsum("i,j->ij", (3,), (4,)),
    _einsum("ii->", (3, 3)),
    _einsum("ii->i", (3, 3)),
    _einsum("iij->j", (3, 3, 2)),
    _einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    _einsum("bi,bi->b", (3, 4), (3, 4)),
    OpRecord("einsum", lambda x, i: lm.einsum("ij,j->i", x, i), lambda x, i: x @ i,
             [((3, 4), Fixed(lambda rng: rng.integers(0, 3, (4,))))]),
    # norm: vectors (whole tensor, one axis), matrices, several orders
    OpRecord("norm", lm.norm, lambda x: _fro(x), [((5,),), ((3, 4),)], grad2=True),
    OpRecord("norm", lambda x: lm.norm(x, axis=1, keepdims=True),
             lambda x: _fro(x, axis=1, keepdims=True), [((3, 4),)], grad2=True),
    OpRecord("norm", lambda x: lm.norm(x, ord=1, axis=-1),
             lambda x: np.sum(np.abs(x), axis=-1), [((3, 4),)], away_from_zero),
    OpRecord("norm", lambda x: lm.norm(x, ord=np.inf, axis=0),
             lambda x: np.max(np.abs(x), axis=0), [((3, 4),)], distinct),
    OpRecord("norm", lambda x: lm.norm(x, ord=3, axis=1),
             lambda x: np.sum(np.abs(x) ** 3, axis=1) ** (1 / 3), [((3, 4),)],
             away_from_zero, grad2=True),
    OpRecord("norm", lambda x: lm.norm(x, ord="fro", axis=(0, 1)), lambda x: _fro(x),
             [((3, 4),)], grad2=True),
    OpRecord("norm", lambda x: lm.norm(x, ord=1, axis=(1, 2)),
             lambda x: np.linalg.norm(x, 1, axis=(1, 2)), [((2, 3, 4),)], distinct),
    OpRecord("norm", lambda x: lm.norm(x, ord=np.inf, axis=[-2, -1], keepdims=True),
             lambda x: np.linalg.norm(x, np.inf, axis=(-2, -1), keepdims=True),
             [((2, 3, 4),)], distinct),
]
