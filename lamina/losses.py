"""Loss functions and objects (Keras 3 names, defaults, formulas and reductions).

A loss object is called as ``loss(y_true, y_pred, sample_weight=None)``: it computes one value
per sample (``call``, reducing the last axis), multiplies by the sample weights and reduces
them as ``reduction`` says: ``"sum_over_batch_size"`` (or ``"mean"``: the weighted sum divided
by the number of values), ``"sum"``, ``"mean_with_sample_weight"`` (divided by the sum of the
weights) or ``"none"``/``None`` (no reduction). The plain functions
(``mean_squared_error(y_true, y_pred)``) return the per-sample values.

Shapes follow Keras: labels of shape ``(N,)`` against predictions ``(N, 1)`` (or the reverse)
get their trailing 1 added or removed; other mismatches raise an error naming both shapes.
Probabilities are clipped to ``[EPSILON, 1 - EPSILON]``; ``from_logits=True`` uses the exact
log-sigmoid/log-softmax forms, finite for any logits.

Example:
    >>> float(lm.losses.SparseCategoricalCrossentropy(from_logits=True)([2], [[0., 0., 9.]]))
    0.000246...
"""
from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from . import serialization
from ._state import STATE
from .ops import math as m
from .ops import nn
from .ops.shape import _as_tensor, expand_dims, squeeze
from .tensor import Tensor, _fmt_shape, wrap_array

__all__ = ["Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity",
           "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
           "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "Huber",
           "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "LogCosh",
           "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "cosine_similarity", "binary_crossentropy",
           "binary_focal_crossentropy", "categorical_crossentropy",
           "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "huber",
           "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge",
           "log_cosh", "get", "serialize", "deserialize"]

EPSILON = 1e-7  # Keras's backend.epsilon(): clipping and division guards
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ---- shape handling ---------------------------------------------------------------------------
def _float(x: Any) -> Tensor:
    t = _as_tensor(x)
    return t if t.dtype.is_floating else m.cast(t, "float32")


