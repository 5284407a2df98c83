"""lamina through its model API, as a user writes it: Sequential, compile, fit.

A "step" is measured as ``model.fit`` over an epoch of identical batches, divided by the
number of batches: the cost of the whole training loop per batch, not only the compiled step.
"""
from __future__ import annotations

import numpy as np

import lamina as lm

from ..workloads import Workload, mlp_init

BATCHES_PER_CALL = 16


def _mlp(w: Workload) -> lm.Model:
    layers = [lm.Input(shape=(w.sizes[0],))]
    for units in w.sizes[1:-1]:
        layers.append(lm.layers.Dense(units, activation="relu"))
    layers.append(lm.layers.Dense(w.sizes[-1]))
    model = lm.Sequential(layers)
    model.set_weights(mlp_init(w.sizes))
    return model


def _cnn() -> lm.Model:
    return lm.Sequential([
        lm.Input(shape=(28, 28, 1)),
        lm.layers.Conv2D(32, 3, activation="relu"),
        lm.layers.MaxPooling2D(2),
        lm.layers.Conv2D(64, 3, activation="relu"),
        lm.layers.MaxPooling2D(2),
        lm.layers.Flatten(),
        lm.layers.Dense(128, activation="relu"),
        lm.layers.Dense(10),
    ])


def _lstm() -> lm.Model:
    return lm.Sequential([
        lm.Input(shape=(32,), dtype="int32"),
        lm.layers.Embedding(64, 64),
        lm.layers.LSTM(128),
        lm.layers.Dense(64),
    ])


def build_model(w: Workload) -> lm.Model:
    lm.random.seed(0)
    model = {"mlp": _mlp, "predict": _mlp}.get(w.kind, None)
    if model is not None:
        return model(w)
    return {"cnn": _cnn, "lstm": _lstm}[w.kind]()


def build(w: Workload):
    model = build_model(w)
    x, y = w.data()
    if w.kind == "predict":
        return (lambda: model.predict_on_batch(x)), (lambda: None), 1
    model.compile(optimizer=lm.optimizers.Adam(1e-3),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    xs = np.concatenate([x] * BATCHES_PER_CALL)
    ys = np.concatenate([y] * BATCHES_PER_CALL)

    def epoch():
        model.fit(xs, ys, batch_size=w.batch, epochs=1, verbose=0, shuffle=False)

    return epoch, (lambda: None), BATCHES_PER_CALL
