"""lm.wrappers: the MLP estimators against scikit-learn's own, the Keras-style wrappers, their
building blocks (PenalizedDense, MLPLoss), and the optional-dependency behaviour.

scikit-learn's full estimator checks live in test_sklearn_checks.py.
"""
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import neural_network as sk_nn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_multilabel_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import lamina as lm  # noqa: E402
from lamina.wrappers import (MLPClassifier, MLPRegressor, SKLearnClassifier,  # noqa: E402
                             SKLearnRegressor)
from lamina.wrappers._network import MLPLoss, PenalizedDense  # noqa: E402
from tests.layers.harness import check_layer  # noqa: E402
from tests.sklearn_builders import build_classifier, build_regressor  # noqa: E402

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
RNG = np.random.RandomState(0)
X_REG = RNG.rand(150, 4)
Y_REG = X_REG @ [1.0, 2.0, -1.0, 0.5] + 0.1
X_ML, Y_ML = make_multilabel_classification(n_samples=150, n_classes=3, random_state=0)


def quiet_fit(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


# ---- the MLPs follow scikit-learn's training step for step --------------------------------
SAME_AS_SKLEARN = [
    ("multiclass", "MLPClassifier", X_IRIS, Y_IRIS, {}),
    ("binary", "MLPClassifier", X_IRIS, Y_IRIS > 0, {"activation": "tanh"}),
    ("multilabel", "MLPClassifier", X_ML, Y_ML, {"activation": "logistic"}),
    ("sgd_nesterov", "MLPClassifier", X_IRIS, Y_IRIS,
     {"solver": "sgd", "learning_rate_init": 0.05, "alpha": 0.1}),
    ("sgd_invscaling", "MLPClassifier", X_IRIS, Y_IRIS,
     {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.5,
      "momentum": 0.0}),
    ("short_last_batch", "MLPClassifier", X_IRIS, Y_IRIS, {"batch_size": 32}),
    ("regression", "MLPRegressor", X_REG, Y_REG, {"alpha": 1.0}),
    ("two_outputs", "MLPRegressor", X_REG, np.c_[Y_REG, -Y_REG], {"activation": "identity"}),
    ("poisson", "MLPRegressor", X_REG, np.abs(Y_REG), {"loss": "poisson"}),
]


@pytest.mark.parametrize("case", SAME_AS_SKLEARN, ids=[c[0] for c in SAME_AS_SKLEARN])
def test_loss_curve_matches_sklearn_without_shuffling(case):
    # Same random_state -> same starting weights; without shuffling the batches are the same
    # too, so the losses agree to float32 precision: the loss, penalty, optimizers and
    # schedules are scikit-learn's.
    _, name, X, y, extra = case
    params = dict(hidden_layer_sizes=(20, 10), max_iter=15, random_state=1, shuffle=False,
                  tol=0.0, **extra)
    ours = quiet_fit(getattr(lm.wrappers, name)(**params), X, y)
    theirs = quiet_fit(getattr(sk_nn, name)(**params), X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-4)
    for mine, ref in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, ref, rtol=1e-3, atol=1e-4)
    assert ours.n_layers_ == theirs.n_layers_ and ours.n_outputs_ == theirs.n_outputs_
    assert ours.out_activation_ == theirs.out_activation_


def test_early_stopping_matches_sklearn_and_keeps_the_best_weights():
    params = dict(hidden_layer_sizes=(10,), max_iter=40, random_state=3, shuffle=False,
                  early_stopping=True, n_iter_no_change=5)
    ours = quiet_fit(MLPClassifier(**params), X_IRIS, Y_IRIS)
    theirs = quiet_fit(sk_nn.MLPClassifier(**params), X_IRIS, Y_IRIS)
    assert ours.validation_scores_[:5] == theirs.validation_scores_[:5]
    assert len(ours.validation_scores_) == ours.n_iter_
    assert ours.best_validation_score_ == max(ours.validation_scores_)
    assert ours.best_loss_ is None


