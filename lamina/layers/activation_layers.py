"""Activation layers with their own arguments: LeakyReLU, ReLU, Softmax, ELU and PReLU (a
learned slope). The plain ``Activation(name)`` layer lives in core.py.
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from .. import serialization
from ..ops import math as m
from ..ops import nn, rules
from ._arguments import add_weight_with_options, set_weight_options, weight_options_config
from .base import InputSpec, Layer

__all__ = ["LeakyReLU", "ReLU", "Softmax", "ELU", "PReLU"]


def _non_negative(value: Any, what: str, layer: str) -> float:
    """``value`` as a float >= 0, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not value >= 0:
        raise ValueError(f"{layer}: {what} must be a number >= 0, received {value!r}.")
    return float(value)


@serialization.register("layer")
class LeakyReLU(Layer):
    """``x`` where ``x >= 0``, ``negative_slope * x`` elsewhere.

    Args:
        negative_slope: the slope for negative inputs (Keras 3 default 0.3). The Keras 2
            spelling ``alpha=`` is accepted too, with a deprecation warning.

    Example:
        >>> lm.layers.LeakyReLU()(lm.tensor([-1.0, 2.0])).numpy()
        array([-0.3,  2. ], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any):
        if "alpha" in kwargs:
            warnings.warn("LeakyReLU: argument `alpha` is deprecated, use `negative_slope`.",
                          DeprecationWarning, stacklevel=2)
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "LeakyReLU")

    def call(self, inputs: Any) -> Any:
        return m.leaky_relu(inputs, alpha=self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


@serialization.register("layer")
class ReLU(Layer):
    """The rectified linear unit, with Keras's options::

        f(x) = max_value                          if x >= max_value
        f(x) = x                                  if threshold < x < max_value
        f(x) = negative_slope * (x - threshold)   otherwise

    Args:
        max_value: the largest output (None: no limit).
        negative_slope: the slope below the threshold.
        threshold: the input below which values are damped.

    Example:
        >>> lm.layers.ReLU(max_value=1.0)(lm.tensor([-1.0, 0.5, 3.0])).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _non_negative(
            max_value, "max_value", "ReLU")
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "ReLU")
        self.threshold = _non_negative(threshold, "threshold", "ReLU")

    def call(self, inputs: Any) -> Any:
        x = inputs
        if self.threshold == 0:
            out = m.relu(x)
        else:  # x above the threshold passes unchanged; the rest becomes 0
            out = x * m.cast(m.greater(x, self.threshold), x.dtype)
        if self.max_value is not None:
            out = m.minimum(out, self.max_value)
        if self.negative_slope != 0:
            out = out - self.negative_slope * m.relu(self.threshold - x)
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


@serialization.register("layer")
class Softmax(Layer):
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple of ints).

    Args:
        axis: the axis (or axes) the probabilities sum to 1 over.

    Example:
        >>> lm.layers.Softmax()(lm.tensor([[0.0, 0.0]])).numpy()
        array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any):
        super().__init__(**kwargs)
        axes = (axis,) if isinstance(axis, (int, np.integer)) else axis
        try:
            ok = len(axes) > 0 and all(isinstance(a, (int, np.integer)) and
                                       not isinstance(a, bool) for a in axes)
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"Softmax: axis must be an int or a tuple of ints, received "
                             f"{axis!r}.")
        self.axis = int(axis) if isinstance(axis, (int, np.integer)) else tuple(
            int(a) for a in axis)

    def call(self, inputs: Any) -> Any:
        if isinstance(self.axis, int):
            return nn.softmax(inputs, axis=self.axis)
        axes = tuple(rules.normalize_axis(a, inputs.ndim, f"Softmax layer {self.name!r}")
                     for a in self.axis)
        return m.exp(inputs - m.logsumexp(inputs, axis=axes, keepdims=True))

    def get_config(self) -> dict:
        axis = self.axis if isinstance(self.axis, int) else list(self.axis)
        return {**super().get_config(), "axis": axis}


@serialization.register("layer")
class ELU(Layer):
    """The exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Args:
        alpha: the scale of the negative part.

    Example:
        >>> lm.layers.ELU()(lm.tensor([0.0, 1.0])).numpy()
        array([0., 1.], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)):
            raise ValueError(f"ELU: alpha must be a number, received {alpha!r}.")
        self.alpha = float(alpha)

    def call(self, inputs: Any) -> Any:
        return m.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@serialization.register("layer")
class PReLU(Layer):
    """A leaky ReLU whose negative slope is learned: ``relu(x) - alpha * relu(-x)``, with one
    ``alpha`` per input element (shared along ``shared_axes``).

    Args:
        alpha_initializer: how the slopes start (default zeros: a plain ReLU).
        alpha_regularizer: a penalty on the slopes added to the loss.
        alpha_constraint: applied to the slopes after each update.
        shared_axes: axes (counting the batch as 0) along which one slope is shared; for
            images ``(batch, h, w, c)``, ``shared_axes=[1, 2]`` learns one slope per channel.

    Example:
        >>> layer = lm.layers.PReLU(alpha_initializer=lm.initializers.Constant(0.25))
        >>> layer(lm.tensor([[-4.0, 2.0]])).numpy()
        array([[-1.,  2.]], dtype=float32)
    """

    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: int | Sequence[int] | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        set_weight_options(self, "alpha", alpha_initializer, alpha_regularizer, alpha_constraint)
        self.shared_axes = _shared_axes(shared_axes)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if ndim < 2:
            raise ValueError(f"PReLU layer {self.name!r} needs inputs of rank >= 2 (batch "
                             f"first), received input shape {input_shape}.")
        bad = [a for a in self.shared_axes if not 1 <= a < ndim]
        if bad:
            raise ValueError(f"PReLU layer {self.name!r}: shared_axes {list(self.shared_axes)} "
                             f"must lie in [1, {ndim}) for inputs of shape {input_shape}.")
        param_shape = [1 if axis in self.shared_axes else size
                       for axis, size in enumerate(input_shape)][1:]
        if None in param_shape:
            raise ValueError(f"PReLU layer {self.name!r} needs known sizes on the axes that "
                             f"are not shared, received input shape {input_shape}.")
        self.alpha = add_weight_with_options(self, "alpha", param_shape)
        fixed = {axis: size for axis, size in enumerate(input_shape)
                 if axis > 0 and axis not in self.shared_axes}
        self.input_spec = InputSpec(ndim=ndim, axes=fixed)

    def call(self, inputs: Any) -> Any:
        return m.relu(inputs) - self.alpha * m.relu(-inputs)

    def get_config(self) -> dict:
        shared = None if not self.shared_axes else list(self.shared_axes)
        return {**super().get_config(), **weight_options_config(self, "alpha"),
                "shared_axes": shared}


def _shared_axes(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    axes = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        ok = all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) and a >= 1
                 for a in axes)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"PReLU: shared_axes must be None, an int or a list of ints >= 1 (axis "
                         f"0 is the batch), received {value!r}.")
    return tuple(sorted({int(a) for a in axes}))
