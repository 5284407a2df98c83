"""JAX with jit: the MLP workloads as pure functions, Adam written out (Keras's formula),
one jitted step per batch."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..workloads import Workload, mlp_init, repeated


def _forward(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < len(params) - 2:
            h = jax.nn.relu(h)
    return h


def _loss(params, x, y):
    logits = _forward(params, x)
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


@jax.jit
def _step(params, m, v, t, x, y):
    grads = jax.grad(_loss)(params, x, y)
    t = t + 1
    alpha = 1e-3 * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
    m = [mi + (g - mi) * 0.1 for mi, g in zip(m, grads)]
    v = [vi + (g * g - vi) * 0.001 for vi, g in zip(v, grads)]
    params = [p - alpha * mi / (jnp.sqrt(vi) + 1e-7) for p, mi, vi in zip(params, m, v)]
    return params, m, v, t


def build(w: Workload):
    if w.kind not in ("mlp", "predict"):
        raise NotImplementedError(f"no JAX model for {w.kind} (BENCHMARKS.md lists none)")
    params = [jnp.asarray(p) for p in mlp_init(w.sizes)]
    if w.kind == "predict":
        x = jnp.asarray(w.data()[0])
        run = jax.jit(_forward)
        return (lambda: run(params, x)), (lambda: jax.block_until_ready(params)), 1
    xs, ys = repeated(w)
    batches = [(jnp.asarray(xs[i:i + w.batch]), jnp.asarray(ys[i:i + w.batch]))
               for i in range(0, len(xs), w.batch)]
    state = {"p": params, "m": [jnp.zeros_like(p) for p in params],
             "v": [jnp.zeros_like(p) for p in params], "t": jnp.asarray(0.0, np.float32)}

    def epoch():
        p, m, v, t = state["p"], state["m"], state["v"], state["t"]
        for x, y in batches:
            p, m, v, t = _step(p, m, v, t, x, y)
        state.update(p=p, m=m, v=v, t=t)

    return epoch, (lambda: jax.block_until_ready(state["p"])), w.per_call
