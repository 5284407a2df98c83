"""The NumPy backend: the reference implementation of every op's semantics."""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import Backend


class NumpyBackend(Backend):
    name = "numpy"
    xp = np

    def asarray(self, value: Any, dtype: np.dtype | None = None) -> Any:
        return np.asarray(value, dtype=dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        return np.asarray(array)

    def erf(self, x: Any) -> Any:
        return erf(x)

    def owns(self, array: Any) -> bool:
        return isinstance(array, (np.ndarray, np.generic))


def erf(x: Any) -> np.ndarray:
    """The error function to float64 accuracy, from NumPy alone.

    For |x| < 3 a series with positive terms (no cancellation):
        erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)).
    For |x| >= 3 the continued fraction of erfc, evaluated bottom-up:
        erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))).
    """
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    a = np.abs(x.astype(np.float64))
    out = np.empty_like(a)
    small = a < 3.0
    xs = a[small]
    term = xs.copy()
    total = xs.copy()
    for n in range(1, 80):
        term = term * (2.0 * xs * xs) / (2 * n + 1)
        total += term
    out[small] = 2.0 / np.sqrt(np.pi) * np.exp(-xs * xs) * total
    xl = a[~small]
    frac = np.zeros_like(xl)
    for k in range(60, 0, -1):
        frac = (k / 2.0) / (xl + frac)
    out[~small] = 1.0 - np.exp(-xl * xl) / np.sqrt(np.pi) / (xl + frac)
    return (np.sign(x) * out).astype(dtype, copy=False)
