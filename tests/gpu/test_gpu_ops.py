"""Every op record of tests/ops on a real NVIDIA GPU (CuPy): forward against the float64
NumPy reference, compiled against eager, gradients against the CPU (see device_checks.py).

Skipped, with the reason, where CuPy or a GPU is missing (always in CI). On a machine with an
NVIDIA GPU and CuPy (``pip install -e '.[gpu,test]'``, or an image that has CuPy already):

    python -m pytest -q tests/gpu tests/test_devices.py
"""
import pytest

import lamina as lm
from lamina.backends import cupy_backend, get_device

if not any(d.kind == "gpu" for d in lm.list_devices()):
    pytest.skip(f"no GPU for lamina: {cupy_backend.unavailable_reason()}",
                allow_module_level=True)

from tests.gpu import device_checks  # noqa: E402
from tests.ops import harness  # noqa: E402
from tests.ops.test_ops import cases_with  # noqa: E402

pytestmark = pytest.mark.gpu
GPU = get_device("gpu")


@cases_with()
def test_forward_on_gpu(record, spec):
    harness.check_forward(record, harness.make_inputs(record, spec), GPU)


@cases_with("graph")
def test_compiled_on_gpu(record, spec):
    device_checks.check_compiled(record, harness.make_inputs(record, spec), GPU)
