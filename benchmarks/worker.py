"""Times one (framework, workload) pair in this process and prints one JSON line.

Run by benchmarks/run.py in a fresh process per measurement, so frameworks never share a
process (BLAS thread pools of one slow down the other).

    python -m benchmarks.worker lamina iris_mlp_b16 --seconds 1
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import time

FRAMEWORKS = {
    "lamina": ("benchmarks.frameworks.lamina_keras", "build"),
    "lamina_lowlevel": ("benchmarks.frameworks.lamina_lowlevel", "build"),
    "lamina_eager": ("benchmarks.frameworks.lamina_lowlevel", "build_eager"),
    "numpy": ("benchmarks.frameworks.numpy_by_hand", "build"),
    "torch": ("benchmarks.frameworks.torch_eager", "build"),
    "jax": ("benchmarks.frameworks.jax_jit", "build"),
    "keras": ("benchmarks.frameworks.keras_tf", "build"),
    "sklearn": ("benchmarks.frameworks.sklearn_mlp", "build"),
}


def _rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _reset_peak() -> bool:
    """Resets the process's resident high-water mark (Linux ≥ 4.0); False where it can't."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    """The resident high-water mark since the last reset (VmHWM), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("workload")
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    from .timing import time_step
    from .workloads import get
    module_name, fn_name = FRAMEWORKS[args.framework]
    t0 = time.perf_counter()
    module = importlib.import_module(module_name)
    import_s = time.perf_counter() - t0
    try:
        built = getattr(module, fn_name)(get(args.workload))
    except NotImplementedError as exc:   # this framework has no model for the workload
        print(json.dumps({"skipped": str(exc)}))
        return
    step, sync, per_call = built if len(built) == 3 else (*built, 1)
    before_mb = _rss_mb()
    warm: dict = {}

    def on_warm() -> None:
        warm["rss_mb"] = _rss_mb()
        warm["reset"] = _reset_peak()

    result = time_step(step, seconds=args.seconds, sync=sync, on_warm=on_warm)
    # Memory the training needs beyond the built model: the process's peak during the timed
    # steps (first step included, so a compiler's buffers count) over its size before them.
    result["step_peak_mb"] = max(0.0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                 / 1024 - before_mb)
    # The steady state alone: the peak since the warm-up (the kernel's high-water mark, reset
    # then) over the size then; what every further step needs on top of what stays resident.
    if warm.get("reset"):
        result["steady_peak_mb"] = max(0.0, _peak_mb() - warm["rss_mb"])
    for key in ("median_us", "min_us"):
        result[key] /= per_call   # adapters that time several steps per call
    result.update(framework=args.framework, workload=args.workload, import_s=import_s,
                  peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  threads=os.environ.get("OMP_NUM_THREADS"), python=sys.version.split()[0])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
