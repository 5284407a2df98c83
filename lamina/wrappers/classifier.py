"""``lm.wrappers.SKLearnClassifier``: a lamina classifier as a scikit-learn estimator."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _require  # noqa: F401  (a clear ImportError without scikit-learn)
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ..models import Model
from .base import SKLearnBase

__all__ = ["SKLearnClassifier"]


class SKLearnClassifier(ClassifierMixin, SKLearnBase):
    """scikit-learn's classifier interface for a lamina model (Keras 3's
    ``keras.wrappers.SKLearnClassifier``, plus ``random_state``).

    Labels (any sortable values: ints, strings...) become one-hot float32 rows in the order of
    ``classes_``; the model should output class probabilities (softmax). A model with a
    single sigmoid output also works for two classes: it trains on the 0/1 column of the
    second class. Binary and multiclass targets only. Constructor arguments: see
    :class:`~lamina.wrappers.base.SKLearnBase`; an uncompiled model is compiled with
    ``loss="categorical_crossentropy"``.

    Attributes:
        classes_: the labels, sorted.
        model_, history_, n_features_in_: see :class:`~lamina.wrappers.base.SKLearnBase`.

    Example:
        >>> def build(X, y, hidden=16):
        ...     model = lm.Sequential([lm.Input(shape=(X.shape[1],)),
        ...                            lm.layers.Dense(hidden, activation="relu"),
        ...                            lm.layers.Dense(y.shape[1], activation="softmax")])
        ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
        ...     return model
        >>> clf = lm.wrappers.SKLearnClassifier(build, fit_kwargs={"epochs": 20},
        ...                                     random_state=0)
        >>> clf.fit(X, y).predict(X[:3])
    """

    _default_loss = "categorical_crossentropy"

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each sample."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """The model's class probabilities, shape (n_samples, n_classes), columns in the
        order of ``classes_``."""
        out = self._predict_raw(X)
        if out.shape[1] == 1 and len(self.classes_) == 2:
            return np.hstack([1.0 - out, out])
        if out.shape[1] != len(self.classes_):
            raise ValueError(f"SKLearnClassifier: the model outputs {out.shape[1]} values per "
                             f"sample for {len(self.classes_)} classes; it needs one per "
                             "class (or a single one for two classes).")
        return out

    def _encode_targets(self, y: np.ndarray, reset: bool) -> np.ndarray:
        """One-hot float32 rows for the labels ``y`` (``classes_`` is set when ``reset``)."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"SKLearnClassifier supports binary and multiclass targets, "
                             f"received a {target_type!r} target.")
        classes = np.unique(y)
        if reset:
            if len(classes) < 2:
                raise ValueError(f"SKLearnClassifier can't train when only one class is "
                                 f"present: y holds only {classes[0]!r}.")
            self.classes_ = classes
        elif np.setdiff1d(classes, self.classes_).size:
            raise ValueError(f"y has classes not seen in the first fit: "
                             f"{np.setdiff1d(classes, self.classes_)}; classes_ is "
                             f"{self.classes_}.")
        index = np.searchsorted(self.classes_, y)
        return np.eye(len(self.classes_), dtype=np.float32)[index]

    def _fit_targets(self, model: Model, targets: np.ndarray) -> np.ndarray:
        if targets.shape[1] == 2 and _output_units(model) == 1:
            return targets[:, 1:]
        return targets


def _output_units(model: Model) -> int | None:
    """The size of the model's (single) output, when its graph declares it."""
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) != 1 or outputs[0].shape is None:
        return None
    return outputs[0].shape[-1]
