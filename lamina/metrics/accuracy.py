"""Accuracy metrics: the per-sample functions (``accuracy``, ``binary_accuracy``,
``categorical_accuracy``, ``sparse_categorical_accuracy`` and the top-k ones), their
mean-metric classes, and :func:`accuracy_for`, which picks the one ``compile`` means by
``"accuracy"``.
"""
from __future__ import annotations

import numbers
from typing import Any

from .. import losses as _losses
from ..ops import math as m
from ..ops.shape import _as_tensor, expand_dims, squeeze, take_along_axis
from ..tensor import Tensor, _fmt_shape
from .base import Metric, example_doc, metric_class, shape_error

__all__ = ["Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "accuracy",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "accuracy_for"]


# ---- per-sample functions -------------------------------------------------------------------
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
        raise shape_error("categorical_accuracy", y_true, y_pred,
                          "one-hot labels of the predictions' shape")
    return m.cast(m.equal(m.argmax(y_true, axis=-1), m.argmax(y_pred, axis=-1)), "float32")


def _sparse_targets(name: str, y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Integer labels, one per row of ``y_pred`` (a trailing 1 allowed)."""
    expected = y_pred.shape[:-1]
    labels = squeeze(y_true, -1) if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1 \
        else y_true
    if not _losses._same_shape(labels.shape, expected):
        raise shape_error(name, y_true, y_pred,
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
    y_true, y_pred = _as_tensor(y_true), _losses._float(y_pred)
    if not _losses._same_shape(y_true.shape, y_pred.shape):
        raise shape_error("top_k_categorical_accuracy", y_true, y_pred,
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
        hits = _in_top_k(labels, _losses._float(y_pred), k)
    return m.cast(hits, "float32")


# ---- the metric classes ----------------------------------------------------------------------
def _check_threshold(cls_name: str, params: dict) -> None:
    threshold = params["threshold"]
    if not isinstance(threshold, numbers.Real) or not 0 < threshold < 1:
        raise ValueError(f"{cls_name}: threshold must be a number in (0, 1), received "
                         f"{threshold!r}.")


def _check_k(cls_name: str, params: dict) -> None:
    k = params["k"]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{cls_name}: k must be a positive integer, received {k!r}.")


Accuracy = metric_class(
    "Accuracy", accuracy, "accuracy", "How often predictions equal labels exactly."
    + example_doc("Accuracy()([[1], [2]], [[1], [3]])", "0.5"))
BinaryAccuracy = metric_class(
    "BinaryAccuracy", binary_accuracy, "binary_accuracy",
    "How often ``y_pred > threshold`` matches 0/1 labels."
    + example_doc("BinaryAccuracy()([1, 0], [[0.9], [0.6]])", "0.5"),
    check=_check_threshold, threshold=0.5)
CategoricalAccuracy = metric_class(
    "CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
    "How often the predicted class matches one-hot labels."
    + example_doc("CategoricalAccuracy()([[0, 1]], [[0.2, 0.8]])", "1.0"))
SparseCategoricalAccuracy = metric_class(
    "SparseCategoricalAccuracy", sparse_categorical_accuracy, "sparse_categorical_accuracy",
    "How often the predicted class matches integer labels."
    + example_doc("SparseCategoricalAccuracy()([1], [[0.2, 0.8]])", "1.0"))
TopKCategoricalAccuracy = metric_class(
    "TopKCategoricalAccuracy", top_k_categorical_accuracy, "top_k_categorical_accuracy",
    "How often the one-hot label is among the ``k`` highest predictions."
    + example_doc("TopKCategoricalAccuracy(k=1)([[0, 0, 1]], [[0.1, 0.9, 0.8]])", "0.0"),
    order=("k", "name", "dtype"), check=_check_k, k=5)
SparseTopKCategoricalAccuracy = metric_class(
    "SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy",
    "How often the integer label is among the ``k`` highest predictions."
    + example_doc("SparseTopKCategoricalAccuracy(k=2)([2], [[0.1, 0.9, 0.8]])", "1.0"),
    order=("k", "name", "dtype", "from_sorted_ids"), check=_check_k, k=5,
    from_sorted_ids=False)


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