def test_partial_fit_runs_one_epoch_per_call_and_needs_classes_first():
    clf = MLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X_IRIS, Y_IRIS)
    for _ in range(3):
        clf.partial_fit(X_IRIS[:100], Y_IRIS[:100], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 3 and clf.t_ == 300
    assert list(clf.classes_) == [0, 1, 2]
    assert clf.predict_proba(X_IRIS).shape == (150, 3)  # class 2 unseen so far, still a column
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X_IRIS, Y_IRIS + 1)
    with pytest.raises(ValueError, match="does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X_REG, Y_REG)


def test_warm_start_continues_and_checks_the_classes():
    clf = MLPClassifier(hidden_layer_sizes=(10,), max_iter=5, warm_start=True, random_state=0)
    quiet_fit(clf, X_IRIS, Y_IRIS)
    first = clf.loss_curve_[-1]
    quiet_fit(clf, X_IRIS, Y_IRIS)
    assert len(clf.loss_curve_) == 10 and clf.n_iter_ == 5 and clf.loss_curve_[-1] < first
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        clf.fit(X_IRIS[:100], Y_IRIS[:100])


def test_convergence_stops_early_and_max_iter_warns():
    params = dict(hidden_layer_sizes=(10,), max_iter=50, tol=10.0, n_iter_no_change=2,
                  random_state=0)
    clf = MLPClassifier(**params).fit(X_IRIS, Y_IRIS)
    # The first epoch always improves on inf; then the count must exceed n_iter_no_change.
    assert clf.n_iter_ == 4 == sk_nn.MLPClassifier(**params).fit(X_IRIS, Y_IRIS).n_iter_
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPRegressor(hidden_layer_sizes=(5,), max_iter=3).fit(X_REG, Y_REG)


def test_adaptive_learning_rate_divides_by_five_before_stopping():
    reg = MLPRegressor(hidden_layer_sizes=(5,), solver="sgd", learning_rate="adaptive",
                       learning_rate_init=0.01, tol=10.0, n_iter_no_change=1, max_iter=6,
                       random_state=0)
    quiet_fit(reg, X_REG, Y_REG)
    # Epoch 1 improves on inf; then every second epoch (a count above 1) divides the rate
    # instead of stopping: after epochs 3 and 5.
    assert reg.n_iter_ == 6
    np.testing.assert_allclose(float(reg.model_.optimizer.learning_rate), 0.01 / 5 ** 2,
                               rtol=1e-6)


def test_verbose_prints_the_loss_of_each_epoch(capsys):
    quiet_fit(MLPRegressor(hidden_layer_sizes=(5,), max_iter=2, verbose=True), X_REG, Y_REG)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ") and lines[1].startswith("Iteration 2")


# ---- MLP behaviour ------------------------------------------------------------------------
def test_mlp_classifier_learns_iris_with_string_labels():
    labels = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]
    X = StandardScaler().fit_transform(X_IRIS)
    clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    quiet_fit(clf, X, labels)
    assert clf.score(X, labels) > 0.95
    assert clf.predict(X[:2]).tolist() == ["setosa", "setosa"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_binary_and_multilabel_probabilities():
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
                    X_IRIS, Y_IRIS > 0)
    assert clf.n_outputs_ == 1 and clf.predict_proba(X_IRIS).shape == (150, 2)
    assert clf.predict(X_IRIS).dtype == bool
    multi = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
                      X_ML, Y_ML)
    assert multi.predict(X_ML).shape == Y_ML.shape
    assert multi.predict_proba(X_ML).shape == Y_ML.shape


def test_results_take_the_input_dtype_and_model_outputs_logits():
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
                    X_REG, Y_REG)
    assert reg.predict(X_REG).dtype == np.float64
    assert reg.predict(X_REG.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(reg.predict(X_REG), reg.model_.predict(X_REG).ravel(),
                               rtol=1e-5, atol=1e-6)
    assert reg.model_.layers[0].kernel.dtype == lm.float32


def test_random_state_reproduces_and_leaves_global_random_state_alone():
    lm.random.seed(5)
    expected = lm.random.normal((3,)).numpy()
    lm.random.seed(5)
    first = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=7),
                      X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(lm.random.normal((3,)).numpy(), expected)
    second = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=7),
                       X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(first.predict_proba(X_IRIS), second.predict_proba(X_IRIS))
    other = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=8),
                      X_IRIS, Y_IRIS)
    assert not np.array_equal(first.predict_proba(X_IRIS), other.predict_proba(X_IRIS))


