"""The GEMM floor of an MLP training step: its matrix-product FLOPs over the sgemm rate
NumPy's BLAS reaches on this machine (measured here, on a large square product).

    python -m benchmarks.gemm_floor mnist_mlp_b128
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from .workloads import WORKLOADS


def step_flops(sizes: tuple, batch: int) -> float:
    """Forward products, weight gradients, and input gradients of every layer but the
    first (nothing needs the gradient of the data)."""
    macs = 0
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        macs += batch * a * b * (2 if i == 0 else 3)
    return 2.0 * macs


def sgemm_rate(n: int = 1024, seconds: float = 1.0) -> float:
    """FLOP/s of float32 matrix products of n x n (best of several)."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    out = np.empty((n, n), np.float32)
    np.matmul(a, b, out=out)
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best


def main() -> None:
    w = WORKLOADS[sys.argv[1] if len(sys.argv) > 1 else "mnist_mlp_b128"]
    flops = step_flops(w.sizes, w.batch)
    rate = sgemm_rate()
    print(json.dumps({"workload": w.name, "step_gflop": flops / 1e9,
                      "sgemm_gflops": rate / 1e9, "floor_us": flops / rate * 1e6}))


if __name__ == "__main__":
    main()
