"""Indexing: ``x[...]`` with NumPy semantics, ``gather``, ``take_along_axis``, ``slice`` and
``one_hot``.

Two primitives carry all of it. ``GetItem`` reads ``x[index]``; the index is described by a
*spec*, a tuple of small tuples (one per index item) so that the attribute stays hashable and
printable. Index arrays (integer lists, boolean masks, tensors, symbolic slice bounds) are
inputs of the node, which the spec refers to by position. ``ScatterAdd`` is its transpose: it
adds values into zeros at the positions the same index reads, so duplicate indices accumulate.
Each is the other's gradient, which makes gradients of any order free.

Spec items (``k`` is the position of an index input after ``x``):
  ("int", i)                     an integer: drops the axis
  ("slice", start, stop, step)   each field an int, None, or ("in", k), a scalar input
  ("part", i, num)               the i-th of ``num`` equal parts of the axis (``split``)
  ("new",)                       None / np.newaxis: a new axis of size 1
  ("ellipsis",)                  ``...``: as many full slices as needed
  ("array", k, mode)             an integer array; mode "wrap" allows negative indices
                                 (NumPy), "strict" only [0, n) (TensorFlow's gather)
  ("mask", k)                    a boolean array covering as many axes as it has
  ("range", rank, pos)           every position of the axis, shaped to broadcast against
                                 the other arrays as axis ``pos`` of ``rank`` dims
"""
from __future__ import annotations

import builtins
import numbers
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from .._state import STATE
from ..backends import numba_kernels
from ..tensor import Tensor, _fmt_shape, convert
from . import rules
from .math import cast, equal, where
from .registry import ANY, Aval, bind, defprim
from .shape import _as_tensor, expand_dims, shape as shape_of, transpose

__all__ = [
    "getitem",
    "gather",
    "take_along_axis",
    "one_hot",
    "slice",
]

FULL = ("slice", None, None, None)
_ONE_AXIS = ("int", "slice", "part", "array", "range")
_BASIC = ("int", "slice", "part", "new", "ellipsis")


# ---- the spec: shared by the shape rule and the forwards ------------------------------------
def _width(item: tuple, ranks: Sequence[int]) -> int:
    """How many axes of the indexed tensor an item consumes."""
    if item[0] == "mask":
        return ranks[item[1]]
    return 1 if item[0] in _ONE_AXIS else 0


def _expand(spec: tuple, ndim: int, ranks: Sequence[int], trailing: bool = True) -> list:
    """The spec with its Ellipsis (or, if ``trailing``, the implicit one at the end) replaced
    by full slices."""
    used = builtins.sum(_width(item, ranks) for item in spec)
    if used > ndim:
        raise IndexError(f"Too many indices for a tensor of rank {ndim}: the index covers "
                         f"{used} axes.")
    ellipses = [k for k, item in enumerate(spec) if item[0] == "ellipsis"]
    if len(ellipses) > 1:
        raise IndexError("An index can only have a single ellipsis ('...'), received "
                         f"{len(ellipses)}.")
    fill = [FULL] * (ndim - used)
    if not ellipses:
        return list(spec) + fill if trailing else list(spec)
    k = ellipses[0]
    # An empty Ellipsis stays: NumPy counts it as a gap between advanced indices.
    return list(spec[:k]) + (fill or [spec[k]]) + list(spec[k + 1:])


def _out_of_range(i: int, axis: int, n: int, mode: str = "wrap") -> IndexError:
    valid = f"[0, {n})" if mode == "strict" else f"[{-n}, {n})"
    return IndexError(f"index {i} is out of range for axis {axis} with size {n}: expected an "
                      f"index in {valid}.")


def _check_int(i: int, axis: int, n: int | None) -> None:
    if n is not None and not -n <= i < n:
        raise _out_of_range(i, axis, n)


def _slice_length(n: int | None, item: tuple) -> int | None:
    _, start, stop, step = item
    if n is None or any(isinstance(f, tuple) for f in (start, stop, step)):
        return None
    return len(range(*builtins.slice(start, stop, step).indices(n)))


