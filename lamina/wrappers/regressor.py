"""``lm.wrappers.SKLearnRegressor``: a lamina regression model as a scikit-learn estimator."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _require  # noqa: F401  (a clear ImportError without scikit-learn)
from sklearn.base import RegressorMixin

from .base import SKLearnBase

__all__ = ["SKLearnRegressor"]


class SKLearnRegressor(RegressorMixin, SKLearnBase):
    """scikit-learn's regressor interface for a lamina model (Keras 3's
    ``keras.wrappers.SKLearnRegressor``, plus ``random_state``).

    The model trains on ``y`` as a 2-D float32 array (one column per output) and
    :meth:`predict` gives 1-D predictions when ``y`` was 1-D. Constructor arguments: see
    :class:`~lamina.wrappers.base.SKLearnBase`; an uncompiled model is compiled with
    ``loss="mse"``.

    Attributes:
        model_, history_, n_features_in_: see :class:`~lamina.wrappers.base.SKLearnBase`.

    Example:
        >>> def build(X, y):
        ...     model = lm.Sequential([lm.Input(shape=(X.shape[1],)),
        ...                            lm.layers.Dense(16, activation="relu"),
        ...                            lm.layers.Dense(y.shape[1])])
        ...     model.compile(optimizer="adam", loss="mse")
        ...     return model
        >>> reg = lm.wrappers.SKLearnRegressor(build, fit_kwargs={"epochs": 50})
        >>> reg.fit(X, y).score(X, y)
    """

    _default_loss = "mse"

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions, of shape (n_samples,) when ``y`` was 1-D, else
        (n_samples, n_outputs)."""
        out = self._predict_raw(X)
        return out.ravel() if self._target_ndim == 1 and out.shape[1] == 1 else out

    def _encode_targets(self, y: np.ndarray, reset: bool) -> np.ndarray:
        """``y`` as a 2-D float32 array (its number of dimensions is kept for predict)."""
        if reset:
            self._target_ndim = y.ndim
        return np.asarray(y, dtype=np.float32).reshape(len(y), -1)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
