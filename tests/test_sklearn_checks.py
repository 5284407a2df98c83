"""scikit-learn's own estimator checks on lamina's four estimators, with no expected failures.

The instances are small (16 hidden units, at most 100 epochs) so that the whole run takes a
few seconds; the checks themselves are scikit-learn's, unchanged.
"""
import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from lamina.wrappers import (MLPClassifier, MLPRegressor, SKLearnClassifier,  # noqa: E402
                             SKLearnRegressor)
from tests.sklearn_builders import build_classifier, build_regressor  # noqa: E402


# Larger and slower-learning than the test_wrappers.py defaults (hidden=8, rate 0.02).
CHECKED_MODEL = {"hidden": 16, "learning_rate": 0.01}

ESTIMATORS = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01),
    SKLearnClassifier(build_classifier, model_kwargs=CHECKED_MODEL, fit_kwargs={"epochs": 50}),
    SKLearnRegressor(build_regressor, model_kwargs=CHECKED_MODEL, fit_kwargs={"epochs": 50}),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
