"""Choosing OpenBLAS's CPU kernels before NumPy loads it.

NumPy's wheels ship OpenBLAS, which picks its kernels by recognizing the CPU. CPUs newer than
the OpenBLAS build (AMD's Zen 5, for one) are not recognized, and OpenBLAS falls back to its
AVX2 ("Haswell") kernels even when the CPU has AVX-512: float32 matrix products then run at
about half speed (measured here: 255 vs 505 GFLOP/s). When lamina is imported before NumPy,
on an AMD CPU with the AVX-512 subsets OpenBLAS's SkylakeX kernels use, it asks for those
kernels through ``OPENBLAS_CORETYPE`` (on Zen 4 that is what OpenBLAS picks anyway). A value
the user set is never changed, and once NumPy is imported nothing can be changed: set
``OPENBLAS_CORETYPE=SKYLAKEX`` yourself if you import NumPy first.
"""
from __future__ import annotations

import os
import sys

_AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def _cpu() -> tuple[str, set[str]]:
    """The CPU vendor and feature flags (Linux); empty when they cannot be read."""
    vendor, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("vendor_id") and not vendor:
                    vendor = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    return vendor, flags


def prefer_avx512_kernels() -> str | None:
    """Sets OPENBLAS_CORETYPE if it helps and is still possible; returns what it set."""
    if "numpy" in sys.modules or "OPENBLAS_CORETYPE" in os.environ:
        return None
    vendor, flags = _cpu()
    if vendor == "AuthenticAMD" and _AVX512 <= flags:
        os.environ["OPENBLAS_CORETYPE"] = "SKYLAKEX"
        return "SKYLAKEX"
    return None
