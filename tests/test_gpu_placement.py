"""Device placement on a GPU, tested without one: the strict fake GPU of tests/fake_gpu.py
stands in for CuPy (``fake_gpu`` fixture). It refuses every operation that mixes its arrays
with host arrays and counts every copy between host and device, so these tests check that
eager ops, ``.to()``, ``lm.function``, Sessions and ``model.fit`` run on the device, match the
CPU, and copy only what they must (the batch, once per step; never the weights).

The same checks against real CuPy run in tests/gpu on a GPU machine.
"""
import os
import sys
import types

import numpy as np
import pytest

import lamina as lm
from lamina.backends import cupy_backend
from lamina.graph.codegen import cupy_codegen
from tests.fake_gpu import DeviceArray, MixingError
from tests.gpu import device_checks
from tests.ops import harness
from tests.ops.test_ops import cases_with

HOST = np.arange(12, dtype=np.float32).reshape(3, 4) / 7.0


# ---- the fake itself is strict ------------------------------------------------------------
def test_the_fake_refuses_host_arrays_and_counts_copies(fake_gpu):
    xp, counts = fake_gpu.xp, fake_gpu.backend.transfers
    a = xp.asarray(HOST)
    assert counts.to_device == 1 and not isinstance(a, np.ndarray)
    with pytest.raises(MixingError):
        xp.add(a, HOST)
    with pytest.raises(MixingError):
        a + np.float32(1.0) * np.ones(4, np.float32)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    np.testing.assert_array_equal(fake_gpu.backend.to_numpy(xp.add(a, 1.0)), HOST + 1.0)
    assert counts.to_host == 1


# ---- eager ----------------------------------------------------------------------------------
def test_eager_ops_run_on_the_device(fake_gpu):
    with lm.device("gpu"):
        x = lm.tensor(HOST)
        out = lm.tanh(x) * 2.0 + lm.sum(x, axis=0) - lm.relu(x @ lm.transpose(x))[:, :1]
    assert out.device is fake_gpu and isinstance(out._value, DeviceArray)
    expected = np.tanh(HOST) * 2 + HOST.sum(0) - np.maximum(HOST @ HOST.T, 0)[:, :1]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_to_copies_once_each_way(fake_gpu):
    counts = fake_gpu.backend.transfers
    t = lm.tensor(HOST)
    on_gpu = t.to("gpu")
    assert on_gpu.device is fake_gpu and (counts.to_device, counts.to_host) == (1, 0)
    assert on_gpu.to("gpu:0") is on_gpu and on_gpu.to(fake_gpu) is on_gpu
    back = on_gpu.to("cpu")
    assert back.device == "cpu" and isinstance(back._value, np.ndarray)
    assert (counts.to_device, counts.to_host) == (1, 1)
    np.testing.assert_array_equal(back.numpy(), HOST)


def test_mixing_devices_eagerly_raises(fake_gpu):
    with pytest.raises(ValueError, match="one device.*(gpu:0.*cpu:0|cpu:0.*gpu:0)"):
        lm.ones(2).to("gpu") + lm.ones(2)


def test_host_data_follows_the_device_tensor(fake_gpu):
    x = lm.tensor(HOST).to("gpu")
    for result in (x * 2.0, 1 - x, x + HOST, lm.maximum(x, 0.5)):
        assert result.device is fake_gpu and isinstance(result._value, DeviceArray)


