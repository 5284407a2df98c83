"""The training machinery shared by :class:`~lamina.wrappers.MLPClassifier` and
:class:`~lamina.wrappers.MLPRegressor`.

It follows ``sklearn.neural_network``'s stochastic solvers step for step: the same weight
initialization (drawn from ``random_state``), minibatches of ``min(200, n_samples)``, the L2
penalty divided by the batch size, the per-epoch loss (``loss_curve_``), the stopping rule
(``n_iter_no_change`` epochs without an improvement of ``tol``, on the training loss or on a
held-out validation score), the ``sgd`` learning-rate schedules and the ConvergenceWarning
at ``max_iter``. The network is a lamina model (``model_``) trained by ``model.fit``: all
epochs run in one call, each a loop of the compiled train step, and a callback applies the
per-epoch rules.
"""
from __future__ import annotations

import warnings
from itertools import pairwise
from numbers import Integral, Real
from typing import Any

import numpy as np

from . import _require  # noqa: F401  (a clear ImportError without scikit-learn)
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import optimizers
from ..callbacks import Callback
from ._network import (LazyTwin, MLPLoss, SharedSteps, build_network, network_key, predict,
                       seeded_global_stream)

_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")

# The compiled steps of fitted networks, shared by estimators whose networks are built alike.
_SHARED_STEPS = SharedSteps()
_SOLVERS = ("adam", "sgd")
_SCHEDULES = ("constant", "invscaling", "adaptive")


class _EpochEnd(Callback):
    """Hands each epoch's mean loss to the estimator, which says whether to stop."""

    def __init__(self, estimator: "BaseMLP", validation: tuple | None):
        super().__init__()
        self.estimator = estimator
        self.validation = validation

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.estimator._end_epoch(float(logs["loss"]), self.validation):
            self.model.stop_training = True


