"""Optional numba kernels for the CPU backend (the ``fast`` extra: pip install
'lamina[fast]'): fused optimizer steps, sparse softmax cross-entropy and the LSTM gates.

Where a step takes a dozen NumPy calls (an optimizer's update makes a dozen passes over all
parameters; cross-entropy a dozen small calls per batch), a kernel makes one, 4-7x faster.
They apply the same float operations in the same order, without fast-math, so they give the
same numbers as the NumPy code they replace, bit for bit (tests check it). Transcendental
functions stay with NumPy, whose SIMD tanh and exp are ~30x faster than numba's scalar calls.
The kernels run on one thread: numba's worker threads and the BLAS threads that just ran the
step's matrix products would fight over the cores (measured: 100x slower), and NumPy's IEEE
error model (no Python division-by-zero check) lets LLVM vectorize the loops. This module is
imported only when a kernel is first wanted, and only if numba is installed; set
``LAMINA_NUMBA=0`` to keep to NumPy.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Callable

import numpy as np

_KERNELS: dict[str, Callable] | None = None
_AVAILABLE: dict[str, bool] = {}


def available() -> bool:
    """Whether numba is installed and not switched off (checked once per setting)."""
    setting = os.environ.get("LAMINA_NUMBA", "1")
    found = _AVAILABLE.get(setting)
    if found is None:
        found = setting != "0" and importlib.util.find_spec("numba") is not None
        _AVAILABLE[setting] = found
    return found


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

    @jit
    def xent_forward(logits, labels, loss, probs):
        # Per row: loss = log(sum(exp(z))) - z[label], z = logits - max; probs = softmax.
        for i in range(logits.shape[0]):
            top = logits[i, 0]
            for j in range(1, logits.shape[1]):
                if logits[i, j] > top:
                    top = logits[i, j]
            total = logits.dtype.type(0.0)
            for j in range(logits.shape[1]):
                e = np.exp(logits[i, j] - top)
                probs[i, j] = e
                total += e
            for j in range(logits.shape[1]):
                probs[i, j] /= total
            loss[i] = np.log(total) - (logits[i, labels[i]] - top)

    @jit
    def xent_grad(probs, labels, g, out):
        # g * (softmax - onehot(label)), row by row.
        for i in range(probs.shape[0]):
            for j in range(probs.shape[1]):
                hit = probs.dtype.type(1.0) if j == labels[i] else probs.dtype.type(0.0)
                out[i, j] = (probs[i, j] - hit) * g[i]

    @jit
    def lstm_forward(s, scale, shift, c, new_c):
        # s = tanh(z * scale) on entry; the activated gates [i, f, g, o] on exit.
        # new_c = f * c + i * g.
        u = c.shape[1]
        for r in range(s.shape[0]):
            for j in range(s.shape[1]):
                s[r, j] = s[r, j] * scale[j] + shift[j]
            for j in range(u):
                new_c[r, j] = s[r, u + j] * c[r, j] + s[r, j] * s[r, 2 * u + j]

    @jit
    def lstm_backward(s, c, tc, g_hc, out):
        # out = [dz_i, dz_f, dz_c, dz_o, dc] from the gates s = [i, f, g, o], tc = tanh(c')
        # and g_hc = [dh, dc'], in the order of rnn.backward_into's NumPy calls.
        u = c.shape[1]
        one = s.dtype.type(1.0)
        for r in range(s.shape[0]):
            for j in range(u):
                i, f, g, o = s[r, j], s[r, u + j], s[r, 2 * u + j], s[r, 3 * u + j]
                dh, t = g_hc[0, r, j], tc[r, j]
                dc = dh * o
                dc = dc * (one - t * t)
                dc = dc + g_hc[1, r, j]
                out[r, j] = dc * g * i * (one - i)
                out[r, u + j] = dc * c[r, j] * f * (one - f)
                out[r, 2 * u + j] = dc * i * (one - g * g)
                out[r, 3 * u + j] = dh * t * o * (one - o)
                out[r, 4 * u + j] = dc * f

    return {"adam": adam, "sgd": sgd, "xent_forward": xent_forward, "xent_grad": xent_grad,
            "lstm_forward": lstm_forward, "lstm_backward": lstm_backward}


def run_adam(optimizer: Any, w: np.ndarray, g: np.ndarray, slots: list, alpha: Any) -> None:
    c = w.dtype.type
    vhat = slots[2] if optimizer.amsgrad else slots[1]
    kernels()["adam"](w, g, slots[0], slots[1], vhat, c(alpha), c(1.0 - optimizer.beta_1),
                      c(1.0 - optimizer.beta_2), c(optimizer.epsilon), optimizer.amsgrad)


def run_sgd(optimizer: Any, w: np.ndarray, g: np.ndarray, slots: list, lr: Any) -> None:
    velocity = slots[0] if slots else w
    kernels()["sgd"](w, g, velocity, w.dtype.type(lr), w.dtype.type(optimizer.momentum),
                     optimizer.nesterov, optimizer.momentum != 0)
