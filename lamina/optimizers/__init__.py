"""Optimizers (Keras 3 names, defaults and update formulas) and learning-rate schedules.

``lm.optimizers.get("adam")`` resolves a name, a config dict or an instance, as
``model.compile(optimizer=...)`` does.
"""
from __future__ import annotations

from typing import Any

from .. import serialization
from . import schedules
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .base import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]

# The built-in optimizers, loadable by class name from saved configs (as layers are through
# the @serialization.register decorator).
for _optimizer_class in (SGD, Adam, AdamW, RMSprop, Adagrad):
    serialization.register("optimizer")(_optimizer_class)


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer's class name and config as a JSON-compatible dict.

    Example:
        >>> lm.optimizers.serialize(lm.optimizers.SGD(0.1))["class_name"]
        'SGD'
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"serialize expects an Optimizer, received {type(optimizer).__name__}.")
    return serialization.serialize(optimizer, module="lamina.optimizers")


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """Rebuilds an optimizer from :func:`serialize`'s output (built-in class names match
    case-insensitively; user classes come from ``custom_objects``).

    Example:
        >>> lm.optimizers.deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}})
        <lamina.optimizers.Adam name='adam'>
    """
    return serialization.deserialize("optimizer", config, custom_objects)


def get(identifier: Any) -> Optimizer | None:
    """An optimizer from a name (``"adam"``), a config dict, or an instance (returned as is).

    Example:
        >>> lm.optimizers.get("rmsprop")
        <lamina.optimizers.RMSprop name='rmsprop'>
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (expected a "
                     "name such as 'adam', a config dict, or an Optimizer).")
