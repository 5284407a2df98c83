"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Inputs are channels_last, ``(batch, steps, channels)`` or ``(batch, rows, cols, channels)``,
unless ``data_format="channels_first"``. Kernels are laid out spatial dims first, then input
channels, then output channels (HWIO; Conv2DTranspose's swaps the last two), as in Keras.
The arithmetic is ``lm.nn``'s: Conv1D and Conv2D call ``lm.nn.conv1d``/``conv2d``; the
transposed and depthwise convolutions are built here from the im2col primitive pair
(``ExtractPatches``/``CombinePatches``) those rest on, so their gradients come for free.

The window and shape helpers at the top (``int_tuple``, ``standard_padding``,
``output_length``, ``window_error``...) are shared with pooling.py.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import activations, regularizers, serialization
from ..ops import nn as nn_ops
from ..ops.linalg import einsum
from ..ops.registry import bind
from ..ops.shape import concat, pad, reshape, split, tile, transpose
from ..tensor import Tensor, _fmt_shape
from ._arguments import (add_weight_with_options, positive_int, serialize_or_none,
                         set_weight_options, standard_data_format, weight_options_config)
from .base import InputSpec, Layer

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
           "Convolution1D", "Convolution2D", "Convolution2DTranspose"]


# ---- argument helpers (shared with pooling.py) ----------------------------------------------
def int_tuple(value: Any, rank: int, what: str, owner: str, minimum: int = 1
              ) -> tuple[int, ...]:
    """Keras's ``kernel_size``/``strides``/... forms: one int, or ``rank`` ints."""
    def is_int(v: Any) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    items = [value] * rank if is_int(value) else (
        list(value) if isinstance(value, (list, tuple)) else None)
    if items is None or len(items) != rank or not all(is_int(v) and v >= minimum
                                                      for v in items):
        raise ValueError(f"{owner}: {what} must be an integer >= {minimum} or a tuple of {rank} "
                         f"such integers, received {what}={value!r}.")
    return tuple(int(v) for v in items)


def standard_padding(padding: Any, owner: str, allowed: Sequence[str] = ("valid", "same")
                     ) -> str:
    """``padding`` lower-cased, checked against ``allowed``."""
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(f"{owner}: padding must be one of {tuple(allowed)} (case-insensitive), "
                         f"received padding={padding!r}.")
    return padding.lower()


def nn_format(data_format: str, rank: int) -> str:
    """The ``lm.nn`` name of a Keras data_format: NWC/NCW for 1-D, NHWC/NCHW for 2-D."""
    last = "NWC" if rank == 1 else "NHWC"
    return last if data_format == "channels_last" else last[0] + last[-1] + last[1:-1]


def spatial_axes(data_format: str, rank: int) -> tuple[int, ...]:
    first = 1 if data_format == "channels_last" else 2
    return tuple(range(first, first + rank))


def output_length(n: int | None, window: int, stride: int, dilation: int, padding: str
                  ) -> int | None:
    """The output size of a window sliding over ``n`` cells (<= 0: the window does not fit)."""
    if n is None:
        return None
    if padding in ("same", "causal"):
        return -(-n // stride)
    return (n - dilation * (window - 1) - 1) // stride + 1


def is_empty(lengths: Sequence[int | None]) -> bool:
    """Whether some output size is known to be < 1 (the window does not fit)."""
    return any(n is not None and n < 1 for n in lengths)


def window_error(layer: Layer, shape: tuple, lengths: Sequence[int | None], window: str,
                 need: str) -> ValueError:
    """The error for an empty output, naming the layer and the shapes."""
    return ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) cannot apply its "
                      f"{window} to an input of shape {_fmt_shape(shape)}: the output's "
                      f"spatial size would be {tuple(lengths)}. Expected {need}.")


def _to_nhwc(x: Tensor, data_format: str) -> Tensor:
    return x if data_format == "channels_last" else transpose(x, (0, 2, 3, 1))


def _from_nhwc(y: Tensor, data_format: str) -> Tensor:
    return y if data_format == "channels_last" else transpose(y, (0, 3, 1, 2))


