"""Linear algebra: matmul (batched, broadcasting), tensordot, einsum, norm.

``matmul`` and ``einsum`` are primitives; ``tensordot`` is transpose/reshape/matmul, and
``norm`` is built from reductions with gradients that stay finite at zero.
"""
from __future__ import annotations

import string
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _fmt_shape
from . import rules
from . import math as m
from .creation import eye, ones_like
from .math import sum_to_like
from .registry import Aval, bind, defprim
from .shape import _as_tensor, expand_dims, reshape, squeeze, transpose

__all__ = [
    "matmul",
    "tensordot",
    "einsum",
    "norm",
]


def _matmul_rule(x: Aval, y: Aval) -> Aval:
    xs, ys = x.shape, y.shape
    if len(xs) == 0 or len(ys) == 0:
        raise ValueError(f"MatMul: both inputs need rank >= 1, received shapes "
                         f"{_fmt_shape(xs)} and {_fmt_shape(ys)}.")
    k1 = xs[-1]
    k2 = ys[0] if len(ys) == 1 else ys[-2]
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(f"MatMul: inner dimensions must match: expected x.shape[-1] == "
                         f"y.shape[{-1 if len(ys) == 1 else -2}], received shapes "
                         f"{_fmt_shape(xs)} and {_fmt_shape(ys)} ({k1} != {k2}).")
    batch = rules.broadcast_shapes(xs[:-2], ys[:-2], op="MatMul")
    rows = xs[-2:-1] if len(xs) > 1 else ()
    cols = ys[-1:] if len(ys) > 1 else ()
    return Aval(batch + rows + cols, x.dtype)


