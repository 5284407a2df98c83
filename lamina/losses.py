"""Loss functions (Keras names, defaults and reductions).

A loss object is called as ``loss(y_true, y_pred, sample_weight=None)``: it computes one value
per sample (``call``), weights them, and averages over the batch ("sum_over_batch_size": the
weighted sum divided by the number of values). The plain functions
(``mean_squared_error(y_true, y_pred)``) return the per-sample values.

Example:
    >>> lm.losses.SparseCategoricalCrossentropy(from_logits=True)([2], [[0.1, 0.2, 3.0]])
"""
from __future__ import annotations

from typing import Any, Callable

from . import serialization
from .ops import math as m
from .ops import nn
from .ops.shape import _as_tensor, expand_dims, squeeze
from .tensor import Tensor, _fmt_shape

__all__ = ["Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Huber", "KLDivergence",
           "Hinge", "LogCosh", "mean_squared_error", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
           "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "huber", "kl_divergence", "hinge", "log_cosh",
           "get", "serialize", "deserialize"]

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


# ---- shape handling ---------------------------------------------------------------------------
def _float(x: Any) -> Tensor:
    t = _as_tensor(x)
    return t if t.dtype.is_floating else m.cast(t, "float32")


def _align(y_true: Any, y_pred: Any, name: str) -> tuple[Tensor, Tensor]:
    """y_true in y_pred's dtype, with a trailing 1-dim added or removed to match ranks."""
    y_pred = _float(y_pred)
    y_true = m.cast(_as_tensor(y_true), y_pred.dtype)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = expand_dims(y_true, -1)
    elif y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, -1)
    if y_true.ndim != y_pred.ndim or any(
            a is not None and b is not None and a != b
            for a, b in zip(y_true.shape, y_pred.shape)):
        raise ValueError(f"{name}: y_true and y_pred must have the same shape, received y_true "
                         f"of shape {_fmt_shape(y_true.shape)} and y_pred of shape "
                         f"{_fmt_shape(y_pred.shape)}.")
    return y_true, y_pred


