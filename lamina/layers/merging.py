"""Merging layers: combine a list of tensors into one.

Elementwise: Add, Subtract, Multiply, Average, Maximum, Minimum. Their inputs must agree on
the batch size; the other axes broadcast as in Keras (sizes equal or 1; a lower-rank input
gains axes right after the batch axis). Also Concatenate and Dot (a batched dot product), and
the functional shortcuts ``add([a, b])``, ``concatenate([a, b])``... that Keras offers.

    >>> a, b = lm.Input((4,)), lm.Input((4,))
    >>> lm.layers.Add()([a, b]).shape
    (None, 4)
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from .. import serialization
from ..ops import linalg, nn, rules, shape
from ..ops import math as m
from ..tensor import Tensor, _fmt_shape
from .base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


def _shapes(xs: Sequence[Tensor]) -> str:
    return ", ".join(_fmt_shape(tuple(x.shape)) for x in xs)


class _Merge(Layer):
    """The shared part of the merging layers: checking that the input is a list of tensors."""

    _exact_inputs: int | None = None      # Subtract and Dot take exactly two

    def _input_list(self, inputs: Any) -> list[Tensor]:
        kind = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            got = _fmt_shape(tuple(inputs.shape)) if isinstance(inputs, Tensor) else \
                type(inputs).__name__
            raise ValueError(f"{kind} layer {self.name!r} expects a list of tensors, received "
                             f"a single input ({got}).")
        wanted = self._exact_inputs
        if len(inputs) < 2 or (wanted is not None and len(inputs) != wanted):
            need = f"exactly {wanted}" if wanted is not None else "at least 2"
            raise ValueError(f"{kind} layer {self.name!r} expects a list of {need} inputs, "
                             f"received {len(inputs)} (shapes: {_shapes(inputs) or 'none'}).")
        return list(inputs)

    def _check_batch(self, xs: Sequence[Tensor]) -> None:
        if any(x.ndim == 0 for x in xs):
            raise ValueError(f"{type(self).__name__} layer {self.name!r} needs inputs with a "
                             f"batch axis, received shapes {_shapes(xs)}.")
        sizes = {x.shape[0] for x in xs} - {None}
        if len(sizes) > 1:
            raise ValueError(f"{type(self).__name__} layer {self.name!r} cannot merge tensors "
                             f"with different batch sizes; received shapes {_shapes(xs)}.")


class _ElementwiseMerge(_Merge):
    """Merges inputs elementwise, after bringing them to one rank (Keras's rule)."""

    def call(self, inputs: Any) -> Any:
        xs = self._input_list(inputs)
        self._check_batch(xs)
        self._check_broadcast(xs)
        rank = max(x.ndim for x in xs)
        # A lower-rank input gains axes right after the batch axis, so (batch, 3) merges with
        # (batch, 4, 3) as Keras does.
        xs = [_expand_after_batch(x, rank) for x in xs]
        return self._merge(xs)

    def _check_broadcast(self, xs: Sequence[Tensor]) -> None:
        """Non-batch sizes, aligned from the last axis, must be equal or 1 (or unknown)."""
        rank = max(x.ndim for x in xs)
        for axis in range(1, rank):
            sizes = {x.shape[x.ndim - rank + axis] for x in xs if x.ndim - rank + axis >= 1}
            if len(sizes - {None, 1}) > 1:
                raise ValueError(f"{type(self).__name__} layer {self.name!r} received inputs "
                                 f"with incompatible shapes {_shapes(xs)}: sizes must match "
                                 "(or be 1) on every axis but the batch axis.")

    def _merge(self, xs: list[Tensor]) -> Tensor:
        raise NotImplementedError


def _expand_after_batch(x: Tensor, rank: int) -> Tensor:
    """``x`` with size-1 axes inserted after the batch axis, up to ``rank``."""
    for _ in range(rank - x.ndim):
        x = shape.expand_dims(x, 1)
    return x


@serialization.register("layer")
class Add(_ElementwiseMerge):
    """Adds a list of tensors elementwise.

    Example:
        >>> lm.layers.Add()([lm.ones((2, 3)), lm.ones((2, 3))]).numpy()[0]
        array([2., 2., 2.], dtype=float32)
    """

    def _merge(self, xs: list[Tensor]) -> Tensor:
        return functools.reduce(m.add, xs)


@serialization.register("layer")
class Subtract(_ElementwiseMerge):
    """Subtracts the second of two tensors from the first.

    Example:
        >>> lm.layers.Subtract()([lm.ones((2, 3)), lm.ones((2, 3))]).numpy()[0]
        array([0., 0., 0.], dtype=float32)
    """

    _exact_inputs = 2

    def _merge(self, xs: list[Tensor]) -> Tensor:
        return m.subtract(xs[0], xs[1])


@serialization.register("layer")
class Multiply(_ElementwiseMerge):
    """Multiplies a list of tensors elementwise.

    Example:
        >>> lm.layers.Multiply()([lm.ones((1, 2)) * 2.0, lm.ones((1, 2)) * 3.0]).numpy()
        array([[6., 6.]], dtype=float32)
    """

    def _merge(self, xs: list[Tensor]) -> Tensor:
        return functools.reduce(m.multiply, xs)


@serialization.register("layer")
class Average(_ElementwiseMerge):
    """The elementwise mean of a list of tensors.

    Example:
        >>> lm.layers.Average()([lm.zeros((1, 2)), lm.ones((1, 2))]).numpy()
        array([[0.5, 0.5]], dtype=float32)
    """

    def _merge(self, xs: list[Tensor]) -> Tensor:
        return functools.reduce(m.add, xs) / float(len(xs))


@serialization.register("layer")
class Maximum(_ElementwiseMerge):
    """The elementwise maximum of a list of tensors.

    Example:
        >>> lm.layers.Maximum()([lm.zeros((1, 2)), lm.ones((1, 2))]).numpy()
        array([[1., 1.]], dtype=float32)
    """

    def _merge(self, xs: list[Tensor]) -> Tensor:
        return functools.reduce(m.maximum, xs)


@serialization.register("layer")
class Minimum(_ElementwiseMerge):
    """The elementwise minimum of a list of tensors.

    Example:
        >>> lm.layers.Minimum()([lm.zeros((1, 2)), lm.ones((1, 2))]).numpy()
        array([[0., 0.]], dtype=float32)
    """

    def _merge(self, xs: list[Tensor]) -> Tensor:
        return functools.reduce(m.minimum, xs)


@serialization.register("layer")
class Concatenate(_Merge):
    """Joins a list of tensors along ``axis``; their other sizes must match.

    Args:
        axis: the axis to join along (default: the last).

    Example:
        >>> lm.layers.Concatenate()([lm.ones((2, 3)), lm.ones((2, 4))]).shape
        (2, 7)
    """

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Concatenate: axis must be an int, received {axis!r}.")
        self.axis = int(axis)

    def call(self, inputs: Any) -> Any:
        xs = self._input_list(inputs)
        where = f"Concatenate layer {self.name!r}"
        if len({x.ndim for x in xs}) != 1:
            raise ValueError(f"{where} needs inputs of one rank, received shapes "
                             f"{_shapes(xs)}.")
        axis = rules.normalize_axis(self.axis, xs[0].ndim, where)
        for other in range(xs[0].ndim):
            if other != axis and len({x.shape[other] for x in xs} - {None}) > 1:
                raise ValueError(f"{where} needs inputs whose shapes match except on the "
                                 f"concatenation axis ({self.axis}); received shapes "
                                 f"{_shapes(xs)}.")
        return shape.concat(xs, axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


@serialization.register("layer")
class Dot(_Merge):
    """The dot product of two tensors' samples along the given axes (Keras's ``batch_dot``).

    For inputs of shapes ``(batch, n, d)`` and ``(batch, m, d)`` with ``axes=2`` the output
    has shape ``(batch, n, m)``: the first input's remaining axes, then the second's. A
    result with only a batch axis gets a trailing axis of size 1.

    Args:
        axes: one axis for both inputs, or a pair ``(axis_of_first, axis_of_second)``; axes
            count the batch axis as 0, and negative axes count from the end.
        normalize: L2-normalize the samples along ``axes`` first, giving cosine similarities.

    Example:
        >>> lm.layers.Dot(axes=1)([lm.ones((2, 3)), lm.ones((2, 3))]).numpy()
        array([[3.],
               [3.]], dtype=float32)
    """

    _exact_inputs = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, (int, np.integer)) else axes
        try:
            ok = len(pair) == 2 and all(isinstance(a, (int, np.integer)) and
                                        not isinstance(a, bool) for a in pair)
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"Dot: axes must be an int or a pair of ints, received {axes!r}.")
        self.axes = int(axes) if isinstance(axes, (int, np.integer)) else tuple(
            int(a) for a in axes)
        self._pair = tuple(int(a) for a in pair)
        self.normalize = bool(normalize)

    def call(self, inputs: Any) -> Any:
        x, y = self._input_list(inputs)
        self._check_batch([x, y])
        ax, ay = (self._axis(a, t) for a, t in zip(self._pair, (x, y)))
        if None not in (x.shape[ax], y.shape[ay]) and x.shape[ax] != y.shape[ay]:
            raise ValueError(f"Dot layer {self.name!r}: the sizes along axes {(ax, ay)} "
                             f"differ ({x.shape[ax]} != {y.shape[ay]}); received shapes "
                             f"{_shapes([x, y])}.")
        if self.normalize:
            x, y = nn.l2_normalize(x, axis=ax), nn.l2_normalize(y, axis=ay)
        out = linalg.einsum(_batch_dot_equation(x.ndim, y.ndim, ax, ay), x, y)
        return shape.expand_dims(out, 1) if out.ndim == 1 else out

    def _axis(self, axis: int, t: Tensor) -> int:
        if t.ndim < 2 or t.ndim > _MAX_DOT_RANK:
            raise ValueError(f"Dot layer {self.name!r} needs inputs of rank 2 to "
                             f"{_MAX_DOT_RANK}, received an input of shape {_fmt_shape(t.shape)}.")
        normalized = rules.normalize_axis(axis, t.ndim, f"Dot layer {self.name!r}")
        if normalized == 0:
            raise ValueError(f"Dot layer {self.name!r}: axes {self.axes} name the batch axis "
                             f"0 of an input of shape {_fmt_shape(t.shape)}; a dot product "
                             "runs within each sample.")
        return normalized

    def get_config(self) -> dict:
        axes = self.axes if isinstance(self.axes, int) else list(self.axes)
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


_MAX_DOT_RANK = 12
_LETTERS = "bcdefghijklmnopqrstuvwxy"       # "a" is the batch axis, "z" the summed one


def _batch_dot_equation(rank_x: int, rank_y: int, ax: int, ay: int) -> str:
    """The einsum equation of a batched dot product, e.g. ``abz,acz->abc``."""
    xs = ["a", *_LETTERS[:rank_x - 1]]
    ys = ["a", *_LETTERS[rank_x - 1:rank_x + rank_y - 2]]
    xs[ax], ys[ay] = "z", "z"
    out = [c for c in xs[1:] + ys[1:] if c != "z"]
    return f"{''.join(xs)},{''.join(ys)}->a{''.join(out)}"


# ---- functional shortcuts (Keras's lower-case names) -----------------------------------------
def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis, **kwargs)(inputs)``.

    Example:
        >>> lm.layers.concatenate([lm.Input((2,)), lm.Input((3,))]).shape
        (None, 5)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: int | Sequence[int] = -1, normalize: bool = False,
        **kwargs: Any) -> Any:
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
