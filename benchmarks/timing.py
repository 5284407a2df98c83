"""Timing a step: warm up, then time batches of calls until enough time has passed."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def time_step(step: Callable[[], object], seconds: float = 1.0, warmup: int = 10,
              sync: Callable[[], None] = lambda: None,
              on_warm: Callable[[], None] = lambda: None) -> dict:
    """Median microseconds per call of ``step``, plus the first call's time.

    The first call (tracing/compilation) is timed alone; then ``warmup`` calls; then
    ``on_warm()`` (the worker starts measuring steady-state memory there); then repeated
    samples of several calls each, for about ``seconds``.
    """
    t0 = time.perf_counter()
    step()
    sync()
    first = time.perf_counter() - t0
    for _ in range(warmup):
        step()
    sync()
    on_warm()
    # Calls per sample: enough for ~5 ms, so timer resolution does not matter.
    t0 = time.perf_counter()
    step()
    sync()
    one = max(time.perf_counter() - t0, 1e-7)
    per_sample = max(1, int(0.005 / one))
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        t0 = time.perf_counter()
        for _ in range(per_sample):
            step()
        sync()
        samples.append((time.perf_counter() - t0) / per_sample * 1e6)
    return {"median_us": statistics.median(samples), "min_us": min(samples),
            "first_step_ms": first * 1e3, "samples": len(samples)}
