"""Checks of one op record (tests/ops) on a device other than the CPU.

Used by tests/gpu/test_gpu_ops.py on a real GPU and by tests/test_gpu_placement.py on the
fake GPU of tests/fake_gpu.py (the forward against the NumPy reference on a device is
``harness.check_forward(record, arrays, device)``). For a record and its inputs, on ``device``:

* the compiled forward (lm.function, fused as on a GPU) equals eager execution there;
* gradients on the device equal the CPU's, eagerly and compiled.
"""
from __future__ import annotations

import numpy as np

import lamina as lm
from tests.ops import harness


def _gradients(record: harness.OpRecord, tensors: list, weights: np.ndarray) -> list:
    index = [i for i, t in enumerate(tensors) if t.dtype.is_floating]
    return harness.loss_and_grads(record, tensors, weights, index)[1]


def check_compiled(record: harness.OpRecord, arrays: list, device, seed: int = 3) -> None:
    """Compiled on the device equals eager on the device; gradients equal the CPU's."""
    with lm.device(device):
        tensors = harness.as_lamina(arrays, np.float64)     # on the device
        eager = record.fn(*tensors)
        compiled = lm.function(record.fn)(*tensors)
    assert compiled.device == device and device.backend.owns(compiled._value), \
        f"{record.name}: compiled result on {compiled.device}, expected {device}"
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(), rtol=1e-10, atol=1e-12,
                               err_msg=f"{record.name} compiled forward on {device}")
    if not record.grad:
        return
    weights = np.random.default_rng(seed).standard_normal(np.shape(eager.numpy()))
    expected = _gradients(record, harness.as_lamina(arrays, np.float64), weights)
    with lm.device(device):
        got_eager = _gradients(record, tensors, weights)
        got_compiled = lm.function(lambda *xs: _gradients(record, list(xs), weights))(*tensors)
    assert len(expected) == len(got_eager) == len(got_compiled), record.name
    for e, g, c in zip(expected, got_eager, got_compiled):
        assert g.device == device and c.device == device, f"{record.name}: gradient device"
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{record.name} gradient on {device}")
        np.testing.assert_allclose(c.numpy(), e.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{record.name} compiled gradient on {device}")
