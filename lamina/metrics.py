"""Metrics: running measurements reported during training (Keras 3 names, defaults and
formulas).

A metric keeps its state in non-trainable Variables updated with lamina ops only, so
``update_state(y_true, y_pred, sample_weight=None)`` also runs inside a compiled train step;
``result()`` reads the value and ``reset_state()`` starts over. Calling a metric updates it and
returns the result. The families:

- means of a per-sample function (``MeanMetricWrapper``): accuracies, top-k accuracies,
  regression errors, cross-entropies, hinge losses, KL divergence, Poisson, cosine similarity;
- confusion-matrix counts at thresholds: ``TruePositives``..., ``Precision``, ``Recall``,
  ``AUC`` (ROC or PR, with Keras's threshold buckets);
- ``R2Score`` and ``FBetaScore``/``F1Score``, which accumulate per-class sums.

Example:
    >>> acc = lm.metrics.SparseCategoricalAccuracy()
    >>> acc.update_state([1, 2], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]])
    >>> float(acc.result())
    0.5
"""
from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from . import losses as _losses
from . import serialization
from .losses import divide_no_nan, squeeze_or_expand
from .ops import math as m
from .ops.creation import ones_like, zeros_like
from .ops.shape import _as_tensor, expand_dims, reshape, size, squeeze, take_along_axis
from .tensor import Tensor, Variable, _fmt_shape

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
           "RootMeanSquaredError", "CosineSimilarity", "LogCoshError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge",
           "CategoricalHinge", "KLDivergence", "Poisson", "TruePositives", "FalsePositives",
           "TrueNegatives", "FalseNegatives", "Precision", "Recall", "AUC", "R2Score",
           "FBetaScore", "F1Score", "accuracy", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize",
           "accuracy_for"]

EPSILON = _losses.EPSILON
NEG_INF = -1e10  # what top_k filtering gives the predictions it drops (Keras)


