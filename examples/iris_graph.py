"""Classify iris flowers the TensorFlow-1 way: build a graph once, then run it in a Session.

Nothing runs while the graph is built. Placeholders stand for the data that each
``sess.run`` feeds, ``lm.Variable`` objects hold the weights of a 4 -> 16 (tanh) -> 3
network, ``lm.nn.sparse_softmax_cross_entropy_with_logits`` gives the loss, and
``lm.optimizers.Adam(...).minimize(loss)`` adds the backward pass and the weight updates to
the graph as one training operation. A Session then initializes the variables and runs that
operation once per mini-batch; each ``sess.run`` compiles the part of the graph it needs
(once per fetch/feed signature) into flat NumPy code.

    python examples/iris_graph.py --epochs 100 --seed 0

``main(epochs, seed)`` returns the final loss and accuracies, so tests can call it.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import lamina as lm

HIDDEN = 16
CLASSES = 3


def build_graph(seed: int, learning_rate: float) -> dict:
    """Adds the network, its loss, its accuracy and its training op to the default graph."""
    rng = np.random.default_rng(seed)

    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)

    # The batch dimension is None: any number of flowers can be fed.
    x = lm.placeholder(lm.float32, shape=(None, 4), name="x")
    y = lm.placeholder(lm.int32, shape=(None,), name="y")
    with lm.name_scope("hidden"):
        w1 = lm.Variable(glorot(4, HIDDEN), name="kernel")
        b1 = lm.Variable(np.zeros(HIDDEN, np.float32), name="bias")
        hidden = lm.tanh(lm.matmul(x, w1) + b1)
    with lm.name_scope("output"):
        w2 = lm.Variable(glorot(HIDDEN, CLASSES), name="kernel")
        b2 = lm.Variable(np.zeros(CLASSES, np.float32), name="bias")
        logits = lm.matmul(hidden, w2) + b2
    loss = lm.mean(lm.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    correct = lm.equal(lm.cast(lm.argmax(logits, axis=1), lm.int32), y)
    accuracy = lm.mean(lm.cast(correct, lm.float32))
    # minimize() differentiates `loss` inside the graph (lm.gradients) and returns the op
    # that applies one Adam step to every trainable variable of the graph.
    train_op = lm.optimizers.Adam(learning_rate=learning_rate).minimize(loss)
    return {"x": x, "y": y, "loss": loss, "accuracy": accuracy, "train_op": train_op,
            "init": lm.global_variables_initializer()}


def main(epochs: int = 100, seed: int = 0, batch_size: int = 16, learning_rate: float = 0.01,
         verbose: bool = False) -> dict:
    """Builds the graph, trains it in a Session and measures it on the test flowers.

    Returns:
        ``{"loss", "train_accuracy", "test_accuracy", "operations", "seconds"}``, where
        ``operations`` counts the graph's operations.
    """
    (x_train, y_train), (x_test, y_test) = lm.datasets.iris.load_data()
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    # A fresh graph: the same effect as `lm.disable_eager_execution()` at the top of a TF1
    # script, without switching the whole process (so tests can import this file).
    graph = lm.Graph()
    with graph.as_default():
        g = build_graph(seed, learning_rate)

    shuffle = np.random.default_rng(seed)
    start = time.perf_counter()
    with lm.Session(graph=graph) as sess:
        sess.run(g["init"])  # variables get their initial values in this session
        for epoch in range(1, epochs + 1):
            order = shuffle.permutation(len(x_train))
            for first in range(0, len(order), batch_size):
                batch = order[first:first + batch_size]
                sess.run(g["train_op"], feed_dict={g["x"]: x_train[batch],
                                                   g["y"]: y_train[batch]})
            if verbose and (epoch == 1 or epoch % max(1, epochs // 10) == 0):
                loss, acc = sess.run([g["loss"], g["accuracy"]],
                                     feed_dict={g["x"]: x_train, g["y"]: y_train})
                print(f"epoch {epoch:4d}  loss {loss:.4f}  train accuracy {acc:.3f}")
        loss, train_accuracy = sess.run([g["loss"], g["accuracy"]],
                                        feed_dict={g["x"]: x_train, g["y"]: y_train})
        test_accuracy = sess.run(g["accuracy"], feed_dict={g["x"]: x_test, g["y"]: y_test})
    return {"loss": float(loss), "train_accuracy": float(train_accuracy),
            "test_accuracy": float(test_accuracy),
            "operations": len(graph.get_operations()),
            "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = main(epochs=args.epochs, seed=args.seed, verbose=True)
    print(f"test accuracy {result['test_accuracy']:.3f} (train {result['train_accuracy']:.3f}"
          f"; a graph of {result['operations']} operations, trained in "
          f"{result['seconds']:.2f} s)")
