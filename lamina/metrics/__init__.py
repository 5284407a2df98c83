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

from typing import Any

from .. import losses as _losses
from .. import serialization
from .accuracy import *  # noqa: F401,F403
from .accuracy import __all__ as _accuracy_names
from .base import Mean, MeanMetricWrapper, Metric, Sum
from .confusion import *  # noqa: F401,F403
from .confusion import __all__ as _confusion_names
from .probabilistic import *  # noqa: F401,F403
from .probabilistic import __all__ as _probabilistic_names
from .regression import *  # noqa: F401,F403
from .regression import __all__ as _regression_names

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", *_accuracy_names,
           *_regression_names, *_probabilistic_names, *_confusion_names, "get", "serialize",
           "deserialize"]


def _aliases() -> dict[str, type]:
    """Names ``get`` accepts: each class's snake_case name, plus Keras's short forms."""
    from ..layers.base import snake_case
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
