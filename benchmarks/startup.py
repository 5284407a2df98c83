"""Import time and resident memory after import, for one framework, in a fresh process.

    python -m benchmarks.startup lamina
"""
from __future__ import annotations

import json
import resource
import sys
import time

MODULES = {"lamina": "lamina", "torch": "torch", "jax": "jax", "keras": "keras",
           "numpy": "numpy", "sklearn": "sklearn.neural_network"}


def main() -> None:
    name = sys.argv[1]
    start = time.perf_counter()
    __import__(MODULES[name])
    seconds = time.perf_counter() - start
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * resource.getpagesize() / 2 ** 20
    print(json.dumps({"framework": name, "import_s": seconds, "rss_mb": rss}))


if __name__ == "__main__":
    main()