def _part_length(n: int | None, item: tuple, axis: int) -> int | None:
    num = item[2]
    if n is None:
        return None
    if n % num:
        raise ValueError(f"split: cannot split axis {axis} of size {n} into {num} equal parts; "
                         f"expected a size divisible by {num}.")
    return n // num


# ---- shape rule -----------------------------------------------------------------------------
def _is_fancy(item: tuple, ranks: Sequence[int]) -> bool:
    """Whether the item is an index array (ints join them only when arrays are present)."""
    kind = item[0]
    return kind in ("mask", "range") or (kind == "array" and ranks[item[1]] > 0)


def _advanced_shape(item: tuple, idx: Sequence[Aval], xshape: tuple, dim: int) -> tuple:
    """The broadcast shape an advanced item contributes (and checks on its dtype)."""
    kind = item[0]
    if kind == "int":
        return ()
    if kind == "range":
        rank, pos = item[1], item[2]
        return (1,) * pos + (xshape[dim],) + (1,) * (rank - pos - 1)
    a = idx[item[1]]
    if kind == "array":
        if not a.dtype.is_integer:
            raise TypeError(f"Index arrays must have an integer dtype, received "
                            f"{a.dtype.name}.")
        return a.shape
    covered = xshape[dim:dim + len(a.shape)]
    if any(m is not None and d is not None and m != d for m, d in zip(a.shape, covered)):
        raise IndexError(f"Boolean mask of shape {_fmt_shape(a.shape)} does not match the "
                         f"shape {_fmt_shape(covered)} of the axes it indexes (from axis "
                         f"{dim}).")
    return (None,)  # how many elements are true is known only from the values


def _index_shape(xshape: tuple, idx: Sequence[Aval], spec: tuple) -> tuple:
    """The shape of ``x[index]`` for ``x`` of shape ``xshape`` (NumPy's rules)."""
    ranks = [len(a.shape) for a in idx]
    items = _expand(spec, len(xshape), ranks)
    fancy = any(_is_fancy(item, ranks) for item in items)
    out, adv, positions, insert_at, dim = [], [], [], 0, 0
    for pos, item in enumerate(items):
        kind = item[0]
        if kind in ("new", "ellipsis"):
            out.extend([1] if kind == "new" else [])
            continue
        n = xshape[dim]
        if kind == "slice":
            out.append(_slice_length(n, item))
        elif kind == "part":
            out.append(_part_length(n, item, dim))
        else:
            if kind == "int":
                _check_int(item[1], dim, n)
            shape = _advanced_shape(item, idx, xshape, dim)
            if fancy:  # without index arrays, integers simply drop their axis
                if not positions:
                    insert_at = len(out)
                positions.append(pos)
                adv.append(shape)
        dim += _width(item, ranks)
    if not adv:
        return tuple(out)
    try:
        joint = rules.broadcast_shapes(*adv, op="GetItem")
    except ValueError:
        raise IndexError("Index arrays of shapes " + ", ".join(_fmt_shape(s) for s in adv) +
                         " cannot be broadcast together.") from None
    if positions != list(range(positions[0], positions[-1] + 1)):
        insert_at = 0  # advanced indices apart from each other: NumPy puts theirs first
    return tuple(out[:insert_at]) + joint + tuple(out[insert_at:])


def _getitem_rule(x: Aval, *idx: Aval, spec: tuple) -> Aval:
    for item in spec:
        if item[0] == "mask" and not idx[item[1]].dtype.is_bool:
            raise TypeError(f"Masks must be bool, received {idx[item[1]].dtype.name}.")
    return Aval(_index_shape(x.shape, idx, spec), x.dtype)


def _scatter_rule(updates: Aval, like: Aval, *idx: Aval, spec: tuple) -> Aval:
    want = _index_shape(like.shape, idx, spec)
    if len(want) != len(updates.shape) or any(
            a is not None and b is not None and a != b for a, b in zip(want, updates.shape)):
        raise ValueError(f"ScatterAdd: expected updates of shape {_fmt_shape(want)} (what the "
                         f"index selects), received {_fmt_shape(updates.shape)}.")
    return Aval(like.shape, updates.dtype)


