"""The ``{"class_name", "config"}`` dicts that optimizers and schedules are saved as."""
from __future__ import annotations

from typing import Any


def serialize_object(obj: Any, base: type, module: str) -> dict:
    """``obj``'s class name and ``get_config()``, after checking it is a ``base``."""
    if not isinstance(obj, base):
        raise TypeError(f"serialize expects a {base.__name__}, received {type(obj).__name__}.")
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


def find_class(config: Any, built_in: dict[str, type], custom_objects: dict | None,
               kind: str) -> tuple[type, dict]:
    """The class a serialized dict names (built-in names match case-insensitively; user
    classes come from ``custom_objects``) and a copy of its config."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"deserialize expects a dict with 'class_name' and 'config', "
                         f"received {config!r}.")
    name = config["class_name"]
    by_lower = {cls.__name__.lower(): cls for cls in built_in.values()}
    cls = (custom_objects or {}).get(name) or by_lower.get(name.lower())
    if cls is None:
        raise ValueError(f"Unknown {kind} {name!r}: expected one of {sorted(built_in)} (pass "
                         "user classes in custom_objects).")
    return cls, dict(config.get("config") or {})
