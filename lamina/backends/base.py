"""The interface every backend implements."""
from __future__ import annotations

import contextlib
from typing import Any, Callable, ContextManager

import numpy as np


class Backend:
    """An array module plus the few operations that differ between array libraries.

    Attributes:
        name: short name, e.g. ``"numpy"``.
        xp: the array module op forwards are written against.
    """

    name = "abstract"
    xp: Any = None

    def asarray(self, value: Any, dtype: np.dtype | None = None) -> Any:
        """Converts host data (NumPy or Python) to this backend's array type."""
        raise NotImplementedError

    def to_numpy(self, array: Any) -> np.ndarray:
        """Copies a backend array to a NumPy array (a no-op for the NumPy backend)."""
        raise NotImplementedError

    def erf(self, x: Any) -> Any:
        """The error function, elementwise (NumPy has none built in)."""
        raise NotImplementedError

    def synchronize(self) -> None:
        """Waits for queued work to finish (GPU); nothing to do on the CPU."""

    def owns(self, array: Any) -> bool:
        """Whether ``array`` is an array of this backend (on its device)."""
        raise NotImplementedError

    def scope(self) -> ContextManager[Any]:
        """A context in which this backend's device is the current one (GPU backends: the
        CUDA device that kernels launch on); nothing to switch on the CPU."""
        return contextlib.nullcontext()

    def elementwise_kernel(self, in_params: str, out_params: str, operation: str, name: str,
                           preamble: str = "") -> Callable[..., Any] | None:
        """A compiled elementwise kernel (``cupy.ElementwiseKernel``'s arguments), or None on
        backends that have none: code generation then calls one ufunc per step."""
        return None
