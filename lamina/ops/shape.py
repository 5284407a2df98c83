"""Shape manipulation: reshape, transpose, expand/squeeze, concat/stack/split/unstack, tile,
broadcast_to, pad, flip, and the size and shape of a tensor.

Ops that read part of a tensor (split, unstack, the gradients of concat and pad) are built on
the indexing primitives of :mod:`lamina.ops.indexing`, whose public functions (getitem,
gather, take_along_axis, slice, one_hot) are exported from here as well.
"""
from __future__ import annotations

import builtins
import numbers
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from .._state import STATE
from ..tensor import Tensor, _fmt_shape, convert
from . import rules
from .math import reshape_like, sum_to_like
from .registry import ANY, Aval, bind, defprim

__all__ = [
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "size",
    "shape",
    "concat",
    "stack",
    "unstack",
    "split",
    "tile",
    "broadcast_to",
    "pad",
    "flip",
    "reverse",
    # defined in indexing.py
    "getitem",
    "gather",
    "take_along_axis",
    "one_hot",
    "slice",
]


def _as_tensor(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if STATE.graph is not None:
        return STATE.graph.capture(x)
    return convert(x)


# ---- reshape ------------------------------------------------------------------------------
def _reshape_rule(x: Aval, shape: tuple) -> Aval:
    if shape.count(-1) > 1:
        raise ValueError(f"Reshape: at most one dimension may be -1, received {shape}.")
    known = x.shape is not None and None not in x.shape
    total = int(np.prod(x.shape)) if known else None
    rest = int(np.prod([d for d in shape if d != -1]))
    if -1 in shape:
        if total is None:
            out = tuple(None if d == -1 else d for d in shape)
        elif rest == 0 or total % rest:
            raise ValueError(f"Reshape: cannot reshape a tensor of shape {_fmt_shape(x.shape)} "
                             f"({total} elements) to {shape}: {total} is not a multiple of "
                             f"{rest}.")
        else:
            out = tuple(total // rest if d == -1 else d for d in shape)
    else:
        out = shape
        if total is not None and total != rest:
            raise ValueError(f"Reshape: cannot reshape a tensor of shape {_fmt_shape(x.shape)} "
                             f"({total} elements) to {_fmt_shape(shape)} ({rest} elements).")
    return Aval(out, x.dtype)


RESHAPE = defprim("Reshape", lambda xp, x, shape: xp.reshape(x, shape),
                  vjp=lambda g, out, x, shape: (reshape_like(g, x),),
                  shape=_reshape_rule, promote=(), accepts=ANY)


def reshape(x: Any, shape: Sequence[int], name: str | None = None) -> Tensor:
    """Gives ``x`` a new shape with the same number of elements; one dim may be -1.

    Example:
        >>> lm.reshape(lm.arange(6), (2, -1)).shape
        (2, 3)
    """
    t = _as_tensor(x)
    if isinstance(shape, Tensor):
        shape = [int(d) for d in shape.numpy()]
    shape = tuple(-1 if d is None else int(d) for d in (
        (shape,) if isinstance(shape, (int, np.integer)) else shape))
    if t.shape == shape:
        return t
    return bind(RESHAPE, t, shape=shape, name=name)


# ---- transpose ----------------------------------------------------------------------------
def _transpose_rule(x: Aval, perm: tuple) -> Aval:
    if sorted(perm) != list(range(len(x.shape))):
        raise ValueError(f"Transpose: perm must be a permutation of range({len(x.shape)}) for a "
                         f"tensor of rank {len(x.shape)}, received {perm}.")
    return Aval(tuple(x.shape[p] for p in perm), x.dtype)


def _transpose_vjp(g, out, x, perm):
    return (transpose(g, tuple(int(i) for i in np.argsort(perm))),)


TRANSPOSE = defprim("Transpose", lambda xp, x, perm: xp.transpose(x, perm),
                    vjp=_transpose_vjp, shape=_transpose_rule, promote=(), accepts=ANY)


def transpose(x: Any, perm: Sequence[int] | None = None, name: str | None = None) -> Tensor:
    """Permutes the axes (default: reverses them).

    Example:
        >>> lm.transpose(lm.ones((2, 3))).shape
        (3, 2)
    """
    t = _as_tensor(x)
    perm = tuple(range(t.ndim))[::-1] if perm is None else tuple(int(p) for p in perm)
    if perm == tuple(range(t.ndim)):
        return t
    return bind(TRANSPOSE, t, perm=perm, name=name)


# ---- expand_dims / squeeze ----------------------------------------------------------------
def _expand_rule(x: Aval, axis: int) -> Aval:
    return Aval(x.shape[:axis] + (1,) + x.shape[axis:], x.dtype)


def _squeeze_rule(x: Aval, axis: tuple) -> Aval:
    for a in axis:
        if x.shape[a] not in (1, None):
            raise ValueError(f"Squeeze: cannot squeeze axis {a} of a tensor of shape "
                             f"{_fmt_shape(x.shape)}: expected size 1, received {x.shape[a]}.")
    return Aval(tuple(d for i, d in enumerate(x.shape) if i not in axis), x.dtype)


EXPAND_DIMS = defprim("ExpandDims", lambda xp, x, axis: xp.expand_dims(x, axis),
                      vjp=lambda g, out, x, axis: (reshape_like(g, x),),
                      shape=_expand_rule, promote=(), accepts=ANY)
SQUEEZE = defprim("Squeeze", lambda xp, x, axis: xp.squeeze(x, axis),
                  vjp=lambda g, out, x, axis: (reshape_like(g, x),),
                  shape=_squeeze_rule, promote=(), accepts=ANY)


def expand_dims(x: Any, axis: int, name: str | None = None) -> Tensor:
    """Inserts a dimension of size 1 at ``axis`` (negative counts from the end)."""
    t = _as_tensor(x)
    axis = rules.normalize_axis(axis, t.ndim + 1, "ExpandDims")
    return bind(EXPAND_DIMS, t, axis=axis, name=name)


def squeeze(x: Any, axis: "int | Sequence[int] | None" = None,
            name: str | None = None) -> Tensor:
    """Removes dimensions of size 1 (all of them, or those in ``axis``)."""
    t = _as_tensor(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(t.shape) if d == 1)
    else:
        axes = rules.normalize_axes(axis, t.ndim, "Squeeze")
    if not axes:
        return t
    return bind(SQUEEZE, t, axis=axes, name=name)


# ---- size ---------------------------------------------------------------------------------
SIZE = defprim("Size", lambda xp, x: xp.asarray(x.size, dtype=np.int32),
               shape=lambda x: Aval((), _dt.int32), promote=(), accepts=ANY)
SHAPE = defprim("Shape", lambda xp, x: xp.asarray(x.shape, dtype=np.int32),
                shape=lambda x: Aval((None if x.shape is None else len(x.shape),), _dt.int32),
                promote=(), accepts=ANY)


def size(x: Any, name: str | None = None) -> Tensor:
    """The number of elements, as an int32 scalar tensor (known only at run time in graphs)."""
    return bind(SIZE, _as_tensor(x), name=name)


def shape(x: Any, name: str | None = None) -> Tensor:
    """The shape, as an int32 vector tensor (TensorFlow's ``tf.shape``)."""
    return bind(SHAPE, _as_tensor(x), name=name)


# ---- helpers --------------------------------------------------------------------------------
def _rank(t: Tensor, op: str) -> int:
    if t.shape is None:
        raise ValueError(f"{op} needs a tensor of known rank, received {t!r}.")
    return len(t.shape)


def _static_ints(values: Any, op: str, what: str) -> tuple[int, ...]:
    """A shape-like argument as a tuple of non-negative ints, known when the op is built."""
    if isinstance(values, Tensor):
        if values._value is None:
            raise TypeError(f"{op}: {what} must be known when the graph is built (Python ints "
                            f"or an eager tensor), received symbolic tensor {values.name}.")
        values = values.numpy().tolist()
    if isinstance(values, numbers.Integral):
        values = (values,)
    try:
        out = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {what} must be a sequence of ints, received {values!r}.") from None
    if any(v < 0 for v in out) or any(isinstance(v, float) for v in values):
        raise ValueError(f"{op}: {what} must hold non-negative ints, received {values!r}.")
    return out


def _same_dtype(tensors: list[Tensor]) -> list[Tensor]:
    """Brings tensors to their common dtype (the promotion rules of :mod:`lamina.dtypes`)."""
    from .math import cast
    target = _dt.result_type([t.dtype for t in tensors], [])
    return [t if t.dtype is target else cast(t, target) for t in tensors]


def _tensor_list(values: Any, op: str) -> list[Tensor]:
    if isinstance(values, Tensor) or not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{op} expects a non-empty list or tuple of tensors, received "
                        f"{values!r}.")
    return _same_dtype([_as_tensor(v) for v in values])


def _dim(x: Tensor, axis: int) -> Any:
    """The size of an axis: an int when known, else a scalar tensor computed at run time."""
    n = x.shape[axis]
    return n if n is not None else shape(x)[axis]


def _full_slices(axis: int) -> tuple:
    return (builtins.slice(None),) * axis


# ---- concat / stack / unstack / split -------------------------------------------------------
def _concat_rule(*xs: Aval, axis: int) -> Aval:
    first = xs[0]
    listed = ", ".join(f"{_fmt_shape(x.shape)} {x.dtype.name}" for x in xs)
    out = list(first.shape)
    for x in xs:
        if x.dtype is not first.dtype or len(x.shape) != len(out):
            raise ValueError(f"ConcatV2: all inputs must have the same rank and dtype, "
                             f"received {listed}.")
        for d, n in enumerate(x.shape):
            if d != axis and n is not None and out[d] is not None and n != out[d]:
                raise ValueError(f"ConcatV2: inputs must have the same shape except along "
                                 f"axis {axis}, received {listed}.")
            out[d] = n if out[d] is None else out[d]
    sizes = [x.shape[axis] for x in xs]
    out[axis] = None if None in sizes else builtins.sum(sizes)
    return Aval(tuple(out), first.dtype)


def _concat_vjp(g, out, *xs, axis):
    def piece(k):
        def grad():  # the part of g that input k became
            start = builtins.sum((_dim(x, axis) for x in xs[:k]), 0)
            stop = start + _dim(xs[k], axis)
            return getitem(g, _full_slices(axis) + (builtins.slice(start, stop),))
        return grad
    return tuple(piece(k) for k in range(len(xs)))


CONCAT = defprim("ConcatV2", lambda xp, *xs, axis: xp.concatenate(xs, axis=axis),
                 vjp=_concat_vjp, shape=_concat_rule, inputs=("values",), promote=(),
                 accepts=ANY)


def concat(values: Sequence[Any], axis: int, name: str | None = None) -> Tensor:
    """Joins tensors along an existing axis; the other dims must match.

    Example:
        >>> lm.concat([lm.ones((2, 1)), lm.zeros((2, 3))], axis=-1).shape
        (2, 4)
    """
    tensors = _tensor_list(values, "concat")
    rank = _rank(tensors[0], "concat")
    if rank == 0:
        raise ValueError("concat: cannot concatenate scalars (rank 0); use lm.stack instead.")
    axis = rules.normalize_axis(axis, rank, "concat")
    if len(tensors) == 1:
        return tensors[0]
    return bind(CONCAT, *tensors, axis=axis, name=name)


def stack(values: Sequence[Any], axis: int = 0, name: str | None = None) -> Tensor:
    """Joins tensors of one shape along a new axis.

    Example:
        >>> lm.stack([lm.ones((2, 3)), lm.zeros((2, 3))], axis=1).shape
        (2, 2, 3)
    """
    tensors = _tensor_list(values, "stack")
    first = tensors[0].shape
    for t in tensors:
        if t.shape is None or first is None or len(t.shape) != len(first) or any(
                a is not None and b is not None and a != b for a, b in zip(t.shape, first)):
            listed = ", ".join(str(u.shape) for u in tensors)
            raise ValueError(f"stack: all tensors must have the same shape, received {listed}.")
    axis = rules.normalize_axis(axis, len(first) + 1, "stack")
    return concat([expand_dims(t, axis) for t in tensors], axis, name=name)


def unstack(value: Any, num: int | None = None, axis: int = 0,
            name: str | None = None) -> list[Tensor]:
    """Splits a tensor into the list of its slices along ``axis`` (which disappears).

    Example:
        >>> [t.numpy() for t in lm.unstack(lm.tensor([[1, 2], [3, 4]]), axis=1)]
        [array([1, 3], dtype=int32), array([2, 4], dtype=int32)]
    """
    from .indexing import axis_spec, take
    t = _as_tensor(value)
    if _rank(t, "unstack") == 0:
        raise ValueError("unstack: cannot unstack a scalar (rank 0).")
    axis = rules.normalize_axis(axis, t.ndim, "unstack")
    n = t.shape[axis]
    if num is None and n is None:
        raise ValueError(f"unstack: cannot infer num from shape {_fmt_shape(t.shape)}; pass "
                         "num explicitly.")
    if num is not None and n is not None and int(num) != n:
        raise ValueError(f"unstack: num={num} does not match axis {axis} of size {n}.")
    count = n if num is None else int(num)
    return [take(t, axis_spec(axis, ("int", i)), name=name) for i in range(count)]


def _split_sizes(sizes: Any, n: int | None, axis: int) -> list[int]:
    """Validates a list of split sizes (one may be -1: the rest) against the axis size."""
    if isinstance(sizes, Tensor):
        sizes = sizes.numpy().tolist() if sizes._value is not None else sizes
    try:
        out = [int(s) for s in sizes]
    except (TypeError, ValueError):
        raise TypeError(f"split: num_or_size_splits must be an int or a list of ints, "
                        f"received {sizes!r}.") from None
    if out.count(-1) > 1 or any(s < -1 for s in out):
        raise ValueError(f"split: sizes must be non-negative, with at most one -1, received "
                         f"{out}.")
    known = builtins.sum(s for s in out if s != -1)
    if n is not None and (known > n or (-1 not in out and known != n)):
        raise ValueError(f"split: sizes {out} do not add up to the size {n} of axis {axis}.")
    if n is not None and -1 in out:
        out[out.index(-1)] = n - known
    return out


def _split_bounds(sizes: list[int]) -> list[tuple]:
    """(start, stop) of each piece; pieces after a -1 count back from the end of the axis."""
    bounds, start = [], 0
    fill = sizes.index(-1) if -1 in sizes else len(sizes)
    for s in sizes[:fill]:
        bounds.append((start, start + s))
        start += s
    if fill < len(sizes):
        left = builtins.sum(sizes[fill + 1:])
        bounds.append((start, -left or None))
        for s in sizes[fill + 1:]:
            bounds.append((-left, -(left - s) or None))
            left -= s
    return bounds


def split(value: Any, num_or_size_splits: Any, axis: int = 0,
          name: str | None = None) -> list[Tensor]:
    """Splits a tensor along ``axis`` into a list of pieces.

    An int ``num_or_size_splits`` gives that many equal pieces (it must divide the axis);
    a list gives the size of each piece, one of which may be -1 (whatever remains).

    Example:
        >>> [t.shape for t in lm.split(lm.zeros((5, 2)), [1, -1, 2])]
        [(1, 2), (2, 2), (2, 2)]
    """
    from .indexing import axis_spec, take
    t = _as_tensor(value)
    axis = rules.normalize_axis(axis, _rank(t, "split"), "split")
    n = t.shape[axis]
    if isinstance(num_or_size_splits, numbers.Integral) and not isinstance(
            num_or_size_splits, bool):
        num = int(num_or_size_splits)
        if num < 1 or (n is not None and n % num):
            raise ValueError(f"split: cannot split axis {axis} of size {n} into {num} equal "
                             f"pieces; expected a positive number that divides {n}.")
        return [take(t, axis_spec(axis, ("part", i, num)), name=name) for i in range(num)]
    sizes = _split_sizes(num_or_size_splits, n, axis)
    return [take(t, axis_spec(axis, ("slice", start, stop, None)), name=name)
            for start, stop in _split_bounds(sizes)]


# ---- tile / broadcast_to ----------------------------------------------------------------------
def _tile_rule(x: Aval, multiples: tuple) -> Aval:
    if len(multiples) != len(x.shape):
        raise ValueError(f"Tile: expected one multiple per axis of the input "
                         f"{_fmt_shape(x.shape)}, received {multiples}.")
    return Aval(tuple(None if d is None else d * m for d, m in zip(x.shape, multiples)),
                x.dtype)


def _tile_grad_forward(xp, g, like, multiples):
    # g holds the tiles interleaved with the original axes: (m0, d0, m1, d1, ...).
    split_shape = [n for pair in zip(multiples, like.shape) for n in pair]
    tiles = tuple(range(0, 2 * len(multiples), 2))
    return xp.asarray(xp.sum(g.reshape(split_shape), axis=tiles, dtype=g.dtype))


TILE = defprim("Tile", lambda xp, x, multiples: xp.tile(x, multiples), shape=_tile_rule,
               promote=(), accepts=ANY)
TILE_GRAD = defprim("TileGrad", _tile_grad_forward, inputs=("grad", "like"), promote=(),
                    shape=lambda g, like, multiples: Aval(like.shape, g.dtype))
TILE.vjp = lambda g, out, x, multiples: (bind(TILE_GRAD, g, x, multiples=multiples),)
TILE_GRAD.vjp = lambda g, out, grad, like, multiples: (tile(g, multiples), None)


def tile(input: Any, multiples: Sequence[int], name: str | None = None  # noqa: A002
         ) -> Tensor:
    """Repeats a tensor ``multiples[i]`` times along each axis ``i``.

    Example:
        >>> lm.tile(lm.tensor([[1, 2]]), [2, 2]).numpy()
        array([[1, 2, 1, 2],
               [1, 2, 1, 2]], dtype=int32)
    """
    t = _as_tensor(input)
    reps = _static_ints(multiples, "tile", "multiples")
    if len(reps) != _rank(t, "tile"):
        raise ValueError(f"tile: expected one multiple per axis of the input "
                         f"{_fmt_shape(t.shape)}, received {reps}.")
    return bind(TILE, t, multiples=reps, name=name)


def _broadcast_to_rule(x: Aval, shape: tuple) -> Aval:
    extra = len(shape) - len(x.shape)
    if extra < 0 or any(d not in (None, 1, n) for d, n in zip(x.shape, shape[extra:])):
        raise ValueError(f"BroadcastTo: cannot broadcast a tensor of shape "
                         f"{_fmt_shape(x.shape)} to {_fmt_shape(shape)}: expected each dim to "
                         f"be 1 or equal to the target's (aligned from the right).")
    return Aval(shape, x.dtype)


# The copy keeps the result from aliasing memory that compiled plans reuse.
BROADCAST_TO = defprim("BroadcastTo", lambda xp, x, shape: xp.broadcast_to(x, shape).copy(),
                       vjp=lambda g, out, x, shape: (sum_to_like(g, x),),
                       shape=_broadcast_to_rule, promote=(), accepts=ANY)


def broadcast_to(input: Any, shape: Sequence[int], name: str | None = None  # noqa: A002
                 ) -> Tensor:
    """Broadcasts a tensor to ``shape`` with NumPy's rules.

    Example:
        >>> lm.broadcast_to(lm.tensor([1, 2]), (3, 2)).shape
        (3, 2)
    """
    t = _as_tensor(input)
    target = _static_ints(shape, "broadcast_to", "shape")
    return bind(BROADCAST_TO, t, shape=target, name=name)


# ---- pad ------------------------------------------------------------------------------------
def _pad_rule(x: Aval, paddings: tuple, **attrs) -> Aval:
    if len(paddings) != len(x.shape):
        raise ValueError(f"Pad: expected paddings of shape ({len(x.shape)}, 2), one pair per "
                         f"axis of {_fmt_shape(x.shape)}, received {paddings}.")
    if "mode" in attrs:
        _check_mirror(x.shape, paddings, attrs["mode"])
    return Aval(tuple(None if d is None else d + b + a for d, (b, a) in zip(x.shape, paddings)),
                x.dtype)


def _check_mirror(shape: tuple, paddings: tuple, mode: str) -> None:
    """TensorFlow's limits: REFLECT pads at most n - 1 per side, SYMMETRIC at most n."""
    for axis, (n, pair) in enumerate(zip(shape, paddings)):
        limit = None if n is None else n - (mode == "REFLECT")
        if limit is not None and builtins.max(pair) > limit:
            raise ValueError(f"pad: {mode} padding of axis {axis} (size {n}) must be at most "
                             f"{limit} on each side, received {pair}.")


def _mirror_pad_forward(xp, x, paddings, mode):
    _check_mirror(x.shape, paddings, mode)
    return xp.pad(x, paddings, mode=mode.lower())


def _unpad_rule(g: Aval, paddings: tuple, mode: str) -> Aval:
    return Aval(tuple(None if d is None else d - b - a for d, (b, a) in zip(g.shape, paddings)),
                g.dtype)


def _mirror_pad_grad_forward(xp, g, paddings, mode):
    """Folds the mirrored borders of ``g`` back onto the elements they copied."""
    shift = 1 if mode == "REFLECT" else 0  # REFLECT skips the edge element, SYMMETRIC not
    out = g.copy()
    for axis, (b, a) in enumerate(paddings):
        moved = xp.moveaxis(out, axis, 0)
        n = moved.shape[0] - b - a
        core = moved[b:b + n].copy()
        if b:
            core[shift:shift + b] += moved[:b][::-1]
        if a:
            core[n - shift - a:n - shift] += moved[b + n:][::-1]
        out = xp.moveaxis(core, 0, axis)
    return xp.ascontiguousarray(out)


def _unpad(g: Tensor, paddings: tuple) -> Tensor:
    """The inner part of a padded tensor (the gradient of constant padding)."""
    return getitem(g, tuple(builtins.slice(b, -a or None) for b, a in paddings))


PAD = defprim("Pad", lambda xp, x, paddings, constant_values: xp.pad(
                  x, paddings, constant_values=constant_values),
              vjp=lambda g, out, x, paddings, constant_values: (_unpad(g, paddings),),
              shape=_pad_rule, promote=(), accepts=ANY)
MIRROR_PAD = defprim("MirrorPad", _mirror_pad_forward, shape=_pad_rule, promote=(),
                     accepts=ANY)
MIRROR_PAD_GRAD = defprim("MirrorPadGrad", _mirror_pad_grad_forward, shape=_unpad_rule,
                          promote=())
MIRROR_PAD.vjp = lambda g, out, x, paddings, mode: (
    bind(MIRROR_PAD_GRAD, g, paddings=paddings, mode=mode),)
MIRROR_PAD_GRAD.vjp = lambda g, out, x, paddings, mode: (
    bind(MIRROR_PAD, g, paddings=paddings, mode=mode),)


def _paddings(paddings: Any, rank: int) -> tuple:
    if isinstance(paddings, Tensor):
        if paddings._value is None:
            raise TypeError(f"pad: paddings must be known when the graph is built, received "
                            f"symbolic tensor {paddings.name}.")
        paddings = paddings.numpy()
    arr = np.asarray(paddings)
    if arr.shape != (rank, 2) or (arr.size and arr.dtype.kind not in "iu") or (arr < 0).any():
        raise ValueError(f"pad: expected paddings of non-negative ints with shape ({rank}, 2), "
                         f"one (before, after) pair per axis, received {paddings!r}.")
    return tuple((int(b), int(a)) for b, a in arr.reshape(rank, 2))


def _pad_value(value: Any) -> Any:
    if isinstance(value, Tensor):
        if value._value is None:
            raise TypeError(f"pad: constant_values of a bool tensor must be known when the "
                            f"graph is built, received symbolic tensor {value.name}.")
        value = value.numpy()
    if np.ndim(value) != 0 or not isinstance(np.asarray(value).item(), (bool, int, float)):
        raise ValueError(f"pad: constant_values must be a scalar number, received {value!r}.")
    return np.asarray(value).item()


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", constant_values: Any = 0,
        name: str | None = None) -> Tensor:
    """Pads a tensor: ``paddings[i] = (before, after)`` elements added on axis ``i``.

    ``mode`` (any case): ``"CONSTANT"`` fills with ``constant_values``; ``"REFLECT"`` mirrors
    without repeating the edge (at most ``n - 1`` per side); ``"SYMMETRIC"`` mirrors including
    the edge (at most ``n``).

    Example:
        >>> lm.pad(lm.tensor([1, 2, 3]), [[2, 1]], mode="reflect").numpy()
        array([3, 2, 1, 2, 3, 2], dtype=int32)
    """
    t = _as_tensor(tensor)
    pads = _paddings(paddings, _rank(t, "pad"))
    kind = mode.upper() if isinstance(mode, str) else mode
    if kind in ("REFLECT", "SYMMETRIC"):
        return bind(MIRROR_PAD, t, paddings=pads, mode=kind, name=name)
    if kind != "CONSTANT":
        raise ValueError(f"pad: mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC' (any case), "
                         f"received {mode!r}.")
    if isinstance(constant_values, Tensor) and not t.dtype.is_bool:
        # A tensor value may be symbolic or differentiated: pad x - c with zeros, add c back.
        from .math import cast
        c = cast(constant_values, t.dtype)
        if c.shape != ():
            raise ValueError(f"pad: constant_values must be a scalar, received shape "
                             f"{_fmt_shape(c.shape)}.")
        return bind(PAD, t - c, paddings=pads, constant_values=0, name=name) + c
    return bind(PAD, t, paddings=pads, constant_values=_pad_value(constant_values), name=name)


