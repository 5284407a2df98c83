"""Keras 3 on TensorFlow: the same Sequential models, compile, and fit over ``per_call``
batches (one epoch), as a Keras user trains."""
from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from ..workloads import Workload, mlp_init, repeated  # noqa: E402


def _model(w: Workload) -> keras.Model:
    L = keras.layers
    if w.kind in ("mlp", "predict"):
        layers = [keras.Input(shape=(w.sizes[0],))]
        layers += [L.Dense(u, activation="relu") for u in w.sizes[1:-1]]
        model = keras.Sequential(layers + [L.Dense(w.sizes[-1])])
        model.set_weights(mlp_init(w.sizes))
        return model
    if w.kind == "cnn":
        return keras.Sequential([keras.Input(shape=(28, 28, 1)),
                                 L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                                 L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                                 L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10)])
    return keras.Sequential([keras.Input(shape=(32,), dtype="int32"), L.Embedding(64, 64),
                             L.LSTM(128), L.Dense(64)])


def build(w: Workload):
    if w.kind not in ("mlp", "predict", "cnn", "lstm"):
        raise NotImplementedError(f"no Keras model for {w.kind}")
    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(2)
    keras.utils.set_random_seed(0)
    model = _model(w)
    if w.kind == "predict":
        x = w.data()[0]
        return (lambda: model.predict_on_batch(x)), (lambda: None), 1
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    xs, ys = repeated(w)

    def epoch():
        model.fit(xs, ys, batch_size=w.batch, epochs=1, verbose=0, shuffle=False)

    return epoch, (lambda: None), w.per_call
