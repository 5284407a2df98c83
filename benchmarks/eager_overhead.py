"""Eager dispatch overhead: a small elementwise op in lamina against the same NumPy call.

The ratio is the whole cost of lamina's eager path (argument checks, dtype promotion, wrapping
the result) over the NumPy call it makes. Both run in this one process, interleaved.

    python -m benchmarks.eager_overhead
"""
from __future__ import annotations

import json
import statistics
import timeit

import numpy as np

import lamina as lm

CASES = [
    ("a + b", lambda a, b: a + b, lambda x, y: x + y),
    ("lm.add(a, b)", np.add, lm.add),
    ("lm.exp(a)", lambda a, b: np.exp(a), lambda x, y: lm.exp(x)),
    ("lm.multiply(a, 2.0)", lambda a, b: np.multiply(a, np.float32(2.0)),
     lambda x, y: lm.multiply(x, 2.0)),
]


def measure(size: int, rounds: int = 7, number: int = 20000) -> list[dict]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal(size).astype(np.float32)
    b = rng.standard_normal(size).astype(np.float32)
    x, y = lm.tensor(a), lm.tensor(b)
    rows = []
    for label, np_fn, lm_fn in CASES:
        ratios, np_times, lm_times = [], [], []
        for _ in range(rounds):
            t_np = timeit.timeit(lambda: np_fn(a, b), number=number) / number * 1e6
            t_lm = timeit.timeit(lambda: lm_fn(x, y), number=number) / number * 1e6
            np_times.append(t_np)
            lm_times.append(t_lm)
            ratios.append(t_lm / t_np)
        rows.append({"case": label, "size": size, "numpy_us": statistics.median(np_times),
                     "lamina_us": statistics.median(lm_times),
                     "ratio": statistics.median(ratios), "ratio_min": min(ratios),
                     "ratio_max": max(ratios)})
    return rows


def main() -> None:
    rows = [r for size in (100, 1000, 10000) for r in measure(size)]
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
