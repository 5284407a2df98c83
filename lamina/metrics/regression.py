"""Regression metrics: means of the regression losses (``MeanSquaredError``,
``MeanAbsoluteError``, ...), ``CosineSimilarity``, ``RootMeanSquaredError`` and ``R2Score``
(which accumulates per-column sums).
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import losses as _losses
from .. import serialization
from ..losses import squeeze_or_expand
from ..ops import math as m
from ..ops.creation import zeros_like
from ..ops.shape import _as_tensor, expand_dims, size
from ..tensor import Tensor, _fmt_shape
from .base import Mean, Metric, check_two_d, example_doc, metric_class

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CosineSimilarity",
           "LogCoshError", "R2Score"]


def _cosine(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


MeanSquaredError = metric_class(
    "MeanSquaredError", _losses.mean_squared_error, "mean_squared_error",
    "Mean of squared errors." + example_doc("MeanSquaredError()([[0.0]], [[2.0]])", "4.0"))
MeanAbsoluteError = metric_class(
    "MeanAbsoluteError", _losses.mean_absolute_error, "mean_absolute_error",
    "Mean of absolute errors." + example_doc("MeanAbsoluteError()([[0.0]], [[2.0]])", "2.0"))
MeanAbsolutePercentageError = metric_class(
    "MeanAbsolutePercentageError", _losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 * mean(|y_true - y_pred| / |y_true|)."
    + example_doc("MeanAbsolutePercentageError()([[2.0]], [[1.0]])", "50.0"))
MeanSquaredLogarithmicError = metric_class(
    "MeanSquaredLogarithmicError", _losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean squared difference of log(1 + y)."
    + example_doc("MeanSquaredLogarithmicError()([[0.0]], [[0.0]])", "0.0"))
CosineSimilarity = metric_class(
    "CosineSimilarity", _cosine, "cosine_similarity",
    "Mean cosine of the angle between labels and predictions along ``axis``."
    + example_doc("CosineSimilarity()([[1.0, 0.0]], [[0.0, 2.0]])", "0.0"), axis=-1)
LogCoshError = metric_class(
    "LogCoshError", _losses.log_cosh, "logcosh", "Mean of log(cosh(y_pred - y_true))."
    + example_doc("LogCoshError()([[0.0]], [[0.0]])", "0.0"))


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
        check_two_d(self.name, y_true, y_pred)
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
