"""A training step written by hand in NumPy: preallocated buffers, in-place updates, no
framework. It is the floor a compiler on NumPy can hope to approach."""
from __future__ import annotations

import numpy as np

from ..workloads import Workload, mlp_init


def build(w: Workload):
    if w.kind != "mlp":
        raise NotImplementedError("hand-written NumPy exists for the MLP workloads only")
    params = mlp_init(w.sizes)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    x, y = w.data()
    n = w.batch
    acts = [np.empty((n, s), np.float32) for s in w.sizes[1:]]
    grads = [np.empty_like(p) for p in params]
    delta = [np.empty((n, s), np.float32) for s in w.sizes[1:]]
    rows = np.arange(n)
    t = [0]
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-7

    def step():
        layers = len(acts)
        h = x
        for i in range(layers):                       # forward
            np.matmul(h, params[2 * i], out=acts[i])
            acts[i] += params[2 * i + 1]
            if i < layers - 1:
                np.maximum(acts[i], 0, out=acts[i])
            h = acts[i]
        logits = acts[-1]                              # softmax cross-entropy gradient
        d = delta[-1]
        np.subtract(logits, logits.max(axis=1, keepdims=True), out=d)
        np.exp(d, out=d)
        d /= d.sum(axis=1, keepdims=True)
        loss = -np.log(d[rows, y]).mean()
        d[rows, y] -= 1
        d /= n
        for i in range(layers - 1, -1, -1):           # backward
            prev = x if i == 0 else acts[i - 1]
            np.matmul(prev.T, delta[i], out=grads[2 * i])
            delta[i].sum(axis=0, out=grads[2 * i + 1])
            if i > 0:
                np.matmul(delta[i], params[2 * i].T, out=delta[i - 1])
                delta[i - 1] *= prev > 0
        t[0] += 1                                      # Adam
        a = lr * np.sqrt(1 - b2 ** t[0]) / (1 - b1 ** t[0])
        for p, g, mi, vi in zip(params, grads, m, v):
            mi += (g - mi) * (1 - b1)
            vi += (g * g - vi) * (1 - b2)
            p -= a * mi / (np.sqrt(vi) + eps)
        return loss

    return step, (lambda: None)
