"""Registering classes by name, so configs (JSON) can name them and loading never runs code.

Every layer, loss, metric, optimizer, learning-rate schedule, initializer, regularizer,
constraint and callback that can appear in a saved model registers here under its class name.
Loading looks names up in this registry (plus the ``custom_objects`` the caller passes) and
nowhere else; :func:`get` reads the identifiers (names, configs, instances) that arguments
such as ``kernel_regularizer="l2"`` accept.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, TypeVar

_REGISTRY: dict[str, dict[str, Any]] = {}
T = TypeVar("T")


def register(kind: str, name: str | None = None) -> Callable[[T], T]:
    """Class decorator: ``@register("layer")`` makes the class loadable from configs."""
    def wrap(cls: T) -> T:
        _REGISTRY.setdefault(kind, {})[name or cls.__name__] = cls
        return cls
    return wrap


def lookup(kind: str, name: str, custom_objects: dict | None = None) -> Any:
    """The registered (or custom) object called ``name``.

    Raises:
        ValueError: naming the unknown object and what is registered.
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    table = _REGISTRY.get(kind, {})
    found = table.get(name)
    if found is None:  # built-in names match regardless of case ("Adam", "adam")
        found = {k.lower(): v for k, v in table.items()}.get(name.lower())
    if found is None:
        known = ", ".join(sorted(_REGISTRY.get(kind, {}))) or "none"
        raise ValueError(f"Unknown {kind} {name!r}. Pass it in custom_objects={{{name!r}: ...}}"
                         f" when loading. Registered {kind}s: {known}.")
    return found


def serialize(obj: Any, module: str | None = None) -> dict:
    """``{"class_name": ..., "config": obj.get_config()}`` for a registered object.

    With ``module`` (optimizers and schedules) the dict has Keras 3's saved layout
    ``{"module", "class_name", "config", "registered_name"}``.
    """
    spec = {"class_name": type(obj).__name__, "config": obj.get_config()}
    if module is None:
        return spec
    return {"module": module, **spec, "registered_name": None}


def deserialize(kind: str, spec: dict, custom_objects: dict | None = None) -> Any:
    """Rebuilds an object from :func:`serialize` output."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Cannot rebuild the {kind} from {spec!r}: expected a config dict "
                         f"like {{'class_name': ..., 'config': ...}}.")
    cls = lookup(kind, spec["class_name"], custom_objects)
    config = spec.get("config") or {}
    if hasattr(cls, "from_config"):
        # Classes whose configs name user objects (Lambda's function) look them up here too.
        if custom_objects and "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(config, custom_objects=custom_objects)
        return cls.from_config(config)
    return cls(**config)


def get(kind: str, identifier: Any, base: type, aliases: dict[str, type], expected: str) -> Any:
    """The object ``identifier`` stands for, read the way the ``get`` functions of initializers,
    regularizers and constraints read it: an instance of ``base`` as is; a name (an alias in
    any case, or a registered class name) as a new instance with default arguments; a config
    dict rebuilt; another callable as is.

    Raises:
        ValueError: for anything else, saying what was ``expected``.
    """
    if isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        cls = aliases.get(identifier.lower()) or lookup(kind, identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(kind, identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} {identifier!r}: expected {expected}.")