def test_mlp_pickles_clones_and_keeps_training_after_unpickling():
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
                    X_IRIS, Y_IRIS)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_IRIS), clf.predict_proba(X_IRIS))
    restored.partial_fit(X_IRIS, Y_IRIS)
    assert len(restored.loss_curve_) == 6
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "model_")


@pytest.mark.parametrize("params, message", [
    ({"solver": "lbfgs"}, "solver='lbfgs' is not supported"),
    ({"solver": "newton"}, r"solver must be one of \('adam', 'sgd'\), received 'newton'"),
    ({"activation": "softmax"}, "activation must be one of"),
    ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes must be a positive int"),
    ({"alpha": -1.0}, r"alpha must be a number in \[0.0, inf\], received -1.0"),
    ({"learning_rate_init": 0.0}, r"learning_rate_init must be a number in \(0.0"),
    ({"batch_size": 0}, "batch_size must be an int >= 1 or 'auto', received 0"),
    ({"max_iter": 0}, "max_iter must be an int >= 1, received 0"),
    ({"momentum": 1.5}, "momentum must be a number in"),
    ({"beta_2": 1.0}, r"beta_2 must be a number in \[0.0, 1.0\)"),
    ({"n_iter_no_change": 0}, "n_iter_no_change must be an int >= 1 or numpy.inf"),
    ({"learning_rate": "optimal"}, "learning_rate must be one of"),
    ({"shuffle": "yes"}, "shuffle must be a bool"),
])
def test_bad_mlp_parameters_are_rejected_at_fit(params, message):
    clf = MLPClassifier(**params)  # scikit-learn checks parameters in fit, not __init__
    with pytest.raises(ValueError, match=message):
        clf.fit(X_IRIS, Y_IRIS)


def test_bad_regressor_targets_and_loss():
    with pytest.raises(ValueError, match="loss must be 'squared_error' or 'poisson'"):
        MLPRegressor(loss="huber").fit(X_REG, Y_REG)
    with pytest.raises(ValueError, match="loss='poisson' requires non-negative y"):
        MLPRegressor(loss="poisson").fit(X_REG, Y_REG - 10)
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X_REG, Y_REG)
    with pytest.raises(ValueError, match="X has 3 features, but MLPRegressor is expecting 4"):
        quiet_fit(MLPRegressor(max_iter=1), X_REG, Y_REG).predict(X_REG[:, :3])


def _traces(estimator):
    return estimator.model_._trainer._functions["train"].experimental_get_tracing_count()


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_estimators_built_alike_share_the_compiled_step(solver, monkeypatch):
    """A second estimator with the same network, loss, optimizer settings and batch size
    takes the first one's compiled steps (no tracing) and trains to the same numbers; a
    different penalty (a constant in the step) traces its own."""
    from lamina.wrappers import _mlp_base, _network
    monkeypatch.setattr(_mlp_base, "_SHARED_STEPS", _network.SharedSteps())
    params = dict(hidden_layer_sizes=(7,), max_iter=4, batch_size=32, random_state=0,
                  solver=solver)
    first = quiet_fit(MLPClassifier(**params), X_IRIS, Y_IRIS)
    second = quiet_fit(MLPClassifier(**params), X_IRIS, Y_IRIS)
    other = quiet_fit(MLPClassifier(alpha=0.5, **params), X_IRIS, Y_IRIS)
    assert (_traces(first), _traces(second), _traces(other)) == (2, 0, 2)
    assert second.loss_curve_ == first.loss_curve_
    for got, want in zip(second.coefs_ + second.intercepts_, first.coefs_ + first.intercepts_):
        np.testing.assert_array_equal(got, want)
    # the first estimator's network is not trained by the second one's steps
    refit = quiet_fit(MLPClassifier(**params), X_IRIS, Y_IRIS)
    for got, want in zip(first.coefs_, refit.coefs_):
        np.testing.assert_array_equal(got, want)


