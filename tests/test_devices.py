"""Devices: listing them, ``with lm.device(...)`` scopes, ``t.device`` and ``t.to``, the errors
for names that are not devices and for a GPU that is absent, and Device comparisons.

The GPU tests run only where CuPy sees a GPU; elsewhere they are skipped.
"""
import importlib.util

import numpy as np
import pytest

import lamina as lm
from lamina._state import STATE


def _gpu_present() -> bool:
    return any(d.kind == "gpu" for d in lm.list_devices())


needs_gpu = pytest.mark.skipif(not _gpu_present(), reason="no GPU (CuPy) on this machine")
needs_no_gpu = pytest.mark.skipif(_gpu_present(), reason="a GPU is present")


# ---- listing and naming -------------------------------------------------------------------
def test_list_devices_starts_with_the_cpu():
    devices = lm.list_devices()
    assert isinstance(devices, list) and devices
    cpu = devices[0]
    assert isinstance(cpu, lm.Device)
    assert cpu.kind == "cpu" and cpu.index == 0
    assert str(cpu) == "cpu:0" and cpu.name == "cpu:0"
    assert repr(cpu) == "Device('cpu:0')"
    assert all(d.kind in ("cpu", "gpu") for d in devices)


@pytest.mark.parametrize("name", ["cpu", "CPU", "cpu:0", "/cpu:0", "/device:CPU:0", " cpu "])
def test_cpu_spellings(name):
    with lm.device(name) as dev:
        assert dev == "cpu"
        assert lm.ones(2).device == "cpu:0"


def test_device_equality_and_hashing():
    cpu = lm.list_devices()[0]
    assert cpu == "cpu" and cpu == "cpu:0" and cpu == "CPU:0" and cpu == cpu
    assert cpu != "gpu:7" and cpu != "tpu" and cpu != 0 and cpu != None  # noqa: E711
    assert not (cpu == "not a device")
    assert {cpu: 1}[lm.list_devices()[0]] == 1
    assert hash(cpu) == hash("cpu:0")


# ---- scopes and placement -----------------------------------------------------------------
def test_tensors_live_on_the_cpu_by_default():
    for t in (lm.tensor([1, 2]), lm.ones((2,)), lm.arange(3), lm.constant(1.0),
              lm.Variable(1.0), lm.tensor(1.0) + 1, lm.exp(lm.ones(2))):
        assert t.device == "cpu"


def test_device_scope_places_new_tensors():
    with lm.device("cpu") as dev:
        assert isinstance(dev, lm.Device) and dev == "cpu"
        for t in (lm.zeros((2, 2)), lm.tensor([1.0]), lm.eye(2), lm.full((1,), 3)):
            assert t.device == dev
    assert STATE.device is None


def test_device_scope_accepts_a_device_object():
    cpu = lm.list_devices()[0]
    with lm.device(cpu) as dev:
        assert dev is cpu
        assert lm.ones(1).device is cpu


def test_nested_scopes_restore_in_order_even_after_errors():
    with lm.device("cpu"):
        with lm.device("cpu:0"):
            pass
        assert STATE.device == "cpu"
    assert STATE.device is None
    with pytest.raises(KeyError):
        with lm.device("cpu"):
            raise KeyError("boom")
    assert STATE.device is None and STATE.device_stack == []


def test_tensor_device_argument():
    assert lm.tensor([1.0], device="cpu").device == "cpu"
    assert lm.tensor([1.0], device=lm.list_devices()[0]).device == "cpu:0"


def test_to_the_same_device_returns_the_tensor():
    t = lm.tensor([1.0, 2.0])
    assert t.to("cpu") is t
    assert t.to("cpu:0") is t
    assert t.to(lm.list_devices()[0]) is t
    assert t.cpu() is t


def test_results_stay_on_the_input_device():
    a = lm.tensor([1.0, 2.0])
    for result in (a + a, a * 2.0, lm.sum(a), a @ a, lm.tanh(a)):
        assert result.device == a.device


# ---- bad names ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tpu", "gpu0", "cpu:x", "", "cuda:-1", "mps"])
def test_unknown_device_names_raise_value_error(name):
    with pytest.raises(ValueError, match=r"Unknown device.*expected 'cpu', 'gpu' or 'gpu:N'"):
        lm.device(name)


