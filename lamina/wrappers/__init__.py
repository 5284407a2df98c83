"""scikit-learn estimators backed by lamina (``lm.wrappers``; needs ``lamina[sklearn]``).

* :class:`SKLearnClassifier`, :class:`SKLearnRegressor`: any lamina model, or a function
  that builds one, as a scikit-learn estimator (Keras 3's ``keras.wrappers`` design);
* :class:`MLPClassifier`, :class:`MLPRegressor`: scikit-learn's multi-layer perceptrons,
  same parameters and training rules, trained by lamina.

All four pass scikit-learn's estimator checks and work in ``Pipeline`` and ``GridSearchCV``.
The estimators are imported on first use, so ``import lamina`` never imports scikit-learn;
without it, using one raises an ImportError that says to install ``lamina[sklearn]``.

Example:
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = lm.wrappers.MLPClassifier(hidden_layer_sizes=(64,), random_state=0)
    >>> clf.fit(X / 16.0, y).score(X / 16.0, y) > 0.95
    True
"""
from __future__ import annotations

import importlib
from typing import Any

# Registers the MLP's layer and loss, so saved or pickled networks load without sklearn.
from . import _network  # noqa: F401

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "MLPClassifier", "MLPRegressor"]

_MODULES = {"SKLearnClassifier": "classifier", "SKLearnRegressor": "regressor",
            "MLPClassifier": "mlp", "MLPRegressor": "mlp"}


def __getattr__(name: str) -> Any:
    """Imports an estimator's module (and so scikit-learn) the first time it is asked for."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'lamina.wrappers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