# ---- forwards -------------------------------------------------------------------------------
def _bound(field: Any, arrays: Sequence[Any]) -> int | None:
    if isinstance(field, tuple):  # ("in", k): a scalar tensor input
        return int(arrays[field[1]])
    return field


def _array_index(xp, a: Any, axis: int, n: int, mode: str) -> Any:
    """Checks an integer index array against the axis size (indexing would wrap or fail)."""
    if a.ndim == 0:
        i = int(a)
        if not (0 if mode == "strict" else -n) <= i < n:
            raise _out_of_range(i, axis, n, mode)
        return i
    if a.size:
        low = 0 if mode == "strict" else -n
        bad = (a < low) | (a >= n)
        if bool(bad.any()):
            raise _out_of_range(int(a[bad].ravel()[0]), axis, n, mode)
    return a


def _resolve(xp, item: tuple, n: int, axis: int, arrays: Sequence[Any]) -> Any:
    """One item of the spec as a NumPy index (int, slice or array)."""
    kind = item[0]
    if kind == "int":
        _check_int(item[1], axis, n)
        return item[1]
    if kind == "slice":
        return builtins.slice(*(_bound(f, arrays) for f in item[1:]))
    if kind == "part":
        size = _part_length(n, item, axis)
        return builtins.slice(item[1] * size, (item[1] + 1) * size)
    if kind == "array":
        return _array_index(xp, arrays[item[1]], axis, n, item[2])
    rank, pos = item[1], item[2]  # "range"
    return xp.arange(n).reshape((1,) * pos + (n,) + (1,) * (rank - pos - 1))


def _index_tuple(xp, shape: tuple, arrays: Sequence[Any], spec: tuple) -> tuple:
    """The NumPy index tuple a spec stands for, for an array of ``shape``."""
    items = _expand(spec, len(shape), [a.ndim for a in arrays], trailing=False)
    out, dim = [], 0
    for item in items:
        if item[0] in ("new", "ellipsis"):
            out.append(None if item[0] == "new" else Ellipsis)
        elif item[0] == "mask":
            mask = arrays[item[1]]
            covered = shape[dim:dim + mask.ndim]
            if mask.shape != covered:
                raise IndexError(f"Boolean mask of shape {mask.shape} does not match the "
                                 f"shape {covered} of the axes it indexes (from axis {dim}).")
            out.extend(xp.nonzero(mask))
            dim += mask.ndim
        else:
            out.append(_resolve(xp, item, shape[dim], dim, arrays))
            dim += 1
    return tuple(out)


def _is_basic(spec: tuple) -> bool:
    """Basic indexing reads each element at most once (and NumPy returns a view)."""
    return all(item[0] in _BASIC for item in spec)


def _getitem_forward(xp, x, *arrays, spec):
    out = x[_index_tuple(xp, x.shape, arrays, spec)]
    # A copy for basic indexing: a view would alias memory that compiled plans reuse.
    return xp.array(out) if _is_basic(spec) else xp.asarray(out)


def _scatter_forward(xp, updates, like, *arrays, spec):
    index = _index_tuple(xp, like.shape, arrays, spec)
    out = xp.zeros(like.shape, dtype=updates.dtype)
    if _is_basic(spec):
        out[index] = updates
    elif xp is np and _rows_only(spec, len(like.shape)):
        _add_rows(out, index[0], updates)
    else:
        xp.add.at(out, index, updates)  # duplicate indices accumulate
    return out


def _rows_only(spec: tuple, ndim: int) -> bool:
    """An integer array indexing axis 0 only (gather's gradient, an embedding's)."""
    return (len(spec) >= 1 and spec[0][0] == "array"
            and all(item == FULL for item in spec[1:]) and len(spec) <= ndim)