# ---- per-sample loss functions --------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "mean_squared_error")
    return m.mean(m.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "mean_absolute_error")
    return m.mean(m.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "mean_absolute_percentage_error")
    diff = m.abs((y_true - y_pred) / m.maximum(m.abs(y_true), EPSILON))
    return 100.0 * m.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "mean_squared_logarithmic_error")
    first = m.log(m.maximum(y_pred, EPSILON) + 1.0)
    second = m.log(m.maximum(y_true, EPSILON) + 1.0)
    return m.mean(m.square(first - second), axis=-1)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = m.clip(y_pred, EPSILON, 1.0 - EPSILON)
        values = -(y_true * m.log(p) + (1.0 - y_true) * m.log(1.0 - p))
    return m.mean(values, axis=-1)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        return nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    p = y_pred / m.sum(y_pred, axis=axis, keepdims=True)
    p = m.clip(p, EPSILON, 1.0 - EPSILON)
    return -m.sum(y_true * m.log(p), axis=axis)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    axis: int = -1) -> Tensor:
    y_pred = _float(y_pred)
    y_true = _as_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, -1)
    if y_true.ndim != y_pred.ndim - 1 or any(
            a is not None and b is not None and a != b
            for a, b in zip(y_true.shape, y_pred.shape[:-1])):
        raise ValueError(
            "sparse_categorical_crossentropy expects integer class labels of shape "
            f"{_fmt_shape(y_pred.shape[:-1])} (or with a trailing 1) for predictions of shape "
            f"{_fmt_shape(y_pred.shape)}, received labels of shape "
            f"{_fmt_shape(y_true.shape)}. For one-hot labels use categorical_crossentropy.")
    if y_true.dtype.is_floating:
        y_true = m.cast(y_true, "int32")
    if from_logits:
        return nn.sparse_softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    p = m.clip(y_pred / m.sum(y_pred, axis=-1, keepdims=True), EPSILON, 1.0 - EPSILON)
    from .ops.shape import one_hot
    return -m.sum(one_hot(y_true, y_pred.shape[-1], dtype=p.dtype) * m.log(p), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "huber")
    err = m.abs(y_pred - y_true)
    quad = m.minimum(err, delta)
    return m.mean(0.5 * quad * quad + delta * (err - quad), axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "kl_divergence")
    y_true = m.clip(y_true, EPSILON, 1.0)
    y_pred = m.clip(y_pred, EPSILON, 1.0)
    return m.sum(y_true * m.log(y_true / y_pred), axis=-1)


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "hinge")
    signs = m.where(y_true > 0.0, 1.0, -1.0) if y_true.dtype.is_floating else y_true
    return m.mean(m.relu(1.0 - signs * y_pred), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _align(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    return m.mean(x + m.softplus(-2.0 * x) - 0.6931471805599453, axis=-1)


# ---- loss objects -----------------------------------------------------------------------------
class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample values; ``__call__`` weights and
    reduces them."""

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: Any = None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, received {reduction!r}.")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement call().")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        values = self.call(y_true, y_pred)
        return reduce_weighted(values, sample_weight, self.reduction)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<lamina.losses.{type(self).__name__} name={self.name!r}>"


def reduce_weighted(values: Tensor, sample_weight: Any, reduction: str | None) -> Tensor:
    """Applies per-sample weights (broadcast over trailing dims) and reduces."""
    if sample_weight is not None:
        w = m.cast(_as_tensor(sample_weight), values.dtype)
        while w.ndim > values.ndim and w.shape[-1] == 1:
            w = squeeze(w, -1)
        while w.ndim < values.ndim:
            w = expand_dims(w, -1)
        values = values * w
    if reduction in ("none", None):
        return values
    total = m.sum(values)
    if reduction == "sum":
        return total
    return m.mean(values) if sample_weight is None else total / m.cast(
        _size(values), values.dtype)


def _size(t: Tensor) -> Any:
    from .ops.shape import size
    return size(t)


class LossFunctionWrapper(Loss):
    """A Loss from a per-sample function and its keyword arguments."""

    def __init__(self, fn: Callable, name: str | None = None,
                 reduction: str | None = "sum_over_batch_size", **fn_kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.fn_kwargs}


def _wrapper(cls_name: str, fn: Callable, default_name: str, doc: str, **defaults: Any):
    def __init__(self, *args: Any, name: str = default_name,
                 reduction: str | None = "sum_over_batch_size", **kwargs: Any):
        params = dict(defaults)
        params.update(zip(defaults, args))
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{cls_name} got unexpected keyword argument(s) {sorted(unknown)}.")
        params.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction, **params)

    def from_config(cls, config: dict):
        return cls(**config)

    cls = type(cls_name, (LossFunctionWrapper,), {
        "__init__": __init__, "from_config": classmethod(from_config),
        "__doc__": doc, "__module__": __name__})
    return serialization.register("loss")(cls)


MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error",
                            "Mean of squared errors over the last axis.")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                             "Mean of absolute errors over the last axis.")
MeanAbsolutePercentageError = _wrapper(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 * mean(|y_true - y_pred| / |y_true|).")
MeanSquaredLogarithmicError = _wrapper(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean of squared differences of log(1 + y).")
BinaryCrossentropy = _wrapper(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    "Cross-entropy of 0/1 labels against probabilities (or logits, from_logits=True).",
    from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _wrapper(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    "Cross-entropy of one-hot labels against class probabilities (or logits).",
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _wrapper(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Cross-entropy of integer class labels against class probabilities (or logits).",
    from_logits=False, axis=-1)
Huber = _wrapper("Huber", huber, "huber_loss",
                 "Quadratic for errors below delta, linear above.", delta=1.0)
KLDivergence = _wrapper("KLDivergence", kl_divergence, "kl_divergence",
                        "Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)).")
Hinge = _wrapper("Hinge", hinge, "hinge", "mean(max(1 - y_true * y_pred, 0)), labels -1/1.")
LogCosh = _wrapper("LogCosh", log_cosh, "log_cosh", "mean(log(cosh(y_pred - y_true))).")

_ALIASES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "huber": Huber, "huber_loss": Huber, "kld": KLDivergence, "kl_divergence": KLDivergence,
    "kullback_leibler_divergence": KLDivergence, "hinge": Hinge, "log_cosh": LogCosh,
    "logcosh": LogCosh,
}


def get(identifier: Any) -> Any:
    """A loss from a name (``"mse"``, ``"sparse_categorical_crossentropy"``...), a config
    dict, a Loss, or a function ``(y_true, y_pred)`` (returned as is)."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _ALIASES.get(identifier.lower())
        if cls is None:
            cls = serialization.lookup("loss", identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss {identifier!r}: expected a name such as 'mse' "
                     "or 'sparse_categorical_crossentropy', a Loss, or a function.")


def serialize(loss: Any) -> Any:
    if isinstance(loss, Loss):
        return serialization.serialize(loss)
    for name, fn in globals().items():
        if fn is loss and name in __all__:
            return name
    raise ValueError(f"Cannot serialize loss {loss!r}: use a built-in loss, or a Loss subclass "
                     "registered with lamina.serialization.register('loss').")


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        fn = globals().get(config)
        return fn if config in __all__ and callable(fn) else get(config)
    return serialization.deserialize("loss", config, custom_objects)


def _snake(name: str) -> str:
    from .layers.base import snake_case
    return snake_case(name)


