"""The iris demo: train a small network on Fisher's iris flowers and report test accuracy.

Run with ``lamina demo iris``. It shows training progress, prints the test accuracy and writes a
PNG of the training curves (when matplotlib, the ``plot`` extra, is installed).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import lamina as lm
from lamina.utils.progress import ProgressBar


def run(epochs: int = 100, batch_size: int = 16, seed: int = 0, out_dir: str = ".",
        verbose: int = 1) -> dict:
    """Trains the classifier; returns final losses/accuracies and the plot's path."""
    rng = np.random.default_rng(seed)
    (x_train, y_train), (x_test, y_test) = lm.datasets.iris.load_data(seed=seed)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    params = _init(rng, [4, 16, 3])
    opt = lm.optimizers.Adam(learning_rate=0.01)

    def forward(x):
        h = lm.relu(lm.matmul(x, params[0]) + params[1])
        return lm.matmul(h, params[2]) + params[3]

    @lm.function
    def train_step(x, y):
        with lm.GradientTape() as tape:
            logits = forward(x)
            loss = lm.mean(lm.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                          logits=logits))
        opt.apply_gradients(zip(tape.gradient(loss, params), params))
        return loss

    history = {"loss": [], "accuracy": [], "val_accuracy": []}
    bar = ProgressBar(epochs, unit="epoch", verbose=verbose)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(x_train))
        losses = [float(train_step(x_train[idx], y_train[idx]))
                  for idx in np.array_split(order, max(1, len(order) // batch_size))]
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(_accuracy(forward, x_train, y_train))
        history["val_accuracy"].append(_accuracy(forward, x_test, y_test))
        bar.update(epoch + 1, loss=history["loss"][-1], accuracy=history["accuracy"][-1])
    bar.close()
    result = {"test_accuracy": history["val_accuracy"][-1],
              "train_accuracy": history["accuracy"][-1], "loss": history["loss"][-1],
              "seconds": time.perf_counter() - start, "history": history}
    result["plot"] = _plot(history, Path(out_dir) / "iris_training.png")
    return result


def _init(rng: np.random.Generator, sizes: list[int]) -> list[lm.Variable]:
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(lm.Variable(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(
            np.float32)))
        params.append(lm.Variable(np.zeros(fan_out, np.float32)))
    return params


def _accuracy(forward, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(forward(lm.tensor(x)).numpy(), axis=1) == y))


def _plot(history: dict, path: Path) -> str | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(history["loss"])
    left.set(title="training loss", xlabel="epoch")
    right.plot(history["accuracy"], label="train")
    right.plot(history["val_accuracy"], label="test")
    right.set(title="accuracy", xlabel="epoch", ylim=(0, 1.02))
    right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)