def store_params(estimator: BaseEstimator, params: dict) -> None:
    """Stores each argument of an ``__init__`` as the attribute of the same name, all that
    scikit-learn lets ``__init__`` do; ``params`` is the ``locals()`` of that ``__init__``,
    taken before it assigns anything."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class BaseMLP(BaseEstimator):
    """Base class of the MLP estimators (not for direct use).

    Its ``__init__`` has scikit-learn's parameters shared by both MLPs (MLPClassifier's
    signature; MLPRegressor adds ``loss`` in front). Subclasses define ``_validate_input``
    (checked inputs, the training targets and the output count), ``_loss_kind``,
    ``_validation_score`` and the prediction methods.
    """

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: Any = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: Any = 10):
        store_params(self, locals())

    # ---- parameters -----------------------------------------------------------------------
    def _check_params(self) -> None:
        """Raises a ValueError naming the first parameter with a value out of range."""
        self._hidden_sizes()
        _check_choice(self.activation, "activation", _ACTIVATIONS)
        if self.solver == "lbfgs":
            raise ValueError("solver='lbfgs' is not supported by lamina's MLP estimators; "
                             "use solver='adam' (the default) or solver='sgd'.")
        _check_choice(self.solver, "solver", _SOLVERS)
        _check_choice(self.learning_rate, "learning_rate", _SCHEDULES)
        _check_real(self.alpha, "alpha", low=0.0)
        _check_real(self.learning_rate_init, "learning_rate_init", low=0.0, low_open=True)
        _check_real(self.power_t, "power_t", low=0.0)
        _check_real(self.tol, "tol", low=0.0)
        _check_real(self.momentum, "momentum", low=0.0, high=1.0)
        _check_real(self.validation_fraction, "validation_fraction", low=0.0, high=1.0,
                    high_open=True)
        _check_real(self.beta_1, "beta_1", low=0.0, high=1.0, high_open=True)
        _check_real(self.beta_2, "beta_2", low=0.0, high=1.0, high_open=True)
        _check_real(self.epsilon, "epsilon", low=0.0, low_open=True)
        _check_int(self.max_iter, "max_iter")
        if not (self.n_iter_no_change == np.inf or _is_int(self.n_iter_no_change)) or \
                self.n_iter_no_change < 1:
            raise ValueError(f"n_iter_no_change must be an int >= 1 or numpy.inf, received "
                             f"{self.n_iter_no_change!r}.")
        if self.batch_size != "auto":
            _check_int(self.batch_size, "batch_size", "an int >= 1 or 'auto'")
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be a bool, received {getattr(self, name)!r}.")

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if not hasattr(sizes, "__iter__") or isinstance(sizes, str) \
            else list(sizes)
        if not all(_is_int(s) and s > 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be a positive int or a sequence of "
                             f"positive ints, received {self.hidden_layer_sizes!r}.")
        return [int(s) for s in sizes]

    # ---- fitting --------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, incremental: bool) -> "BaseMLP":
        self._check_params()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        first = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        X, targets, n_outputs = self._validate_input(X, y, incremental, reset=first)
        if not first and n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} output(s) but the fitted network has "
                             f"{self.n_outputs_}; fit again without warm_start.")
        random_state = check_random_state(self.random_state)
        if first:
            self._initialize(X.shape[1], n_outputs, random_state)
        if self._sync_alpha() or not incremental or not self.model_.compiled:
            self._compile()
        self._train(X, targets, random_state, incremental)
        self._model64 = LazyTwin(self.model_, None if first else self._model64)
        for weight in self.model_.get_weights():
            if not np.isfinite(weight).all():
                raise ValueError("Solver produced non-finite parameter weights. The input "
                                 "data may contain large values and need to be "
                                 "preprocessed.")
        return self

    def _initialize(self, n_features: int, n_outputs: int, random_state: Any) -> None:
        """A new network with scikit-learn's Glorot-uniform start, and fresh records."""
        hidden = self._hidden_sizes()
        units = [n_features, *hidden, n_outputs]
        factor = 2.0 if self.activation == "logistic" else 6.0
        weights = []
        for fan_in, fan_out in pairwise(units):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
            weights.append(random_state.uniform(-bound, bound, fan_out))
        self.model_ = build_network(n_features, hidden, n_outputs, self.activation,
                                    self.alpha, weights)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(units)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._best_weights = self.model_.get_weights()
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _sync_alpha(self) -> bool:
        """Gives the layers the current ``alpha`` (set_params may have changed it since the
        network was built); True if it changed, as the compiled step must then be rebuilt."""
        changed = False
        for layer in self.model_.layers:
            if layer.alpha != float(self.alpha):
                layer.alpha = float(self.alpha)
                changed = True
        return changed

    def _compile(self) -> None:
        """Compiles ``model_`` with a fresh optimizer (new moments, as scikit-learn does)."""
        if self.solver == "adam":
            optimizer = optimizers.Adam(learning_rate=float(self.learning_rate_init),
                                        beta_1=float(self.beta_1), beta_2=float(self.beta_2),
                                        epsilon=float(self.epsilon))
        else:
            optimizer = optimizers.SGD(learning_rate=float(self.learning_rate_init),
                                       momentum=float(self.momentum),
                                       nesterov=bool(self.nesterovs_momentum))
        self.model_.compile(optimizer=optimizer, loss=MLPLoss(self._loss_kind()))

    def _train(self, X: np.ndarray, targets: np.ndarray, random_state: Any,
               incremental: bool) -> None:
        """Runs the epochs: one ``model.fit`` call, the per-epoch rules in a callback."""
        X_train, y_train, validation = self._split(X, targets, random_state)
        self._n_train = X_train.shape[0]
        self._stopped = False
        self.n_iter_ = 0
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        batch_size = self._batch_size(self._n_train)
        # the key (the network's configs) is read only when a step may be taken or kept: a
        # partial_fit loop's later calls need neither (training changes no config it reads)
        key = lambda: (type(self), network_key(self.model_), batch_size,  # noqa: E731
                       X_train.dtype.str)
        if not self.model_._trainer._functions:     # freshly compiled: no step traced yet
            _SHARED_STEPS.take(key(), self.model_)
        traced = _SHARED_STEPS.traces(self.model_)
        with seeded_global_stream(seed):
            self.model_.fit(X_train, y_train, batch_size=batch_size,
                            epochs=1 if incremental else int(self.max_iter),
                            shuffle=bool(self.shuffle), verbose=0,
                            callbacks=[_EpochEnd(self, validation)])
        if _SHARED_STEPS.traces(self.model_) > traced:   # this fit traced a step: keep it
            _SHARED_STEPS.keep(key(), self.model_)
        if self.early_stopping:
            self.model_.set_weights(self._best_weights)
        if not incremental and not self._stopped and self.n_iter_ == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning)

    def _split(self, X: np.ndarray, targets: np.ndarray, random_state: Any) -> tuple:
        """``(X_train, y_train, validation)``; ``validation`` is ``(X_val, y_val)`` or None."""
        if not self.early_stopping:
            return X, targets, None
        # As scikit-learn: stratified only with a single output (binary classification).
        stratify = targets if is_classifier(self) and self.n_outputs_ == 1 else None
        X_train, X_val, y_train, y_val = train_test_split(
            X, targets, random_state=random_state, test_size=self.validation_fraction,
            stratify=stratify)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        return X_train, y_train, (X_val, y_val)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped")
        return int(np.clip(self.batch_size, 1, n_samples))

    # ---- the per-epoch rules ----------------------------------------------------------------
    def _end_epoch(self, loss: float, validation: tuple | None) -> bool:
        """Records one epoch and applies scikit-learn's rules; True means stop."""
        self.n_iter_ += 1
        self.loss_ = loss
        self.t_ += self._n_train
        self.loss_curve_.append(loss)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
        self._update_no_improvement_count(validation)
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._set_learning_rate(self.learning_rate_init / (self.t_ + 1) ** self.power_t)
        if self._no_improvement_count > self.n_iter_no_change:
            if self._trigger_stopping():
                self._stopped = True
                return True
            self._no_improvement_count = 0
        return False

    def _update_no_improvement_count(self, validation: tuple | None) -> None:
        if validation is None:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
            return
        score = self._score_raw(validation)
        self.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        if score < self.best_validation_score_ + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._best_weights = [np.array(w, copy=True) for w in self.model_.get_weights()]

    def _score_raw(self, validation: tuple) -> float:
        """The validation score (accuracy or R^2), NaN when the network's outputs are not
        finite."""
        X_val, y_val = validation
        raw = predict(self.model_, None, X_val, np.dtype(np.float32))
        if not np.isfinite(raw).all():
            return float("nan")
        return float(self._validation_score(raw, y_val))

    def _trigger_stopping(self) -> bool:
        """Whether to stop after ``n_iter_no_change`` epochs without progress; the
        'adaptive' schedule first divides the learning rate by 5 until it is tiny."""
        what = "Validation score" if self.early_stopping else "Training loss"
        msg = (f"{what} did not improve more than tol={self.tol:f} for "
               f"{self.n_iter_no_change} consecutive epochs.")
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            if self.verbose:
                print(msg + " Stopping.")
            return True
        rate = float(np.asarray(self.model_.optimizer.learning_rate))
        if rate <= 1e-6:
            if self.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self._set_learning_rate(rate / 5.0)
        if self.verbose:
            print(msg + f" Setting learning rate to {rate / 5.0:f}")
        return False

    def _set_learning_rate(self, value: float) -> None:
        self.model_.optimizer.learning_rate = float(value)

    # ---- prediction -------------------------------------------------------------------------
    def _forward(self, X: Any) -> np.ndarray:
        """The network's raw outputs for checked ``X``, in X's float dtype (as scikit-learn;
        float64 outputs come from a float64 copy of the network, see ``_network.predict``)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return predict(self.model_, self._model64, X, X.dtype)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrix of each layer (copies), as scikit-learn's ``coefs_``."""
        check_is_fitted(self)
        return [np.array(layer.kernel.numpy(), copy=True) for layer in self.model_.layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vector of each layer (copies), as scikit-learn's ``intercepts_``."""
        check_is_fitted(self)
        return [np.array(layer.bias.numpy(), copy=True) for layer in self.model_.layers]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False  # dense input only (scikit-learn's MLP takes sparse too)
        return tags


# ---- argument checks ------------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _check_int(value: Any, name: str, expected: str = "an int >= 1") -> None:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be {expected}, received {value!r}.")


def _check_choice(value: Any, name: str, choices: tuple) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, received {value!r}.")


def _check_real(value: Any, name: str, low: float, high: float = np.inf,
                low_open: bool = False, high_open: bool = False) -> None:
    ok = isinstance(value, Real) and not isinstance(value, (bool, np.bool_)) and \
        not np.isnan(value)
    if ok:
        ok = (value > low if low_open else value >= low) and \
            (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a number in {interval}, received {value!r}.")
