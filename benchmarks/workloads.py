"""The reference workloads (see BENCHMARKS.md): shapes, batch sizes and the data they train on.

Every framework builds the same model from these numbers and trains it on the same random
data (float32, Adam lr 1e-3, sparse softmax cross-entropy).
"""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    kind: str            # mlp | cnn | lstm | predict | sklearn
    batch: int
    sizes: tuple = ()    # layer widths for MLPs
    description: str = ""
    per_call: int = 1    # training steps per timed call (the same for every framework)

    def data(self, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """One batch of inputs and integer labels."""
        rng = np.random.default_rng(seed)
        if self.kind in ("mlp", "predict"):
            x = rng.standard_normal((self.batch, self.sizes[0])).astype(np.float32)
            y = rng.integers(0, self.sizes[-1], self.batch).astype(np.int32)
        elif self.kind == "cnn":
            x = rng.standard_normal((self.batch, 28, 28, 1)).astype(np.float32)
            y = rng.integers(0, 10, self.batch).astype(np.int32)
        elif self.kind == "lstm":
            x = rng.integers(0, 64, (self.batch, 32)).astype(np.int32)
            y = rng.integers(0, 64, self.batch).astype(np.int32)
        elif self.kind == "sklearn":
            return digits()
        else:
            raise ValueError(f"no batch data for workload kind {self.kind!r}")
        return x, y


# Steps per timed call: enough that per-call costs of a training loop (starting an epoch)
# are amortized as they are in real training.
WORKLOADS = {w.name: w for w in [
    Workload("iris_mlp_b16", "mlp", 16, (4, 16, 16, 3), "Dense 4-16-16-3, ReLU", 256),
    Workload("mnist_mlp_b128", "mlp", 128, (784, 512, 512, 10), "Dense 784-512-512-10, ReLU",
             32),
    Workload("mnist_cnn_b64", "cnn", 64, (), "Conv32-Pool-Conv64-Pool-Dense128-Dense10", 8),
    Workload("char_lstm_b32_t32", "lstm", 32, (), "Embedding 64x64, LSTM 128, Dense 64", 16),
    Workload("mnist_mlp_predict_1", "predict", 1, (784, 512, 512, 10), "mnist_mlp inference",
             1),
    Workload("sklearn_mlp_digits", "sklearn", 200, (64, 100, 10),
             "MLPClassifier((100,)) on digits, 50 epochs (time of the whole fit)", 1),
]}


def mlp_init(sizes: tuple, seed: int = 1) -> list[np.ndarray]:
    """Glorot-uniform weights and zero biases, shared by every framework's MLP."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits, flattened and scaled to [0, 1] (1797 samples)."""
    import lamina as lm
    (x_train, y_train), (x_test, y_test) = lm.datasets.digits.load_data(test_split=0.0001)
    x = np.concatenate([x_train, x_test]).reshape(-1, 64) / 16.0
    return x.astype(np.float32), np.concatenate([y_train, y_test])


def repeated(w: Workload) -> tuple[np.ndarray, np.ndarray]:
    """``per_call`` copies of the batch, one after the other (one timed call's data)."""
    x, y = w.data()
    return np.concatenate([x] * w.per_call), np.concatenate([y] * w.per_call)


def get(name: str) -> Workload:
    """A named workload, or a scaling point ``mlp_b<batch>_w<width>`` (784-w-w-10)."""
    if name in WORKLOADS:
        return WORKLOADS[name]
    if name.startswith("mlp_b") and "_w" in name:
        batch, width = (int(part) for part in name[len("mlp_b"):].split("_w"))
        per_call = max(1, 4096 // batch)
        return Workload(name, "mlp", batch, (784, width, width, 10), "scaling point", per_call)
    raise KeyError(f"unknown workload {name!r}: expected one of {sorted(WORKLOADS)} or "
                   "mlp_b<batch>_w<width>")