def _add_rows(out: np.ndarray, rows: Any, updates: np.ndarray) -> None:
    """``out[rows[i]] += updates[i]`` for every i, duplicates adding up: sorted by row, each
    run of equal rows summed with one reduceat (several times faster than np.add.at)."""
    rows = np.mod(np.asarray(rows).ravel(), out.shape[0])  # -1 and n-1 are one row
    values = updates.reshape((rows.size,) + out.shape[1:])
    if rows.size == 0:
        return
    kernel = numba_kernels.for_arrays(np, "add_rows", out, values)
    if kernel is not None and out.flags.c_contiguous:   # (else reshape would write a copy)
        # one pass, each row's terms in index order, as reduceat adds them
        kernel(out.reshape(out.shape[0], -1), rows, values.reshape(rows.size, -1))
        return
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    out[sorted_rows[starts]] += np.add.reduceat(values[order], starts, axis=0)


def _getitem_vjp(g, out, x, *idx, spec):
    return (bind(SCATTER_ADD, g, x, *idx, spec=spec), *([None] * len(idx)))


def _scatter_vjp(g, out, updates, like, *idx, spec):
    return (bind(GET_ITEM, g, *idx, spec=spec), None, *([None] * len(idx)))


GET_ITEM = defprim("GetItem", _getitem_forward, vjp=_getitem_vjp, shape=_getitem_rule,
                   inputs=("x", "indices"), promote=(), accepts=ANY)
SCATTER_ADD = defprim("ScatterAdd", _scatter_forward, vjp=_scatter_vjp, shape=_scatter_rule,
                      inputs=("updates", "like", "indices"), promote=(), accepts=ANY)


def take(x: Tensor, spec: tuple, inputs: Sequence[Any] = (), name: str | None = None
         ) -> Tensor:
    """``x`` indexed by a ready-made spec (for the shape ops that slice: concat, split...)."""
    return bind(GET_ITEM, x, *inputs, spec=tuple(spec), name=name)


def axis_spec(axis: int, item: tuple) -> tuple:
    """A spec applying ``item`` to ``axis`` and keeping the axes before it whole."""
    return (FULL,) * axis + (item,)


# ---- getitem: parsing a Python index --------------------------------------------------------
class _Parser:
    """Turns a Python index into a spec plus the index inputs it refers to."""

    def __init__(self, x: Tensor):
        self.x = x
        self.spec: list[tuple] = []
        self.inputs: list[Any] = []

    def add_input(self, value: Any) -> int:
        self.inputs.append(value)
        return len(self.inputs) - 1

    def item(self, i: Any) -> None:
        if i is None:
            self.spec.append(("new",))
        elif i is Ellipsis:
            self.spec.append(("ellipsis",))
        elif isinstance(i, builtins.slice):
            self.spec.append(("slice", *(self.bound(f) for f in (i.start, i.stop, i.step))))
            if self.spec[-1][3] == 0:
                raise ValueError("Slice step cannot be zero.")
        elif isinstance(i, Tensor):
            self.tensor(i)
        elif isinstance(i, (bool, np.bool_)):
            raise TypeError(f"Indexing with a Python or NumPy bool ({i!r}) is not supported; "
                            "use a boolean mask with the shape of the indexed axes.")
        elif isinstance(i, numbers.Integral):
            self.spec.append(("int", int(i)))
        elif isinstance(i, (list, tuple, np.ndarray)):
            a = np.asarray(i)
            self.array(a.astype(np.int64) if a.size == 0 and not isinstance(i, np.ndarray)
                       else a)
        else:
            raise _bad_index(i)

    def bound(self, f: Any) -> Any:
        """A slice field: None, an int, or a reference to a scalar integer input."""
        if f is None or (isinstance(f, numbers.Integral) and not isinstance(f, bool)):
            return None if f is None else int(f)
        if isinstance(f, Tensor) and f.dtype.is_integer and f.ndim == 0:
            if f._value is not None:
                return int(f)
            return ("in", self.add_input(f))
        raise TypeError(f"Slice bounds must be integers, None or scalar integer tensors, "
                        f"received {f!r}.")

    def tensor(self, t: Tensor) -> None:
        if t.dtype.is_bool and t.ndim > 0:
            self.spec.append(("mask", self.add_input(t)))
        elif t.dtype.is_integer and t.ndim == 0 and t._value is not None:
            self.spec.append(("int", int(t)))
        elif t.dtype.is_integer:
            self.spec.append(("array", self.add_input(t), "wrap"))
        else:
            raise _bad_index(t)

    def array(self, a: np.ndarray) -> None:
        if a.dtype.kind in "iu" and a.ndim == 0:
            self.spec.append(("int", int(a)))
        elif a.dtype.kind == "b" and a.ndim > 0:
            self.spec.append(("mask", self.add_input(self.constant(a))))
        elif a.dtype.kind in "iu":
            self.spec.append(("array", self.add_input(self.constant(a)), "wrap"))
        else:
            raise _bad_index(a)

    def constant(self, a: np.ndarray) -> Tensor:
        if STATE.graph is not None:
            return STATE.graph.capture(a, "indices")
        return convert(a, device=self.x.device)


