"""The CuPy backend (NVIDIA GPUs), installed with the ``gpu`` extra: ``pip install lamina[gpu]``.

CuPy mirrors NumPy's API, so op forwards written against ``xp`` run unchanged. ``import
lamina`` loads this module (for ``lm.config``'s TF32 switch) but not CuPy, which is imported
only when a GPU is asked for; without CuPy every GPU request gives a clear error.

Matrix products go through CuPy to cuBLAS. TensorFloat-32 (TF32: float32 products on tensor
cores with 10-bit mantissas, ~1e-3 relative error) is off by default, as NumPy's results are
the reference; :func:`set_tf32` turns it on (``lm.config.set_tf32(True)``).
"""
from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Any, Callable, ContextManager

import numpy as np

from .base import Backend

_REASON = ""
# Compile options of generated kernels: no contraction of a*b+c into one fused multiply-add,
# so a fused chain rounds after every step as NumPy's one-ufunc-per-step code does.
KERNEL_OPTIONS = ("--fmad=false",)


class CupyBackend(Backend):
    name = "cupy"

    def __init__(self, cupy_module: Any, device_id: int):
        self.xp = cupy_module
        self.device_id = device_id
        self._kernels: dict[tuple, Any] = {}

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

    def owns(self, array: Any) -> bool:
        return isinstance(array, self.xp.ndarray) and array.device.id == self.device_id

    def scope(self) -> ContextManager[Any]:
        return self.xp.cuda.Device(self.device_id)

    def elementwise_kernel(self, in_params: str, out_params: str, operation: str, name: str,
                           preamble: str = "") -> Callable[..., Any]:
        """A ``cupy.ElementwiseKernel``, one per distinct source (CuPy compiles it on the first
        call and caches the binary on disk)."""
        key = (in_params, out_params, operation, name, preamble)
        kernel = self._kernels.get(key)
        if kernel is None:
            kernel = self._kernels[key] = self.xp.ElementwiseKernel(
                in_params, out_params, operation, name, preamble=preamble,
                options=KERNEL_OPTIONS)
        return kernel


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


# ---- TensorFloat-32 ----------------------------------------------------------------------------
def set_tf32(enabled: bool) -> None:
    """Lets cuBLAS compute float32 matrix products in TensorFloat-32 (or forbids it again).

    TF32 rounds the inputs of float32 products to 10-bit mantissas on tensor cores (GPUs of
    compute capability 8.0 and newer): several times faster, with relative errors near 1e-3
    instead of 1e-7. lamina leaves it off unless this is called with True, or unless the
    environment sets CuPy's own switch, ``CUPY_TF32=1``.

    CuPy reads ``CUPY_TF32`` once per process, at its first float32 matrix product. This sets
    the variable (so it holds from then on) and, if CuPy is already imported, also sets
    CuPy's float32 compute type directly (``cupy._core.set_compute_type``, the setting that
    variable feeds), so the switch takes effect for the next product either way.

    Args:
        enabled: True to allow TF32, False for full float32 precision.

    Example:
        >>> lm.config.set_tf32(True)    # faster float32 products on an A100/H100
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"set_tf32 expects True or False, received {enabled!r}.")
    os.environ["CUPY_TF32"] = "1" if enabled else "0"
    if "cupy" in sys.modules:
        _set_cupy_compute_type(enabled)


def tf32_enabled() -> bool:
    """Whether float32 matrix products on a GPU may use TensorFloat-32 (see :func:`set_tf32`):
    the setting; GPUs older than compute capability 8.0 have no TF32 and compute in full
    float32 either way."""
    try:
        return int(os.environ.get("CUPY_TF32", "0")) > 0
    except ValueError:
        return False


def _set_cupy_compute_type(enabled: bool) -> None:
    """CuPy's float32 compute type for cuBLAS: TF32 or the default (full precision)."""
    try:
        core = importlib.import_module("cupy._core")
        linalg = importlib.import_module("cupy._core._routines_linalg")
        kind = linalg.COMPUTE_TYPE_TF32 if enabled else linalg.COMPUTE_TYPE_DEFAULT
        setter = core.set_compute_type
    except (ImportError, AttributeError):
        warnings.warn("This CuPy version has no cupy._core.set_compute_type: the TF32 setting "
                      "(CUPY_TF32) applies only to processes that have not run a float32 "
                      "matrix product yet.", RuntimeWarning, stacklevel=3)
        return
    try:
        setter(np.float32, kind)
    except Exception as exc:  # no GPU to ask for its compute capability
        warnings.warn(f"Could not set CuPy's float32 compute type now ({exc}); CUPY_TF32 is "
                      "set for when a GPU is used.", RuntimeWarning, stacklevel=3)
