"""Layers that pad, crop or repeat the steps of sequences and the rows and columns of images:
ZeroPadding1D/2D, Cropping1D/2D and UpSampling1D/2D (nearest neighbour).

Sequences are ``(batch, steps, features)`` and images ``(batch, rows, cols, channels)``
(``data_format="channels_last"``, the default) or ``(batch, channels, rows, cols)``
(``"channels_first"``). Flatten, Reshape, Permute and RepeatVector live in core.py.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import serialization
from ..ops import math as m
from ..ops import shape
from ..tensor import Tensor, _fmt_shape
from ._arguments import positive_int, standard_data_format
from .base import InputSpec, Layer
from .convolutional import spatial_axes

__all__ = ["ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
           "UpSampling2D"]


# ---- argument checks -------------------------------------------------------------------------
def _is_count(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def _amounts_1d(value: Any, what: str, layer: str) -> tuple[int, int]:
    """An int ``n`` -> ``(n, n)``; a pair of ints ``(before, after)`` as given."""
    if _is_count(value):
        return int(value), int(value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_count, value)):
        return int(value[0]), int(value[1])
    raise ValueError(f"{layer}: {what} must be an int >= 0 or a pair of them (before, after), "
                     f"received {value!r}.")


def _amounts_2d(value: Any, what: str, layer: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """An int -> the same on all four sides; ``(rows, cols)`` -> symmetric amounts per axis;
    ``((top, bottom), (left, right))`` as given."""
    if _is_count(value):
        return (int(value),) * 2, (int(value),) * 2
    if isinstance(value, (list, tuple)) and len(value) == 2:
        if all(map(_is_count, value)):
            return (int(value[0]),) * 2, (int(value[1]),) * 2
        if all(isinstance(v, (list, tuple)) for v in value):
            return _amounts_1d(value[0], what, layer), _amounts_1d(value[1], what, layer)
    raise ValueError(f"{layer}: {what} must be an int >= 0, a pair of ints (rows, cols) or a "
                     f"pair of pairs ((top, bottom), (left, right)), received {value!r}.")


# ---- the computations shared by the 1D and 2D layers -----------------------------------------
def _zero_pad(x: Tensor, axes: Sequence[int], amounts: Sequence[tuple[int, int]]) -> Tensor:
    paddings = [[0, 0] for _ in range(x.ndim)]
    for axis, pair in zip(axes, amounts):
        paddings[axis] = list(pair)
    return shape.pad(x, paddings)


def _crop(layer: Layer, x: Tensor, axes: Sequence[int],
          amounts: Sequence[tuple[int, int]]) -> Tensor:
    index = [slice(None)] * x.ndim
    for axis, (before, after) in zip(axes, amounts):
        size = x.shape[axis]
        if size is not None and before + after >= size:
            raise ValueError(f"{type(layer).__name__} layer {layer.name!r}: cropping "
                             f"{(before, after)} would remove all {size} entries of axis "
                             f"{axis} of input shape {_fmt_shape(x.shape)}.")
        index[axis] = slice(before, -after if after else None)
    return x[tuple(index)]


def _repeat(x: Tensor, size: int, axis: int) -> Tensor:
    """Each entry along ``axis`` repeated ``size`` times in a row (nearest upsampling)."""
    if size == 1:
        return x
    multiples = [1] * (x.ndim + 1)
    multiples[axis + 1] = size
    tiled = shape.tile(shape.expand_dims(x, axis + 1), multiples)
    target = list(x.shape)
    target[axis] = None if target[axis] is None else target[axis] * size
    if target.count(None) <= 1:
        return shape.reshape(tiled, [-1 if d is None else d for d in target])
    # Several sizes unknown (a symbolic model input): take the shape from a tensor that has it.
    like = shape.tile(x, [size if a == axis else 1 for a in range(x.ndim)])
    return m.reshape_like(tiled, like)


# ---- padding ---------------------------------------------------------------------------------
@serialization.register("layer")
class ZeroPadding1D(Layer):
    """Adds zeros at the start and end of each sequence.

    Args:
        padding: an int (the same at both ends) or a pair ``(start, end)``.
        data_format: ``"channels_last"`` (default; ``(batch, steps, features)``) or
            ``"channels_first"`` (``(batch, features, steps)``).

    Example:
        >>> lm.layers.ZeroPadding1D(2)(lm.ones((1, 3, 4))).shape
        (1, 7, 4)
    """

    def __init__(self, padding: int | Sequence[int] = 1, data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = _amounts_1d(padding, "padding", "ZeroPadding1D")
        self.data_format = standard_data_format(data_format, "ZeroPadding1D")
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any) -> Any:
        return _zero_pad(inputs, spatial_axes(self.data_format, 1), [self.padding])

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": list(self.padding),
                "data_format": self.data_format}


@serialization.register("layer")
class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image.

    Args:
        padding: an int (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> lm.layers.ZeroPadding2D((1, 2))(lm.ones((1, 3, 3, 1))).shape
        (1, 5, 7, 1)
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = _amounts_2d(padding, "padding", "ZeroPadding2D")
        self.data_format = standard_data_format(data_format, "ZeroPadding2D")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        return _zero_pad(inputs, spatial_axes(self.data_format, 2), self.padding)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": [list(p) for p in self.padding],
                "data_format": self.data_format}


# ---- cropping --------------------------------------------------------------------------------
@serialization.register("layer")
class Cropping1D(Layer):
    """Removes steps at the start and end of each sequence ``(batch, steps, features)``.

    Args:
        cropping: an int (the same at both ends) or a pair ``(start, end)``.

    Example:
        >>> lm.layers.Cropping1D((1, 2))(lm.ones((1, 6, 4))).shape
        (1, 3, 4)
    """

    def __init__(self, cropping: int | Sequence[int] = (1, 1), **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = _amounts_1d(cropping, "cropping", "Cropping1D")
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any) -> Any:
        return _crop(self, inputs, (1,), [self.cropping])

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": list(self.cropping)}


@serialization.register("layer")
class Cropping2D(Layer):
    """Removes rows and columns at the edges of each image.

    Args:
        cropping: an int (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> lm.layers.Cropping2D(((1, 0), (2, 2)))(lm.ones((1, 4, 6, 3))).shape
        (1, 3, 2, 3)
    """

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = _amounts_2d(cropping, "cropping", "Cropping2D")
        self.data_format = standard_data_format(data_format, "Cropping2D")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        return _crop(self, inputs, spatial_axes(self.data_format, 2), self.cropping)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": [list(c) for c in self.cropping],
                "data_format": self.data_format}


# ---- upsampling ------------------------------------------------------------------------------
@serialization.register("layer")
class UpSampling1D(Layer):
    """Repeats each step ``size`` times: ``(batch, steps, features)`` ->
    ``(batch, steps * size, features)``.

    Args:
        size: the repeat count.

    Example:
        >>> lm.layers.UpSampling1D(2)(lm.tensor([[[1.0], [2.0]]])).numpy()[0, :, 0]
        array([1., 1., 2., 2.], dtype=float32)
    """

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        self.size = positive_int(size, "size", "UpSampling1D")
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any) -> Any:
        return _repeat(inputs, self.size, 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


@serialization.register("layer")
class UpSampling2D(Layer):
    """Enlarges images by repeating each row and column (nearest-neighbour upsampling).

    Args:
        size: an int or ``(rows, cols)``: the repeat counts.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: only ``"nearest"`` is available.

    Example:
        >>> lm.layers.UpSampling2D((2, 3))(lm.ones((1, 2, 2, 1))).shape
        (1, 4, 6, 1)
    """

    def __init__(self, size: int | Sequence[int] = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any):
        super().__init__(**kwargs)
        pair = (size, size) if isinstance(size, (int, np.integer)) else size
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"UpSampling2D: size must be an int or a pair of ints (rows, "
                             f"cols), received {size!r}.")
        self.size = tuple(positive_int(s, "size", "UpSampling2D") for s in pair)
        self.data_format = standard_data_format(data_format, "UpSampling2D")
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' (the only mode "
                             f"lamina implements), received {interpolation!r}.")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        x = inputs
        for axis, size in zip(spatial_axes(self.data_format, 2), self.size):
            x = _repeat(x, size, axis)
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "size": list(self.size),
                "data_format": self.data_format, "interpolation": self.interpolation}