def test_shared_steps_keep_the_keys_used_last():
    from lamina.wrappers._network import SharedSteps
    shared = SharedSteps(capacity=2)
    models = {}
    for key, units in (("a", 3), ("b", 4), ("c", 5)):
        models[key] = quiet_fit(MLPClassifier(hidden_layer_sizes=(units,), max_iter=1,
                                              random_state=0), X_IRIS, Y_IRIS).model_
    shared.keep("a", models["a"])
    shared.keep("b", models["b"])
    fresh = MLPClassifier(hidden_layer_sizes=(3,), max_iter=1, random_state=0)
    fresh._validate_input(X_IRIS, Y_IRIS, False, True)
    fresh._initialize(4, 3, np.random.RandomState(0))
    fresh._compile()
    assert shared.take("a", fresh.model_)            # "a" is now the newest
    shared.keep("c", models["c"])                     # evicts "b"
    assert list(shared._steps) == ["a", "c"]
    assert not shared.take("b", fresh.model_)
    # it took steps without tracing; they compile on first use only
    assert shared.traces(fresh.model_) == 0
    assert all(c._plan is None for c in fresh.model_._trainer._functions["train"]._cache.values())


@pytest.mark.parametrize("change", [{"activation": "tanh"}, {"hidden_layer_sizes": (8,)},
                                    {"alpha": 0.5}, {"beta_1": 0.5}, {"beta_2": 0.9},
                                    {"epsilon": 1e-3}, {"solver": "sgd"}, {"batch_size": 40},
                                    {"solver": "sgd", "nesterovs_momentum": False,
                                     "base": {"solver": "sgd"}}])
def test_a_setting_the_step_depends_on_is_never_shared_across(change, monkeypatch):
    """Each setting baked into the compiled step keeps estimators apart: the changed one
    traces its own step and trains as it does with sharing off; the learning rate (a
    variable the step reads) does not."""
    from lamina.wrappers import _mlp_base, _network
    change = dict(change)
    params = dict(hidden_layer_sizes=(7,), max_iter=3, batch_size=32, random_state=0,
                  **change.pop("base", {}))
    monkeypatch.setattr(_mlp_base, "_SHARED_STEPS", _network.SharedSteps(capacity=0))
    alone = quiet_fit(MLPClassifier(**{**params, **change}), X_IRIS, Y_IRIS)
    monkeypatch.setattr(_mlp_base, "_SHARED_STEPS", _network.SharedSteps())
    quiet_fit(MLPClassifier(**params), X_IRIS, Y_IRIS)
    changed = quiet_fit(MLPClassifier(**{**params, **change}), X_IRIS, Y_IRIS)
    assert _traces(changed) == 2
    assert changed.loss_curve_ == alone.loss_curve_
    rate = quiet_fit(MLPClassifier(learning_rate_init=0.01, **params), X_IRIS, Y_IRIS)
    assert _traces(rate) == 0


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_indicator_targets_after_multiclass_labels_are_rejected_before_training(how):
    """A network fitted on multiclass labels refuses a label-indicator matrix (the same
    unique values 0, 1, 2) with scikit-learn's message, before its records change."""
    indicator = np.eye(3, dtype=int)[Y_IRIS]
    if how == "warm_start":
        est = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True,
                                      random_state=0), X_IRIS, Y_IRIS)
        call = lambda: est.fit(X_IRIS, indicator)                    # noqa: E731
    else:
        est = MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
        est.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
        call = lambda: est.partial_fit(X_IRIS, indicator)            # noqa: E731
    before = est.n_iter_
    with pytest.raises(ValueError, match="multilabel"):
        call()
    assert est.n_iter_ == before


