"""Pooling layers: MaxPooling1D/2D and AveragePooling1D/2D (windows), and the global
poolings, which reduce every spatial axis (GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D).

Windowed pooling calls ``lm.nn``'s pools (TensorFlow semantics: "same" padding never wins a
max, and an average counts only the real cells of a window).
"""
from __future__ import annotations

from typing import Any

from .. import serialization
from ..ops import math as m
from ..ops import nn as nn_ops
from ..tensor import Tensor
from ._arguments import standard_data_format
from .base import InputSpec, Layer
from .convolutional import (int_tuple, is_empty, nn_format, output_length, spatial_axes,
                            standard_padding, window_error)

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D"]

_POOLS = {("max", 1): nn_ops.max_pool1d, ("max", 2): nn_ops.max_pool2d,
          ("avg", 1): nn_ops.avg_pool1d, ("avg", 2): nn_ops.avg_pool2d}


class _Pooling(Layer):
    """A window of ``pool_size`` slid by ``strides`` (default: ``pool_size``)."""

    rank = 2
    kind = "max"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = int_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = self.pool_size if strides is None else int_tuple(
            strides, self.rank, "strides", owner)
        self.padding = standard_padding(padding, owner)
        self.data_format = standard_data_format(data_format, owner)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._op = _POOLS[self.kind, self.rank]
        self._op_padding = self.padding.upper()
        self._op_format = nn_format(self.data_format, self.rank)

    def call(self, inputs: Tensor) -> Tensor:
        shape = tuple(inputs.shape)
        lengths = [output_length(shape[a], k, s, 1, self.padding) for a, k, s in zip(
            spatial_axes(self.data_format, self.rank), self.pool_size, self.strides)]
        if is_empty(lengths):
            raise window_error(self, shape, lengths, f"pool of size {self.pool_size} with "
                               f"padding={self.padding!r}", "each spatial dimension to be at "
                               f"least the pool size {self.pool_size} with padding='valid'")
        return self._op(inputs, self.pool_size, self.strides, self._op_padding,
                        self._op_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}


@serialization.register("layer")
class MaxPooling1D(_Pooling):
    """The largest value of each window of ``(batch, steps, channels)`` input.

    Args:
        pool_size: the window length (default 2).
        strides: the step between windows (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> lm.layers.MaxPooling1D()(lm.ones((2, 6, 3))).shape
        (2, 3, 3)
    """

    rank, kind = 1, "max"


@serialization.register("layer")
class MaxPooling2D(_Pooling):
    """The largest value of each window of ``(batch, rows, cols, channels)`` input.

    Args:
        pool_size: an int or ``(ph, pw)`` (default 2).
        strides: an int or a pair (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> lm.layers.MaxPooling2D()(lm.ones((2, 28, 28, 8))).shape
        (2, 14, 14, 8)
    """

    rank, kind = 2, "max"


@serialization.register("layer")
class AveragePooling1D(_Pooling):
    """The mean of each window of ``(batch, steps, channels)`` input; with ``"same"``
    padding, over the window's real (unpadded) cells. Arguments as :class:`MaxPooling1D`.

    Example:
        >>> lm.layers.AveragePooling1D(3, padding="same")(lm.ones((2, 7, 3))).shape
        (2, 3, 3)
    """

    rank, kind = 1, "avg"


@serialization.register("layer")
class AveragePooling2D(_Pooling):
    """The mean of each window of ``(batch, rows, cols, channels)`` input; with ``"same"``
    padding, over the window's real (unpadded) cells. Arguments as :class:`MaxPooling2D`.

    Example:
        >>> lm.layers.AveragePooling2D()(lm.ones((2, 5, 5, 3))).shape
        (2, 2, 2, 3)
    """

    rank, kind = 2, "avg"


class _GlobalPooling(Layer):
    """The mean or max over every spatial axis."""

    rank = 2
    kind = "avg"

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = standard_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._axes = spatial_axes(self.data_format, self.rank)
        self._reduce = m.mean if self.kind == "avg" else m.max

    def call(self, inputs: Tensor) -> Tensor:
        return self._reduce(inputs, self._axes, keepdims=self.keepdims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


@serialization.register("layer")
class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps axis: ``(batch, steps, channels)`` -> ``(batch, channels)``
    (``(batch, 1, channels)`` with ``keepdims=True``).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: keep the reduced axis with size 1.

    Example:
        >>> lm.layers.GlobalAveragePooling1D()(lm.ones((2, 5, 3))).shape
        (2, 3)
    """

    rank, kind = 1, "avg"


@serialization.register("layer")
class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over rows and cols: ``(batch, rows, cols, channels)`` -> ``(batch,
    channels)``. Arguments as :class:`GlobalAveragePooling1D`.

    Example:
        >>> lm.layers.GlobalAveragePooling2D(keepdims=True)(lm.ones((2, 4, 4, 3))).shape
        (2, 1, 1, 3)
    """

    rank, kind = 2, "avg"


@serialization.register("layer")
class GlobalMaxPooling1D(_GlobalPooling):
    """The max over the steps axis: ``(batch, steps, channels)`` -> ``(batch, channels)``.
    Arguments as :class:`GlobalAveragePooling1D`.

    Example:
        >>> lm.layers.GlobalMaxPooling1D()(lm.ones((2, 5, 3))).shape
        (2, 3)
    """

    rank, kind = 1, "max"


@serialization.register("layer")
class GlobalMaxPooling2D(_GlobalPooling):
    """The max over rows and cols: ``(batch, rows, cols, channels)`` -> ``(batch,
    channels)``. Arguments as :class:`GlobalAveragePooling1D`.

    Example:
        >>> lm.layers.GlobalMaxPooling2D()(lm.ones((2, 4, 4, 3))).shape
        (2, 3)
    """

    rank, kind = 2, "max"


# Keras's alternative names.
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
