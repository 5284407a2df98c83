"""The shared base of :class:`~lamina.wrappers.SKLearnClassifier` and
:class:`~lamina.wrappers.SKLearnRegressor`: scikit-learn estimators around a lamina model.

The design is Keras 3's ``keras.wrappers``: ``model`` is either a callable
``model(X=X, y=y, **model_kwargs)`` returning a model, or a ``lm.Model`` that is cloned
(same architecture, fresh weights and optimizer) before each fit, so the object given is never
changed. ``fit_kwargs`` (and keyword arguments of ``fit``) go to ``model.fit``. Beyond Keras,
``random_state`` makes building and training reproducible without changing lamina's global
random state.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _require  # noqa: F401  (a clear ImportError without scikit-learn)
from sklearn.base import BaseEstimator, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import serialization
from ..models import Model
from ._network import LazyTwin, predict, seeded_global_stream


class SKLearnBase(BaseEstimator):
    """Base class of the scikit-learn wrappers (not for direct use).

    Args:
        model: a ``lm.Model`` (compiled or not), cloned before each fit; or a callable
            ``model(X=X, y=y, **model_kwargs)`` returning one. ``X`` is the float32 input and
            ``y`` the 2-D float32 target the model trains on (one-hot labels for classifiers),
            so ``X.shape[1]`` and ``y.shape[1]`` give the input and output sizes. A model
            that is not compiled is compiled with ``optimizer="adam"`` and the loss the
            subclass names.
        warm_start: if True, a later ``fit`` goes on training the fitted model.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``model.fit`` (``epochs``, ``batch_size``...);
            those given to :meth:`fit` take precedence. ``verbose`` defaults to 0.
        random_state: an int (or ``numpy.random.RandomState``) seeds lamina's random stream
            while the model is built and trained, then the stream is restored; None uses
            lamina's global stream as it is.

    Attributes:
        model_: the fitted lamina model.
        history_: the History dict of the last fit (``{"loss": [...], ...}``).
        n_features_in_: the number of input features.
    """

    _default_loss = "mse"

    def __init__(self, model: Any, warm_start: bool = False, model_kwargs: dict | None = None,
                 fit_kwargs: dict | None = None, random_state: Any = None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        self.random_state = random_state

    def fit(self, X: Any, y: Any, **kwargs: Any) -> "SKLearnBase":
        """Builds (or, with ``warm_start``, reuses) the model and trains it on ``X, y``.

        Args:
            X: array-like of shape (n_samples, n_features).
            y: array-like of shape (n_samples,) or (n_samples, n_outputs).
            **kwargs: passed to ``model.fit`` (``sample_weight``, ``epochs``...), over
                ``fit_kwargs``.

        Returns:
            self.
        """
        reuse = bool(self.warm_start) and hasattr(self, "model_")
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32),
                             y_numeric=not is_classifier(self), reset=not reuse)
        X = np.asarray(X, dtype=np.float32)
        targets = self._encode_targets(y, reset=not reuse)
        fit_kwargs = {"verbose": 0, **_check_dict(self.fit_kwargs, "fit_kwargs"), **kwargs}
        with seeded_global_stream(_draw_seed(self.random_state)):
            model = self.model_ if reuse else self._make_model(X, targets)
            targets = self._fit_targets(model, targets)
            history = model.fit(X, targets, **fit_kwargs)
        self.model_ = model
        self._model64 = LazyTwin(model, self._model64 if reuse else None)
        self.history_ = {key: list(values) for key, values in history.history.items()}
        return self

    def _make_model(self, X: np.ndarray, y: np.ndarray) -> Model:
        """The model to fit: a clone of ``self.model``, or what the callable returns."""
        if isinstance(self.model, Model):
            model = clone_model(self.model)
        elif callable(self.model):
            model = self.model(X=X, y=y, **_check_dict(self.model_kwargs, "model_kwargs"))
            if not isinstance(model, Model):
                raise TypeError(f"{type(self).__name__}: the model function must return a "
                                f"lamina Model, received {type(model).__name__}.")
        else:
            raise TypeError(f"{type(self).__name__}: model must be a lamina Model or a callable "
                            f"that returns one, received {type(self.model).__name__}.")
        if not model.compiled:
            model.compile(optimizer="adam", loss=self._default_loss)
        return model

    def _fit_targets(self, model: Model, targets: np.ndarray) -> np.ndarray:
        """The targets in the form ``model`` trains on (subclasses may adapt them)."""
        return targets

    def _predict_raw(self, X: Any) -> np.ndarray:
        """The model's outputs for checked ``X``, 2-D, in X's float dtype (float64 outputs
        come from a float64 copy of the model, see ``_network.predict``)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return predict(self.model_, self._model64, X, X.dtype)


def clone_model(model: Model) -> Model:
    """A new model with ``model``'s architecture and fresh weights, compiled the same way
    (with a new optimizer) when ``model`` is compiled.

    Example:
        >>> twin = clone_model(model)   # same config, newly initialized weights
    """
    try:
        clone = serialization.deserialize("layer", serialization.serialize(model))
        if model.compiled:
            clone.compile_from_config(model.get_compile_config())
    except (TypeError, ValueError, KeyError, NotImplementedError) as exc:
        raise ValueError(f"Could not clone model {model.name!r} from its config ({exc}). Pass "
                         "a function that builds and compiles the model instead.") from exc
    return clone


def _check_dict(value: Any, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict or None, received {type(value).__name__}.")
    return value


def _draw_seed(random_state: Any) -> int | None:
    """A seed for lamina's random stream from ``random_state``; None stays None."""
    if random_state is None:
        return None
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