def _bad_index(i: Any) -> TypeError:
    dtype = i.dtype if hasattr(i, "dtype") else np.asarray(i).dtype
    what = f"a tensor of shape {_fmt_shape(i.shape)}" if isinstance(i, Tensor) else repr(i)
    what = what if len(what) <= 60 else what[:57] + "..."
    return TypeError(f"Only integers, slices, None, Ellipsis, integer arrays and boolean masks "
                     f"are valid indices; received {what} of dtype {dtype}.")


def getitem(x: Any, index: Any, name: str | None = None) -> Tensor:
    """``x[index]`` with NumPy semantics (what ``Tensor.__getitem__`` calls).

    ``index`` may combine ints, slices (any step), None / ``np.newaxis``, ``...``, integer
    lists, arrays or tensors (advanced indexing), and boolean masks. Out-of-range integers
    raise ``IndexError``. Gradients scatter back (repeated indices accumulate).

    Example:
        >>> x = lm.reshape(lm.arange(6), (2, 3))
        >>> x[:, ::-1].numpy()
        array([[2, 1, 0],
               [5, 4, 3]], dtype=int32)
        >>> x[[1, 0], 2].numpy()
        array([5, 2], dtype=int32)
    """
    t = _as_tensor(x)
    parser = _Parser(t)
    for item in index if isinstance(index, tuple) else (index,):
        parser.item(item)
    return bind(GET_ITEM, t, *parser.inputs, spec=tuple(parser.spec), name=name)


# ---- gather and take_along_axis -------------------------------------------------------------
def _index_tensor(indices: Any, like: Tensor | None, op: str) -> Tensor:
    """``indices`` as an integer tensor (on ``like``'s device when given)."""
    if not isinstance(indices, Tensor) and np.size(indices) == 0:
        indices = np.zeros(np.shape(indices), dtype=np.int32)  # [] would become float32
    if isinstance(indices, Tensor):
        t = indices
    elif STATE.graph is not None:
        t = STATE.graph.capture(indices, "indices")
    else:
        t = convert(indices, device=None if like is None else like.device)
    if not t.dtype.is_integer:
        raise TypeError(f"{op}: indices must have an integer dtype, received {t.dtype.name}.")
    return t


def _check_batch_dims(p: Tensor, idx: Tensor, batch_dims: int) -> None:
    for d in range(batch_dims):
        a, b = p.shape[d], idx.shape[d]
        if a is not None and b is not None and a != b:
            raise ValueError(f"gather: with batch_dims={batch_dims}, params and indices must "
                             f"agree on their first {batch_dims} dims; received shapes "
                             f"{_fmt_shape(p.shape)} and {_fmt_shape(idx.shape)}.")


