"""benchmarks/gpu.py without a GPU: it refuses clearly, and its lamina side and its cuBLAS
floor's arithmetic are right (run on the fake GPU of tests/fake_gpu.py)."""
import numpy as np
import pytest

from benchmarks import gpu
from benchmarks.gemm_floor import step_flops


def test_it_refuses_without_a_gpu(capsys):
    if gpu.gpu_problem() is None:
        pytest.skip("a GPU is present")
    with pytest.raises(SystemExit) as info:
        gpu.main(["--quick"])
    assert info.value.code == 2
    assert "needs an NVIDIA GPU" in capsys.readouterr().err
    assert "no GPU" in gpu.worker("lamina", "iris_mlp_b16", "own", 0.01, False)["error"]


def test_batch_variants_keep_the_samples_per_call():
    w = gpu.variant("mnist_mlp_b128", "1024")
    assert (w.name, w.batch, w.per_call) == ("mnist_mlp_b128@1024", 1024, 4)
    assert gpu.variant("mnist_mlp_b128", "own") is gpu.WORKLOADS["mnist_mlp_b128"]
    assert gpu.variant("mnist_cnn_b64", "1024").per_call == 1
    with pytest.raises(SystemExit):
        gpu.parse(["--batches", "own,big"])


@pytest.mark.parametrize("name", ["iris_mlp_b16", "mnist_mlp_b128"])
def test_the_floor_has_the_steps_flops(name):
    w = gpu.WORKLOADS[name]
    flops = sum(2 * m * k * n for m, k, n in gpu.gemm_shapes(w.sizes, w.batch))
    assert flops == step_flops(w.sizes, w.batch)


def test_the_lamina_side_trains_on_the_gpu(fake_gpu, monkeypatch):
    monkeypatch.setenv("CUPY_TF32", "0")     # restored after the test (the side sets it)
    assert gpu.gpu_problem() is None
    w = gpu.variant("iris_mlp_b16", "64")
    step, sync, per_call = gpu._lamina(w, tf32=False)
    fake_gpu.backend.transfers.reset()
    step()                                   # the first epoch also traces and compiles
    sync()
    assert per_call == w.per_call
    counts = fake_gpu.backend.transfers
    counts.reset()
    step()
    sync()
    # each batch's x and y, and a few copies per epoch (the metrics), never the weights
    assert 2 * per_call <= counts.to_device <= 2 * per_call + 8 and counts.to_host <= 4
    predict, _, _ = gpu._lamina(gpu.variant("mnist_mlp_predict_1", "own"), tf32=False)
    out = predict()
    assert isinstance(out, np.ndarray) and out.shape == (1, 10)
