"""Metrics: running measurements reported during training (Keras names and behaviour).

A metric keeps its state in non-trainable Variables. ``update_state(y_true, y_pred,
sample_weight=None)`` accumulates a batch (inside a compiled train step too), ``result()``
reads the value, ``reset_state()`` starts over. Calling a metric updates it and returns the
result.

Example:
    >>> acc = lm.metrics.SparseCategoricalAccuracy()
    >>> acc.update_state([1, 2], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]])
    >>> float(acc.result())
    0.5
"""
from __future__ import annotations

from typing import Any, Callable

from . import losses as _losses
from . import serialization
from .ops import math as m
from .ops.shape import _as_tensor, expand_dims, squeeze
from .tensor import Tensor, Variable

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "MeanSquaredError",
           "MeanAbsoluteError", "RootMeanSquaredError", "get", "serialize", "deserialize",
           "accuracy_for"]


class Metric:
    """Base class. Subclasses create state with :meth:`add_variable` in ``__init__`` and
    implement ``update_state`` and ``result``."""

    def __init__(self, name: str | None = None, dtype: Any = "float32"):
        from .layers.base import snake_case
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype
        self._variables: list[Variable] = []

    def add_variable(self, name: str, shape: tuple = (), initializer: float = 0.0,
                     dtype: Any = None) -> Variable:
        import numpy as np
        value = np.full(shape, initializer, dtype=str(dtype or self.dtype))
        var = Variable(value, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(var)
        return var

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement update_state.")

    def result(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement result.")

    def reset_state(self) -> None:
        """Sets every state variable back to its initial value."""
        for var, initial in zip(self._variables, self._initial_values()):
            var.assign(initial)

    def _initial_values(self) -> list:
        import numpy as np
        if not hasattr(self, "_initial"):
            self._initial = [np.zeros(v.shape, v.dtype.np) for v in self._variables]
        return self._initial

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<lamina.metrics.{type(self).__name__} name={self.name!r}>"


def _weights_like(values: Tensor, sample_weight: Any) -> Tensor | None:
    if sample_weight is None:
        return None
    w = m.cast(_as_tensor(sample_weight), values.dtype)
    while w.ndim > values.ndim and w.shape[-1] == 1:
        w = squeeze(w, -1)
    while w.ndim < values.ndim:
        w = expand_dims(w, -1)
    return w * m.cast(values * 0 + 1, values.dtype)   # broadcast to the values' shape


@serialization.register("metric")
class Sum(Metric):
    """The (weighted) sum of all values seen."""

    def __init__(self, name: str = "sum", dtype: Any = "float32"):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = m.cast(_as_tensor(values), self.dtype)
        w = _weights_like(values, sample_weight)
        self.total.assign_add(m.sum(values if w is None else values * w))

    def result(self) -> Tensor:
        return m.identity(self.total)


@serialization.register("metric")
class Mean(Metric):
    """The (weighted) mean of all values seen."""

    def __init__(self, name: str = "mean", dtype: Any = "float32"):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")
        self.count = self.add_variable("count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = m.cast(_as_tensor(values), self.dtype)
        w = _weights_like(values, sample_weight)
        if w is None:
            self.total.assign_add(m.sum(values))
            self.count.assign_add(m.cast(_size(values), self.dtype))
        else:
            self.total.assign_add(m.sum(values * w))
            self.count.assign_add(m.sum(w))

    def result(self) -> Tensor:
        return m.where(self.count > 0, self.total / m.maximum(self.count, 1e-30), 0.0)


def _size(t: Tensor) -> Any:
    from .ops.shape import size
    return size(t)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred)`` over all samples seen."""

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = "float32",
                 **fn_kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.fn_kwargs}


# ---- accuracy family ----------------------------------------------------------------------------
def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _as_tensor(y_true), _as_tensor(y_pred)
    return m.cast(m.equal(y_true, m.cast(y_pred, y_true.dtype)), "float32")


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    y_true, y_pred = _losses._align(y_true, y_pred, "binary_accuracy")
    hits = m.equal(y_true, m.cast(y_pred > threshold, y_pred.dtype))
    return m.mean(m.cast(hits, "float32"), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _losses._align(y_true, y_pred, "categorical_accuracy")
    return m.cast(m.equal(m.argmax(y_true, axis=-1), m.argmax(y_pred, axis=-1)), "float32")


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _as_tensor(y_true), _as_tensor(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, -1)
    predicted = m.argmax(y_pred, axis=-1)
    return m.cast(m.equal(m.cast(y_true, predicted.dtype), predicted), "float32")


def _metric_class(cls_name: str, fn: Callable, default_name: str, doc: str, **defaults: Any):
    def __init__(self, name: str = default_name, dtype: Any = "float32", **kwargs: Any):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{cls_name} got unexpected keyword argument(s) {sorted(unknown)}.")
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**defaults, **kwargs})

    cls = type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc,
                                                "__module__": __name__})
    cls.from_config = classmethod(lambda c, config: c(**config))
    return serialization.register("metric")(cls)


Accuracy = _metric_class("Accuracy", accuracy, "accuracy",
                         "How often predictions equal labels exactly.")
BinaryAccuracy = _metric_class("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                               "How often thresholded predictions match 0/1 labels.",
                               threshold=0.5)
CategoricalAccuracy = _metric_class("CategoricalAccuracy", categorical_accuracy,
                                    "categorical_accuracy",
                                    "How often the predicted class matches one-hot labels.")
SparseCategoricalAccuracy = _metric_class(
    "SparseCategoricalAccuracy", sparse_categorical_accuracy, "sparse_categorical_accuracy",
    "How often the predicted class matches integer labels.")
MeanSquaredError = _metric_class("MeanSquaredError", _losses.mean_squared_error,
                                 "mean_squared_error", "Mean of squared errors.")
MeanAbsoluteError = _metric_class("MeanAbsoluteError", _losses.mean_absolute_error,
                                  "mean_absolute_error", "Mean of absolute errors.")


@serialization.register("metric")
class RootMeanSquaredError(Mean):
    """sqrt(mean((y_pred - y_true)^2))."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = "float32"):
        super().__init__(name, dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = _losses._align(y_true, y_pred, self.name)
        super().update_state(m.square(y_pred - y_true), sample_weight)

    def result(self) -> Tensor:
        return m.sqrt(super().result())


_ALIASES: dict[str, Any] = {
    "accuracy": None, "acc": None,  # resolved from the loss and shapes: see accuracy_for
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError, "root_mean_squared_error": RootMeanSquaredError,
}


def accuracy_for(name: str, loss: Any, y_true_shape: tuple, y_pred_shape: tuple) -> Metric:
    """The metric "accuracy" stands for, as Keras resolves it: from the loss if it tells, else
    from the shapes (one output unit: binary; labels of lower rank or with a trailing 1:
    sparse categorical; else categorical)."""
    loss_name = getattr(loss, "name", getattr(loss, "__name__", ""))
    if "sparse_categorical" in loss_name:
        return SparseCategoricalAccuracy(name=name)
    if "binary" in loss_name:
        return BinaryAccuracy(name=name)
    if "categorical" in loss_name:
        return CategoricalAccuracy(name=name)
    binary = y_pred_shape[-1] == 1
    sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and not binary)
    if binary:
        return BinaryAccuracy(name=name)
    return SparseCategoricalAccuracy(name=name) if sparse else CategoricalAccuracy(name=name)


def get(identifier: Any) -> Metric:
    """A metric from a name, a config dict, a Metric, or a function ``(y_true, y_pred)``.

    ``"accuracy"`` depends on the loss and shapes, so it is resolved by ``compile``/``fit``.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            raise ValueError("'accuracy' is resolved from the loss and the data shapes: pass it "
                             "to model.compile(metrics=[...]), or use a specific accuracy "
                             "class.")
        cls = _ALIASES.get(key) or serialization.lookup("metric", identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric {identifier!r}: expected a name, a Metric, "
                     "or a function (y_true, y_pred).")


def serialize(metric: Metric) -> dict:
    return serialization.serialize(metric)


def deserialize(config: dict, custom_objects: dict | None = None) -> Metric:
    return serialization.deserialize("metric", config, custom_objects)