def squeeze_or_expand(x1: Tensor, x2: Tensor, expand_rank_1: bool = True) -> tuple:
    """Keras's rank matching: when the ranks differ by one and the longer ends in 1, that 1 is
    dropped, except that a rank-1 partner gets a trailing 1 instead (if ``expand_rank_1``)."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            return x1, expand_dims(x2, -1)
        return squeeze(x1, -1), x2
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            return expand_dims(x1, -1), x2
        return x1, squeeze(x2, -1)
    return x1, x2


def _same_shape(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _align(y_true: Any, y_pred: Any, name: str) -> tuple[Tensor, Tensor]:
    """y_pred as floats, y_true in its dtype, ranks matched as Keras does; the shapes must
    then agree."""
    y_pred = _float(y_pred)
    y_true = m.cast(_as_tensor(y_true), y_pred.dtype)
    aligned_true, aligned_pred = squeeze_or_expand(y_true, y_pred)
    if not _same_shape(aligned_true.shape, aligned_pred.shape):
        raise ValueError(f"{name}: y_true and y_pred must have the same shape, received y_true "
                         f"of shape {_fmt_shape(y_true.shape)} and y_pred of shape "
                         f"{_fmt_shape(y_pred.shape)}.")
    return aligned_true, aligned_pred


def _broadcastable(small: tuple, big: tuple) -> bool:
    return len(small) <= len(big) and all(
        a is None or b is None or a in (1, b) for a, b in zip(small[::-1], big[::-1]))


def match_weights(values: Tensor, sample_weight: Any) -> tuple[Tensor, Tensor]:
    """``(values, weights)`` with the weights in the values' dtype and rank: Keras's trailing-1
    squeeze/expand, then trailing axes added so per-sample weights cover every value."""
    w = m.cast(_as_tensor(sample_weight), values.dtype)
    values, w = squeeze_or_expand(values, w)
    w_shape = w.shape
    while w.ndim < values.ndim:
        w = expand_dims(w, -1)
    if w.ndim > values.ndim or not _broadcastable(w.shape, values.shape):
        raise ValueError(f"sample_weight of shape {_fmt_shape(w_shape)} does not match the "
                         f"values it weights, of shape {_fmt_shape(values.shape)}: expected "
                         "one weight per sample (or per value).")
    return values, w


def divide_no_nan(x: Any, y: Any) -> Tensor:
    """``x / y``, and 0 where ``y`` is 0."""
    if (isinstance(x, Tensor) and isinstance(y, Tensor) and STATE.graph is None
            and not STATE.tapes and STATE.device is None):
        a, b = x._value, y._value
        if (type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 0 and b.ndim == 0
                and a.dtype == b.dtype and a.dtype.kind == "f"):
            # Two eager NumPy numbers (a metric's total over its count, read every epoch):
            # the same division without five eager ops around it.
            return wrap_array(np.asarray(a / b if b != 0 else np.zeros((), a.dtype)))
    y = _as_tensor(y)
    nonzero = m.not_equal(y, 0)
    return m.where(nonzero, x / m.where(nonzero, y, m.cast(1, y.dtype)), m.cast(0, y.dtype))


def _size(t: Tensor) -> Any:
    from .ops.shape import size
    return size(t)


# ---- per-sample loss functions --------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((y_true - y_pred) ** 2, axis=-1)``."""
    y_true, y_pred = _align(y_true, y_pred, "mean_squared_error")
    return m.mean(m.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _align(y_true, y_pred, "mean_absolute_error")
    return m.mean(m.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, EPSILON), axis=-1)``."""
    y_true, y_pred = _align(y_true, y_pred, "mean_absolute_percentage_error")
    diff = m.abs((y_true - y_pred) / m.maximum(m.abs(y_true), EPSILON))
    return 100.0 * m.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean squared difference of ``log(1 + max(y, EPSILON))``."""
    y_true, y_pred = _align(y_true, y_pred, "mean_squared_logarithmic_error")
    first = m.log(m.maximum(y_pred, EPSILON) + 1.0)
    second = m.log(m.maximum(y_true, EPSILON) + 1.0)
    return m.mean(m.square(first - second), axis=-1)


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    # Keras: x * min(rsqrt(sum(x^2)), 1 / EPSILON), which equals this form (finite gradient).
    return x * m.rsqrt(m.maximum(m.sum(m.square(x), axis=axis, keepdims=True), EPSILON ** 2))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Minus the cosine of the angle between ``y_true`` and ``y_pred`` along ``axis`` (-1 for
    equal directions; 0 when either is a zero vector)."""
    y_true, y_pred = _align(y_true, y_pred, "cosine_similarity")
    return -m.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Mean of ``0.5 e^2`` where ``|e| <= delta`` and ``delta |e| - 0.5 delta^2`` above."""
    y_true, y_pred = _align(y_true, y_pred, "huber")
    err = m.abs(y_pred - y_true)
    quad = m.minimum(err, delta)
    return m.mean(0.5 * quad * quad + delta * (err - quad), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, without overflow for large errors."""
    y_true, y_pred = _align(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    return m.mean(x + m.softplus(-2.0 * x) - 0.6931471805599453, axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[EPSILON, 1]``."""
    y_true, y_pred = _align(y_true, y_pred, "kl_divergence")
    y_true = m.clip(y_true, EPSILON, 1.0)
    y_pred = m.clip(y_pred, EPSILON, 1.0)
    return m.sum(y_true * m.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + EPSILON), axis=-1)``."""
    y_true, y_pred = _align(y_true, y_pred, "poisson")
    return m.mean(y_pred - y_true * m.log(y_pred + EPSILON), axis=-1)


def _hinge_labels(y_true: Tensor) -> Tensor:
    """Labels as -1/1: when every label is 0 or 1 they become ``2 y - 1``, else stay as given."""
    binary = m.all(m.logical_or(m.equal(y_true, 0), m.equal(y_true, 1)))
    return m.where(binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are read as -1/1."""
    y_true, y_pred = _align(y_true, y_pred, "hinge")
    return m.mean(m.relu(1.0 - _hinge_labels(y_true) * y_pred), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)``; 0/1 labels are read as -1/1."""
    y_true, y_pred = _align(y_true, y_pred, "squared_hinge")
    return m.mean(m.square(m.relu(1.0 - _hinge_labels(y_true) * y_pred)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` for one-hot labels."""
    y_true, y_pred = _align(y_true, y_pred, "categorical_hinge")
    pos = m.sum(y_true * y_pred, axis=-1)
    neg = m.max((1.0 - y_true) * y_pred, axis=-1)
    return m.relu(neg - pos + 1.0)