def test_variables_and_gradients_on_the_device_match_the_cpu(fake_gpu):
    grads = []
    for device in ("cpu", "gpu"):
        with lm.device(device):
            w = lm.Variable(HOST[:2].T.copy())
            x = lm.tensor(HOST)
        with lm.GradientTape() as tape:
            loss = lm.sum(lm.tanh(x @ lm.concat([w, w], axis=1)) ** 2)
        grad = tape.gradient(loss, w)
        assert grad.device == device and w.device == device
        grads.append(grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


# ---- lm.function ----------------------------------------------------------------------------
def _dense_relu(x, w):
    return lm.relu(x @ w + 1.0) * 0.5 - 0.25


def test_compiled_function_runs_on_the_device(fake_gpu):
    w = HOST[:, :3].T.copy()
    expected = lm.function(_dense_relu)(HOST.T.copy(), w).numpy()
    with lm.device("gpu"):
        x, wt = lm.tensor(HOST.T.copy()), lm.tensor(w)
    f = lm.function(_dense_relu)
    out = f(x, wt)
    plan = f.get_concrete_function(x, wt).plan
    assert plan.device is fake_gpu and out.device is fake_gpu
    assert isinstance(out._value, DeviceArray)
    buffers = [v for k, v in plan.values.items() if k[0] == "b" and k[1:].isdigit()]
    assert buffers and all(isinstance(b, DeviceArray) for b in buffers)
    constants = [v for k, v in plan.values.items() if k[0] == "c" and k[1:].isdigit()]
    assert all(isinstance(c, (DeviceArray, np.generic)) for c in constants)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_fused_chains_become_kernels_on_the_device_only(fake_gpu):
    with lm.device("gpu"):
        x, w = lm.tensor(HOST.T.copy()), lm.tensor(HOST[:, :3].T.copy())
    f = lm.function(_dense_relu)
    f(x, w)
    source = f.get_concrete_function(x, w).source
    assert "_upload(i0)" in source and "k0(" in source
    kernel = fake_gpu.backend.kernels[-1]
    assert kernel.calls == 1 and "lamina_relu" in kernel.operation
    cpu = lm.function(_dense_relu)
    cpu_source = cpu.get_concrete_function(HOST.T.copy(), HOST[:, :3].T.copy()).source
    assert "k0(" not in cpu_source and "_upload" not in cpu_source


def test_compiled_step_copies_host_inputs_once_per_call(fake_gpu):
    counts = fake_gpu.backend.transfers
    with lm.device("gpu"):
        w = lm.Variable(HOST.T.copy())
    f = lm.function(lambda x: lm.sum(lm.tanh(x @ w)))
    f(HOST)                           # trace, compile (constants go to the device once)
    counts.reset()
    for _ in range(5):
        out = f(HOST)
    assert (counts.to_device, counts.to_host) == (5, 0)
    assert out.device is fake_gpu
    on_device = lm.tensor(HOST).to("gpu")
    f(on_device)
    counts.reset()
    f(on_device)
    assert (counts.to_device, counts.to_host) == (0, 0)


def test_function_follows_the_device_of_its_variables(fake_gpu):
    with lm.device("gpu"):
        w = lm.Variable(HOST.T.copy())
    f = lm.function(lambda x: x @ w)
    out = f(HOST)                      # NumPy data outside any scope: the variable decides
    assert out.device is fake_gpu
    np.testing.assert_allclose(out.numpy(), HOST @ HOST.T, rtol=1e-6)


def test_function_refuses_a_variable_on_another_device(fake_gpu):
    w = lm.Variable(HOST.T.copy())     # on the CPU
    f = lm.function(lambda x: x @ w)
    with pytest.raises(ValueError, match=r"Variable .* lives on cpu:0.*runs on gpu:0"):
        f(lm.tensor(HOST).to("gpu"))
    for update in ("assign", "assign_add", "assign_sub"):   # written to, not read
        v = lm.Variable(np.zeros(HOST.shape, np.float32))
        g = lm.function(lambda x: getattr(v, update)(x))
        with pytest.raises(ValueError, match=r"Variable .* lives on cpu:0.*runs on gpu:0"):
            g(lm.tensor(HOST).to("gpu"))


def test_function_refuses_tensors_on_two_gpus(fake_gpu, monkeypatch):
    from lamina import backends
    from tests.fake_gpu import FakeGpuBackend
    second = backends.Device("gpu", 1, FakeGpuBackend())
    monkeypatch.setattr(backends, "_GPUS", [fake_gpu, second])
    a, b = lm.tensor(HOST, device="gpu:0"), lm.tensor(HOST, device="gpu:1")
    with pytest.raises(ValueError, match="received tensors on gpu:0 and gpu:1: expected every"):
        lm.function(lambda x, y: x + y)(a, b)


def test_retrace_reasons_name_the_device(fake_gpu):
    f = lm.function(lambda x: x * 2.0)
    f(lm.tensor(HOST))
    f(lm.tensor(HOST).to("gpu"))
    assert "device cpu:0 -> gpu:0" in f.retrace_reasons[-1]
    f(HOST)                            # host data on the CPU: the first trace fits
    assert f.experimental_get_tracing_count() == 2
    with lm.device("gpu"):
        out = f(HOST)
    assert out.device is fake_gpu
    assert "lm.device scope changed (cpu:0 -> gpu:0)" in f.retrace_reasons[-1]
    assert f.experimental_get_tracing_count() == 3
    on_gpu = lm.tensor(HOST).to("gpu")
    with lm.device("gpu"):              # the tensor's device decides: the scope adds nothing
        f(on_gpu)
        f(x=on_gpu)                     # (through the general signature walk too)
    assert f.experimental_get_tracing_count() == 3


def test_a_plan_refuses_what_is_not_an_array(fake_gpu):
    upload = cupy_codegen.uploader(fake_gpu)
    on_device = fake_gpu.xp.asarray(HOST)
    assert upload(on_device) is on_device
    with pytest.raises(ValueError, match="expected an array on gpu:0 or a NumPy array"):
        upload([1.0, 2.0])


# ---- sessions -------------------------------------------------------------------------------
@pytest.mark.parametrize("compiled", [True, False])
def test_session_runs_the_graph_on_the_device(fake_gpu, compiled):
    lm.disable_eager_execution()
    x = lm.placeholder(lm.float32, (None, 4))
    w = lm.Variable(np.full((2, 4), 0.5, np.float32), name="w")
    y = lm.sum(x @ lm.transpose(w))
    step = w.assign_add(lm.ones((2, 4)))
    with lm.Session(device="gpu", compile=compiled) as sess:
        assert sess.device is fake_gpu
        sess.run(lm.global_variables_initializer())
        value = sess.run(y, feed_dict={x: HOST})
        sess.run(step)
        assert isinstance(sess._slot(w)._value, DeviceArray)
        after = sess.run(y, feed_dict={x: HOST})
    assert isinstance(value, np.generic)
    np.testing.assert_allclose(value, HOST.sum() * 0.5 * 2, rtol=1e-6)
    np.testing.assert_allclose(after, HOST.sum() * 1.5 * 2, rtol=1e-6)


@pytest.mark.parametrize("compiled", [True, False])
def test_session_feeds_arrays_from_any_device(fake_gpu, compiled, monkeypatch):
    """Fed values are host data, as in TensorFlow 1: NumPy arrays, and arrays on any GPU
    (copied through the host), give the same result in a Session on gpu:0."""
    from lamina import backends
    from tests.fake_gpu import FakeGpuBackend
    second = backends.Device("gpu", 1, FakeGpuBackend())
    monkeypatch.setattr(backends, "_GPUS", [fake_gpu, second])
    lm.disable_eager_execution()
    x = lm.placeholder(lm.float32, (None, 4))
    y = lm.sum(x * 2.0)
    with lm.Session(device="gpu:0", compile=compiled) as sess:
        for fed in (HOST, fake_gpu.xp.asarray(HOST), second.xp.asarray(HOST)):
            np.testing.assert_allclose(sess.run(y, feed_dict={x: fed}), HOST.sum() * 2,
                                       rtol=1e-6)


# ---- models ---------------------------------------------------------------------------------
def _dense():
    return lm.Sequential([lm.Input(shape=(6,)), lm.layers.Dense(8, activation="relu"),
                          lm.layers.Dense(3)])


def _conv():
    return lm.Sequential([lm.Input(shape=(6, 6, 1)), lm.layers.Conv2D(4, 3, activation="relu"),
                          lm.layers.MaxPooling2D(2), lm.layers.Flatten(), lm.layers.Dense(3)])


def _lstm():
    return lm.Sequential([lm.Input(shape=(5,), dtype="int32"), lm.layers.Embedding(7, 4),
                          lm.layers.LSTM(6), lm.layers.Dense(3)])


def _data(build, n=24, seed=0):
    rng = np.random.default_rng(seed)
    if build is _lstm:
        x = rng.integers(0, 7, (n, 5)).astype(np.int32)
    elif build is _conv:
        x = rng.standard_normal((n, 6, 6, 1)).astype(np.float32)
    else:
        x = rng.standard_normal((n, 6)).astype(np.float32)
    return x, rng.integers(0, 3, n).astype(np.int32)


def _compile(model):
    model.compile(optimizer=lm.optimizers.Adam(0.01), metrics=["accuracy"],
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fit(model, x, y, **kwargs):
    return model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, **kwargs)


@pytest.mark.parametrize("build", [_dense, _conv, _lstm], ids=["dense", "conv", "lstm"])
def test_fit_on_the_device_matches_the_cpu(fake_gpu, build):
    x, y = _data(build)
    lm.utils.set_random_seed(0)
    cpu = _compile(build())
    start = cpu.get_weights()
    with lm.device("gpu"):
        gpu = _compile(build())
        gpu.set_weights(start)
        history = _fit(gpu, x, y)
    expected = _fit(cpu, x, y)
    for w in gpu.weights + gpu.optimizer.variables:
        assert w.device is fake_gpu and isinstance(w._value, DeviceArray), w.name
    for got, want in zip(gpu.get_weights(), cpu.get_weights()):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(gpu.predict(x, verbose=0), cpu.predict(x, verbose=0),
                               rtol=2e-5, atol=1e-6)


# The embedding's gather checks its indices against the table size with bool(bad.any()) in
# lamina/ops/indexing.py (_array_index): on a GPU that is a device-to-host copy and a wait for
# the device, twice a step (the gather and its gradient).
_GATHER_SYNC = pytest.mark.xfail(strict=True, reason="index bounds check in ops/indexing.py "
                                 "reads a device value on the host every step")


@pytest.mark.parametrize("build", [_dense, _conv, pytest.param(_lstm, marks=_GATHER_SYNC)],
                         ids=["dense", "conv", "lstm"])
def test_fit_copies_each_batch_once_and_never_the_weights(fake_gpu, build):
    counts = fake_gpu.backend.transfers
    x, y = _data(build, n=64)
    with lm.device("gpu"):
        model = _compile(build())
        _fit(model, x[:8], y[:8])          # traces and compiles the step
    copies = {}
    for batches in (4, 8):
        counts.reset()
        model.fit(x[:8 * batches], y[:8 * batches], batch_size=8, epochs=1, shuffle=False,
                  verbose=0)
        copies[batches] = (counts.to_device, counts.to_host)
    # Each batch adds the copies of its x and y, nothing more; what does not grow with the
    # batches is per epoch (resetting and reading the metrics).
    assert copies[8][0] - copies[4][0] == 2 * 4
    assert copies[8][1] == copies[4][1] <= 4


def test_a_model_compiled_on_the_device_trains_there(fake_gpu):
    """Built and compiled in a GPU scope, fitted outside it: it stays on the GPU, and its
    predictions and scores are those of the same model trained on the CPU."""
    x, y = _data(_dense)
    lm.utils.set_random_seed(0)
    cpu = _compile(_dense())
    _fit(cpu, x, y)
    lm.utils.set_random_seed(0)
    with lm.device("gpu"):
        model = _compile(_dense())
    _fit(model, x, y)                           # outside the block
    predictions = model.predict(x, verbose=0)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (24, 3)
    np.testing.assert_allclose(predictions, cpu.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert all(isinstance(v._value, DeviceArray)
               for v in model.weights + model.optimizer.variables)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    cpu_loss, cpu_accuracy = cpu.evaluate(x, y, verbose=0)
    assert isinstance(loss, float) and accuracy == cpu_accuracy
    assert loss == pytest.approx(cpu_loss, rel=1e-5)


# ---- TensorFloat-32 -------------------------------------------------------------------------
@pytest.fixture
def tf32_env(monkeypatch):
    """CUPY_TF32 unset during the test and after it (setenv first, so it is undone)."""
    monkeypatch.setenv("CUPY_TF32", "0")
    monkeypatch.delenv("CUPY_TF32")


def test_tf32_is_off_by_default_and_switches_through_cupys_variable(tf32_env):
    assert not lm.config.tf32_enabled()
    lm.config.set_tf32(True)
    assert os.environ["CUPY_TF32"] == "1" and lm.config.tf32_enabled()
    lm.config.experimental.enable_tensor_float_32_execution(False)
    assert os.environ["CUPY_TF32"] == "0"
    assert not lm.config.experimental.tensor_float_32_execution_enabled()


def test_tf32_switch_rejects_what_is_not_a_bool(tf32_env):
    with pytest.raises(TypeError, match="expects True or False, received 'yes'"):
        lm.config.set_tf32("yes")


def test_tf32_switch_sets_a_loaded_cupys_compute_type(tf32_env, monkeypatch):
    calls = []
    linalg = types.SimpleNamespace(COMPUTE_TYPE_TF32=7, COMPUTE_TYPE_DEFAULT=1)
    core = types.SimpleNamespace(set_compute_type=lambda dtype, kind: calls.append((dtype,
                                                                                     kind)),
                                 _routines_linalg=linalg)
    cupy = types.SimpleNamespace(_core=core)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupy._core", core)
    monkeypatch.setitem(sys.modules, "cupy._core._routines_linalg", linalg)
    cupy_backend.set_tf32(True)
    cupy_backend.set_tf32(False)
    assert calls == [(np.float32, 7), (np.float32, 1)]


# ---- every op record on the device ------------------------------------------------------------
# lamina.ops.math._erf calls cupyx.scipy.special.erf for any array module other than NumPy;
# the fake has no cupyx (tests/gpu checks these on a real GPU).
NEEDS_CUPYX = {"erf", "gelu"}


def _skip_cupyx(record):
    if record.name in NEEDS_CUPYX:
        pytest.skip("erf on a GPU needs cupyx.scipy.special, which the fake GPU lacks")


@cases_with()
def test_op_records_on_the_fake_gpu(fake_gpu, record, spec):
    _skip_cupyx(record)
    harness.check_forward(record, harness.make_inputs(record, spec), fake_gpu)


@cases_with("graph")
def test_op_records_compiled_on_the_fake_gpu(fake_gpu, record, spec):
    _skip_cupyx(record)
    device_checks.check_compiled(record, harness.make_inputs(record, spec), fake_gpu)