def _swap_last(t: Tensor) -> Tensor:
    perm = list(range(t.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return transpose(t, perm)


def _matmul_vjp(g, out, x, y):
    # Treat vectors as 1-row / 1-column matrices, then undo that on the way out.
    x2 = x if x.ndim > 1 else expand_dims(x, 0)
    y2 = y if y.ndim > 1 else expand_dims(y, -1)
    g2 = g if y.ndim > 1 else expand_dims(g, -1)     # the column axis a vector y dropped
    g2 = g2 if x.ndim > 1 else expand_dims(g2, -2)   # the row axis a vector x dropped

    def grad_x():
        gx = matmul(g2, _swap_last(y2))
        return sum_to_like(squeeze(gx, gx.ndim - 2) if x.ndim == 1 else gx, x)

    def grad_y():
        gy = matmul(_swap_last(x2), g2)
        return sum_to_like(squeeze(gy, gy.ndim - 1) if y.ndim == 1 else gy, y)

    return grad_x, grad_y


MATMUL = defprim("MatMul", lambda xp, x, y: xp.matmul(x, y), vjp=_matmul_vjp,
                 shape=_matmul_rule, inputs=("a", "b"))


def matmul(a: Any, b: Any, name: str | None = None) -> Tensor:
    """Matrix product with NumPy semantics: batched over leading dims, which broadcast;
    a 1-D input is treated as a row (left) or column (right) vector.

    Example:
        >>> lm.matmul(lm.ones((2, 3)), lm.ones((3, 4))).shape
        (2, 4)
    """
    return bind(MATMUL, a, b, name=name)


# ---- tensordot ------------------------------------------------------------------------------
def _tensordot_axes(axes: Any, rank_a: int, rank_b: int) -> tuple[list[int], list[int]]:
    """TensorFlow's ``axes``: an int N (last N of a with first N of b) or a pair of lists."""
    if isinstance(axes, Tensor):
        axes = axes.numpy().tolist()
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if not 0 <= n <= min(rank_a, rank_b):
            raise ValueError(f"tensordot: axes={n} must be in [0, {min(rank_a, rank_b)}] for "
                             f"inputs of rank {rank_a} and {rank_b}.")
        return list(range(rank_a - n, rank_a)), list(range(n))
    try:
        first, second = axes
    except (TypeError, ValueError):
        raise ValueError(f"tensordot: axes must be an int or a pair of lists of axes, "
                         f"received {axes!r}.") from None
    first = [first] if isinstance(first, (int, np.integer)) else list(first)
    second = [second] if isinstance(second, (int, np.integer)) else list(second)
    if len(first) != len(second):
        raise ValueError(f"tensordot: expected as many axes for a as for b, received "
                         f"{first} and {second}.")
    return ([rules.normalize_axis(int(i), rank_a, "tensordot") for i in first],
            [rules.normalize_axis(int(i), rank_b, "tensordot") for i in second])


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Sums the products of ``a`` and ``b`` over the given axes (TensorFlow's semantics).

    Args:
        a, b: tensors.
        axes: an int N (the last N axes of ``a`` with the first N of ``b``), or a pair
            ``[axes_of_a, axes_of_b]`` of equally long lists.

    Example:
        >>> lm.tensordot(lm.ones((2, 3, 4)), lm.ones((4, 3, 5)), [[1, 2], [1, 0]]).shape
        (2, 5)
    """
    a, b = _as_tensor(a), _as_tensor(b)
    axes_a, axes_b = _tensordot_axes(axes, a.ndim, b.ndim)
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise ValueError(f"tensordot: repeated axis in {axes!r}.")
    for i, j in zip(axes_a, axes_b):
        da, db = a.shape[i], b.shape[j]
        if da is not None and db is not None and da != db:
            raise ValueError(f"tensordot: contracted dimensions must match: axis {i} of a "
                             f"(shape {_fmt_shape(a.shape)}) has size {da}, axis {j} of b "
                             f"(shape {_fmt_shape(b.shape)}) has size {db}.")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    out_shape = [a.shape[i] for i in free_a] + [b.shape[j] for j in free_b]
    summed = [a.shape[i] if a.shape[i] is not None else b.shape[j]
              for i, j in zip(axes_a, axes_b)]
    if None in summed or 0 in summed or 0 in out_shape or out_shape.count(None) > 1:
        # Shapes a reshape cannot express: the einsum primitive handles any shape.
        letters = string.ascii_letters
        sub_a = [letters[i] for i in range(a.ndim)]
        sub_b = [letters[a.ndim + j] for j in range(b.ndim)]
        for i, j in zip(axes_a, axes_b):
            sub_b[j] = sub_a[i]
        out = "".join(sub_a[i] for i in free_a) + "".join(sub_b[j] for j in free_b)
        return einsum(f"{''.join(sub_a)},{''.join(sub_b)}->{out}", a, b, name=name)
    k = int(np.prod(summed, dtype=np.int64))
    a2 = reshape(transpose(a, free_a + axes_a), (-1, k))
    b2 = reshape(transpose(b, axes_b + free_b), (k, -1))
    return reshape(matmul(a2, b2), tuple(-1 if d is None else d for d in out_shape), name=name)


# ---- einsum ---------------------------------------------------------------------------------
class _Equation:
    """A parsed einsum equation in explicit form: one subscript string per operand and one
    for the output, with ``...`` replaced by letters the equation does not use."""

    def __init__(self, inputs: Sequence[str], output: str):
        self.inputs = list(inputs)
        self.output = output

    def __str__(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


def _parse_equation(equation: str, ranks: Sequence[int]) -> _Equation:
    if not isinstance(equation, str):
        raise TypeError(f"einsum: expected an equation string, received {equation!r}.")
    eq = equation.replace(" ", "")
    bad = set(eq) - set(string.ascii_letters) - set(",.->")
    if bad or eq.count("->") > 1:
        raise ValueError(f"einsum: invalid equation {equation!r}: expected letters, ',', "
                         f"'...' and at most one '->'.")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operand(s), "
                         f"received {len(ranks)}.")
    spare = [c for c in string.ascii_letters if c not in eq]
    widths = [_ellipsis_width(t, r, equation) for t, r in zip(terms, ranks)]
    ell = "".join(spare[:max(widths + [0])])
    inputs = [t.replace("...", ell[len(ell) - w:] if w else "") for t, w in zip(terms, widths)]
    if arrow:
        if rhs.count("...") > 1 or "." in rhs.replace("...", ""):
            raise ValueError(f"einsum: invalid output subscripts in {equation!r}.")
        output = rhs.replace("...", ell)
    else:
        counts = {c: "".join(inputs).count(c) for c in "".join(inputs)}
        output = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    _check_output(output, inputs, equation)
    return _Equation(inputs, output)


def _ellipsis_width(term: str, rank: int, equation: str) -> int:
    """How many dims the ``...`` of one operand stands for (0 without one)."""
    if term.count("...") > 1 or "." in term.replace("...", ""):
        raise ValueError(f"einsum: invalid subscripts {term!r} in {equation!r}: at most one "
                         f"'...' per operand.")
    named = len(term.replace("...", ""))
    width = rank - named if "..." in term else 0
    if width < 0 or (width == 0 and "..." not in term and named != rank):
        raise ValueError(f"einsum: subscripts {term!r} in {equation!r} name {named} "
                         f"dimension(s), but the operand has rank {rank}.")
    return width


def _check_output(output: str, inputs: Sequence[str], equation: str) -> None:
    for c in output:
        if output.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} appears twice in {equation!r}.")
        if not any(c in term for term in inputs):
            raise ValueError(f"einsum: output subscript {c!r} of {equation!r} is not an input "
                             f"subscript.")


def _letter_sizes(eq: _Equation, shapes: Sequence[tuple], text: str) -> dict[str, Any]:
    """The size of each letter; dims of size 1 broadcast, as NumPy's einsum allows."""
    sizes: dict[str, Any] = {}
    for term, shape in zip(eq.inputs, shapes):
        for c, d in zip(term, shape):
            old = sizes.get(c, 1)
            if d is None:
                sizes[c] = None if old == 1 else old
            elif d != 1:
                if old not in (1, None, d):
                    raise ValueError(f"einsum: subscript {c!r} of {text!r} has sizes {old} "
                                     f"and {d} in the operands' shapes "
                                     f"{', '.join(_fmt_shape(s) for s in shapes)}.")
                sizes[c] = d
            else:
                sizes.setdefault(c, 1)
    return sizes


def _einsum_rule(*avals: Aval, equation: str) -> Aval:
    eq = _parse_equation(equation, [len(a.shape) for a in avals])
    sizes = _letter_sizes(eq, [a.shape for a in avals], equation)
    return Aval(tuple(sizes[c] for c in eq.output), avals[0].dtype)


def _einsum_forward(xp, *arrays, equation):
    # NumPy's path search costs ~30 us: worth it only for big contractions or 3+ operands.
    work = 1
    seen = set()
    for term, a in zip(equation.split("->")[0].split(","), arrays):
        for c, d in zip(term, a.shape):
            if c not in seen:
                seen.add(c)
                work *= d
    optimize = len(arrays) > 2 or (len(arrays) == 2 and work > 1 << 16)
    return xp.asarray(xp.einsum(equation, *arrays, optimize=optimize))


def _einsum_vjp(g, out, *operands, equation):
    eq = _parse_equation(equation, [x.ndim for x in operands])
    return tuple((lambda i=i: _einsum_operand_grad(g, operands, eq, i))
                 for i in range(len(operands)))


def _einsum_operand_grad(g: Tensor, operands: Sequence[Tensor], eq: _Equation,
                         i: int) -> Tensor:
    """The gradient of operand ``i``: the einsum of ``g`` with the other operands.

    A letter repeated within operand ``i`` (a trace or diagonal) gets a fresh letter for each
    repeat, tied to the first by an identity matrix; a letter found nowhere else (summed
    away) is brought back by a ones operand shaped like ``x``; broadcast dims are summed.
    """
    x = operands[i]
    used = set("".join(eq.inputs) + eq.output)
    fresh = (c for c in string.ascii_letters if c not in used)
    target, extra_ops, extra_subs = "", [], []
    for pos, c in enumerate(eq.inputs[i]):
        if c not in target:
            target += c
            continue
        new = next(fresh)
        n = x.shape[pos]
        if n is None:
            raise ValueError(f"einsum: the gradient of a repeated subscript ({c!r} in "
                             f"{eq}) needs its dimension known when the graph is built.")
        extra_ops.append(eye(n, dtype=g.dtype))
        extra_subs.append(c + new)
        target += new
    ops = [g, *(operands[j] for j in range(len(operands)) if j != i), *extra_ops]
    subs = [eq.output, *(eq.inputs[j] for j in range(len(operands)) if j != i), *extra_subs]
    if any(c not in "".join(subs) for c in target):
        ops.append(ones_like(x, dtype=g.dtype))
        subs.append(target)
    grad = bind(EINSUM, *ops, equation=",".join(subs) + "->" + target)
    return sum_to_like(grad, x)


EINSUM = defprim("Einsum", _einsum_forward, vjp=_einsum_vjp, shape=_einsum_rule,
                 inputs=tuple(f"input_{k}" for k in range(52)), promote=())


def einsum(equation: str, *inputs: Any, name: str | None = None) -> Tensor:
    """Einstein summation: the products of the operands, summed over every subscript that is
    not in the output.

    Implicit output (``"ij,jk"``: the letters used once, in alphabetical order), explicit
    output (``"ij,jk->ik"``), ``...`` for leading dims, and repeated subscripts within one
    operand (``"ii->"`` is a trace, ``"ii->i"`` a diagonal) are supported.

    Example:
        >>> lm.einsum("bij,bjk->bik", lm.ones((2, 3, 4)), lm.ones((2, 4, 5))).shape
        (2, 3, 5)
    """
    if not inputs:
        raise ValueError("einsum: expected at least one operand, received none.")
    tensors = [_as_tensor(x) for x in inputs]
    if any(t.shape is None for t in tensors):
        raise ValueError("einsum: every operand needs a known rank.")
    eq = _parse_equation(equation, [t.ndim for t in tensors])
    common = _dt.result_type([t.dtype for t in tensors], [])
    tensors = [m.cast(t, common) for t in tensors]
    return bind(EINSUM, *tensors, equation=str(eq), name=name)


# ---- norm -----------------------------------------------------------------------------------
def _safe_root(s: Tensor, p: float) -> Tensor:
    """``s ** (1/p)`` for ``s >= 0`` whose gradient is 0 (not inf or NaN) where ``s == 0``."""
    positive = s > 0
    safe = m.where(positive, s, m.ones_like_scalar(s))
    root = m.sqrt(safe) if p == 2 else m.pow(safe, 1.0 / p)
    return m.where(positive, root, m.zeros_like_scalar(s))


def _vector_norm(x: Tensor, ord: Any, axes: tuple, keepdims: bool) -> Tensor:
    if ord in ("euclidean", "fro", 2):
        return _safe_root(m.sum(m.square(x), axes, keepdims), 2)
    if ord == 1:
        return m.sum(m.abs(x), axes, keepdims)
    if ord == np.inf:
        return m.max(m.abs(x), axes, keepdims)
    a = m.abs(x)
    nonzero = a > 0
    powered = m.where(nonzero, m.pow(m.where(nonzero, a, m.ones_like_scalar(a)), float(ord)),
                      m.zeros_like_scalar(a))
    return _safe_root(m.sum(powered, axes, keepdims), float(ord))


def _matrix_norm(x: Tensor, ord: Any, axes: tuple, keepdims: bool) -> Tensor:
    rows, cols = axes
    if ord in ("euclidean", "fro"):
        return _safe_root(m.sum(m.square(x), axes, keepdims), 2)
    # 1: the largest column sum of |x|; inf: the largest row sum.
    inner, outer = (rows, cols) if ord == 1 else (cols, rows)
    sums = m.sum(m.abs(x), inner, keepdims=True)
    out = m.max(sums, outer, keepdims=True)
    return out if keepdims else squeeze(out, axes)


def _check_ord(ord: Any, matrix: bool) -> None:
    if matrix:
        if ord in ("euclidean", "fro", 1) or ord == np.inf:
            return
        raise ValueError(f"norm: for a matrix norm (axis a pair) ord must be 'euclidean', "
                         f"'fro', 1 or np.inf, received {ord!r}.")
    if ord in ("euclidean", "fro"):
        return
    if isinstance(ord, (int, float, np.number)) and not isinstance(ord, bool) and ord > 0:
        return
    raise ValueError(f"norm: for a vector norm ord must be 'euclidean', 'fro', np.inf or a "
                     f"number > 0, received {ord!r}.")


def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: bool = False,
         name: str | None = None) -> Tensor:
    """Vector and matrix norms (TensorFlow's ``tf.norm``).

    Args:
        tensor: the input (ints are cast to float32).
        ord: for vectors (``axis`` None or an int) 'euclidean' (= 'fro' = 2), 1, np.inf or
            any p > 0; for matrices (``axis`` a pair) 'euclidean' (= 'fro'), 1 (largest
            column sum of absolute values) or np.inf (largest row sum).
        axis: None (the whole tensor as one vector), an int, or a pair of ints.
        keepdims: keep the reduced axes with size 1.

    The gradient is finite everywhere: at a zero vector it is zero.

    Example:
        >>> lm.norm([3.0, 4.0]).numpy()
        5.0
    """
    x = m._as_float(tensor)
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    matrix = axis is not None and not isinstance(axis, (int, np.integer)) and len(axis) == 2
    if axis is not None and not matrix and not isinstance(axis, (int, np.integer)):
        if len(axis) != 1:
            raise ValueError(f"norm: axis must be None, an int or a pair of ints, received "
                             f"{axis!r}.")
        axis = axis[0]
    _check_ord(ord, matrix)
    if matrix:
        axes = tuple(rules.normalize_axis(int(a), x.ndim, "norm") for a in axis)
        if axes[0] == axes[1]:
            raise ValueError(f"norm: the two axes of a matrix norm must differ, received "
                             f"{axis!r}.")
        return _matrix_norm(x, ord, axes, keepdims)
    axes = rules.normalize_axes(axis, x.ndim, "norm")
    return _vector_norm(x, ord, axes, keepdims)
