"""Confusion-matrix metrics: the counts ``TruePositives``... at thresholds, ``Precision``,
``Recall`` and ``AUC`` (ROC or PR, with Keras's threshold buckets), and the per-class F
scores ``FBetaScore`` and ``F1Score``.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from .. import losses as _losses
from .. import serialization
from ..losses import divide_no_nan, squeeze_or_expand
from ..ops import math as m
from ..ops.creation import ones_like, zeros_like
from ..ops.shape import _as_tensor, expand_dims, reshape
from ..tensor import Tensor, Variable, _fmt_shape
from .base import EPSILON, Metric, check_two_d, shape_error

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
           "Recall", "AUC", "FBetaScore", "F1Score"]

NEG_INF = -1e10  # what top_k filtering gives the predictions it drops (Keras)


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
        raise shape_error(name, y_true, y_pred, "labels and predictions of the same shape")
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
                                              "__module__": "lamina.metrics"})
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
        y_pred = _losses._float(y_pred)
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



# ---- F scores, accumulated per class ---------------------------------------------------------
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
        check_two_d(self.name, y_true, y_pred)
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

