"""Weight regularizers: penalties added to the training loss (``L1``, ``L2``, ``L1L2``).

A regularizer is called on a weight and returns a scalar tensor.

Example:
    >>> lm.layers.Dense(8, kernel_regularizer=lm.regularizers.L2(1e-4))
"""
from __future__ import annotations

from typing import Any

from . import serialization
from .ops import math as m

__all__ = ["Regularizer", "L1", "L2", "L1L2", "get", "serialize", "deserialize"]


class Regularizer:
    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)


def _factor(value: Any, name: str) -> float:
    value = float(value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, received {value}.")
    return value


@serialization.register("regularizer")
class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def __call__(self, x: Any) -> Any:
        total = 0.0
        if self.l1:
            total = total + self.l1 * m.sum(m.abs(x))
        if self.l2:
            total = total + self.l2 * m.sum(m.square(x))
        return total

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


@serialization.register("regularizer")
class L1(L1L2):
    """``l1 * sum(|w|)``."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


@serialization.register("regularizer")
class L2(L1L2):
    """``l2 * sum(w**2)``."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier: Any) -> Regularizer | None:
    """A regularizer from a name, a config dict, an instance or a callable (None: none).

    Example:
        >>> lm.regularizers.get("l2").l2
        0.01
    """
    if identifier is None:
        return None
    return serialization.get("regularizer", identifier, Regularizer, _ALIASES,
                             "'l1', 'l2', 'l1_l2', a config dict or a Regularizer")


def serialize(regularizer: Regularizer) -> dict:
    return serialization.serialize(regularizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Regularizer:
    return serialization.deserialize("regularizer", config, custom_objects)
