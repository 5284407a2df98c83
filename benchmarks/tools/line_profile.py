"""Developer tool: time every line of a compiled plan's generated source.

    python -m benchmarks.tools.line_profile mnist_mlp_b128 [--top 15]

Each line of the generated function is run on its own (with the plan's closure variables and
the values earlier lines computed), many times, and the lines are listed by cost.
"""
from __future__ import annotations

import argparse
import time

import lamina as lm

from ..frameworks import lamina_keras
from ..workloads import WORKLOADS


def line_times(plan, args: tuple, repeat: int = 50) -> list[tuple[float, str]]:
    fn = plan._fn
    env = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
    lines = plan.source.splitlines()
    params = lines[0][len("def run("):-2].split(", ")
    env.update(zip(params, args))
    out = []
    for line in lines[1:]:
        code = line.strip()
        if code.startswith("return"):
            continue
        compiled = compile(code, "<line>", "exec")
        exec(compiled, env)
        start = time.perf_counter()
        for _ in range(repeat):
            exec(compiled, env)
        out.append(((time.perf_counter() - start) / repeat * 1e6, code))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    w = WORKLOADS[args.workload]
    model = lamina_keras.build_model(w)
    model.compile(optimizer=lm.optimizers.Adam(1e-3),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = w.data()
    model.fit(x, y, batch_size=w.batch, verbose=0)
    plan = next(iter(model._trainer._functions["train"]._cache.values())).plan
    times = line_times(plan, (x, y))
    total = sum(t for t, _ in times)
    print(f"{len(times)} lines, {total:.1f} us in total")
    for t, code in sorted(times, reverse=True)[:args.top]:
        print(f"{t:9.1f} us  {100 * t / total:5.1f}%  {code[:110]}")


if __name__ == "__main__":
    main()