class Metric:
    """Base class. Subclasses create state with :meth:`add_variable` (in ``__init__``, or on
    the first update once shapes are known) and implement ``update_state`` and ``result``.

    Example:
        >>> class Count(lm.metrics.Metric):
        ...     def __init__(self, name="count", dtype="float32"):
        ...         super().__init__(name, dtype)
        ...         self.n = self.add_variable("n")
        ...     def update_state(self, values):
        ...         self.n.assign_add(lm.cast(lm.size(values), self.dtype))
        ...     def result(self):
        ...         return lm.identity(self.n)
        >>> float(Count()([1, 2, 3]))
        3.0
    """

    def __init__(self, name: str | None = None, dtype: Any = "float32"):
        from .layers.base import snake_case
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self._variables: list[Variable] = []
        self._initializers: list[float] = []

    def add_variable(self, name: str, shape: tuple = (), initializer: float = 0.0,
                     dtype: Any = None) -> Variable:
        """A non-trainable state Variable filled with ``initializer``."""
        value = np.full(tuple(shape), initializer, dtype=str(dtype or self.dtype))
        var = Variable(value, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(var)
        self._initializers.append(initializer)
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
        for var, initial in zip(self._variables, self._initializers):
            var.assign(np.full(var.shape, initial, dtype=var.dtype.np))

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


# ---- reductions -------------------------------------------------------------------------------
def _samplewise(values: Any, sample_weight: Any, reduce_fn: Callable,
                dtype: Any) -> tuple[Tensor, Tensor | None]:
    """Keras's reduction to one value per sample: values are reduced (by ``reduce_fn``) down to
    the weights' rank, weighted, then reduced to rank 1; the weights to one per sample."""
    values = m.cast(_as_tensor(values), dtype)
    w = None
    if sample_weight is not None:
        w = m.cast(_as_tensor(sample_weight), dtype)
        values, w = squeeze_or_expand(values, w)
        w_ndim = w.ndim
        if values.ndim > w_ndim:
            values = reduce_fn(values, axis=tuple(range(w_ndim, values.ndim)))
        if w_ndim > values.ndim or not _losses._broadcastable(w.shape, values.shape):
            raise ValueError(f"sample_weight of shape {_fmt_shape(w.shape)} does not match the "
                             f"values it weights, of shape {_fmt_shape(values.shape)}.")
        w = w + zeros_like(values)
        values = values * w
        if w_ndim > 1:
            w = reduce_fn(w, axis=tuple(range(1, w_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, w


@serialization.register("metric")
class Sum(Metric):
    """The (weighted) sum of all values seen.

    Example:
        >>> float(lm.metrics.Sum()([1.0, 3.0, 5.0], sample_weight=[1, 1, 0]))
        4.0
    """

    def __init__(self, name: str = "sum", dtype: Any = "float32"):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = _samplewise(values, sample_weight, m.sum, self.dtype)
        self.total.assign_add(m.sum(values))

    def result(self) -> Tensor:
        return m.identity(self.total)


@serialization.register("metric")
class Mean(Metric):
    """The (weighted) mean of all values seen (rows of values are first averaged per sample).

    Example:
        >>> float(lm.metrics.Mean()([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0]))
        2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = "float32"):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")
        self.count = self.add_variable("count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, w = _samplewise(values, sample_weight, m.mean, self.dtype)
        self.total.assign_add(m.sum(values))
        if w is not None:
            count = m.sum(w)
        else:
            count = m.cast(size(values), self.dtype)
        self.count.assign_add(count)

    def result(self) -> Tensor:
        return divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **fn_kwargs)`` over all samples seen.

    Example:
        >>> metric = lm.metrics.MeanMetricWrapper(lm.losses.huber, delta=2.0)
        >>> float(metric([[0.0]], [[3.0]]))
        4.0
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = "float32",
                 **fn_kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.fn_kwargs}


# ---- per-sample metric functions ----------------------------------------------------------
def _shape_error(name: str, y_true: Tensor, y_pred: Tensor, expected: str) -> ValueError:
    return ValueError(f"{name} expects {expected}, received y_true of shape "
                      f"{_fmt_shape(y_true.shape)} and y_pred of shape "
                      f"{_fmt_shape(y_pred.shape)}.")


def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where predictions equal labels exactly, averaged over the last axis."""
    y_true, y_pred = _losses._align(y_true, y_pred, "accuracy")
    return m.mean(m.cast(m.equal(y_true, y_pred), "float32"), axis=-1)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    """How often ``y_pred > threshold`` matches the 0/1 labels, over the last axis."""
    y_true, y_pred = _losses._align(y_true, y_pred, "binary_accuracy")
    hits = m.equal(y_true, m.cast(y_pred > threshold, y_pred.dtype))
    return m.mean(m.cast(hits, "float32"), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``."""
    y_true, y_pred = _as_tensor(y_true), _as_tensor(y_pred)
    if not _losses._same_shape(y_true.shape, y_pred.shape):
        raise _shape_error("categorical_accuracy", y_true, y_pred,
                           "one-hot labels of the predictions' shape")
    return m.cast(m.equal(m.argmax(y_true, axis=-1), m.argmax(y_pred, axis=-1)), "float32")


def _sparse_targets(name: str, y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Integer labels, one per row of ``y_pred`` (a trailing 1 allowed)."""
    expected = y_pred.shape[:-1]
    labels = squeeze(y_true, -1) if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1 \
        else y_true
    if not _losses._same_shape(labels.shape, expected):
        raise _shape_error(name, y_true, y_pred,
                           f"integer labels of shape {_fmt_shape(expected)} (or with a "
                           "trailing 1)")
    return labels


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the argmax of ``y_pred`` equals the integer label."""
    y_true, y_pred = _as_tensor(y_true), _as_tensor(y_pred)
    labels = _sparse_targets("sparse_categorical_accuracy", y_true, y_pred)
    predicted = m.argmax(y_pred, axis=-1)
    return m.cast(m.equal(m.cast(labels, predicted.dtype), predicted), "float32")


def _in_top_k(targets: Tensor, predictions: Tensor, k: int) -> Tensor:
    """Whether each target's score is among the ``k`` largest of its row (ties count in, as
    in TensorFlow): fewer than ``k`` scores are strictly larger. Out-of-range targets: False."""
    classes = predictions.shape[-1]
    targets = m.cast(targets, "int32")
    valid = m.logical_and(targets >= 0, targets < classes)
    safe = m.where(valid, targets, 0)
    score = take_along_axis(predictions, expand_dims(safe, -1), axis=-1)
    larger = m.sum(m.cast(predictions > score, "int32"), axis=-1)
    return m.logical_and(valid, larger < k)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1.0 where the one-hot label's class is among the ``k`` highest predictions."""
    y_true, y_pred = _as_tensor(y_true), _float(y_pred)
    if not _losses._same_shape(y_true.shape, y_pred.shape):
        raise _shape_error("top_k_categorical_accuracy", y_true, y_pred,
                           "one-hot labels of the predictions' shape")
    return m.cast(_in_top_k(m.argmax(y_true, axis=-1), y_pred, k), "float32")


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5,
                                      from_sorted_ids: bool = False) -> Tensor:
    """1.0 where the integer label is among the ``k`` highest predictions (or, with
    ``from_sorted_ids``, among the first ``k`` class ids of each row of ``y_pred``)."""
    y_true, y_pred = _as_tensor(y_true), _as_tensor(y_pred)
    labels = _sparse_targets("sparse_top_k_categorical_accuracy", y_true, y_pred)
    if from_sorted_ids:
        ids = m.cast(y_pred[..., :k], "int32")
        hits = m.any(m.equal(expand_dims(m.cast(labels, "int32"), -1), ids), axis=-1)
    else:
        hits = _in_top_k(labels, _float(y_pred), k)
    return m.cast(hits, "float32")


def _float(x: Any) -> Tensor:
    return _losses._float(x)


def _cosine(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


# ---- classes wrapping a function ------------------------------------------------------------
def _metric_class(cls_name: str, fn: Callable, default_name: str, doc: str,
                  order: tuple | None = None, check: Callable | None = None,
                  **defaults: Any) -> type:
    """A registered MeanMetricWrapper subclass taking ``order`` (by default ``name, dtype``
    and then ``defaults``) positionally or by keyword; ``check`` validates the arguments."""
    order = order or ("name", "dtype", *defaults)

    def __init__(self, *args: Any, **kwargs: Any):
        params = _losses._bind_arguments(cls_name, order, {
            "name": default_name, "dtype": "float32", **defaults}, args, kwargs)
        if check is not None:
            check(cls_name, params)
        MeanMetricWrapper.__init__(self, fn, **params)

    cls = type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc,
                                                "__module__": __name__})
    return serialization.register("metric")(cls)


def _check_threshold(cls_name: str, params: dict) -> None:
    threshold = params["threshold"]
    if not isinstance(threshold, numbers.Real) or not 0 < threshold < 1:
        raise ValueError(f"{cls_name}: threshold must be a number in (0, 1), received "
                         f"{threshold!r}.")


def _check_k(cls_name: str, params: dict) -> None:
    k = params["k"]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{cls_name}: k must be a positive integer, received {k!r}.")


def _example(call: str, value: str) -> str:
    return f"\n\n    Example:\n        >>> float(lm.metrics.{call})\n        {value}\n"


Accuracy = _metric_class(
    "Accuracy", accuracy, "accuracy", "How often predictions equal labels exactly."
    + _example("Accuracy()([[1], [2]], [[1], [3]])", "0.5"))
BinaryAccuracy = _metric_class(
    "BinaryAccuracy", binary_accuracy, "binary_accuracy",
    "How often ``y_pred > threshold`` matches 0/1 labels."
    + _example("BinaryAccuracy()([1, 0], [[0.9], [0.6]])", "0.5"),
    check=_check_threshold, threshold=0.5)
CategoricalAccuracy = _metric_class(
    "CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
    "How often the predicted class matches one-hot labels."
    + _example("CategoricalAccuracy()([[0, 1]], [[0.2, 0.8]])", "1.0"))
SparseCategoricalAccuracy = _metric_class(
    "SparseCategoricalAccuracy", sparse_categorical_accuracy, "sparse_categorical_accuracy",
    "How often the predicted class matches integer labels."
    + _example("SparseCategoricalAccuracy()([1], [[0.2, 0.8]])", "1.0"))
TopKCategoricalAccuracy = _metric_class(
    "TopKCategoricalAccuracy", top_k_categorical_accuracy, "top_k_categorical_accuracy",
    "How often the one-hot label is among the ``k`` highest predictions."
    + _example("TopKCategoricalAccuracy(k=1)([[0, 0, 1]], [[0.1, 0.9, 0.8]])", "0.0"),
    order=("k", "name", "dtype"), check=_check_k, k=5)
SparseTopKCategoricalAccuracy = _metric_class(
    "SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy",
    "How often the integer label is among the ``k`` highest predictions."
    + _example("SparseTopKCategoricalAccuracy(k=2)([2], [[0.1, 0.9, 0.8]])", "1.0"),
    order=("k", "name", "dtype", "from_sorted_ids"), check=_check_k, k=5,
    from_sorted_ids=False)
MeanSquaredError = _metric_class(
    "MeanSquaredError", _losses.mean_squared_error, "mean_squared_error",
    "Mean of squared errors." + _example("MeanSquaredError()([[0.0]], [[2.0]])", "4.0"))
MeanAbsoluteError = _metric_class(
    "MeanAbsoluteError", _losses.mean_absolute_error, "mean_absolute_error",
    "Mean of absolute errors." + _example("MeanAbsoluteError()([[0.0]], [[2.0]])", "2.0"))
MeanAbsolutePercentageError = _metric_class(
    "MeanAbsolutePercentageError", _losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 * mean(|y_true - y_pred| / |y_true|)."
    + _example("MeanAbsolutePercentageError()([[2.0]], [[1.0]])", "50.0"))
MeanSquaredLogarithmicError = _metric_class(
    "MeanSquaredLogarithmicError", _losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean squared difference of log(1 + y)."
    + _example("MeanSquaredLogarithmicError()([[0.0]], [[0.0]])", "0.0"))
CosineSimilarity = _metric_class(
    "CosineSimilarity", _cosine, "cosine_similarity",
    "Mean cosine of the angle between labels and predictions along ``axis``."
    + _example("CosineSimilarity()([[1.0, 0.0]], [[0.0, 2.0]])", "0.0"), axis=-1)
LogCoshError = _metric_class(
    "LogCoshError", _losses.log_cosh, "logcosh", "Mean of log(cosh(y_pred - y_true))."
    + _example("LogCoshError()([[0.0]], [[0.0]])", "0.0"))
BinaryCrossentropy = _metric_class(
    "BinaryCrossentropy", _losses.binary_crossentropy, "binary_crossentropy",
    "Mean binary cross-entropy of 0/1 labels against probabilities (or logits)."
    + _example("BinaryCrossentropy(from_logits=True)([[1.0]], [[0.0]])", "0.6931..."),
    from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _metric_class(
    "CategoricalCrossentropy", _losses.categorical_crossentropy, "categorical_crossentropy",
    "Mean cross-entropy of one-hot labels against class probabilities (or logits)."
    + _example("CategoricalCrossentropy()([[0, 1]], [[0.5, 0.5]])", "0.6931..."),
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _metric_class(
    "SparseCategoricalCrossentropy", _losses.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Mean cross-entropy of integer labels against class probabilities (or logits)."
    + _example("SparseCategoricalCrossentropy()([1], [[0.5, 0.5]])", "0.6931..."),
    from_logits=False, axis=-1)
Hinge = _metric_class(
    "Hinge", _losses.hinge, "hinge", "Mean hinge loss (0/1 labels read as -1/1)."
    + _example("Hinge()([[1.0]], [[0.25]])", "0.75"))
SquaredHinge = _metric_class(
    "SquaredHinge", _losses.squared_hinge, "squared_hinge", "Mean squared hinge loss."
    + _example("SquaredHinge()([[1.0]], [[0.5]])", "0.25"))
CategoricalHinge = _metric_class(
    "CategoricalHinge", _losses.categorical_hinge, "categorical_hinge",
    "Mean categorical hinge loss."
    + _example("CategoricalHinge()([[0.0, 1.0]], [[0.5, 0.5]])", "1.0"))
KLDivergence = _metric_class(
    "KLDivergence", _losses.kl_divergence, "kl_divergence",
    "Mean Kullback-Leibler divergence."
    + _example("KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]])", "0.0"))
Poisson = _metric_class(
    "Poisson", _losses.poisson, "poisson", "Mean Poisson loss y_pred - y_true log(y_pred)."
    + _example("Poisson()([[0.0]], [[2.0]])", "2.0"))


@serialization.register("metric")
class RootMeanSquaredError(Mean):
    """sqrt(mean((y_pred - y_true) ** 2)) over all values seen.

    Example:
        >>> float(lm.metrics.RootMeanSquaredError()([[0.0, 0.0]], [[3.0, 4.0]]))
        3.5355...
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = "float32"):
        super().__init__(name, dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = _losses._align(y_true, y_pred, self.name)
        super().update_state(m.square(y_pred - y_true), sample_weight)

    def result(self) -> Tensor:
        return m.sqrt(super().result())


# ---- confusion-matrix metrics -----------------------------------------------------------------
def _parse_thresholds(thresholds: Any, default: float) -> list[float]:
    """The thresholds as a list of floats in [0, 1] (``default`` when None)."""
    if thresholds is None:
        return [default]
    values = list(np.ravel(thresholds)) if isinstance(
        thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if not isinstance(t, numbers.Real) or not 0 <= t <= 1]
    if bad or not values:
        raise ValueError(f"Threshold values must be numbers in [0, 1], received thresholds="
                         f"{thresholds!r}.")
    return [float(t) for t in values]


def _evenly_spaced(thresholds: list[float]) -> bool:
    """Whether the thresholds are 0, 1/(n-1), ..., 1 (Keras then counts by buckets)."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n) / (n - 1), atol=EPSILON)


def _config_list(thresholds: Any) -> Any:
    return [float(t) for t in np.ravel(thresholds)] if isinstance(
        thresholds, (list, tuple, np.ndarray)) else thresholds


def _filter_top_k(x: Tensor, k: int) -> Tensor:
    """``x`` with all but the ``k`` largest entries of each row set to NEG_INF; ties go to the
    lower index, as TensorFlow's top_k orders them."""
    classes = x.shape[-1]
    rows, cols = expand_dims(x, -1), expand_dims(x, -2)  # [..., j, i]: x_j vs x_i
    earlier = _as_tensor(np.tri(classes, k=-1, dtype=bool))  # i < j
    ahead = m.logical_or(cols > rows, m.logical_and(m.equal(cols, rows), earlier))
    rank = m.sum(m.cast(ahead, "int32"), axis=-1)
    return m.where(rank < k, x, m.cast(NEG_INF, x.dtype))


def _predicted_positive(y_pred: Tensor, thresholds: list[float], evenly: bool) -> Tensor:
    """Bool tensor of shape ``(T,) + y_pred.shape``: ``y_pred > thresholds[t]``. For evenly
    spaced thresholds this uses Keras's buckets (``ceil(p * (T - 1)) - 1``, p clipped to
    [0, 1]), which give the same answer as the comparison up to rounding."""
    count = len(thresholds)
    axes = (count,) + (1,) * y_pred.ndim
    if evenly:
        bucket = m.ceil(m.clip(y_pred, 0.0, 1.0) * (count - 1)) - 1.0
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:  # end points widened by EPSILON
            bucket = m.relu(bucket)
        index = _as_tensor(np.arange(count, dtype=y_pred.dtype.np).reshape(axes))
        return expand_dims(bucket, 0) >= index
    levels = _as_tensor(np.asarray(thresholds, dtype=y_pred.dtype.np).reshape(axes))
    return expand_dims(y_pred, 0) > levels


def _prepare_confusion(name: str, y_true: Any, y_pred: Any, sample_weight: Any, dtype: Any,
                       top_k: int | None, class_id: int | None) -> tuple:
    """Labels and predictions in ``dtype`` with matched shapes, the weights (or None) as
    Keras aligns them, after top-k filtering and class selection."""
    y_pred = m.cast(_as_tensor(y_pred), dtype)
    y_true = m.cast(_as_tensor(y_true), dtype)
    pred, true = squeeze_or_expand(y_pred, y_true)
    if not _losses._same_shape(true.shape, pred.shape):
        raise _shape_error(name, y_true, y_pred, "labels and predictions of the same shape")
    w = None
    if sample_weight is not None:
        w = expand_dims(m.cast(_as_tensor(sample_weight), dtype), -1)
        _, w = squeeze_or_expand(true, w, expand_rank_1=False)
    if top_k is not None:
        pred = _filter_top_k(pred, top_k)
    if class_id is not None:
        if pred.ndim < 2 or (pred.shape[-1] is not None and class_id >= pred.shape[-1]):
            raise ValueError(f"{name}: class_id={class_id} needs predictions of shape "
                             f"(num_samples, num_classes) with more than {class_id} classes, "
                             f"received y_pred of shape {_fmt_shape(y_pred.shape)}.")
        true, pred = true[..., class_id, None], pred[..., class_id, None]
    if w is not None and (w.ndim > pred.ndim or not _losses._broadcastable(w.shape, pred.shape)):
        raise ValueError(f"{name}: sample_weight of shape "
                         f"{_fmt_shape(_as_tensor(sample_weight).shape)} cannot be broadcast "
                         f"to the predictions, of shape {_fmt_shape(pred.shape)}.")
    return true, pred, w


def _update_confusion(variables: dict, y_true: Any, y_pred: Any, thresholds: list[float],
                      evenly: bool, name: str, sample_weight: Any = None,
                      top_k: int | None = None, class_id: int | None = None,
                      multi_label: bool = False, label_weights: Any = None) -> None:
    """Adds the (weighted) counts of ``{"tp", "fp", "tn", "fn"}`` at each threshold to the
    given variables: positive labels are nonzero, positive predictions exceed the threshold.
    Without ``multi_label`` every value is one example; with it, counts are per label
    (last axis)."""
    dtype = next(iter(variables.values())).dtype
    y_true, y_pred, w = _prepare_confusion(name, y_true, y_pred, sample_weight, dtype, top_k,
                                           class_id)
    weights = ones_like(y_pred) if w is None else w + zeros_like(y_pred)
    if label_weights is not None:
        if y_pred.shape[-1] != len(label_weights):
            raise ValueError(f"{name}: {len(label_weights)} label_weights for predictions of "
                             f"shape {_fmt_shape(y_pred.shape)} (one weight per label, the "
                             "last axis).")
        weights = weights * _as_tensor(label_weights.astype(dtype.np))
    positive = m.cast(m.not_equal(y_true, 0), dtype) * weights
    negative = weights - positive
    if not multi_label:
        y_pred, positive, negative = (reshape(t, [-1]) for t in (y_pred, positive, negative))
    predicted = m.cast(_predicted_positive(y_pred, thresholds, evenly), dtype)
    tp = m.sum(predicted * positive, axis=1)
    fp = m.sum(predicted * negative, axis=1)
    counts = {"tp": tp, "fp": fp, "fn": m.sum(positive, axis=0) - tp,
              "tn": m.sum(negative, axis=0) - fp}
    for key, var in variables.items():
        var.assign_add(counts[key])


class _ConfusionCount(Metric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    _cell = ""

    def __init__(self, thresholds: Any = None, name: str | None = None,
                 dtype: Any = "float32"):
        super().__init__(name, dtype)
        self.init_thresholds = _config_list(thresholds)
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._evenly = _evenly_spaced(self.thresholds)
        self.accumulator = self.add_variable("accumulator", (len(self.thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        _update_confusion({self._cell: self.accumulator}, y_true, y_pred, self.thresholds,
                          self._evenly, self.name, sample_weight)

    def result(self) -> Tensor:
        return self.accumulator[0] if len(self.thresholds) == 1 else m.identity(self.accumulator)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


def _count_class(cls_name: str, cell: str, doc: str) -> type:
    cls = type(cls_name, (_ConfusionCount,), {"_cell": cell, "__doc__": doc,
                                              "__module__": __name__})
    return serialization.register("metric")(cls)


_COUNT_DOC = """The (weighted) number of {what} at each threshold (default 0.5; a list of
    thresholds gives one count each). A prediction is positive when above the threshold.

    Example:
        >>> float(lm.metrics.{cls}()([0, 1, 1, 0], [0.9, 0.8, 0.2, 0.1]))
        {value}
"""
TruePositives = _count_class("TruePositives", "tp", _COUNT_DOC.format(
    what="true positives", cls="TruePositives", value="1.0"))
FalsePositives = _count_class("FalsePositives", "fp", _COUNT_DOC.format(
    what="false positives", cls="FalsePositives", value="1.0"))
TrueNegatives = _count_class("TrueNegatives", "tn", _COUNT_DOC.format(
    what="true negatives", cls="TrueNegatives", value="1.0"))
FalseNegatives = _count_class("FalseNegatives", "fn", _COUNT_DOC.format(
    what="false negatives", cls="FalseNegatives", value="1.0"))


class _PrecisionRecall(Metric):
    """Shared by Precision and Recall: tp and one other cell, per threshold."""

    _other = ""

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = "float32"):
        super().__init__(name, dtype)
        for key, value in (("top_k", top_k), ("class_id", class_id)):
            if value is not None and (isinstance(value, bool) or not isinstance(
                    value, numbers.Integral) or value < (1 if key == "top_k" else 0)):
                raise ValueError(f"{type(self).__name__}: {key} must be a "
                                 f"{'positive' if key == 'top_k' else 'non-negative'} "
                                 f"integer or None, received {value!r}.")
        self.init_thresholds = _config_list(thresholds)
        self.top_k, self.class_id = top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_spaced(self.thresholds)
        self.true_positives = self.add_variable("true_positives", (len(self.thresholds),))
        self.other = self.add_variable(self._other_name, (len(self.thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        _update_confusion({"tp": self.true_positives, self._other: self.other}, y_true, y_pred,
                          self.thresholds, self._evenly, self.name, sample_weight,
                          top_k=self.top_k, class_id=self.class_id)

    def result(self) -> Tensor:
        value = divide_no_nan(self.true_positives, self.true_positives + self.other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


@serialization.register("metric")
class Precision(_PrecisionRecall):
    """tp / (tp + fp): the fraction of positive predictions that are right.

    Args:
        thresholds: a prediction is positive above this (default 0.5); a list gives a vector.
        top_k: only the ``k`` highest predictions of each row count as positive.
        class_id: measure this class (last axis) only.

    Example:
        >>> float(lm.metrics.Precision()([0, 1, 1, 1], [1, 0, 1, 1]))
        0.6666...
    """

    _other, _other_name = "fp", "false_positives"

    @property
    def false_positives(self) -> Variable:
        return self.other


@serialization.register("metric")
class Recall(_PrecisionRecall):
    """tp / (tp + fn): the fraction of positive labels found. Arguments as in Precision.

    Example:
        >>> float(lm.metrics.Recall()([0, 1, 1, 1], [1, 0, 1, 1]))
        0.6666...
    """

    _other, _other_name = "fn", "false_negatives"

    @property
    def false_negatives(self) -> Variable:
        return self.other



@serialization.register("metric")
class AUC(Metric):
    """Area under the ROC or precision-recall curve, from confusion counts at
    ``num_thresholds`` thresholds evenly spaced over [0, 1] (Keras's buckets and Riemann sums).

    Args:
        num_thresholds: number of thresholds (> 1), including the two end points.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"`` (trapezoids; for PR, Davis & Goadrich's
            interpolation), ``"minoring"`` or ``"majoring"``.
        thresholds: explicit thresholds in [0, 1] (``num_thresholds`` is then ignored).
        multi_label: one curve per label (last axis), averaged; else all values are pooled.
        num_labels: the number of labels when ``multi_label`` (else found on first update).
        label_weights: per-label weights (averaging weights when ``multi_label``).
        from_logits: apply a sigmoid to the predictions first.

    Example:
        >>> auc = lm.metrics.AUC(num_thresholds=3)
        >>> float(auc([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]))
        0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = "float32", thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False):
        super().__init__(name, dtype)
        self.curve = _choice("curve", curve, ("ROC", "PR"), str.upper)
        self.summation_method = _choice("summation_method", summation_method,
                                        ("interpolation", "majoring", "minoring"), str.lower)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5))
            self._evenly = _evenly_spaced([0.0] + inner + [1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(
                    num_thresholds, numbers.Integral) or num_thresholds <= 1:
                raise ValueError("AUC: num_thresholds must be an integer > 1, received "
                                 f"{num_thresholds!r}.")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self.num_thresholds = len(inner) + 2
        # End points just outside [0, 1], so that 0 and 1 are always counted.
        self._thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        if num_labels is not None and not multi_label:
            raise ValueError("AUC: num_labels is needed only when multi_label=True.")
        self.multi_label, self.num_labels, self.from_logits = multi_label, num_labels, from_logits
        self.label_weights = None if label_weights is None else np.asarray(
            label_weights, dtype=str(self.dtype)).reshape(-1)
        if self.label_weights is not None and (self.label_weights < 0).any():
            raise ValueError(f"AUC: label_weights must be non-negative, received "
                             f"{label_weights!r}.")
        self._built = False
        if not multi_label or num_labels:
            self._build(None if not multi_label else (None, num_labels))

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, end points included."""
        return list(self._thresholds)

    def _build(self, shape: tuple | None) -> None:
        if self.multi_label:
            if len(shape) != 2 or shape[1] is None:
                raise ValueError("AUC with multi_label=True expects predictions of shape "
                                 "(num_samples, num_labels), received y_pred of shape "
                                 f"{_fmt_shape(shape)}.")
            self.num_labels = shape[1]
            cells = (self.num_thresholds, shape[1])
        else:
            cells = (self.num_thresholds,)
        self.true_positives = self.add_variable("true_positives", cells)
        self.false_positives = self.add_variable("false_positives", cells)
        self.true_negatives = self.add_variable("true_negatives", cells)
        self.false_negatives = self.add_variable("false_negatives", cells)
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = _float(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self.multi_label and (y_pred.ndim != 2 or y_pred.shape[-1] != self.num_labels):
            raise ValueError(f"{self.name}: expected predictions of shape (num_samples, "
                             f"{self.num_labels}), received y_pred of shape "
                             f"{_fmt_shape(y_pred.shape)}.")
        if self.from_logits:
            y_pred = m.sigmoid(y_pred)
        cells = {"tp": self.true_positives, "tn": self.true_negatives,
                 "fp": self.false_positives, "fn": self.false_negatives}
        _update_confusion(cells, y_true, y_pred, self._thresholds, self._evenly, self.name,
                          sample_weight, multi_label=self.multi_label,
                          label_weights=None if self.multi_label else self.label_weights)

    def result(self) -> Tensor:
        if not self._built:
            return m.cast(0.0, self.dtype)
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average(_interpolated_pr_auc(tp, fp, fn))
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = m.minimum(y[:-1], y[1:])
        else:
            heights = m.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def _average(self, terms: Tensor) -> Tensor:
        """Sums the area terms; with multi_label, averages the per-label areas."""
        if not self.multi_label:
            return m.sum(terms)
        by_label = m.sum(terms, axis=0)
        if self.label_weights is None:
            return m.mean(by_label)
        weights = _as_tensor(self.label_weights)
        return divide_no_nan(m.sum(by_label * weights), m.sum(weights))

    def get_config(self) -> dict:
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(), "from_logits": self.from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config


def _choice(what: str, value: Any, allowed: tuple, normalize: Callable) -> str:
    chosen = normalize(value) if isinstance(value, str) else value
    if chosen not in allowed:
        raise ValueError(f"AUC: {what} must be one of {allowed}, received {value!r}.")
    return chosen


def _interpolated_pr_auc(tp: Tensor, fp: Tensor, fn: Tensor) -> Tensor:
    """Area under the PR curve between successive thresholds, with tp and the predicted
    positives p varying linearly in each interval: slope * (dtp + intercept * log(p_a / p_b))
    / positives (Davis & Goadrich 2006, in Keras's closed form)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = divide_no_nan(dtp, m.maximum(dp, 0.0))
    intercept = tp[1:] - slope * p[1:]
    both = m.logical_and(p[:-1] > 0, p[1:] > 0)
    ratio = m.where(both, divide_no_nan(p[:-1], m.maximum(p[1:], 0.0)), 1.0)
    return divide_no_nan(slope * (dtp + intercept * m.log(ratio)),
                         m.maximum(tp[1:] + fn[1:], 0.0))


# ---- scores accumulated per class ---------------------------------------------------------
def _two_d(name: str, y_true: Tensor, y_pred: Tensor) -> None:
    if y_true.ndim != 2 or y_pred.ndim != 2 or y_pred.shape[-1] is None:
        raise _shape_error(name, y_true, y_pred, "2-D inputs of shape (batch_size, "
                           "output_dim) with a known output_dim")
    if not _losses._same_shape(y_true.shape, y_pred.shape):
        raise _shape_error(name, y_true, y_pred, "y_true and y_pred of the same shape")


@serialization.register("metric")
class R2Score(Metric):
    """The coefficient of determination 1 - SS_res / SS_tot per output column, aggregated.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over columns),
            ``"variance_weighted_average"`` (weighted by each column's variance), or None
            (one score per column).
        num_regressors: the number of independent variables; when > 0 the adjusted R2 is
            given (as Keras, with n the number of values seen).

    Example:
        >>> float(lm.metrics.R2Score()([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]]))
        0.5714...
    """

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype: Any = "float32"):
        super().__init__(name, dtype)
        allowed = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in allowed:
            raise ValueError(f"R2Score: class_aggregation must be one of {allowed}, received "
                             f"{class_aggregation!r}.")
        if not isinstance(num_regressors, numbers.Integral) or num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be an integer >= 0, received "
                             f"{num_regressors!r}.")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable("num_samples")
        self._built = False

    def _build(self, columns: int) -> None:
        self.squared_sum = self.add_variable("squared_sum", (columns,))
        self.sum = self.add_variable("sum", (columns,))
        self.total_mse = self.add_variable("residual", (columns,))
        self.count = self.add_variable("count", (columns,))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = m.cast(_as_tensor(y_true), self.dtype)
        y_pred = m.cast(_as_tensor(y_pred), self.dtype)
        y_true, y_pred = squeeze_or_expand(y_true, y_pred)
        _two_d(self.name, y_true, y_pred)
        if not self._built:
            self._build(y_pred.shape[-1])
        w = m.cast(1.0 if sample_weight is None else _as_tensor(sample_weight), self.dtype)
        if w.ndim == 1:
            w = expand_dims(w, 1)
        if not _losses._broadcastable(w.shape, y_true.shape):
            raise ValueError(f"{self.name}: sample_weight of shape {_fmt_shape(w.shape)} "
                             f"does not match y_true of shape {_fmt_shape(y_true.shape)}.")
        w = w + zeros_like(y_true)
        self.sum.assign_add(m.sum(y_true * w, axis=0))
        self.squared_sum.assign_add(m.sum(y_true * y_true * w, axis=0))
        self.total_mse.assign_add(m.sum(m.square(y_true - y_pred) * w, axis=0))
        self.count.assign_add(m.sum(w, axis=0))
        self.num_samples.assign_add(m.cast(size(y_true), self.dtype))

    def result(self) -> Tensor:
        if not self._built:
            return m.cast(0.0, self.dtype)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1.0 - self.total_mse / total
        raw = m.where(m.logical_or(raw == np.inf, raw == -np.inf), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = m.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = m.sum(total * raw) / m.sum(total)
        else:
            score = raw
        if self.num_regressors == 0:
            return score
        # Keras falls back to the plain score when n - 1 <= num_regressors.
        n, p = self.num_samples, float(self.num_regressors)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / m.maximum(n - p - 1.0, 1.0)
        return m.where(n - 1.0 > p, adjusted, score)

    def get_config(self) -> dict:
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


@serialization.register("metric")
class FBetaScore(Metric):
    """The F-beta score (1 + b^2) P R / (b^2 P + R) of multi-label or one-hot predictions.

    Args:
        average: None (one score per class), ``"micro"`` (pooled counts), ``"macro"`` (mean
            of the class scores) or ``"weighted"`` (weighted by each class's positives).
        beta: weight of recall relative to precision (> 0).
        threshold: predictions above it are positive; None marks each row's largest
            (nonzero) prediction positive.

    Example:
        >>> f = lm.metrics.FBetaScore(average="micro", beta=2.0, threshold=0.5)
        >>> float(f([[1, 0], [1, 1]], [[0.9, 0.2], [0.8, 0.1]]))
        0.7142...
    """

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: Any = "float32"):
        super().__init__(name, dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{type(self).__name__}: average must be one of None, 'micro', "
                             f"'macro', 'weighted', received {average!r}.")
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or beta <= 0:
            raise ValueError(f"{type(self).__name__}: beta must be a number > 0, received "
                             f"{beta!r}.")
        if threshold is not None and (not isinstance(threshold, numbers.Real)
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError(f"{type(self).__name__}: threshold must be a number in (0, 1] "
                             f"or None, received {threshold!r}.")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self._axis = None if average == "micro" else 0
        self._built = False

    def _build(self, classes: int) -> None:
        shape = () if self.average == "micro" else (classes,)
        self.true_positives = self.add_variable("true_positives", shape)
        self.false_positives = self.add_variable("false_positives", shape)
        self.false_negatives = self.add_variable("false_negatives", shape)
        self.intermediate_weights = self.add_variable("intermediate_weights", shape)
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = m.cast(_as_tensor(y_true), self.dtype)
        y_pred = m.cast(_as_tensor(y_pred), self.dtype)
        _two_d(self.name, y_true, y_pred)
        if not self._built:
            self._build(y_pred.shape[-1])
        if self.threshold is None:
            top = y_pred >= m.max(y_pred, axis=-1, keepdims=True)
            predicted = m.logical_and(top, m.abs(y_pred) > 1e-9)  # an all-zero row: none
        else:
            predicted = y_pred > self.threshold
        predicted = m.cast(predicted, self.dtype)

        def weighted_sum(values: Tensor) -> Tensor:
            if sample_weight is not None:
                values, w = _losses.match_weights(values, sample_weight)
                values = values * w
            return m.sum(values, axis=self._axis)

        self.true_positives.assign_add(weighted_sum(predicted * y_true))
        self.false_positives.assign_add(weighted_sum(predicted * (1.0 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1.0 - predicted) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self) -> Tensor:
        if not self._built:
            return m.cast(0.0, self.dtype)
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        b2 = self.beta ** 2
        score = (1.0 + b2) * (precision * recall) / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            share = self.intermediate_weights / (m.sum(self.intermediate_weights) + EPSILON)
            return m.sum(score * share)
        return score if self.average is None else m.mean(score)

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


@serialization.register("metric")
class F1Score(FBetaScore):
    """The F1 score 2 P R / (P + R) (FBetaScore with beta=1).

    Example:
        >>> f1 = lm.metrics.F1Score(average="macro", threshold=0.5)
        >>> float(f1([[1, 0], [0, 1]], [[0.9, 0.2], [0.8, 0.6]]))
        0.8333...
    """

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: Any = "float32"):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config


# ---- lookup -----------------------------------------------------------------------------------
def accuracy_for(name: str, y_true_shape: tuple, y_pred_shape: tuple) -> Metric:
    """The metric ``"accuracy"`` (or ``"acc"``) stands for in ``compile``, chosen from the
    shapes as Keras 3 does: one output unit gives BinaryAccuracy; labels of lower rank, or
    with a trailing 1 against several units, SparseCategoricalAccuracy; else
    CategoricalAccuracy.

    Example:
        >>> lm.metrics.accuracy_for("acc", (32,), (32, 10))
        <lamina.metrics.SparseCategoricalAccuracy name='acc'>
    """
    if not y_pred_shape or not y_true_shape:
        return BinaryAccuracy(name=name)
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def _aliases() -> dict[str, type]:
    """Names ``get`` accepts: each class's snake_case name, plus Keras's short forms."""
    from .layers.base import snake_case
    classes = [globals().get(n) for n in __all__ if n not in ("Metric", "MeanMetricWrapper")]
    table = {snake_case(c.__name__): c for c in classes
             if isinstance(c, type) and issubclass(c, Metric)}
    table.update({"acc": Accuracy, "bce": BinaryCrossentropy, "mse": MeanSquaredError,
                  "mae": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
                  "msle": MeanSquaredLogarithmicError, "rmse": RootMeanSquaredError,
                  "kld": KLDivergence, "logcosh": LogCoshError, "log_cosh": LogCoshError,
                  "fbeta_score": FBetaScore})
    return table


_ALIASES = _aliases()


def get(identifier: Any) -> Metric:
    """A metric from a name (``"auc"``, ``"precision"``, ``"mse"``, a class name...), a config
    dict, a Metric, or a function ``(y_true, y_pred)`` (wrapped in a MeanMetricWrapper).

    As in Keras, ``get("accuracy")`` is :class:`Accuracy` (exact equality); ``compile``
    instead resolves ``"accuracy"`` from the shapes (see :func:`accuracy_for`).

    Example:
        >>> lm.metrics.get("auc")
        <lamina.metrics.AUC name='auc'>
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        return _losses._class_for_name("metric", identifier, _ALIASES, sorted(_ALIASES))()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric {identifier!r}: expected a name, a Metric, "
                     "or a function (y_true, y_pred).")


def serialize(metric: Metric) -> dict:
    """``{"class_name": ..., "config": ...}`` for a registered metric."""
    return serialization.serialize(metric)


def deserialize(config: dict, custom_objects: dict | None = None) -> Metric:
    """The inverse of :func:`serialize`."""
    return serialization.deserialize("metric", config, custom_objects)
