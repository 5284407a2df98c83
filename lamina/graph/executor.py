"""The reference executor: runs a list of operations one by one with their forwards.

Compiled plans (codegen/) must give the same results; this interpreter defines them.
"""
from __future__ import annotations

from typing import Any

from ..backends import CPU, Device, to_host
from .ir import Operation


def interpret(store: Any, ops: list[Operation], feeds: dict[int, Any],
              device: Device = CPU) -> dict[int, Any]:
    """Runs ``ops`` in order on ``device``. ``store`` holds variable values
    (``read``/``write``); fed values and constants are copied to the device first.

    Returns the value of every output computed or fed, keyed by ``id(tensor)``.
    """
    place = _placer(device)
    values: dict[int, Any] = {key: place(value) for key, value in feeds.items()}
    xp = device.xp
    for op in ops:
        out = op.outputs[0] if op.outputs else None
        if out is not None and id(out) in values:
            continue  # fed
        kind = op.type
        if kind == "Const":
            value = place(op.attrs["value"])
        elif kind == "Placeholder":
            shape = "any shape" if out._shape is None else f"shape {out.shape}"
            raise ValueError(f"You must feed a value for placeholder {out.name} (dtype "
                             f"{out.dtype.name}, {shape}): it is needed by the fetches.")
        elif kind == "VariableV2":
            value = store.read(op.attrs["var"])
        elif kind == "ReadVariable":
            value = op.attrs["var"]._value
        elif kind == "Assign":
            value = _assign(store, op, values[id(op.inputs[0])])
        elif kind == "NoOp":
            continue
        else:
            args = [values[id(t)] for t in op.inputs]
            attrs = op.attrs
            if op.prim.effect:
                slot = getattr(store, "_slot", lambda v: v)
                attrs = dict(attrs, writes=tuple(slot(v) for v in attrs["writes"]))
            value = op.prim.forward(xp, *args, **attrs)
        if out is not None:
            values[id(out)] = value
    return values


def _placer(device: Device):
    """Host values as arrays of ``device`` (unchanged on the CPU)."""
    if device is CPU:
        return lambda value: value
    backend = device.backend
    return lambda value: value if backend.owns(value) else backend.asarray(to_host(value))


def _assign(store: Any, op: Operation, value: Any) -> Any:
    var, how = op.attrs["var"], op.attrs["how"]
    if var._op is not None:   # a graph variable: its value lives in the Session
        old = store.read(var) if how != "assign" else None
        setter = store.write
    else:                     # an eager variable captured by a traced function
        old = var._value
        setter = _set_eager
    dtype = var.dtype.np
    if how == "assign":
        new = value.astype(dtype, copy=True)
    elif how == "add":
        new = (old + value).astype(dtype, copy=False)
    else:
        new = (old - value).astype(dtype, copy=False)
    setter(var, new)
    return new


def _set_eager(var: Any, value: Any) -> None:
    var._value = value


