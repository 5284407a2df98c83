"""Argument checks and config helpers shared by the layer modules (not public API).

Each check returns the value in its standard form, or raises an error that names the layer,
the argument and what it received. The weight-option helpers keep a weight's initializer,
regularizer and constraint under one prefix (``kernel_initializer``, ``kernel_regularizer``,
``kernel_constraint``), so a layer sets and serializes them in one line per weight.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import constraints, initializers, regularizers, serialization

_OPTION_KINDS = (("initializer", initializers), ("regularizer", regularizers),
                 ("constraint", constraints))


def serialize_or_none(obj: Any) -> Any:
    """An initializer/regularizer/constraint as config data (None stays None)."""
    return None if obj is None else serialization.serialize(obj)


def positive_int(value: Any, what: str, layer: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {what} must be a positive integer, received {value!r}.")
    return int(value)


def fraction(value: Any, what: str, layer: str) -> float:
    """A dropout rate: a number in [0, 1), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not 0 <= value < 1:
        raise ValueError(f"{layer}: {what} must be a number in [0, 1), received {value!r}.")
    return float(value)


def seed_or_none(value: Any, layer: str) -> int | None:
    """A random seed: a non-negative int, or None."""
    if value is not None and (isinstance(value, bool) or not isinstance(
            value, (int, np.integer)) or value < 0):
        raise ValueError(f"{layer}: seed must be a non-negative int or None, received "
                         f"{value!r}.")
    return None if value is None else int(value)


def flag(value: Any, what: str, layer: str) -> bool:
    """A strict boolean option (1 or "yes" are refused, as likely mistakes)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{layer}: {what} must be True or False, received {value!r}.")
    return bool(value)


def standard_data_format(value: Any, layer: str) -> str:
    """``None`` -> ``"channels_last"`` (Keras's default image data format); the two formats
    are accepted in any case and returned in lower case."""
    if value is None:
        return "channels_last"
    if not isinstance(value, str) or value.lower() not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first' "
                         f"(None: 'channels_last'), received data_format={value!r}.")
    return value.lower()


def set_weight_options(layer: Any, prefix: str, initializer: Any, regularizer: Any,
                       constraint: Any) -> None:
    """Sets ``layer.<prefix>_initializer``, ``_regularizer`` and ``_constraint`` from any
    form their ``get`` functions accept."""
    for (kind, module), identifier in zip(_OPTION_KINDS, (initializer, regularizer,
                                                          constraint)):
        setattr(layer, f"{prefix}_{kind}", module.get(identifier))


def weight_options_config(layer: Any, *prefixes: str) -> dict:
    """The config entries of the options :func:`set_weight_options` set, for each prefix:
    all initializers first, then the regularizers, then the constraints (Keras's order)."""
    return {f"{prefix}_{kind}": serialize_or_none(getattr(layer, f"{prefix}_{kind}"))
            for kind, _ in _OPTION_KINDS for prefix in prefixes}


def add_weight_with_options(layer: Any, name: str, shape: tuple, prefix: str | None = None,
                            initializer: Any = None) -> Any:
    """``layer.add_weight`` with the options stored under ``prefix`` (default: ``name``);
    ``initializer`` overrides the stored one (the LSTM's forget-gate bias)."""
    prefix = prefix or name
    return layer.add_weight(name, shape, initializer or getattr(layer, f"{prefix}_initializer"),
                            regularizer=getattr(layer, f"{prefix}_regularizer"),
                            constraint=getattr(layer, f"{prefix}_constraint"))


def call_arguments(local_vars: dict) -> dict:
    """The named arguments of an ``__init__``, from its ``locals()`` taken before it assigns
    anything: all but ``self``, ``kwargs`` and ``__class__`` (there when it uses super()).
    The public cells and layers list their (Keras) arguments once, in their signatures, and
    hand them on with this instead of naming each again."""
    return {k: v for k, v in local_vars.items() if k not in ("self", "kwargs", "__class__")}
