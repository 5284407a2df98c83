"""Classify iris flowers with lamina's Keras-style model API.

The same 4 -> 16 (tanh) -> 3 (softmax) network as ``iris_graph.py``, written the Keras way:
stack the layers in ``lm.Sequential``, ``compile`` it with an optimizer, a loss and metrics,
``fit`` it (compiled train steps, a progress bar, validation curves), then ``evaluate`` it on
the 30 held-out test flowers and ``predict`` species probabilities.

    python examples/iris_keras.py --epochs 100 --seed 0

``main(epochs, seed)`` returns the test accuracy and the training history, so tests can call
it.
"""
from __future__ import annotations

import argparse

import numpy as np

import lamina as lm


def main(epochs: int = 100, seed: int = 0, verbose: int = 0) -> dict:
    """Trains the classifier and evaluates it.

    Returns:
        ``{"test_accuracy", "test_loss", "history", "probabilities"}``; ``probabilities`` are
        the predicted species probabilities of the first five test flowers.
    """
    # Seeds Python, NumPy and lamina at once: weights and batch order repeat exactly.
    lm.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = lm.datasets.iris.load_data()
    # Neural networks train best on inputs of similar scale; use the training set's
    # statistics for both parts so that nothing leaks from the test flowers.
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    # tanh in the hidden layer: on so few flowers it generalizes more reliably than ReLU.
    model = lm.Sequential([
        lm.Input(shape=(4,)),
        lm.layers.Dense(16, activation="tanh"),
        lm.layers.Dense(3, activation="softmax"),
    ])
    # Labels are integers 0..2, hence the *sparse* categorical cross-entropy. Adam's default
    # step (0.001) is slow on 120 flowers; 0.01 converges within 100 short epochs.
    model.compile(optimizer=lm.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if verbose:
        model.summary()

    # validation_split holds out the last 20% of the (already shuffled) training flowers.
    history = model.fit(x_train, y_train, batch_size=16, epochs=epochs,
                        validation_split=0.2, verbose=verbose)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    probabilities = model.predict(x_test[:5])
    return {"test_accuracy": float(test_accuracy), "test_loss": float(test_loss),
            "history": history.history, "probabilities": probabilities,
            "labels": y_test[:5]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = main(epochs=args.epochs, seed=args.seed, verbose=2)
    names = lm.datasets.iris.class_names
    print(f"\ntest accuracy {result['test_accuracy']:.3f}, test loss {result['test_loss']:.4f}")
    for probs, label in zip(result["probabilities"], result["labels"]):
        print(f"  predicted {names[int(np.argmax(probs))]:<10} (p={probs.max():.2f}), "
              f"true {names[label]}")
