"""Shared test setup: every test starts eager, with a fresh default graph and fixed seeds."""
import numpy as np
import pytest

import lamina as lm
from lamina._state import STATE


@pytest.fixture(autouse=True)
def _fresh_state():
    lm.enable_eager_execution()
    lm.reset_default_graph()
    np.random.seed(0)
    yield
    STATE.tapes.clear()
    STATE.graph_stack.clear()
    lm.enable_eager_execution()
    STATE.grad_enabled = True


@pytest.fixture
def fake_gpu(monkeypatch):
    """Makes the strict fake GPU of tests/fake_gpu.py the "gpu:0" device for one test, with
    its transfer counters at zero."""
    from lamina import backends
    from tests.fake_gpu import FakeGpuBackend
    device = backends.Device("gpu", 0, FakeGpuBackend())
    monkeypatch.setattr(backends, "_GPUS", [device])
    device.backend.transfers.reset()
    yield device
    device.backend.transfers.reset()
