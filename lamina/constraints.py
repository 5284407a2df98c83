"""Weight constraints, applied to a weight after each optimizer update (``MaxNorm``,
``NonNeg``, ``UnitNorm``).

A constraint is called on a weight's new value and returns the constrained value.
"""
from __future__ import annotations

from typing import Any

from . import serialization
from .ops import math as m

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "get", "serialize", "deserialize"]

_EPSILON = 1e-7


class Constraint:
    def __call__(self, w: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        return cls(**config)


@serialization.register("constraint")
class MaxNorm(Constraint):
    """Rescales weights whose norm along ``axis`` exceeds ``max_value``."""

    def __init__(self, max_value: float = 2.0, axis: Any = 0):
        if max_value <= 0:
            raise ValueError(f"max_value must be positive, received {max_value}.")
        self.max_value, self.axis = float(max_value), axis

    def __call__(self, w: Any) -> Any:
        norms = m.sqrt(m.sum(m.square(w), axis=self.axis, keepdims=True))
        desired = m.clip(norms, 0.0, self.max_value)
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


@serialization.register("constraint")
class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w: Any) -> Any:
        return m.relu(w)


@serialization.register("constraint")
class UnitNorm(Constraint):
    """Scales weights to norm 1 along ``axis``."""

    def __init__(self, axis: Any = 0):
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        return w / (_EPSILON + m.sqrt(m.sum(m.square(w), axis=self.axis, keepdims=True)))

    def get_config(self) -> dict:
        return {"axis": self.axis}


_ALIASES = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm}


def get(identifier: Any) -> Constraint | None:
    """A constraint from a name, a config dict, an instance or a callable (None: none).

    Example:
        >>> lm.constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value
        3.0
    """
    if identifier is None:
        return None
    return serialization.get("constraint", identifier, Constraint, _ALIASES,
                             "'max_norm', 'non_neg', 'unit_norm', a config dict or a Constraint")


def serialize(constraint: Constraint) -> dict:
    return serialization.serialize(constraint)


def deserialize(config: dict, custom_objects: dict | None = None) -> Constraint:
    return serialization.deserialize("constraint", config, custom_objects)