def test_only_a_fit_that_traced_keeps_its_steps(monkeypatch):
    """partial_fit calls after the first trace nothing new: they keep nothing (an export
    per call would cost more than the call's step). A call with a new batch shape does."""
    from lamina.wrappers import _mlp_base, _network
    shared = _network.SharedSteps()
    monkeypatch.setattr(_mlp_base, "_SHARED_STEPS", shared)
    kept = []
    monkeypatch.setattr(shared, "keep", lambda key, model: kept.append(key))
    est = MLPClassifier(hidden_layer_sizes=(5,), batch_size=50, random_state=0)
    est.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    est.partial_fit(X_IRIS, Y_IRIS)
    est.partial_fit(X_IRIS, Y_IRIS)
    assert len(kept) == 1
    est.partial_fit(X_IRIS[:120], Y_IRIS[:120])      # 50, 50, 20: a new last batch
    assert len(kept) == 2


def test_export_keeps_the_signatures_that_ran(monkeypatch):
    """Fits of one network on data of changing sizes (cross-validation folds, learning
    curves) add a last-batch signature each time; an export keeps four, those that ran (the
    full batch every step uses) before those imported and never run: each fit then traces
    only its own last batch."""
    from lamina.wrappers import _mlp_base, _network
    monkeypatch.setattr(_mlp_base, "_SHARED_STEPS", _network.SharedSteps())
    traces = []
    for n in (150, 140, 130, 120, 110):            # last batches of 22, 12, 2, 24, 14 rows
        est = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=1, batch_size=32,
                                      random_state=0), X_IRIS[:n], Y_IRIS[:n])
        traces.append(_traces(est))
    assert traces == [2, 1, 1, 1, 1]


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_a_network_kept_across_fits_shares_under_what_it_was_built_as(how, monkeypatch):
    """warm_start and partial_fit keep the network (and partial_fit its compiled step) when
    set_params changes the activation or the loss since: the key is read from the network
    built, so its step is never taken by a network built with the new settings."""
    from lamina.wrappers import _mlp_base, _network
    monkeypatch.setattr(_mlp_base, "_SHARED_STEPS", _network.SharedSteps())
    params = dict(hidden_layer_sizes=(7,), max_iter=2, batch_size=32, random_state=0)
    if how == "warm_start":
        kept = quiet_fit(MLPClassifier(warm_start=True, **params), X_IRIS, Y_IRIS)
        kept.set_params(activation="tanh")
        quiet_fit(kept, X_IRIS, Y_IRIS)
        make = lambda: MLPClassifier(activation="tanh", **params)      # noqa: E731
        fit_new = lambda est: quiet_fit(est, X_IRIS, Y_IRIS)          # noqa: E731
    else:
        kept = MLPRegressor(**params).partial_fit(X_REG, Y_REG)
        kept.set_params(loss="poisson")
        kept.partial_fit(X_REG, np.abs(Y_REG))
        make = lambda: MLPRegressor(loss="poisson", **params)          # noqa: E731
        fit_new = lambda est: quiet_fit(est, X_REG, np.abs(Y_REG))    # noqa: E731
    shared = fit_new(make())
    monkeypatch.setattr(_mlp_base, "_SHARED_STEPS", _network.SharedSteps(capacity=0))
    alone = fit_new(make())
    assert _traces(shared) == 2
    assert shared.loss_curve_ == alone.loss_curve_


# ---- pipelines and searches -----------------------------------------------------------------
def test_pipeline_and_grid_search():
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=30, random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
                                 "mlpclassifier__learning_rate_init": [0.01]}, cv=3)
    quiet_fit(search, X_IRIS, Y_IRIS)
    assert search.best_score_ > 0.8
    assert search.predict(X_IRIS).shape == (150,)
    wrapped = GridSearchCV(SKLearnRegressor(build_regressor, fit_kwargs={"epochs": 20},
                                            random_state=0),
                           {"model_kwargs": [{"hidden": 4}, {"hidden": 16}]}, cv=3)
    wrapped.fit(X_REG, Y_REG)
    assert wrapped.best_params_["model_kwargs"]["hidden"] in (4, 16)