def _smooth_binary(y_true: Tensor, label_smoothing: float) -> Tensor:
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _clipped_bce(y_true: Tensor, p: Tensor) -> Tensor:
    p = m.clip(p, EPSILON, 1.0 - EPSILON)
    return -(y_true * m.log(p) + (1.0 - y_true) * m.log(1.0 - p))


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Mean over ``axis`` of ``-(y log p + (1 - y) log(1 - p))``; labels smoothed toward 0.5."""
    y_true, y_pred = _align(y_true, y_pred, "binary_crossentropy")
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        values = nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        values = _clipped_bce(y_true, y_pred)
    return m.mean(values, axis=axis)


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Tensor:
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma`` (and by ``alpha`` for positives,
    ``1 - alpha`` for negatives when ``apply_class_balancing``)."""
    y_true, y_pred = _align(y_true, y_pred, "binary_focal_crossentropy")
    y_true = _smooth_binary(y_true, label_smoothing)
    p = m.sigmoid(y_pred) if from_logits else y_pred
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    focal = m.pow(1.0 - p_t, gamma) * _clipped_bce(y_true, p)
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return m.mean(focal, axis=axis)


def _smooth_categorical(y_true: Tensor, label_smoothing: float, axis: int) -> Tensor:
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]


def _probabilities(y_pred: Tensor, axis: int) -> Tensor:
    """Predictions rescaled to sum to 1 along ``axis`` and clipped away from 0 and 1."""
    p = y_pred / m.sum(y_pred, axis=axis, keepdims=True)
    return m.clip(p, EPSILON, 1.0 - EPSILON)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``-sum(y_true * log(p), axis)`` for one-hot (or soft) labels; labels smoothed toward
    uniform."""
    _check_axis(axis)
    y_true, y_pred = _align(y_true, y_pred, "categorical_crossentropy")
    y_true = _smooth_categorical(y_true, label_smoothing, axis)
    if from_logits:
        return nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    return -m.sum(y_true * m.log(_probabilities(y_pred, axis)), axis=axis)


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``sum(alpha * (1 - p) ** gamma * -y_true * log(p), axis)``."""
    _check_axis(axis)
    y_true, y_pred = _align(y_true, y_pred, "categorical_focal_crossentropy")
    y_true = _smooth_categorical(y_true, label_smoothing, axis)
    if from_logits:
        y_pred = nn.softmax(y_pred, axis=axis)
    p = _probabilities(y_pred, axis)
    return m.sum(alpha * m.pow(1.0 - p, gamma) * (-y_true * m.log(p)), axis=axis)


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be an integer, received axis={axis!r}.")


def _sparse_labels(y_true: Any, y_pred: Tensor, axis: int) -> Tensor:
    y_true = _as_tensor(y_true)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError("sparse_categorical_crossentropy supports only the last axis as the "
                         f"class axis (axis=-1), received axis={axis}.")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, -1)
    if y_true.ndim != y_pred.ndim - 1 or not _same_shape(y_true.shape, y_pred.shape[:-1]):
        raise ValueError(
            "sparse_categorical_crossentropy expects integer class labels of shape "
            f"{_fmt_shape(y_pred.shape[:-1])} (or with a trailing 1) for predictions of shape "
            f"{_fmt_shape(y_pred.shape)}, received labels of shape "
            f"{_fmt_shape(y_true.shape)}. For one-hot labels use categorical_crossentropy.")
    return m.cast(y_true, "int32") if y_true.dtype.is_floating else y_true


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    """``-log(p[label])`` for integer labels; samples whose label is ``ignore_class`` give 0
    (and the loss objects leave them out of the average)."""
    y_pred = _float(y_pred)
    labels = _sparse_labels(y_true, y_pred, axis)
    valid = None
    if ignore_class is not None:
        valid = m.not_equal(labels, ignore_class)
        labels = m.where(valid, labels, m.cast(0, labels.dtype))
    if from_logits:
        values = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    else:
        from .ops.shape import one_hot
        onehot = one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
        values = -m.sum(onehot * m.log(_probabilities(y_pred, -1)), axis=-1)
    return values if valid is None else m.where(valid, values, m.cast(0, values.dtype))


# ---- reduction --------------------------------------------------------------------------------
def _check_reduction(reduction: Any) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, received {reduction!r}.")