# ---- flip -----------------------------------------------------------------------------------
REVERSE = defprim("ReverseV2", lambda xp, x, axis: xp.flip(x, axis).copy(),
                  vjp=lambda g, out, x, axis: (flip(g, axis),),
                  shape=rules.same, promote=(), accepts=ANY)


def flip(x: Any, axis: "int | Sequence[int] | None" = None, name: str | None = None) -> Tensor:
    """Reverses the order of elements along ``axis`` (an int, a tuple, or None for all).

    Example:
        >>> lm.flip(lm.tensor([[1, 2], [3, 4]]), axis=1).numpy()
        array([[2, 1],
               [4, 3]], dtype=int32)
    """
    t = _as_tensor(x)
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = rules.normalize_axes(axis, _rank(t, "flip"), "flip")
    if not axes:
        return t
    return bind(REVERSE, t, axis=axes, name=name)


def reverse(tensor: Any, axis: "int | Sequence[int]", name: str | None = None) -> Tensor:
    """TensorFlow's name for :func:`flip`: reverses ``tensor`` along the axes in ``axis``."""
    return flip(tensor, axis, name=name)


# The indexing ops build on the ones above; they are exported from here too.
from .indexing import gather, getitem, one_hot, slice, take_along_axis  # noqa: E402,F401
