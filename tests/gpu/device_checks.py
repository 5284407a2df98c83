"""Checks of one op record (tests/ops) on a device other than the CPU.

Used by tests/gpu/test_gpu_ops.py on a real GPU and by tests/test_gpu_placement.py on the
fake GPU of tests/fake_gpu.py (the forward against the NumPy reference on a device is
``harness.check_forward(record, arrays, device)``). For a record and its inputs, on ``device``:

* the compiled forward (lm.function, fused as on a GPU) equals eager execution there;
* gradients on the device equal the CPU's, eagerly and compiled.
"""
from __future__ import annotations

from tests.ops import harness


def check_compiled(record: harness.OpRecord, arrays: list, device, seed: int = 3) -> None:
    """Compiled on the device equals eager on the device; gradients equal the CPU's."""
    harness.check_compiled(record, arrays, seed, device)