# ---- the shared skeleton --------------------------------------------------------------------
class _BaseConv(Layer):
    """What every convolution layer shares: window arguments, bias, activation, checks.

    Subclasses set ``rank`` and ``_kernels`` (the prefixes of their weight options, such as
    ``("kernel",)``), and implement ``_output_channels``, ``_build_kernels`` and
    ``_convolve`` (channels in the layer's data_format).
    """

    rank = 2
    _kernels: tuple[str, ...] = ("kernel",)
    _paddings: tuple[str, ...] = ("valid", "same")

    def __init__(self, kernel_size: Any, strides: Any, padding: str, data_format: str | None,
                 dilation_rate: Any, activation: Any, use_bias: bool, bias_initializer: Any,
                 bias_regularizer: Any, activity_regularizer: Any, bias_constraint: Any,
                 **kwargs: Any):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = int_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = int_tuple(dilation_rate, self.rank, "dilation_rate", owner)
        self.padding = standard_padding(padding, owner, self._paddings)
        self.data_format = standard_data_format(data_format, owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: strides > 1 is not supported together with "
                             f"dilation_rate > 1, received strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}.")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        set_weight_options(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    # ---- lifecycle --------------------------------------------------------------------------
    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        self.input_spec.check(self, input_shape)
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"Layer {self.name!r} needs the channel dimension of its input "
                             f"(axis {self._channel_axis}) to be known, received input shape "
                             f"{_fmt_shape(input_shape)}.")
        self._check_fits(input_shape)
        self._build_kernels(input_shape, channels)
        if self.use_bias:
            self.bias = add_weight_with_options(self, "bias", (self._output_channels(channels),))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def call(self, inputs: Any) -> Any:
        self._check_fits(tuple(inputs.shape))
        out = self._convolve(inputs)
        if self.bias is not None:
            bias = self.bias if self.data_format == "channels_last" else reshape(
                self.bias, (-1,) + (1,) * self.rank)
            out = out + bias
        out = self.activation(out)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(out))
        return out

    def _check_fits(self, shape: tuple) -> None:
        lengths = self._output_lengths([shape[a] for a in spatial_axes(self.data_format,
                                                                       self.rank)])
        if is_empty(lengths):
            window, need = self._fit_messages()
            raise window_error(self, shape, lengths, window, need)

    def _fit_messages(self) -> tuple[str, str]:
        """The window and what it needs of the input, for the error of an empty output."""
        return (f"kernel of size {self.kernel_size} (strides={self.strides}, dilation_rate="
                f"{self.dilation_rate}, padding={self.padding!r})",
                f"each spatial dimension to be at least the dilated kernel size "
                f"{self._dilated_kernel()} with padding='valid'")

    def _dilated_kernel(self) -> tuple[int, ...]:
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation_rate))

    def _output_lengths(self, spatial: Sequence[int | None]) -> list[int | None]:
        return [output_length(n, k, s, d, self.padding) for n, k, s, d in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def get_config(self) -> dict:
        config = {**super().get_config(), "kernel_size": self.kernel_size,
                  "strides": self.strides, "padding": self.padding,
                  "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                  "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias,
                  "activity_regularizer": serialize_or_none(self.activity_regularizer)}
        return {**config, **weight_options_config(self, *self._kernels, "bias")}

    # ---- for subclasses ---------------------------------------------------------------------
    def _output_channels(self, input_channels: int) -> int:
        return self.filters

    def _build_kernels(self, input_shape: tuple, channels: int) -> None:
        raise NotImplementedError

    def _convolve(self, inputs: Tensor) -> Tensor:
        raise NotImplementedError


# ---- Conv1D / Conv2D ------------------------------------------------------------------------
class _Conv(_BaseConv):
    """Convolution (cross-correlation) with ``filters`` kernels, optionally in groups."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        owner = type(self).__name__
        self.filters = positive_int(filters, "filters", owner)
        self.groups = positive_int(groups, "groups", owner)
        if self.filters % self.groups:
            raise ValueError(f"{owner}: filters must be divisible by groups, received "
                             f"filters={self.filters} and groups={groups}.")
        set_weight_options(self, "kernel", kernel_initializer, kernel_regularizer,
                           kernel_constraint)
        self.kernel = None
        if self.padding == "causal":  # pad only the start, so step t sees steps <= t
            self._op_padding: Any = [(self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)]
        else:
            self._op_padding = self.padding.upper()
        self._op = nn_ops.conv1d if self.rank == 1 else nn_ops.conv2d
        self._op_format = nn_format(self.data_format, self.rank)

    def _build_kernels(self, input_shape: tuple, channels: int) -> None:
        if channels % self.groups:
            raise ValueError(f"Layer {self.name!r}: the number of input channels must be "
                             f"divisible by groups={self.groups}, received input shape "
                             f"{_fmt_shape(input_shape)}.")
        self.kernel = add_weight_with_options(
            self, "kernel", (*self.kernel_size, channels // self.groups, self.filters))

    def _convolve(self, inputs: Tensor) -> Tensor:
        if self.groups == 1:
            return self._op(inputs, self.kernel, self.strides, self._op_padding,
                            self._op_format, self.dilation_rate)
        # Group g sees input channels block g and makes output channels block g.
        pieces = zip(split(inputs, self.groups, axis=self._channel_axis),
                     split(self.kernel, self.groups, axis=-1))
        return concat([self._op(x, k, self.strides, self._op_padding, self._op_format,
                                self.dilation_rate) for x, k in pieces],
                      axis=self._channel_axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "groups": self.groups}


@serialization.register("layer")
class Conv1D(_Conv):
    """1-D convolution over ``(batch, steps, channels)`` input (kernel ``(k, in, filters)``).

    Args:
        filters: the number of output channels.
        kernel_size: the window length (an int or a 1-tuple).
        strides: the step between windows.
        padding: ``"valid"`` (no padding), ``"same"`` (output length ``ceil(steps /
            strides)``) or ``"causal"`` (pad the start only, so output ``t`` sees inputs
            ``<= t``); case-insensitive.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: spacing between kernel taps (> 1 only with strides 1).
        groups: split the channels into this many independent convolutions.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as
            in :class:`~lamina.layers.Dense`.

    Example:
        >>> lm.layers.Conv1D(4, 3, padding="causal")(lm.ones((2, 10, 3))).shape
        (2, 10, 4)
    """

    rank = 1
    _paddings = ("valid", "same", "causal")


@serialization.register("layer")
class Conv2D(_Conv):
    """2-D convolution over ``(batch, rows, cols, channels)`` input (kernel HWIO:
    ``(kh, kw, in, filters)``).

    Args:
        filters: the number of output channels.
        kernel_size: an int or ``(kh, kw)``.
        strides: an int or ``(sh, sw)``.
        padding: ``"valid"`` or ``"same"`` (output ``ceil(size / strides)``, the extra
            padding at the bottom/right as in TensorFlow); case-insensitive.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: an int or a pair (> 1 only with strides 1).
        groups: split the channels into this many independent convolutions.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as
            in :class:`~lamina.layers.Dense`.

    Example:
        >>> lm.layers.Conv2D(8, 3, activation="relu")(lm.ones((2, 28, 28, 1))).shape
        (2, 26, 26, 8)
    """


# ---- Conv2DTranspose ------------------------------------------------------------------------
def transpose_length(n: int | None, k: int, s: int, d: int, padding: str,
                     output_padding: int | None) -> int | None:
    """Keras's output length of a transposed convolution (``deconv_output_length``)."""
    if n is None:
        return None
    k = d * (k - 1) + 1
    if output_padding is None:
        return n * s + max(k - s, 0) if padding == "valid" else n * s
    trim = 2 * (k // 2) if padding == "same" else 0
    return (n - 1) * s + k - trim + output_padding


def _conv_transpose_nhwc(x: Tensor, kernel: Tensor, extra: Sequence[int], strides: tuple,
                         dilations: tuple, padding: str) -> Tensor:
    """The adjoint of ``conv2d(y, kernel)`` for ``y`` of spatial size ``size * strides +
    extra`` (per axis).

    Each input cell's contribution to every kernel tap is a window of ``(kh, kw, filters)``
    values; ``CombinePatches`` (col2im) adds the windows into place.
    """
    windows = einsum("nhwc,ijfc->nhwijf", x, kernel)
    # CombinePatches reads only the shape of its second input. Built from x by tile and
    # pad/slice, it has the output's shape even where the input's sizes are unknown (None).
    like = tile(x[:, :, :, :1], (1, *strides, kernel.shape[2]))
    if max(extra) > 0:
        like = pad(like, ((0, 0), (0, max(extra[0], 0)), (0, max(extra[1], 0)), (0, 0)))
    if min(extra) < 0:
        like = like[:, :min(extra[0], 0) or None, :min(extra[1], 0) or None]
    return bind(nn_ops.COMBINE_PATCHES, windows, like, ksize=tuple(kernel.shape[:2]),
                strides=strides, dilations=dilations, padding=padding.upper())


@serialization.register("layer")
class Conv2DTranspose(_BaseConv):
    """Transposed 2-D convolution (the gradient of Conv2D with respect to its input):
    upsamples ``(batch, rows, cols, channels)`` input. The kernel is ``(kh, kw, filters,
    in_channels)``.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: ints or pairs (dilation > 1 only with strides
            1).
        padding: ``"valid"`` (output ``size * strides + max(kernel - strides, 0)``) or
            ``"same"`` (output ``size * strides``).
        output_padding: None, or an int or pair (each < strides) of extra rows/cols; the
            output is then ``(size - 1) * strides + kernel - 2 * (kernel // 2 if "same")
            + output_padding``.
        data_format, activation, use_bias and the initializer/regularizer/constraint
            arguments: as in :class:`Conv2D`.

    Example:
        >>> lm.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(
        ...     lm.ones((1, 5, 5, 2))).shape
        (1, 10, 10, 4)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        owner = type(self).__name__
        self.filters = positive_int(filters, "filters", owner)
        self.output_padding = None if output_padding is None else int_tuple(
            output_padding, self.rank, "output_padding", owner, minimum=0)
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{owner}: output_padding must be smaller than strides, received "
                             f"output_padding={self.output_padding} and "
                             f"strides={self.strides}.")
        set_weight_options(self, "kernel", kernel_initializer, kernel_regularizer,
                           kernel_constraint)
        self.kernel = None

    def _build_kernels(self, input_shape: tuple, channels: int) -> None:
        self.kernel = add_weight_with_options(self, "kernel",
                                              (*self.kernel_size, self.filters, channels))

    def _output_lengths(self, spatial: Sequence[int | None]) -> list[int | None]:
        pads = self.output_padding or (None,) * self.rank
        return [transpose_length(n, k, s, d, self.padding, p) for n, k, s, d, p in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate, pads)]

    def _fit_messages(self) -> tuple[str, str]:
        return (f"kernel of size {self.kernel_size} (padding={self.padding!r}, "
                f"output_padding={self.output_padding})",
                "a non-empty output (use a larger input or output_padding)")

    def _convolve(self, inputs: Tensor) -> Tensor:
        # The output size is size * strides + a constant: the length for size 1, less strides.
        extra = [n - s for n, s in zip(self._output_lengths((1,) * self.rank), self.strides)]
        y = _conv_transpose_nhwc(_to_nhwc(inputs, self.data_format), self.kernel, extra,
                                 self.strides, self.dilation_rate, self.padding)
        return _from_nhwc(y, self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "output_padding": self.output_padding}


# ---- depthwise and separable ----------------------------------------------------------------
def _depthwise_nhwc(x: Tensor, kernel: Tensor, strides: tuple, dilations: tuple,
                    padding: str) -> Tensor:
    """Each input channel convolved with its own ``multiplier`` kernels; output channel
    ``c * multiplier + m`` comes from input channel ``c`` and kernel ``[..., c, m]``."""
    kh, kw, channels, multiplier = kernel.shape
    if multiplier > 1:  # repeat each channel, so every output channel has one input channel
        order = np.repeat(np.arange(channels), multiplier)
        x = x[:, :, :, order]
        kernel = reshape(kernel, (kh, kw, channels * multiplier))
    else:
        kernel = reshape(kernel, (kh, kw, channels))
    patches = nn_ops._patches(x, (kh, kw), strides, dilations, padding.upper())
    return einsum("nhwijc,ijc->nhwc", patches, kernel)


class _Depthwise(_BaseConv):
    """The depthwise step shared by DepthwiseConv2D and SeparableConv2D."""

    def _build_kernels(self, input_shape: tuple, channels: int) -> None:
        self.depthwise_kernel = add_weight_with_options(
            self, "depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier),
            "depthwise")

    def _depthwise(self, inputs: Tensor) -> Tensor:
        """The depthwise convolution, channels_last in and out."""
        return _depthwise_nhwc(_to_nhwc(inputs, self.data_format), self.depthwise_kernel,
                               self.strides, self.dilation_rate, self.padding)

    def get_config(self) -> dict:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier}


@serialization.register("layer")
class DepthwiseConv2D(_Depthwise):
    """Depthwise 2-D convolution: each input channel is convolved with its own
    ``depth_multiplier`` kernels (kernel ``(kh, kw, in, depth_multiplier)``), giving
    ``in * depth_multiplier`` output channels.

    Args:
        kernel_size, strides, padding, data_format, dilation_rate: as in :class:`Conv2D`.
        depth_multiplier: output channels per input channel.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the kernel.
        activation, use_bias, bias_initializer, bias_regularizer, activity_regularizer,
            bias_constraint: as in :class:`Conv2D`.

    Example:
        >>> lm.layers.DepthwiseConv2D(3, depth_multiplier=2)(lm.ones((1, 8, 8, 3))).shape
        (1, 6, 6, 6)
    """

    _kernels = ("depthwise",)

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier",
                                             type(self).__name__)
        set_weight_options(self, "depthwise", depthwise_initializer, depthwise_regularizer,
                           depthwise_constraint)

    def _output_channels(self, input_channels: int) -> int:
        return input_channels * self.depth_multiplier

    def _convolve(self, inputs: Tensor) -> Tensor:
        return _from_nhwc(self._depthwise(inputs), self.data_format)


@serialization.register("layer")
class SeparableConv2D(_Depthwise):
    """Depthwise separable 2-D convolution: a depthwise convolution (kernel ``(kh, kw, in,
    depth_multiplier)``) followed by a 1x1 convolution to ``filters`` channels (kernel
    ``(1, 1, in * depth_multiplier, filters)``).

    Args:
        filters: the number of output channels.
        kernel_size, strides, padding, data_format, dilation_rate: as in :class:`Conv2D`.
        depth_multiplier: depthwise output channels per input channel.
        depthwise_*, pointwise_*: initializer/regularizer/constraint of each kernel.
        activation, use_bias, bias_initializer, bias_regularizer, activity_regularizer,
            bias_constraint: as in :class:`Conv2D`.

    Example:
        >>> lm.layers.SeparableConv2D(8, 3, padding="same")(lm.ones((1, 8, 8, 3))).shape
        (1, 8, 8, 8)
    """

    _kernels = ("depthwise", "pointwise")

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None,
                 pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 pointwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        self.filters = positive_int(filters, "filters", type(self).__name__)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier",
                                             type(self).__name__)
        set_weight_options(self, "depthwise", depthwise_initializer, depthwise_regularizer,
                           depthwise_constraint)
        set_weight_options(self, "pointwise", pointwise_initializer, pointwise_regularizer,
                           pointwise_constraint)

    def _build_kernels(self, input_shape: tuple, channels: int) -> None:
        super()._build_kernels(input_shape, channels)
        self.pointwise_kernel = add_weight_with_options(
            self, "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            "pointwise")

    def _convolve(self, inputs: Tensor) -> Tensor:
        y = nn_ops.conv2d(self._depthwise(inputs), self.pointwise_kernel, 1, "VALID")
        return _from_nhwc(y, self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters}


# Keras's alternative names.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