def gather(params: Any, indices: Any, axis: int | None = None, batch_dims: int = 0,
           name: str | None = None) -> Tensor:
    """Slices of ``params`` along ``axis`` at ``indices`` (TensorFlow's ``tf.gather``).

    The result has shape ``params.shape[:axis] + indices.shape[batch_dims:] +
    params.shape[axis + 1:]``. ``axis`` defaults to ``batch_dims``; the first ``batch_dims``
    dims of ``params`` and ``indices`` are batch dims gathered in step. Indices must lie in
    ``[0, params.shape[axis])``; others raise ``IndexError``. Repeated indices add up in the
    gradient.

    Example:
        >>> lm.gather([10.0, 20.0, 30.0], [2, 0, 2]).numpy()
        array([30., 10., 30.], dtype=float32)
    """
    p = _as_tensor(params)
    idx = _index_tensor(indices, p, "gather")
    if p.ndim == 0:
        raise ValueError("gather: params must have rank >= 1, received a scalar.")
    if not isinstance(batch_dims, numbers.Integral) or not -idx.ndim <= batch_dims <= idx.ndim:
        raise ValueError(f"gather: batch_dims must be an int in [{-idx.ndim}, {idx.ndim}] for "
                         f"indices of rank {idx.ndim}, received {batch_dims!r}.")
    batch_dims = int(batch_dims) + (idx.ndim if batch_dims < 0 else 0)
    axis = batch_dims if axis is None else rules.normalize_axis(axis, p.ndim, "gather")
    if axis < batch_dims:
        raise ValueError(f"gather: batch_dims ({batch_dims}) must be <= axis ({axis}).")
    _check_batch_dims(p, idx, batch_dims)
    spec = tuple(("range", idx.ndim, d) for d in range(batch_dims)) + \
        (FULL,) * (axis - batch_dims) + (("array", 0, "strict"),)
    out = bind(GET_ITEM, p, idx, spec=spec, name=name)
    if batch_dims == 0 or axis == batch_dims:
        return out
    # Batch dims and the middle dims are apart: the gathered dims came first (NumPy's rule).
    r, mid = idx.ndim, axis - batch_dims
    perm = list(range(batch_dims)) + list(range(r, r + mid)) + list(range(batch_dims, r))
    return transpose(out, perm + list(range(r + mid, out.ndim)))


def take_along_axis(x: Any, indices: Any, axis: int | None, name: str | None = None
                    ) -> Tensor:
    """Picks values from ``x`` along ``axis`` at ``indices`` (NumPy's ``take_along_axis``).

    ``indices`` has the rank of ``x`` and broadcasts against it on the other axes; negative
    indices count from the end. ``axis=None`` works on the flattened ``x``.

    Example:
        >>> x = lm.tensor([[3.0, 1.0], [2.0, 4.0]])
        >>> lm.take_along_axis(x, lm.argmax(x, axis=1)[:, None], axis=1).numpy()
        array([[3.],
               [4.]], dtype=float32)
    """
    t = _as_tensor(x)
    idx = _index_tensor(indices, t, "take_along_axis")
    if axis is None:
        from .shape import reshape
        t, axis = reshape(t, (-1,)), 0
    if t.ndim == 0:
        raise ValueError("take_along_axis: x must have rank >= 1, received a scalar.")
    axis = rules.normalize_axis(axis, t.ndim, "take_along_axis")
    if idx.ndim != t.ndim:
        raise ValueError(f"take_along_axis: indices must have the rank of x ({t.ndim}), "
                         f"received shape {_fmt_shape(idx.shape)}.")
    spec = tuple(("array", 0, "wrap") if d == axis else ("range", t.ndim, d)
                 for d in range(t.ndim))
    return bind(GET_ITEM, t, idx, spec=spec, name=name)


# ---- slice ----------------------------------------------------------------------------------
def _entries(values: Any, rank: int, what: str) -> list:
    """``begin`` or ``size`` of ``slice`` as a list of ints or symbolic scalars."""
    if isinstance(values, Tensor) and values._value is None:
        if values.shape != (rank,) or not values.dtype.is_integer:
            raise ValueError(f"slice: {what} must be an integer vector of length {rank}, "
                             f"received {values!r}.")
        return [values[d] for d in range(rank)]
    arr = np.asarray(values.numpy() if isinstance(values, Tensor) else values)
    if arr.shape != (rank,) or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"slice: {what} must hold {rank} integers (one per axis of the "
                         f"input), received {values!r}.")
    return [int(v) for v in arr]


