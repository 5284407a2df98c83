"""The CuPy backend (NVIDIA GPUs), installed with the ``gpu`` extra: ``pip install lamina[gpu]``.

CuPy mirrors NumPy's API, so op forwards written against ``xp`` run unchanged. This module is
imported only when a GPU is asked for; without CuPy every GPU request gives a clear error.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import Backend

_REASON = ""


class CupyBackend(Backend):
    name = "cupy"

    def __init__(self, cupy_module: Any, device_id: int):
        self.xp = cupy_module
        self.device_id = device_id

    def asarray(self, value: Any, dtype: np.dtype | None = None) -> Any:
        with self.xp.cuda.Device(self.device_id):
            return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        if isinstance(array, np.ndarray):
            return array
        return self.xp.asnumpy(array)

    def erf(self, x: Any) -> Any:
        from cupyx.scipy.special import erf
        return erf(x)

    def synchronize(self) -> None:
        self.xp.cuda.Device(self.device_id).synchronize()


def discover_gpus() -> list[tuple[int, CupyBackend]]:
    """(index, backend) for each usable GPU; records why when there are none."""
    global _REASON
    try:
        import cupy
    except ImportError:
        _REASON = ("CuPy is not installed. Install the GPU extra: pip install 'lamina[gpu]' "
                   "(needs an NVIDIA GPU and CUDA driver).")
        return []
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        _REASON = f"CuPy is installed but CUDA reports no device ({exc})."
        return []
    if count == 0:
        _REASON = "CuPy is installed but CUDA reports 0 devices."
    return [(i, CupyBackend(cupy, i)) for i in range(count)]


def unavailable_reason() -> str:
    return _REASON or "no GPU was found."
