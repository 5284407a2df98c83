"""Train a small neural network on Fisher's iris flowers with lamina's low-level API.

No layers or models: the script loads the iris measurements that ship with lamina,
standardizes them, keeps the weights of a 4 -> 16 (ReLU) -> 3 network in ``lm.Variable``
objects, computes the softmax cross-entropy with
``lm.nn.sparse_softmax_cross_entropy_with_logits``, and updates the weights from
``lm.GradientTape`` gradients with ``lm.optimizers.Adam`` over shuffled mini-batches. It prints
the loss and the accuracies as it goes.

    python examples/iris_lowlevel.py --epochs 100 --seed 0

``train(epochs, seed)`` returns the final accuracies, so tests can call it.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import lamina as lm

HIDDEN = 16
CLASSES = 3


def load_standardized() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The iris split, with each feature scaled by the training set's mean and spread."""
    (x_train, y_train), (x_test, y_test) = lm.datasets.iris.load_data()
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return (x_train - mean) / std, y_train, (x_test - mean) / std, y_test


def init_params(rng: np.random.RandomState) -> list[lm.Variable]:
    """Glorot-uniform weights and zero biases: [W1 (4, 16), b1 (16,), W2 (16, 3), b2 (3,)]."""
    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)

    return [
        lm.Variable(glorot(4, HIDDEN), name="W1"),
        lm.Variable(np.zeros(HIDDEN, np.float32), name="b1"),
        lm.Variable(glorot(HIDDEN, CLASSES), name="W2"),
        lm.Variable(np.zeros(CLASSES, np.float32), name="b2"),
    ]


def forward(params: list[lm.Variable], x: lm.Tensor) -> lm.Tensor:
    """The logits of the two-layer network."""
    w1, b1, w2, b2 = params
    hidden = lm.relu(x @ w1 + b1)
    return hidden @ w2 + b2


def loss_fn(logits: lm.Tensor, labels: lm.Tensor) -> lm.Tensor:
    """Mean softmax cross-entropy against the integer labels."""
    losses = lm.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return lm.mean(losses)


def accuracy(params: list[lm.Variable], x: np.ndarray, y: np.ndarray) -> float:
    predicted = lm.argmax(forward(params, lm.tensor(x)), axis=1).numpy()
    return float(np.mean(predicted == y))


def train(epochs: int = 100, seed: int = 0, batch_size: int = 16, learning_rate: float = 0.01,
          verbose: bool = False) -> dict:
    """Trains the network and returns its final loss and train/test accuracy.

    Args:
        epochs: passes over the training set.
        seed: seeds the weight initialization and the batch order.
        batch_size: samples per update.
        learning_rate: Adam's learning rate.
        verbose: print the loss and accuracies every tenth of the run.

    Returns:
        ``{"loss", "train_accuracy", "test_accuracy", "steps", "seconds"}``.
    """
    x_train, y_train, x_test, y_test = load_standardized()
    rng = np.random.RandomState(seed)
    params = init_params(rng)
    optimizer = lm.optimizers.Adam(learning_rate=learning_rate)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        total = 0.0
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            x, y = lm.tensor(x_train[batch]), lm.tensor(y_train[batch])
            with lm.GradientTape() as tape:
                loss = loss_fn(forward(params, x), y)
            grads = tape.gradient(loss, params)
            optimizer.apply_gradients(zip(grads, params))
            total += float(loss) * len(batch)
        epoch_loss = total / len(x_train)
        if verbose and (epoch % max(1, epochs // 10) == 0 or epoch == 1):
            print(f"epoch {epoch:4d}  loss {epoch_loss:.4f}  "
                  f"train acc {accuracy(params, x_train, y_train):.3f}  "
                  f"test acc {accuracy(params, x_test, y_test):.3f}")
    return {
        "loss": epoch_loss,
        "train_accuracy": accuracy(params, x_train, y_train),
        "test_accuracy": accuracy(params, x_test, y_test),
        "steps": int(optimizer.iterations.numpy()),
        "seconds": time.perf_counter() - start,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = train(epochs=args.epochs, seed=args.seed, verbose=True)
    print(f"final: train accuracy {result['train_accuracy']:.3f}, test accuracy "
          f"{result['test_accuracy']:.3f} ({result['steps']} steps in "
          f"{result['seconds']:.2f} s)")