def _static_bounds(begin: int, size: int, n: int | None, axis: int) -> None:
    end = n if size == -1 else begin + size
    if begin < 0 or size < -1 or (n is not None and end > n):
        raise ValueError(f"slice: expected 0 <= begin[{axis}] <= begin[{axis}] + size[{axis}] "
                         f"<= {n if n is not None else 'dim'} (size -1 meaning 'to the end'), "
                         f"received begin {begin} and size {size}.")


def slice(input_: Any, begin: Any, size: Any, name: str | None = None  # noqa: A001
          ) -> Tensor:
    """The block of ``input_`` starting at ``begin`` with extent ``size`` (``tf.slice``).

    ``size[i] == -1`` takes everything from ``begin[i]`` to the end of axis ``i``.

    Example:
        >>> lm.slice(lm.reshape(lm.arange(6), (2, 3)), [0, 1], [-1, 2]).numpy()
        array([[1, 2],
               [4, 5]], dtype=int32)
    """
    t = _as_tensor(input_)
    begins, sizes = _entries(begin, t.ndim, "begin"), _entries(size, t.ndim, "size")
    index = []
    for axis, (b, s) in enumerate(zip(begins, sizes)):
        if isinstance(b, int) and isinstance(s, int):
            _static_bounds(b, s, t.shape[axis], axis)
            index.append(builtins.slice(b, None if s == -1 else b + s))
        elif isinstance(s, int):
            index.append(builtins.slice(b, None if s == -1 else b + s))
        else:  # a symbolic size: -1 is known only when the graph runs
            stop = where(equal(s, -1), shape_of(t)[axis], b + s)
            index.append(builtins.slice(b, cast(stop, s.dtype)))
    return getitem(t, tuple(index), name=name)


# ---- one_hot --------------------------------------------------------------------------------
def _value_dtype(value: Any) -> _dt.DType | None:
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value.dtype
    return convert(value).dtype


def one_hot(indices: Any, depth: int, on_value: Any = None, off_value: Any = None,
            axis: int | None = None, dtype: Any = None, name: str | None = None) -> Tensor:
    """A one-hot encoding of integer ``indices``: ``on_value`` where the index is, else
    ``off_value`` (TensorFlow's ``tf.one_hot``).

    The new axis of size ``depth`` goes at ``axis`` (default -1, last). The dtype is ``dtype``,
    else that of ``on_value`` / ``off_value``, else float32. Indices outside ``[0, depth)``
    give a row of ``off_value``.

    Example:
        >>> lm.one_hot([0, 2, -1], 3).numpy()
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 0., 0.]], dtype=float32)
    """
    idx = _index_tensor(indices, None, "one_hot")
    if not isinstance(depth, numbers.Integral) or isinstance(depth, bool) or depth < 0:
        raise ValueError(f"one_hot: depth must be a non-negative int, received {depth!r}.")
    dt = _dt.as_dtype(dtype) if dtype is not None else (
        _value_dtype(on_value) or _value_dtype(off_value) or _dt.float32)
    axis = rules.normalize_axis(-1 if axis is None else axis, idx.ndim + 1, "one_hot")
    classes = np.arange(int(depth), dtype=idx.dtype.np).reshape(
        (int(depth),) + (1,) * (idx.ndim - axis))
    hit = equal(expand_dims(idx, axis), classes)
    return where(hit, _scalar_of(1 if on_value is None else on_value, dt),
                 _scalar_of(0 if off_value is None else off_value, dt), name=name)


def _scalar_of(value: Any, dtype: _dt.DType) -> Any:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"one_hot: on_value and off_value must be scalars, received shape "
                             f"{_fmt_shape(value.shape)}.")
        return cast(value, dtype)
    if np.ndim(value) != 0:
        raise ValueError(f"one_hot: on_value and off_value must be scalars, received "
                         f"{value!r}.")
    return np.asarray(value, dtype=dtype.np)
