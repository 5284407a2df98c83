"""Checks of one op record (tests/ops) on a device other than the CPU.

Used by tests/gpu/test_gpu_ops.py on a real GPU and by tests/test_gpu_placement.py on the
fake GPU of tests/fake_gpu.py. For a record and its inputs, on ``device``:

* the float64 forward matches the float64 NumPy reference, and the float32 forward the
  reference of the rounded inputs (the record's tolerances), with results on the device;
* the compiled forward (lm.function, fused as on a GPU) equals eager execution there;
* gradients on the device equal the CPU's, eagerly and compiled.
"""
from __future__ import annotations

import numpy as np

import lamina as lm
from tests.ops import harness


def on_device(arrays: list, dtype, device) -> list:
    """The record's inputs as tensors on ``device`` (floats cast to ``dtype``)."""
    with lm.device(device):
        return harness.as_lamina(arrays, dtype)


def check_forward(record: harness.OpRecord, arrays: list, device) -> None:
    expected = np.asarray(record.ref(*arrays))
    with lm.device(device):
        out64 = record.fn(*on_device(arrays, np.float64, device))
        out32 = record.fn(*on_device(arrays, np.float32, device))
    for out in (out64, out32):
        assert out.device == device and device.backend.owns(out._value), \
            f"{record.name}: a result on {out.device}, expected {device}"
    np.testing.assert_allclose(out64.numpy(), expected, rtol=record.rtol64, atol=record.rtol64,
                               err_msg=f"{record.name} float64 forward on {device}")
    assert out32.dtype == (record.dtype_out or lm.float32), f"{record.name} float32 dtype"
    ref32 = np.asarray(record.ref(*[a.astype(np.float32).astype(np.float64)
                                    if harness.is_float(a) else a for a in arrays]))
    np.testing.assert_allclose(out32.numpy().astype(np.float64), ref32, rtol=record.rtol,
                               atol=record.atol, err_msg=f"{record.name} float32 on {device}")


def _gradients(record: harness.OpRecord, tensors: list, weights: np.ndarray) -> list:
    index = [i for i, t in enumerate(tensors) if t.dtype.is_floating]
    return harness._loss_and_grads(record, tensors, weights, index)[1]


def check_compiled(record: harness.OpRecord, arrays: list, device, seed: int = 3) -> None:
    """Compiled on the device equals eager on the device; gradients equal the CPU's."""
    with lm.device(device):
        tensors = on_device(arrays, np.float64, device)
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
    for e, g, c in zip(expected, got_eager, got_compiled):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{record.name} gradient on {device}")
        np.testing.assert_allclose(c.numpy(), e.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{record.name} compiled gradient on {device}")