def test_unknown_device_raises_at_the_call():
    with pytest.raises(ValueError, match="'tpu'"):
        lm.device("tpu")          # not only when the block is entered
    with pytest.raises(ValueError, match="'tpu'"):
        with lm.device("tpu"):
            pass


def test_cpu_index_out_of_range():
    with pytest.raises(ValueError, match=r"'cpu:3'.*expected 'cpu' or 'cpu:0'"):
        lm.device("cpu:3")


def test_device_of_the_wrong_type():
    with pytest.raises(TypeError, match="device name.*received 3"):
        lm.device(3)
    with pytest.raises(TypeError, match="device name"):
        lm.tensor(1.0).to(0)


def test_bad_device_in_tensor_and_to():
    with pytest.raises(ValueError, match="'tpu:0'"):
        lm.tensor([1.0], device="tpu:0")
    with pytest.raises(ValueError, match="'npu'"):
        lm.ones(2).to("npu")


# ---- no GPU -------------------------------------------------------------------------------
@needs_no_gpu
@pytest.mark.parametrize("name", ["gpu", "gpu:0", "GPU:1", "cuda"])
def test_absent_gpu_raises_runtime_error(name):
    with pytest.raises(RuntimeError, match=f"(?i){name}.*no GPU"):
        lm.device(name)


@needs_no_gpu
def test_absent_gpu_message_says_how_to_install():
    with pytest.raises(RuntimeError) as info:
        lm.device("gpu")
    if importlib.util.find_spec("cupy") is None:
        assert "pip install 'lamina[gpu]'" in str(info.value)
    assert lm.list_devices() == [lm.list_devices()[0]]


@needs_no_gpu
def test_absent_gpu_in_to_and_tensor():
    with pytest.raises(RuntimeError, match="no GPU"):
        lm.ones(2).to("gpu")
    with pytest.raises(RuntimeError, match="no GPU"):
        lm.tensor([1.0], device="gpu:0")


@needs_no_gpu
def test_comparing_with_an_absent_gpu_is_false_not_an_error():
    assert lm.ones(1).device != "gpu"


# ---- with a GPU ---------------------------------------------------------------------------
@needs_gpu
def test_gpu_tensors_round_trip():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    with lm.device("gpu"):
        t = lm.tensor(host)
        assert t.device == "gpu:0"
        out = lm.exp(t) * 2.0 + 1
    assert out.device == "gpu:0" and out.dtype == lm.float32
    np.testing.assert_allclose(out.numpy(), np.exp(host) * 2 + 1, rtol=1e-6)
    back = out.to("cpu")
    assert back.device == "cpu" and isinstance(back.numpy(), np.ndarray)
    assert lm.tensor(host).to("gpu").device == "gpu:0"


@needs_gpu
def test_gpu_tensors_with_python_and_numpy_operands():
    x = lm.ones((2,)).to("gpu")            # outside any device scope
    for result in (x * 2.0, 1 - x, x + np.ones(2, np.float32), lm.maximum(x, 0.5)):
        assert result.device == "gpu:0"
    v = lm.Variable([1.0, 2.0])
    with lm.device("gpu"):
        w = lm.Variable([1.0, 2.0])
    w.assign_add(np.ones(2, np.float32))
    w.assign(v)
    assert w.device == "gpu:0"
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


@needs_gpu
def test_gpu_gradients_match_cpu():
    x_cpu = lm.tensor([0.5, -1.0, 2.0])
    x_gpu = x_cpu.to("gpu")
    grads = []
    for x in (x_cpu, x_gpu):
        with lm.GradientTape() as tape:
            tape.watch(x)
            y = lm.tanh(x) * x + 1.0
        grads.append(tape.gradient(y, x, output_gradients=np.ones(3, np.float32)).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


@needs_gpu
def test_mixing_devices_raises():
    with pytest.raises(ValueError, match="one device.*gpu:0.*cpu:0|one device.*cpu:0.*gpu:0"):
        lm.ones(2).to("gpu") + lm.ones(2)


@needs_gpu
def test_gpu_index_out_of_range():
    count = sum(d.kind == "gpu" for d in lm.list_devices())
    with pytest.raises(RuntimeError, match=f"only {count} GPU"):
        lm.device(f"gpu:{count}")
