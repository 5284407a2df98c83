"""scikit-learn's own estimator checks on lamina's four estimators, with no expected failures.

The instances are small (16 hidden units, at most 100 epochs) so that the whole run takes a
few seconds; the checks themselves are scikit-learn's, unchanged.
"""
import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import lamina as lm  # noqa: E402
from lamina.wrappers import (MLPClassifier, MLPRegressor, SKLearnClassifier,  # noqa: E402
                             SKLearnRegressor)


def build_classifier(X, y, hidden=16):
    """A softmax classifier for the one-hot targets SKLearnClassifier passes."""
    model = lm.Sequential([lm.Input(shape=(X.shape[1],)),
                           lm.layers.Dense(hidden, activation="relu"),
                           lm.layers.Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer=lm.optimizers.Adam(0.01), loss="categorical_crossentropy")
    return model


def build_regressor(X, y, hidden=16):
    model = lm.Sequential([lm.Input(shape=(X.shape[1],)),
                           lm.layers.Dense(hidden, activation="relu"),
                           lm.layers.Dense(y.shape[1])])
    model.compile(optimizer=lm.optimizers.Adam(0.01), loss="mse")
    return model


ESTIMATORS = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01),
    SKLearnClassifier(build_classifier, fit_kwargs={"epochs": 50}),
    SKLearnRegressor(build_regressor, fit_kwargs={"epochs": 50}),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
