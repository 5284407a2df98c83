"""Activation functions by name: ``lm.activations.get("relu")`` returns ``lm.relu``.

Layers accept ``activation=`` as a name, a callable, or None (linear).
"""
from __future__ import annotations

from typing import Any, Callable

from .ops import math as m
from .ops import nn

__all__ = ["get", "serialize", "deserialize", "linear", "relu", "relu6", "leaky_relu", "elu",
           "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax",
           "softplus", "softsign", "silu", "swish", "exponential"]


def linear(x: Any) -> Any:
    """The identity: a layer with no activation."""
    return x


def hard_sigmoid(x: Any) -> Any:
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid (Keras 3's definition)."""
    return nn.relu6(x + 3.0) / 6.0


def softmax(x: Any, axis: int = -1) -> Any:
    return nn.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    return nn.log_softmax(x, axis=axis)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """Keras's ``leaky_relu`` activation (slope 0.2 by default)."""
    return m.leaky_relu(x, alpha=negative_slope)


relu = m.relu
relu6 = nn.relu6
elu = m.elu
selu = m.selu
gelu = m.gelu
sigmoid = m.sigmoid
tanh = m.tanh
softplus = m.softplus
softsign = m.softsign
silu = m.silu
swish = m.silu
exponential = m.exp

_BY_NAME: dict[str, Callable] = {
    "linear": linear, "relu": relu, "relu6": relu6, "leaky_relu": leaky_relu, "elu": elu,
    "selu": selu, "gelu": gelu, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid,
    "tanh": tanh, "softmax": softmax, "log_softmax": log_softmax, "softplus": softplus,
    "softsign": softsign, "silu": silu, "swish": swish, "exponential": exponential,
}


def get(identifier: Any) -> Callable:
    """The activation function for a name, a callable (returned as is) or None (linear).

    Example:
        >>> lm.activations.get("relu") is lm.relu
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation {identifier!r}: expected one of "
                             f"{sorted(_BY_NAME)} or a callable.")
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"activation must be a name, a callable or None, received {identifier!r}.")


def serialize(fn: Callable) -> str:
    """The name of a built-in activation (configs store activations by name)."""
    for name, candidate in _BY_NAME.items():
        if candidate is fn:
            return name
    name = getattr(fn, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize activation {fn!r}: it has no name. Use a built-in "
                         "activation name, or a named function passed in custom_objects when "
                         "loading.")
    return name


def deserialize(name: str, custom_objects: dict | None = None) -> Callable:
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get(name)
