"""Developer tool: the compiled train step of a workload built with the model API, timed in
isolation (minimum over repeats: steady on a busy machine), with its generated source.

    python -m benchmarks.tools.step_profile iris_mlp_b16 [--source]
"""
from __future__ import annotations

import argparse
import timeit

import lamina as lm

from ..frameworks import lamina_keras
from ..workloads import WORKLOADS


# The training workloads built with the model API (the scikit-learn fit has no single step to
# show; mnist_mlp_predict_1 is inference, not a train step).
MODEL_WORKLOADS = sorted(n for n, w in WORKLOADS.items() if w.kind not in ("sklearn", "predict"))


def compiled_step(name: str) -> tuple:
    """A workload's model-API train step after one epoch of fit: (concrete function, x, y)."""
    w = WORKLOADS[name]
    model = lamina_keras.build_model(w)
    model.compile(optimizer=lm.optimizers.Adam(1e-3),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = w.data()
    model.fit(x, y, batch_size=w.batch, verbose=0)
    return next(iter(model._trainer._functions["train"]._cache.values())), x, y


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=MODEL_WORKLOADS)
    parser.add_argument("--source", action="store_true")
    args = parser.parse_args()
    w = WORKLOADS[args.workload]
    concrete, x, y = compiled_step(args.workload)
    plan = concrete.plan
    number = max(1, int(2000 / (1 + w.batch // 16)))
    best = min(timeit.repeat(lambda: plan(x, y), number=number, repeat=7)) / number * 1e6
    calls = sum(1 for line in concrete.source.splitlines()[1:] if "(" in line)
    print(f"{args.workload}: compiled step {best:.1f} us, {len(plan.program.nodes)} nodes, "
          f"{calls} lines with calls")
    if args.source:
        print(concrete.source)


if __name__ == "__main__":
    main()
