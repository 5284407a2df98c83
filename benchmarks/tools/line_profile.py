"""Developer tool: time every line of a compiled plan's generated source.

    python -m benchmarks.tools.line_profile mnist_mlp_b128 [--top 15] [--in-sequence]

Each line of the generated function is run on its own (with the plan's closure variables and
the values earlier lines computed), many times, and the lines are listed by cost. With
``--in-sequence`` the whole function runs line after line instead, each line timed where it
stands: caches hold what the step left there, as in real runs (memory-bound lines cost more).
"""
from __future__ import annotations

import argparse
import time

from .step_profile import MODEL_WORKLOADS, compiled_step


def _lines(plan, args: tuple) -> tuple[dict, list[str]]:
    """The plan's closure variables with its arguments bound, and its body's lines."""
    fn = plan._fn
    env = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
    lines = plan.source.splitlines()
    env.update(zip(lines[0][len("def run("):-2].split(", "), args))
    return env, [line.strip() for line in lines[1:] if not line.strip().startswith("return")]


def line_times(plan, args: tuple, repeat: int = 50) -> list[tuple[float, str]]:
    """Per-line time of each line run ``repeat`` times on its own (after the earlier lines)."""
    env, codes = _lines(plan, args)
    out = []
    for code in codes:
        compiled = compile(code, "<line>", "exec")
        exec(compiled, env)
        start = time.perf_counter()
        for _ in range(repeat):
            exec(compiled, env)
        out.append(((time.perf_counter() - start) / repeat * 1e6, code))
    return out


def sequence_times(plan, args: tuple, repeat: int = 30) -> list[tuple[float, str]]:
    """Per-line time when the lines run in order, the whole function ``repeat`` times."""
    env, codes = _lines(plan, args)
    compiled = [compile(code, "<line>", "exec") for code in codes]
    totals = [0.0] * len(codes)
    for run in range(repeat + 1):        # run 0 warms up and is not counted
        for k, code in enumerate(compiled):
            start = time.perf_counter()
            exec(code, env)
            if run:
                totals[k] += time.perf_counter() - start
    return [(t / repeat * 1e6, code) for t, code in zip(totals, codes)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=MODEL_WORKLOADS)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--in-sequence", action="store_true",
                        help="time each line where it stands in a full run of the step")
    args = parser.parse_args()
    concrete, x, y = compiled_step(args.workload)
    plan = concrete.plan
    times = (sequence_times if args.in_sequence else line_times)(plan, (x, y))
    total = sum(t for t, _ in times)
    print(f"{len(times)} lines, {total:.1f} us in total")
    for t, code in sorted(times, reverse=True)[:args.top]:
        print(f"{t:9.1f} us  {100 * t / total:5.1f}%  {code[:110]}")


if __name__ == "__main__":
    main()
