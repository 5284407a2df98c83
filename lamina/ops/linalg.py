"""Linear algebra: matmul (batched, broadcasting), tensordot, einsum, norm."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _fmt_shape
from . import rules
from .math import sum_to_like
from .registry import Aval, bind, defprim
from .shape import _as_tensor, expand_dims, squeeze, transpose

__all__ = [
    "matmul",
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
    g2 = g if x.ndim > 1 else expand_dims(g, -1 if y.ndim == 1 else -2)
    if y.ndim == 1:
        g2 = expand_dims(g2, -1) if x.ndim > 1 else g2

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