# ---- SKLearnClassifier / SKLearnRegressor ---------------------------------------------------
def test_sklearn_classifier_with_a_builder_function():
    X = StandardScaler().fit_transform(X_IRIS)
    labels = np.array(["a", "b", "c"])[Y_IRIS]
    clf = SKLearnClassifier(build_classifier, model_kwargs={"hidden": 16},
                            fit_kwargs={"epochs": 30}, random_state=0).fit(X, labels)
    assert clf.score(X, labels) > 0.9
    assert list(clf.classes_) == ["a", "b", "c"] and clf.n_features_in_ == 4
    assert len(clf.history_["loss"]) == 30
    assert clf.model_.layers[0].units == 16
    again = SKLearnClassifier(build_classifier, model_kwargs={"hidden": 16},
                              fit_kwargs={"epochs": 30}, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))


def test_sklearn_wrappers_clone_a_model_instance_and_leave_it_unchanged():
    model = build_classifier(X_IRIS, np.zeros((1, 3)))
    before = [w.copy() for w in model.get_weights()]
    clf = SKLearnClassifier(model, fit_kwargs={"epochs": 2}, random_state=0).fit(X_IRIS,
                                                                                 Y_IRIS)
    assert clf.model_ is not model and clf.model_.compiled
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)
    uncompiled = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(1)])
    reg = SKLearnRegressor(uncompiled, fit_kwargs={"epochs": 2}).fit(X_REG, Y_REG)
    assert reg.model_.compiled and reg.predict(X_REG).shape == (150,)
    assert not uncompiled.compiled


def test_sklearn_classifier_with_one_sigmoid_output_for_two_classes():
    model = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=lm.optimizers.Adam(0.05), loss="binary_crossentropy")
    clf = SKLearnClassifier(model, fit_kwargs={"epochs": 30}, random_state=0)
    clf.fit(X_IRIS, np.where(Y_IRIS > 0, "yes", "no"))
    proba = clf.predict_proba(X_IRIS)
    assert proba.shape == (150, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X_IRIS, np.where(Y_IRIS > 0, "yes", "no")) > 0.9


def test_sklearn_regressor_fit_kwargs_warm_start_and_sample_weight():
    reg = SKLearnRegressor(build_regressor, fit_kwargs={"epochs": 3}, warm_start=True,
                           random_state=0)
    reg.fit(X_REG, np.c_[Y_REG, Y_REG])
    model = reg.model_
    reg.fit(X_REG, np.c_[Y_REG, Y_REG], epochs=2, sample_weight=np.ones(150))
    assert reg.model_ is model and len(reg.history_["loss"]) == 2
    assert reg.predict(X_REG).shape == (150, 2)
    assert reg.fit_kwargs == {"epochs": 3}  # the parameter is never modified


def test_sklearn_wrapper_errors():
    with pytest.raises(TypeError, match="model must be a lamina Model or a callable"):
        SKLearnRegressor("mlp").fit(X_REG, Y_REG)
    with pytest.raises(TypeError, match="the model function must return a lamina Model"):
        SKLearnRegressor(lambda X, y: None).fit(X_REG, Y_REG)
    with pytest.raises(TypeError, match="model_kwargs must be a dict or None"):
        SKLearnRegressor(build_regressor, model_kwargs=[1]).fit(X_REG, Y_REG)
    with pytest.raises(ValueError, match="only one class is present"):
        SKLearnClassifier(build_classifier).fit(X_IRIS, np.zeros(150))
    with pytest.raises(ValueError, match="supports binary and multiclass targets"):
        SKLearnClassifier(build_classifier).fit(X_ML, Y_ML)
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        SKLearnClassifier(lambda X, y: build_classifier(X, np.zeros((1, 2)))).fit(X_IRIS,
                                                                                  Y_IRIS)
    two_outputs = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(2)])
    two_outputs.compile(optimizer="sgd", loss=lambda y_true, y_pred: lm.mean(y_pred))
    clf = SKLearnClassifier(lambda X, y: two_outputs).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="outputs 2 values per sample for 3 classes"):
        clf.predict_proba(X_IRIS)


