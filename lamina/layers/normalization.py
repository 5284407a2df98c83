"""Normalization layers: BatchNormalization (statistics over the batch, with moving averages
for inference) and LayerNormalization (statistics over each sample's features).

Both compute ``gamma * (x - mean) / sqrt(variance + epsilon) + beta`` with
``lm.nn.batch_normalization``; they differ in where mean and variance come from.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import initializers, serialization
from ..ops import nn as nn_ops
from ..ops.shape import reshape
from ..tensor import Tensor, _fmt_shape
from ._arguments import (add_weight_with_options, serialize_or_none, set_weight_options,
                         weight_options_config)
from .base import InputSpec, Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


def _check_axis(axis: int, shape: tuple, layer: Layer) -> int:
    """``axis`` as a non-negative index into ``shape``, whose size there must be known."""
    rank = len(shape)
    if not -rank <= axis < rank:
        raise ValueError(f"Layer {layer.name!r}: axis {axis} is out of range for input of "
                         f"shape {_fmt_shape(shape)} (rank {rank}); expected an axis in "
                         f"[{-rank}, {rank}).")
    axis %= rank
    if shape[axis] is None:
        raise ValueError(f"Layer {layer.name!r}: axis {axis} of the input must have a known "
                         f"size, received input shape {_fmt_shape(shape)}.")
    return axis


class _Normalization(Layer):
    """gamma/beta handling shared by the two layers: options, weights, config."""

    def __init__(self, epsilon: float, center: bool, scale: bool, beta_initializer: Any,
                 gamma_initializer: Any, beta_regularizer: Any, gamma_regularizer: Any,
                 beta_constraint: Any, gamma_constraint: Any, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.floating)) \
                or epsilon <= 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be a positive number, "
                             f"received epsilon={epsilon!r}.")
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        set_weight_options(self, "beta", beta_initializer, beta_regularizer, beta_constraint)
        set_weight_options(self, "gamma", gamma_initializer, gamma_regularizer,
                           gamma_constraint)
        self.gamma = self.beta = None
        self._shape: tuple | None = None   # broadcast shape of the parameters, or None

    def _build_affine(self, shape: tuple) -> None:
        if self.scale:
            self.gamma = add_weight_with_options(self, "gamma", shape)
        if self.center:
            self.beta = add_weight_with_options(self, "beta", shape)

    def _broadcast(self, value: Any) -> Any:
        """A parameter-shaped tensor, reshaped to broadcast against the input."""
        if value is None or self._shape is None:
            return value
        return reshape(value, self._shape)

    def _normalize(self, x: Tensor, mean: Any, variance: Any) -> Tensor:
        return nn_ops.batch_normalization(x, mean, variance, self._broadcast(self.beta),
                                          self._broadcast(self.gamma), self.epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, **weight_options_config(self, "beta", "gamma")}


def _broadcast_shape(shape: tuple, axes: Sequence[int]) -> tuple | None:
    """The shape that makes parameters over ``axes`` broadcast against ``shape``; None when
    they already do (the axes are the trailing ones, in order)."""
    rank = len(shape)
    if list(axes) == list(range(rank - len(axes), rank)):
        return None
    return tuple(shape[a] if a in axes else 1 for a in range(rank))


@serialization.register("layer")
class BatchNormalization(_Normalization):
    """Normalizes each feature (along ``axis``) with the statistics of the batch while
    training, and with moving averages of them in inference.

    In training mode (``training=True`` and the layer trainable) the output uses the batch's
    mean and (population) variance over every axis but ``axis``, and the moving statistics
    (non-trainable weights) are updated: ``moving = moving * momentum + batch * (1 -
    momentum)``. Otherwise the moving statistics are used, so a frozen layer
    (``trainable=False``) always runs in inference mode, as in Keras.

    Args:
        axis: the feature axis (default -1: channels_last).
        momentum: the moving averages' decay.
        epsilon: added to the variance before the square root.
        center, scale: learn an offset ``beta`` / a scale ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: how the weights start.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: for
            ``beta`` and ``gamma``.

    Example:
        >>> bn = lm.layers.BatchNormalization()
        >>> bn(lm.ones((4, 3)), training=True).shape
        (4, 3)
        >>> len(bn.weights), len(bn.trainable_weights)
        (4, 2)
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"BatchNormalization: axis must be an integer, received "
                            f"axis={axis!r}.")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating)) \
                or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be a number in [0, 1], "
                             f"received momentum={momentum!r}.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.input_spec = InputSpec(min_ndim=1)

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        self.input_spec.check(self, input_shape)
        axis = _check_axis(self.axis, input_shape, self)
        size = input_shape[axis]
        self._build_affine((size,))
        self.moving_mean = self.add_weight("moving_mean", (size,),
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (size,),
                                               self.moving_variance_initializer,
                                               trainable=False)
        self._reduce = tuple(a for a in range(len(input_shape)) if a != axis)
        self._shape = _broadcast_shape(input_shape, (axis,))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: size})

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not (training and self.trainable):
            return self._normalize(inputs, self._broadcast(self.moving_mean),
                                   self._broadcast(self.moving_variance))
        mean, variance = nn_ops.moments(inputs, self._reduce, keepdims=True)
        self._update_moving(self.moving_mean, mean)
        self._update_moving(self.moving_variance, variance)
        return self._normalize(inputs, mean, variance)

    def _update_moving(self, moving: Any, batch: Tensor) -> None:
        batch = reshape(batch, tuple(moving.shape))
        moving.assign(moving * self.momentum + batch * (1.0 - self.momentum))

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "moving_mean_initializer": serialize_or_none(self.moving_mean_initializer),
                "moving_variance_initializer": serialize_or_none(
                    self.moving_variance_initializer)}


@serialization.register("layer")
class LayerNormalization(_Normalization):
    """Normalizes each sample over ``axis`` (the features): ``gamma * (x - mean) /
    sqrt(variance + epsilon) + beta`` with the sample's own mean and variance; the same in
    training and inference.

    Args:
        axis: an int or a list of ints: the axes to normalize over (default -1); ``gamma``
            and ``beta`` have the input's sizes on them.
        epsilon: added to the variance before the square root.
        center, scale: learn an offset ``beta`` / a scale ``gamma``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint: for ``beta`` and ``gamma``.

    Example:
        >>> ln = lm.layers.LayerNormalization()
        >>> ln(lm.tensor([[1.0, 3.0]])).numpy().round(4)
        array([[-0.9995,  0.9995]], dtype=float32)
    """

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        axes = [axis] if isinstance(axis, (int, np.integer)) else axis
        if isinstance(axis, bool) or not isinstance(axes, (list, tuple)) or not axes or any(
                isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axes):
            raise TypeError(f"LayerNormalization: axis must be an int or a non-empty list of "
                            f"ints, received axis={axis!r}.")
        self.axis = int(axis) if isinstance(axis, (int, np.integer)) else [int(a) for a in axes]
        self.input_spec = InputSpec(min_ndim=1)

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        self.input_spec.check(self, input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = sorted({_check_axis(a, input_shape, self) for a in axes})
        if len(self._axes) != len(axes):
            raise ValueError(f"Layer {self.name!r}: axis {self.axis} names an axis twice for "
                             f"input of shape {_fmt_shape(input_shape)}.")
        self._build_affine(tuple(input_shape[a] for a in self._axes))
        self._shape = _broadcast_shape(input_shape, self._axes)
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in self._axes})

    def call(self, inputs: Tensor) -> Tensor:
        mean, variance = nn_ops.moments(inputs, self._axes, keepdims=True)
        return self._normalize(inputs, mean, variance)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
