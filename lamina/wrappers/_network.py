"""The lamina pieces the MLP estimators are built from; none of them needs scikit-learn.

* :class:`PenalizedDense`: a Dense layer that adds scikit-learn's MLP weight penalty
  ``0.5 * alpha * ||kernel||^2 / batch_size`` to the training loss;
* :class:`MLPLoss`: scikit-learn's MLP losses, computed on the network's raw outputs;
* :func:`build_network`: the ``lm.Sequential`` stack of those layers;
* :func:`seeded_global_stream`: runs code on a seeded copy of lamina's global random stream
  and puts the stream back afterwards, so estimators are reproducible without changing it;
* :func:`float64_twin` / :func:`predict`: a float64 copy of a trained model, so estimators
  predict in the input's dtype as scikit-learn does (float32 sums change in the last bits
  with the batch's size, float64 ones far below scikit-learn's tolerances);
* :class:`SharedSteps`: the compiled training steps of networks built alike, reused by the
  next estimator (cross-validation and grid searches fit many).

They are registered with :mod:`lamina.serialization`, so a pickled estimator (whose model goes
through lamina's own model format) loads them by name.
"""
from __future__ import annotations

import collections
import contextlib
import json
import threading
from typing import Any, Hashable, Iterator, Sequence

import numpy as np

from .. import serialization
from ..layers.core import Dense
from ..losses import Loss
from ..models import Input, Model, Sequential
from ..ops import math as m
from ..ops import nn
from ..ops.random import generator_for
from ..ops.shape import shape as _dynamic_shape
from ..tensor import Tensor

__all__ = ["PenalizedDense", "MLPLoss", "build_network", "seeded_global_stream",
           "float64_twin", "predict", "network_key", "SharedSteps"]

# The largest batch predict() runs at once: big enough that the per-batch cost vanishes.
PREDICT_BATCH = 4096

# scikit-learn's activation names -> lamina's.
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}