# ---- the building blocks ----------------------------------------------------------------------
def test_penalized_dense_harness():
    check_layer(lambda: PenalizedDense(5, alpha=0.1, activation="relu"), (4, 3),
                expected_output_shape=(4, 5), expected_num_weights=2)


def test_penalized_dense_adds_the_batch_scaled_penalty_only_in_training():
    layer = PenalizedDense(2, alpha=0.5)
    x = np.ones((4, 3), np.float32)
    layer(x, training=True)
    kernel = layer.kernel.numpy()
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * 0.5 * np.sum(kernel ** 2) / 4,
                               rtol=1e-6)
    layer(x, training=False)
    assert layer.losses == []
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0, received -1"):
        PenalizedDense(2, alpha=-1)


def test_mlp_loss_values_match_numpy():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 3)).astype(np.float32)
    labels = np.array([0, 2, 1, 1, 0])
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(float(MLPLoss("log_loss")(labels, logits)),
                               -log_p[np.arange(5), labels].mean(), rtol=1e-5)
    y = (rng.random((5, 3)) > 0.5).astype(np.float32)
    p = 1 / (1 + np.exp(-logits))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1).mean()
    np.testing.assert_allclose(float(MLPLoss("binary_log_loss")(y, logits)), bce, rtol=1e-5)
    target = rng.random((5, 3)).astype(np.float32)
    np.testing.assert_allclose(float(MLPLoss("squared_error")(target, logits)),
                               0.5 * np.mean((target - logits) ** 2), rtol=1e-5)
    deviance = target * np.log(target / np.exp(logits)) - target + np.exp(logits)
    np.testing.assert_allclose(float(MLPLoss("poisson")(target, logits)),
                               deviance.sum(axis=1).mean(), rtol=1e-5)
    with pytest.raises(ValueError, match="kind must be one of"):
        MLPLoss("hinge")


# ---- the optional dependency ----------------------------------------------------------------
def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_importing_lamina_does_not_import_sklearn():
    result = _run("import sys, lamina, lamina.wrappers; print('sklearn' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_sklearn_a_wrapper_raises_an_import_error_naming_the_extra():
    result = _run("import sys; sys.modules['sklearn'] = None\n"
                  "import lamina.wrappers as w\n"
                  "try:\n    w.MLPClassifier\nexcept ImportError as e:\n    print(e)")
    assert result.returncode == 0, result.stderr
    assert "pip install lamina[sklearn]" in result.stdout


def test_changing_alpha_between_fits_reaches_the_penalty():
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(5,), max_iter=2, warm_start=True,
                                 random_state=0), X_REG, Y_REG)
    reg.set_params(alpha=3.0)
    reg.partial_fit(X_REG, Y_REG)
    assert all(layer.alpha == 3.0 for layer in reg.model_.layers)


def test_float64_copy_is_made_on_the_first_float64_prediction():
    """The float64 twin of the network is built when a float64 prediction first needs it
    (not after every fit), with the fitted weights; a warm-start fit reuses the copy."""
    X32 = X_REG.astype(np.float32)
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0,
                                 warm_start=True), X32, Y_REG)
    assert reg._model64.peek() is None
    reg.predict(X32)
    assert reg._model64.peek() is None           # float32 data: no copy needed
    out = reg.predict(X_REG)
    twin = reg._model64.peek()
    assert out.dtype == np.float64 and twin is not None
    np.testing.assert_allclose(out, reg.predict(X32), rtol=1e-5, atol=1e-6)
    for w64, w32 in zip(twin.get_weights(), reg.model_.get_weights()):
        np.testing.assert_array_equal(w64, w32.astype(np.float64))
    quiet_fit(reg, X32, Y_REG)                   # warm start: the same copy, new weights
    out = reg.predict(X_REG)
    assert reg._model64.peek() is twin
    for w64, w32 in zip(twin.get_weights(), reg.model_.get_weights()):
        np.testing.assert_array_equal(w64, w32.astype(np.float64))