def _apply_mask(sample_weight: Any, mask: Tensor | None, values: Tensor,
                reduction: Any) -> Any:
    """Folds a validity mask into the weights; for the mean reductions valid entries weigh
    total/valid, so the mean runs over valid entries only (Keras)."""
    if mask is None:
        return sample_weight
    mask = m.cast(mask, values.dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        mask = mask * divide_no_nan(m.cast(_size(mask), values.dtype), m.sum(mask))
    if sample_weight is None:
        return mask
    mask, w = match_weights(mask, sample_weight)
    return mask * w


def reduce_weighted(values: Tensor, sample_weight: Any, reduction: str | None,
                    mask: Tensor | None = None) -> Tensor:
    """Applies per-sample weights (and an optional validity mask) and reduces.

    Example:
        >>> float(lm.losses.reduce_weighted(lm.tensor([1.0, 3.0]), [1.0, 0.0], "sum"))
        1.0
    """
    _check_reduction(reduction)
    values = _float(values)
    sample_weight = _apply_mask(sample_weight, mask, values, reduction)
    w = None
    if sample_weight is not None:
        values, w = match_weights(values, sample_weight)
        values = values * w
    if reduction in ("none", None) or values.ndim == 0:
        return values
    if reduction == "sum":
        return m.sum(values)
    if w is None:
        return m.mean(values)
    if reduction == "mean_with_sample_weight":
        # Keras divides by the sum of the weights as given (before broadcasting).
        return divide_no_nan(m.sum(values), m.sum(w))
    return m.sum(values) / m.cast(_size(values), values.dtype)


# ---- loss objects -----------------------------------------------------------------------------
class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample values; ``__call__`` weights and
    reduces them.

    Args:
        name: the loss's name (default: the class name in snake_case).
        reduction: ``"sum_over_batch_size"`` (default), ``"mean"``, ``"sum"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: compute in this float dtype (default: the predictions' float dtype).

    Example:
        >>> class Cubed(lm.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return lm.mean(lm.abs(y_pred - y_true) ** 3, axis=-1)
        >>> float(Cubed()([[0.0]], [[2.0]]))
        8.0
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: Any = None):
        _check_reduction(reduction)
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement call().")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_true, y_pred = _as_tensor(y_true), _float(y_pred)
        if self.dtype is not None:
            y_pred = m.cast(y_pred, self.dtype)
            if y_true.dtype.is_floating:  # integer class labels stay integers
                y_true = m.cast(y_true, self.dtype)
        values = self.call(y_true, y_pred)
        return reduce_weighted(values, sample_weight, self.reduction,
                               mask=self.mask(y_true, y_pred))

    def mask(self, y_true: Any, y_pred: Any) -> Tensor | None:
        """Which per-sample values count (None: all); the mean reductions average over these."""
        return None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<lamina.losses.{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A Loss from a per-sample function and its keyword arguments.

    Example:
        >>> loss = lm.losses.LossFunctionWrapper(lm.losses.huber, delta=2.0)
        >>> float(loss([[0.0]], [[3.0]]))
        4.0
    """

    def __init__(self, fn: Callable, name: str | None = None,
                 reduction: str | None = "sum_over_batch_size", dtype: Any = None,
                 **fn_kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.fn_kwargs}


def _wrapper(cls_name: str, fn: Callable, default_name: str, doc: str,
             methods: dict | None = None, order: tuple | None = None, **defaults: Any):
    """A registered LossFunctionWrapper subclass whose arguments are ``order`` (by default
    ``defaults``, then ``reduction``, ``name`` and ``dtype``, as in Keras), positionally or by
    keyword; ``methods`` are added to the class."""
    order = order or (*defaults, "reduction", "name", "dtype")

    def __init__(self, *args: Any, **kwargs: Any):
        params = _bind_arguments(cls_name, order, {
            **defaults, "reduction": "sum_over_batch_size", "name": default_name,
            "dtype": None}, args, kwargs)
        _check_params(cls_name, params)
        fixed = {key: params.pop(key) for key in ("reduction", "name", "dtype")}
        LossFunctionWrapper.__init__(self, fn, **fixed, **params)

    cls = type(cls_name, (LossFunctionWrapper,), {
        "__init__": __init__, "__doc__": doc, "__module__": __name__, **(methods or {})})
    return serialization.register("loss")(cls)


def _bind_arguments(cls_name: str, order: tuple, defaults: dict, args: tuple,
                    kwargs: dict) -> dict:
    """The arguments of a generated class: ``args`` by position in ``order``, then ``kwargs``,
    over ``defaults``; surplus or unknown arguments raise a TypeError listing the accepted."""
    if len(args) > len(order):
        raise TypeError(f"{cls_name} takes at most {len(order)} positional arguments "
                        f"({', '.join(order)}), received {len(args)}.")
    unknown = sorted(set(kwargs) - set(order))
    if unknown:
        raise TypeError(f"{cls_name} got unexpected keyword argument(s) {unknown}; it accepts "
                        f"{', '.join(order)}.")
    return {**defaults, **dict(zip(order, args)), **kwargs}


def _check_params(cls_name: str, params: dict) -> None:
    """Rejects out-of-range arguments with a message naming the argument and the value."""
    smoothing = params.get("label_smoothing", 0.0)
    if not isinstance(smoothing, numbers.Real) or not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"{cls_name}: label_smoothing must be a number in [0, 1], received "
                         f"{smoothing!r}.")
    for key in ("delta", "gamma"):
        if key in params and not (isinstance(params[key], numbers.Real) and params[key] >= 0):
            raise ValueError(f"{cls_name}: {key} must be a number >= 0, received "
                             f"{params[key]!r}.")
    if "axis" in params:
        _check_axis(params["axis"])


_EXAMPLE = """

    Example:
        >>> float(lm.losses.{cls}()({y_true}, {y_pred}))
        {value}
"""


def _doc(summary: str, cls: str, y_true: str, y_pred: str, value: str) -> str:
    return summary + _EXAMPLE.format(cls=cls, y_true=y_true, y_pred=y_pred, value=value)


MeanSquaredError = _wrapper(
    "MeanSquaredError", mean_squared_error, "mean_squared_error",
    _doc("Mean of squared errors over the last axis.", "MeanSquaredError", "[[0.0, 1.0]]",
         "[[1.0, 1.0]]", "0.5"))
MeanAbsoluteError = _wrapper(
    "MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
    _doc("Mean of absolute errors over the last axis.", "MeanAbsoluteError", "[[0.0, 1.0]]",
         "[[1.0, 1.0]]", "0.5"))
MeanAbsolutePercentageError = _wrapper(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    _doc("100 * mean(|y_true - y_pred| / |y_true|).", "MeanAbsolutePercentageError",
         "[[2.0]]", "[[1.0]]", "50.0"))
MeanSquaredLogarithmicError = _wrapper(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    _doc("Mean of squared differences of log(1 + y).", "MeanSquaredLogarithmicError",
         "[[0.0]]", "[[0.0]]", "0.0"))
CosineSimilarity = _wrapper(
    "CosineSimilarity", cosine_similarity, "cosine_similarity",
    _doc("Minus the cosine similarity along ``axis`` (so -1 is best).", "CosineSimilarity",
         "[[1.0, 1.0]]", "[[2.0, 2.0]]", "-0.99999..."), axis=-1)
Huber = _wrapper(
    "Huber", huber, "huber_loss",
    _doc("Quadratic for errors up to ``delta``, linear above.", "Huber", "[[0.0]]", "[[3.0]]",
         "2.5"), delta=1.0)
LogCosh = _wrapper(
    "LogCosh", log_cosh, "log_cosh",
    _doc("mean(log(cosh(y_pred - y_true))).", "LogCosh", "[[0.0]]", "[[0.0]]", "0.0"))
KLDivergence = _wrapper(
    "KLDivergence", kl_divergence, "kl_divergence",
    _doc("Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)).", "KLDivergence",
         "[[0.5, 0.5]]", "[[0.5, 0.5]]", "0.0"))
Poisson = _wrapper(
    "Poisson", poisson, "poisson",
    _doc("mean(y_pred - y_true * log(y_pred)).", "Poisson", "[[0.0]]", "[[2.0]]", "2.0"))
Hinge = _wrapper(
    "Hinge", hinge, "hinge",
    _doc("mean(max(1 - y_true * y_pred, 0)) for -1/1 (or 0/1) labels.", "Hinge", "[[1.0]]",
         "[[0.25]]", "0.75"))
SquaredHinge = _wrapper(
    "SquaredHinge", squared_hinge, "squared_hinge",
    _doc("mean(max(1 - y_true * y_pred, 0) ** 2) for -1/1 (or 0/1) labels.", "SquaredHinge",
         "[[1.0]]", "[[0.5]]", "0.25"))
CategoricalHinge = _wrapper(
    "CategoricalHinge", categorical_hinge, "categorical_hinge",
    _doc("max(max_wrong - true + 1, 0) for one-hot labels.", "CategoricalHinge",
         "[[0.0, 1.0]]", "[[0.5, 0.5]]", "1.0"))
BinaryCrossentropy = _wrapper(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    _doc("Cross-entropy of 0/1 labels against probabilities (or logits, from_logits=True).",
         "BinaryCrossentropy", "[[1.0]]", "[[1.0]]", "1.19...e-07"),
    from_logits=False, label_smoothing=0.0, axis=-1)
BinaryFocalCrossentropy = _wrapper(
    "BinaryFocalCrossentropy", binary_focal_crossentropy, "binary_focal_crossentropy",
    _doc("Binary cross-entropy down-weighting easy examples by (1 - p_t) ** gamma.",
         "BinaryFocalCrossentropy", "[[1.0]]", "[[0.5]]", "0.1732..."),
    apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _wrapper(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    _doc("Cross-entropy of one-hot labels against class probabilities (or logits).",
         "CategoricalCrossentropy", "[[0.0, 1.0]]", "[[0.5, 0.5]]", "0.6931..."),
    from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalFocalCrossentropy = _wrapper(
    "CategoricalFocalCrossentropy", categorical_focal_crossentropy,
    "categorical_focal_crossentropy",
    _doc("Categorical cross-entropy down-weighting easy examples by alpha (1 - p) ** gamma.",
         "CategoricalFocalCrossentropy", "[[0.0, 1.0]]", "[[0.5, 0.5]]", "0.0433..."),
    alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1)


def _ignored_class_mask(self: LossFunctionWrapper, y_true: Any, y_pred: Any) -> Tensor | None:
    """Labels equal to ``ignore_class`` do not count."""
    ignore = self.fn_kwargs["ignore_class"]
    if ignore is None:
        return None
    labels = _sparse_labels(y_true, _float(y_pred), self.fn_kwargs["axis"])
    return m.not_equal(labels, ignore)


SparseCategoricalCrossentropy = _wrapper(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    _doc("Cross-entropy of integer class labels against class probabilities (or logits);\n"
         "    labels equal to ``ignore_class`` are left out of the loss and of the average.",
         "SparseCategoricalCrossentropy", "[1]", "[[0.5, 0.5]]", "0.6931..."),
    methods={"mask": _ignored_class_mask},
    order=("from_logits", "ignore_class", "reduction", "axis", "name", "dtype"),
    from_logits=False, ignore_class=None, axis=-1)


_ALIASES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "cosine_similarity": CosineSimilarity,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "huber": Huber, "huber_loss": Huber, "kld": KLDivergence, "kl_divergence": KLDivergence,
    "kullback_leibler_divergence": KLDivergence, "poisson": Poisson, "hinge": Hinge,
    "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
    "log_cosh": LogCosh, "logcosh": LogCosh,
}


def get(identifier: Any) -> Any:
    """A loss from a name (``"mse"``, ``"sparse_categorical_crossentropy"``, a class name), a
    config dict, a Loss, or a function ``(y_true, y_pred)`` (returned as is).

    Example:
        >>> lm.losses.get("mse")
        <lamina.losses.MeanSquaredError name='mean_squared_error'>
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        return _class_for_name("loss", identifier, _ALIASES, _known_names())()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss {identifier!r}: expected a name such as 'mse' "
                     "or 'sparse_categorical_crossentropy', a Loss, or a function.")


def _class_for_name(kind: str, name: str, aliases: dict, known: list[str]) -> type:
    """The class a name stands for: an alias (any case) or a registered class name."""
    cls = aliases.get(name) or aliases.get(name.lower())
    if cls is not None:
        return cls
    try:
        return serialization.lookup(kind, name)
    except ValueError:
        raise ValueError(f"Unknown {kind} {name!r}. Known names: {', '.join(known)}.") from None


def _known_names() -> list[str]:
    classes = [n for n, v in globals().items() if isinstance(v, type) and
               issubclass(v, Loss) and n in __all__ and v not in (Loss, LossFunctionWrapper)]
    return sorted(_ALIASES) + sorted(classes)


def serialize(loss: Any) -> Any:
    """A config dict for a Loss, or the name of a built-in loss function."""
    if isinstance(loss, str):   # a name given to compile() ("mse") saves as that name
        return loss
    if isinstance(loss, Loss):
        return serialization.serialize(loss)
    for name, fn in globals().items():
        if fn is loss and name in __all__:
            return name
    raise ValueError(f"Cannot serialize loss {loss!r}: use a built-in loss, or a Loss subclass "
                     "registered with lamina.serialization.register('loss').")


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """The inverse of :func:`serialize`."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        fn = globals().get(config)
        return fn if config in __all__ and callable(fn) else get(config)
    return serialization.deserialize("loss", config, custom_objects)


def _snake(name: str) -> str:
    from .layers.base import snake_case
    return snake_case(name)
