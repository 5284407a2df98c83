"""lamina, low-level API: Variables, GradientTape and Adam, eager or compiled by lm.function."""
from __future__ import annotations

import lamina as lm

from ..workloads import Workload, mlp_init


def _mlp_step(w: Workload, compiled: bool):
    params = [lm.Variable(p) for p in mlp_init(w.sizes)]
    opt = lm.optimizers.Adam(learning_rate=1e-3)
    x, y = (lm.tensor(a) for a in w.data())

    def step(x, y):
        with lm.GradientTape() as tape:
            h = x
            for i in range(0, len(params), 2):
                h = lm.matmul(h, params[i]) + params[i + 1]
                if i < len(params) - 2:
                    h = lm.relu(h)
            loss = lm.mean(lm.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        return loss

    fn = lm.function(step) if compiled else step
    return (lambda: fn(x, y)), (lambda: None)


def build(workload: Workload, compiled: bool = True):
    if workload.kind != "mlp":
        raise NotImplementedError(f"lamina low-level benchmark has no {workload.kind} model")
    return _mlp_step(workload, compiled)


def build_eager(workload: Workload):
    return build(workload, compiled=False)
