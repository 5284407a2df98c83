"""Optional numba kernels for fused optimizer steps (the ``fast`` extra: pip install
'lamina[fast]').

The NumPy kernel of an optimizer makes about a dozen passes over all its parameters; these
make one (4-5x faster for large models). They apply the same float32 operations in the same
order, without fast-math, so they give the same numbers as the NumPy kernels, bit for bit
(tests check it). They run on one thread: numba's worker threads and the BLAS threads that
just ran the step's matrix products would fight over the cores (measured: 100x slower), and
NumPy's IEEE error model (no Python division-by-zero check) lets LLVM vectorize the loop. This module is imported only when a fused step first runs, and only if
numba is installed; set ``LAMINA_NUMBA=0`` to keep to NumPy.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

_KERNELS: dict[str, Callable] | None = None


def available() -> bool:
    if os.environ.get("LAMINA_NUMBA", "1") == "0":
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def kernels() -> dict[str, Callable]:
    """The compiled kernels by name (compiled on first use; numba caches them on disk)."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _compile()
    return _KERNELS


def _compile() -> dict[str, Callable]:
    import numba

    jit = numba.njit(cache=True, nogil=True, error_model="numpy")

    @jit
    def adam(w, g, m, v, vhat, alpha, c1, c2, eps, amsgrad):
        for i in range(w.size):
            t = (g[i] - m[i]) * c1
            mi = m[i] + t
            m[i] = mi
            t = (g[i] * g[i] - v[i]) * c2
            vi = v[i] + t
            v[i] = vi
            if amsgrad:
                if vhat[i] > vi or vhat[i] != vhat[i]:
                    vi = vhat[i]
                vhat[i] = vi
            w[i] = w[i] - (mi * alpha) / (np.sqrt(vi) + eps)

    @jit
    def sgd(w, g, velocity, lr, momentum, nesterov, use_momentum):
        for i in range(w.size):
            step = g[i] * lr
            if not use_momentum:
                w[i] = w[i] - step
                continue
            vel = velocity[i] * momentum - step
            velocity[i] = vel
            if nesterov:
                w[i] = w[i] + (vel * momentum - step)
            else:
                w[i] = w[i] + vel

    return {"adam": adam, "sgd": sgd}


def run_adam(optimizer: Any, w: np.ndarray, g: np.ndarray, slots: list, alpha: Any) -> None:
    k = optimizer.fused_constant
    vhat = slots[2] if optimizer.amsgrad else slots[1]
    kernels()["adam"](w, g, slots[0], slots[1], vhat, w.dtype.type(alpha),
                      k(1.0 - optimizer.beta_1, w.dtype)[()],
                      k(1.0 - optimizer.beta_2, w.dtype)[()],
                      k(optimizer.epsilon, w.dtype)[()], optimizer.amsgrad)


def run_sgd(optimizer: Any, w: np.ndarray, g: np.ndarray, slots: list, lr: Any) -> None:
    velocity = slots[0] if slots else w
    kernels()["sgd"](w, g, velocity, w.dtype.type(lr), w.dtype.type(optimizer.momentum),
                     optimizer.nesterov, optimizer.momentum != 0)
