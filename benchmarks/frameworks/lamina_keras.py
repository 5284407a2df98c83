"""lamina through its model API, as a user writes it: Sequential, compile, fit.

A timed call is ``model.fit`` over ``per_call`` batches (one epoch): the whole training loop
per batch, not only the compiled step.
"""
from __future__ import annotations

import warnings

import lamina as lm

from ..workloads import Workload, digits, mlp_init, repeated


def _mlp(w: Workload) -> lm.Model:
    layers = [lm.Input(shape=(w.sizes[0],))]
    for units in w.sizes[1:-1]:
        layers.append(lm.layers.Dense(units, activation="relu"))
    layers.append(lm.layers.Dense(w.sizes[-1]))
    model = lm.Sequential(layers)
    model.set_weights(mlp_init(w.sizes))
    return model


def _cnn(w: Workload) -> lm.Model:
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


def _lstm(w: Workload) -> lm.Model:
    return lm.Sequential([
        lm.Input(shape=(32,), dtype="int32"),
        lm.layers.Embedding(64, 64),
        lm.layers.LSTM(128),
        lm.layers.Dense(64),
    ])


def build_model(w: Workload) -> lm.Model:
    lm.utils.set_random_seed(0)
    return {"mlp": _mlp, "predict": _mlp, "cnn": _cnn, "lstm": _lstm}[w.kind](w)


def build(w: Workload):
    if w.kind == "sklearn":
        return _sklearn(w)
    model = build_model(w)
    if w.kind == "predict":
        x, _ = w.data()
        return (lambda: model.predict_on_batch(x)), (lambda: None), 1
    model.compile(optimizer=lm.optimizers.Adam(1e-3),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    xs, ys = repeated(w)

    def epoch():
        model.fit(xs, ys, batch_size=w.batch, epochs=1, verbose=0, shuffle=False)

    return epoch, (lambda: None), w.per_call


def _sklearn(w: Workload):
    from sklearn.exceptions import ConvergenceWarning
    x, y = digits()

    def fit():
        # 50 epochs do not converge: silenced, as in the scikit-learn anchor.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lm.wrappers.MLPClassifier(hidden_layer_sizes=(100,), max_iter=50, tol=0.0,
                                      n_iter_no_change=1000, batch_size=w.batch,
                                      random_state=0).fit(x, y)

    return fit, (lambda: None), 1
