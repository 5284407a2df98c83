"""Backends and devices.

A backend is an array module (``xp``: numpy or cupy) and a few helpers around it. A Device is a
backend plus an index. Op forwards are written once against ``xp``; the tensor's device picks
which module runs them. The NumPy backend is the reference every other backend must match.
"""
from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, ContextManager, Iterator

import numpy as np

from .._state import STATE
from .base import Backend
from .numpy_backend import NumpyBackend


class Device:
    """A place tensors live: ``Device('cpu:0')`` or ``Device('gpu:0')``."""

    __slots__ = ("kind", "index", "backend", "xp", "name")

    def __init__(self, kind: str, index: int, backend: Backend):
        self.kind = kind
        self.index = index
        self.backend = backend
        self.xp = backend.xp
        self.name = f"{kind}:{index}"

    def __repr__(self) -> str:
        return f"Device('{self.name}')"

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                return get_device(other) is self
            except (ValueError, RuntimeError):
                return False
        return other is self

    def __hash__(self) -> int:
        return hash(self.name)


CPU = Device("cpu", 0, NumpyBackend())
_GPUS: list[Device] | None = None
_SPEC = re.compile(r"^(?:/?(?:device:)?)(cpu|gpu|cuda)(?::(\d+))?$", re.IGNORECASE)


def _gpus() -> list[Device]:
    """The GPU devices, found once (an empty list without CuPy or without a GPU)."""
    global _GPUS
    if _GPUS is None:
        from .cupy_backend import discover_gpus
        _GPUS = [Device("gpu", i, backend) for i, backend in discover_gpus()]
    return _GPUS


def default_device() -> Device:
    """The device new tensors go to: the innermost ``lm.device`` scope, else the CPU."""
    return STATE.device or CPU


def get_device(spec: "str | Device | None") -> Device:
    """Resolves ``"cpu"``, ``"gpu"``, ``"gpu:1"`` or a Device to a Device.

    Raises:
        ValueError: for a string that names no device kind.
        RuntimeError: for a GPU that is not present (or when CuPy is not installed).
    """
    if spec is None:
        return default_device()
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"Expected a device name such as 'cpu' or 'gpu:0', received {spec!r}.")
    match = _SPEC.match(spec.strip())
    if match is None:
        raise ValueError(
            f"Unknown device {spec!r}: expected 'cpu', 'gpu' or 'gpu:N' (N an index).")
    kind, index = match.group(1).lower(), int(match.group(2) or 0)
    if kind == "cpu":
        if index != 0:
            raise ValueError(f"Unknown device {spec!r}: there is one CPU device; expected "
                             "'cpu' or 'cpu:0'.")
        return CPU
    gpus = _gpus()
    if not gpus:
        from .cupy_backend import unavailable_reason
        raise RuntimeError(f"Device {spec!r} was requested but no GPU is usable: "
                           f"{unavailable_reason()}")
    if index >= len(gpus):
        raise RuntimeError(f"Device {spec!r} was requested but only {len(gpus)} GPU(s) exist "
                           f"(expected an index below {len(gpus)}).")
    return gpus[index]


def list_devices() -> list[Device]:
    """All devices lamina can use: the CPU, then each GPU.

    Example:
        >>> lm.list_devices()
        [Device('cpu:0')]
    """
    return [CPU, *_gpus()]


def device(spec: "str | Device") -> ContextManager[Device]:
    """Places tensors created inside the block on a device.

    A name that is not a device raises here, at the call, not when the block is entered.

    Example:
        >>> with lm.device("cpu"):
        ...     x = lm.ones((2, 2))
    """
    return _device_scope(get_device(spec))


@contextlib.contextmanager
def _device_scope(dev: Device) -> Iterator[Device]:
    STATE.device_stack.append(STATE.device)
    STATE.device = dev
    try:
        yield dev
    finally:
        STATE.device = STATE.device_stack.pop()


def device_of(value: Any) -> Device:
    """The device that holds a backend array (CPU for NumPy arrays and Python scalars)."""
    if isinstance(value, _HOST_TYPES) or (_GPUS is None and "cupy" not in sys.modules):
        return CPU                  # (no GPU array can exist before CuPy is imported)
    for dev in _gpus():
        if dev.backend.owns(value):
            return dev
    return CPU


_HOST_TYPES = (np.ndarray, np.generic, int, float, complex, bool)


def to_host(value: Any) -> np.ndarray:
    """A backend array as a NumPy array: copied from a GPU, returned as it is on the CPU."""
    return device_of(value).backend.to_numpy(value)