@serialization.register("layer")
class PenalizedDense(Dense):
    """A Dense layer whose kernel carries scikit-learn's MLP L2 penalty.

    While training, the layer adds ``0.5 * alpha * sum(kernel ** 2) / batch_size`` to the
    model's loss, the penalty ``sklearn.neural_network.MLPClassifier`` uses: summed over the
    layers, it is ``alpha`` times half the squared norm of all weights (not the biases),
    divided by the number of samples in the batch. A fixed ``kernel_regularizer`` could not
    follow the size of a short last batch, or of the batches of later ``partial_fit`` calls.

    Args:
        units: the output size.
        alpha: the penalty's strength (>= 0).
        **kwargs: the arguments of :class:`lamina.layers.Dense`.

    Example:
        >>> layer = PenalizedDense(3, alpha=1e-4, activation="relu")
        >>> layer(lm.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, units: int, alpha: float = 0.0, **kwargs: Any):
        super().__init__(units, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)) \
                or not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"PenalizedDense: alpha must be a finite number >= 0, received "
                             f"{alpha!r}.")
        self.alpha = float(alpha)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        out = super().call(inputs)
        if training and self.alpha:
            batch = inputs.shape[0]
            if batch is None:  # traced without a static batch size
                batch = m.cast(_dynamic_shape(inputs)[0], self.kernel.dtype)
            self.add_loss(0.5 * self.alpha * m.sum(m.square(self.kernel)) / batch)
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@serialization.register("loss")
class MLPLoss(Loss):
    """scikit-learn's MLP losses, on the raw outputs of the last Dense layer.

    Working on raw outputs (logits, or the log of the mean for ``"poisson"``) gives the
    exact gradient ``output - target`` that scikit-learn's backpropagation uses, with no
    clipping of probabilities. Per sample:

    * ``"log_loss"``: ``-log softmax(logits)[label]`` for integer labels (multiclass);
    * ``"binary_log_loss"``: the sigmoid cross-entropy summed over the outputs (binary and
      multilabel), as scikit-learn sums it over the labels;
    * ``"squared_error"``: half the mean of squared errors over the outputs;
    * ``"poisson"``: the half Poisson deviance with a log link, summed over the outputs.

    Averaged over the batch, these are scikit-learn's ``loss_curve_`` values (before the
    weight penalty, which :class:`PenalizedDense` adds).

    Example:
        >>> float(MLPLoss("squared_error")([[1.0]], [[3.0]]))
        2.0
    """

    KINDS = ("log_loss", "binary_log_loss", "squared_error", "poisson")

    def __init__(self, kind: str = "squared_error", name: str | None = None,
                 reduction: str | None = "sum_over_batch_size", dtype: Any = None):
        if kind not in self.KINDS:
            raise ValueError(f"MLPLoss: kind must be one of {self.KINDS}, received {kind!r}.")
        super().__init__(name=name or kind, reduction=reduction, dtype=dtype)
        self.kind = kind

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        if self.kind == "log_loss":
            labels = m.cast(y_true, "int32")
            return nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
        y_true = m.cast(y_true, y_pred.dtype)
        if self.kind == "binary_log_loss":
            values = nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
            return m.sum(values, axis=-1)
        if self.kind == "squared_error":
            return 0.5 * m.mean(m.square(y_pred - y_true), axis=-1)
        # y * log(y / mean) - y + mean, with mean = exp(y_pred) and 0 * log(0) = 0.
        y_log_y = m.where(y_true > 0, y_true * m.log(m.maximum(y_true, 1e-30)), 0.0)
        return m.sum(y_log_y - y_true * y_pred - y_true + m.exp(y_pred), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "kind": self.kind}


def build_network(n_features: int, hidden_layer_sizes: Sequence[int], n_outputs: int,
                  activation: str, alpha: float, weights: Sequence[np.ndarray]) -> Sequential:
    """The MLP as an ``lm.Sequential`` of :class:`PenalizedDense` layers.

    The hidden layers use ``activation`` (a scikit-learn name); the last layer is linear
    (its raw outputs feed :class:`MLPLoss`). ``weights`` are the starting values, kernel
    then bias for each layer; the initializers are zeros so that building draws nothing
    from lamina's random stream.

    Example:
        >>> w = [np.zeros((4, 8)), np.zeros(8), np.zeros((8, 3)), np.zeros(3)]
        >>> build_network(4, [8], 3, "relu", 1e-4, w).output_shape
        (None, 3)
    """
    sizes = list(hidden_layer_sizes) + [n_outputs]
    layers: list[Any] = [Input(shape=(n_features,))]
    for i, units in enumerate(sizes):
        hidden = i < len(sizes) - 1
        layers.append(PenalizedDense(units, alpha=alpha,
                                     activation=ACTIVATIONS[activation] if hidden else None,
                                     kernel_initializer="zeros", bias_initializer="zeros"))
    network = Sequential(layers)
    network.set_weights([np.asarray(w, dtype=np.float32) for w in weights])
    return network


@contextlib.contextmanager
def seeded_global_stream(seed: int | None) -> Iterator[None]:
    """Runs the block with lamina's global random stream restarted from ``seed``, in this
    thread only: draws inside (weight initializers, the shuffling of ``fit``, dropout) are
    reproducible, estimators fitted in several threads at once each draw their own stream,
    and code outside sees no change. ``None`` leaves the stream alone.

    Example:
        >>> with seeded_global_stream(0):
        ...     a = lm.random.normal((2,))
        >>> with seeded_global_stream(0):
        ...     b = lm.random.normal((2,))   # b equals a
    """
    if seed is None:
        yield
        return
    with generator_for(None)._thread_seeded(seed):
        yield


def float64_twin(model: Model, twin: Model | None = None) -> Model | None:
    """A float64 copy of ``model`` (same config, weights cast), for inference.

    ``twin``, a copy made earlier, only gets the new weights. Returns None when the model
    cannot be rebuilt from its config, or its layers cannot run in float64 (the caller then
    predicts with ``model`` itself).

    Example:
        >>> twin = float64_twin(model)
        >>> twin.predict(X).dtype
        dtype('float64')
    """
    weights = [np.asarray(w, dtype=np.float64) if w.dtype.kind == "f" else w
               for w in model.get_weights()]
    try:
        if twin is None:
            # Building runs the initializers: keep the global stream as it was.
            with seeded_global_stream(0):
                twin = serialization.deserialize("layer", _as_float64(
                    serialization.serialize(model)))
        twin.set_weights(weights)
    except (TypeError, ValueError, KeyError, NotImplementedError):
        return None
    return twin


class LazyTwin:
    """The float64 copy of a fitted model (see :func:`float64_twin`), made on the first
    float64 prediction rather than after every fit: a fit on float32 data never needs it.

    The copy takes the model's weights when it is made; every fit makes a new LazyTwin.
    ``previous``, the LazyTwin of an earlier fit of the same network (warm start, partial
    fit), lends its copy, which then only gets the new weights. Predictions from several
    threads make the copy once (a lock).
    """

    def __init__(self, model: Model, previous: Any = None):
        self.model = model
        self._twin = previous.peek() if isinstance(previous, LazyTwin) else previous
        self._current = False
        self._lock = threading.Lock()

    def peek(self) -> Model | None:
        """The copy made so far (its weights may be older than the model's)."""
        return self._twin

    def get(self) -> Model | None:
        """The float64 copy (None: the model cannot be rebuilt in float64)."""
        if not self._current:
            with self._lock:
                if not self._current:
                    self._twin = float64_twin(self.model, self._twin)
                    self._current = True
        return self._twin

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_lock"]              # a lock cannot be pickled; a new one on loading
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _as_float64(config: Any) -> Any:
    """``config`` with every float32 dtype entry turned into float64."""
    if isinstance(config, dict):
        return {key: "float64" if key in ("dtype", "input_dtype") and value == "float32"
                else _as_float64(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_as_float64(value) for value in config]
    return config


def predict(model: Model, twin: Any, X: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``model``'s outputs for ``X`` as an array of ``dtype``: computed by the float64
    ``twin`` (a model, or a :class:`LazyTwin`) when ``dtype`` is float64 and there is one,
    else by ``model``.

    Example:
        >>> predict(model, float64_twin(model), X, np.dtype("float64")).dtype
        dtype('float64')
    """
    if dtype == np.float64 and isinstance(twin, LazyTwin):
        twin = twin.get()
    runner = twin if dtype == np.float64 and twin is not None else model
    out = runner.predict(np.asarray(X, dtype=np.float32),
                         batch_size=max(1, min(len(X), PREDICT_BATCH)), verbose=0)
    if not isinstance(out, np.ndarray):
        raise ValueError(f"Expected a model with a single output, {model.name!r} returned "
                         f"{type(out).__name__}.")
    return out.reshape(len(X), -1).astype(dtype, copy=False)


def network_key(model: Model) -> tuple:
    """What a compiled ``Sequential`` model's training step depends on besides the variables
    it acts on, read from the model itself (what was built and compiled, whatever an
    estimator's parameters say now): each layer's class, configuration (its name aside) and
    weight shapes, the loss's class and configuration, the optimizer's class, configuration (a
    numeric learning rate aside: the step reads it from a variable) and fusing, the metrics
    and loss weights. Written for the MLP estimators' networks: it does not describe how a
    functional model's layers connect, nor an optimizer's weight-decay exclusions.

    Example:
        >>> network_key(model) == network_key(built_alike)
        True
    """
    def config(obj: Any, *skip: str) -> str:
        items = {k: v for k, v in obj.get_config().items() if k not in skip}
        return json.dumps(items, sort_keys=True, default=repr)

    trainer = model._trainer
    layers = tuple((type(layer), config(layer, "name"),
                    tuple((tuple(w.shape), w.dtype.name) for w in layer.weights))
                   for layer in model.layers)
    optimizer = trainer.optimizer
    rate = optimizer.get_config().get("learning_rate")
    skip = ("name", "learning_rate") if isinstance(rate, (int, float)) else ("name",)
    return (layers, type(trainer.loss), config(trainer.loss, "name"), type(optimizer),
            config(optimizer, *skip), bool(optimizer.fuse), config(trainer, "optimizer", "loss"))


class SharedSteps:
    """Compiled training steps of networks built alike, by a key that must name everything
    the step's code depends on besides the variables it acts on (see
    ``Trainer.export_plans``; the MLPs use :func:`network_key` with the batch size and the
    data's dtype): a new estimator whose network matches takes them, and its fit skips
    tracing and optimizing the step (about 4 ms of a small network's fit). Holds the
    ``capacity`` keys used last; safe across threads.

    Example:
        >>> shared = SharedSteps()
        >>> shared.take(key, model)       # False the first time: nothing to take
        >>> model.fit(X, y)
        >>> shared.keep(key, model)       # the next network under ``key`` takes these
    """

    def __init__(self, capacity: int = 8):
        self.capacity = capacity
        self._steps: "collections.OrderedDict[Hashable, dict]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: Hashable, model: Model) -> bool:
        """Gives the compiled ``model`` the steps kept under ``key``; whether it took them."""
        with self._lock:
            templates = self._steps.get(key)
            if templates is not None:
                self._steps.move_to_end(key)
        return templates is not None and model._trainer.import_plans(templates)

    @staticmethod
    def traces(model: Model) -> int:
        """How many times the model's compiled steps have traced so far."""
        return sum(getattr(fn, "_traces", 0) for fn in model._trainer._functions.values())

    def keep(self, key: Hashable, model: Model) -> None:
        """Keeps the trained ``model``'s steps under ``key`` (the caller keeps those of a fit
        that traced a step; a model that took all its steps has nothing new)."""
        templates = model._trainer.export_plans()
        if templates is None:
            return
        with self._lock:
            self._steps[key] = templates
            self._steps.move_to_end(key)
            while len(self._steps) > self.capacity:
                self._steps.popitem(last=False)
