"""``lm.wrappers.MLPClassifier`` and ``MLPRegressor``: scikit-learn's multi-layer perceptrons,
with scikit-learn's parameters and training rules, trained by lamina (see _mlp_base.py).

They differ from ``sklearn.neural_network`` in a few ways: training computes in float32
(predictions come back in the input's float dtype, computed in float64 for float64 input);
only the stochastic solvers ('adam', 'sgd') exist, so 'lbfgs' (and its ``max_fun``) is
refused; ``fit`` takes no ``sample_weight`` (float32 minibatches cannot make a weight of 2
exactly equal to a repeated sample, which scikit-learn's checks demand); and ``X`` must be
dense.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _require  # noqa: F401  (a clear ImportError without scikit-learn)
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import (_check_partial_fit_first_call,
                                      check_classification_targets, type_of_target,
                                      unique_labels)
from sklearn.utils.validation import column_or_1d, validate_data

from ._mlp_base import BaseMLP, store_params

__all__ = ["MLPClassifier", "MLPRegressor"]

_SHARED_ARGS = """
    Args:
        hidden_layer_sizes: the width of each hidden layer.
        activation: the hidden layers' activation: 'identity', 'logistic', 'tanh' or 'relu'.
        solver: 'adam' or 'sgd' ('lbfgs' is not supported).
        alpha: strength of the L2 penalty, divided by the batch size as in scikit-learn.
        batch_size: samples per step; 'auto' is ``min(200, n_samples)``.
        learning_rate: 'constant', 'invscaling' or 'adaptive' (schedules of 'sgd').
        learning_rate_init: the initial step size.
        power_t: the exponent of 'invscaling'.
        max_iter: the most epochs one ``fit`` runs.
        shuffle: reshuffle the samples every epoch.
        random_state: seeds the weights, the shuffling and the validation split (an int
            makes ``fit`` reproducible; lamina's global random state is left unchanged).
        tol: the improvement of the loss (or validation score) that counts as progress.
        verbose: print the loss after each epoch.
        warm_start: let ``fit`` continue from the previous solution.
        momentum, nesterovs_momentum: the momentum of 'sgd'.
        early_stopping: hold out ``validation_fraction`` of the data and stop when its score
            stops improving; the best weights are kept.
        validation_fraction: the share of the data held out for early stopping.
        beta_1, beta_2, epsilon: Adam's parameters (scikit-learn's defaults).
        n_iter_no_change: epochs without progress before stopping.
"""


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multi-layer perceptron classifier (``sklearn.neural_network.MLPClassifier``'s
    parameters and attributes) trained by lamina.

    Binary, multiclass and multilabel (2-D indicator ``y``) targets; labels may be any
    sortable values (strings too). The last layer is linear and the loss works on its
    logits: softmax cross-entropy for several classes, sigmoid cross-entropy otherwise.
    {args}
    Attributes:
        classes_, n_features_in_, n_outputs_, n_layers_, n_iter_, t_, loss_, loss_curve_,
        best_loss_, validation_scores_, best_validation_score_, coefs_, intercepts_:
            as in scikit-learn.
        model_: the fitted lamina network (``lm.Sequential``; it outputs logits).

    Example:
        >>> from sklearn.datasets import load_iris
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = lm.wrappers.MLPClassifier(hidden_layer_sizes=(32,), max_iter=300,
        ...                                 random_state=0).fit(X, y)
        >>> clf.score(X, y) > 0.9
        True
    """

    def fit(self, X: Any, y: Any) -> "MLPClassifier":
        """Trains a new network (or, with ``warm_start``, the current one) on ``X, y``.

        Args:
            X: array-like of shape (n_samples, n_features).
            y: labels of shape (n_samples,), or a 2-D 0/1 indicator matrix (multilabel).

        Returns:
            self.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> "MLPClassifier":
        """One epoch over ``X, y``, continuing from the current network.

        Args:
            X: array-like of shape (n_samples, n_features).
            y: labels of shape (n_samples,).
            classes: every label the classifier will see; required on the first call (labels
                absent from a batch may still appear later).

        Returns:
            self.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted label of each sample (a 0/1 matrix for multilabel targets)."""
        proba = self._probabilities(X)
        if self.n_outputs_ == 1:
            proba = proba.ravel()
        return self._label_binarizer.inverse_transform(proba)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of shape (n_samples, n_classes), in the order of
        ``classes_`` (per-label probabilities for multilabel targets)."""
        proba = self._probabilities(X)
        if self.n_outputs_ == 1:
            return np.hstack([1.0 - proba, proba])
        return proba

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # ---- internals ---------------------------------------------------------------------------
    def _loss_kind(self) -> str:
        return "log_loss" if self._label_binarizer.y_type_ == "multiclass" \
            else "binary_log_loss"

    @property
    def out_activation_(self) -> str:
        """The output activation scikit-learn would use: 'softmax' or 'logistic'."""
        return "softmax" if self._loss_kind() == "log_loss" else "logistic"

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32),
                             reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            self._check_known_classes(unique_labels(y))
        X = np.asarray(X, dtype=np.float32)
        if self._label_binarizer.y_type_ == "multiclass" and y.ndim == 1:
            # each label's index in the sorted classes_ (the argmax of its one-hot row, which
            # LabelBinarizer.transform would build first: 0.4 ms for 1797 labels); a 2-D y
            # goes to transform, which rejects it for a network fitted on multiclass labels
            labels = np.searchsorted(self.classes_, y).astype(np.int32)
            return X, labels, len(self.classes_)
        indicator = self._label_binarizer.transform(y)
        return X, indicator.astype(np.float32), indicator.shape[1]

    def _check_known_classes(self, classes: np.ndarray) -> None:
        if self.warm_start:
            if set(classes) != set(self.classes_):
                raise ValueError(f"warm_start can only be used where `y` has the same classes "
                                 f"as in the previous call to fit. Previously got "
                                 f"{self.classes_}, `y` has {classes}")
        elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {classes}.")

    def _probabilities(self, X: Any) -> np.ndarray:
        return self._from_logits(self._forward(X))

    def _from_logits(self, logits: np.ndarray) -> np.ndarray:
        """The output activation: softmax over classes, or a sigmoid per output."""
        return _softmax(logits) if self._loss_kind() == "log_loss" else _sigmoid(logits)

    def _validation_score(self, raw: np.ndarray, y_val: np.ndarray) -> float:
        proba = self._from_logits(raw)
        if self.n_outputs_ == 1:
            proba = proba.ravel()
        predicted = self._label_binarizer.inverse_transform(proba)
        if y_val.ndim == 1 and self._loss_kind() == "log_loss":
            truth = self.classes_[y_val]
        else:
            truth = self._label_binarizer.inverse_transform(
                y_val.ravel() if self.n_outputs_ == 1 else y_val)
        return accuracy_score(truth, predicted)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multi-layer perceptron regressor (``sklearn.neural_network.MLPRegressor``'s
    parameters and attributes) trained by lamina.

    ``y`` may have several columns (one output each). The last layer is linear.

    Args:
        loss: 'squared_error' (half the mean squared error, as scikit-learn) or 'poisson'
            (half the Poisson deviance with a log link; ``y`` must be >= 0).
    {args}
    Attributes:
        n_features_in_, n_outputs_, n_layers_, n_iter_, t_, loss_, loss_curve_, best_loss_,
        validation_scores_, best_validation_score_, coefs_, intercepts_: as in scikit-learn.
        model_: the fitted lamina network (``lm.Sequential``; with ``loss='poisson'`` it
            outputs the log of the prediction).

    Example:
        >>> X = np.random.rand(200, 3); y = X @ [1.0, -2.0, 0.5]
        >>> reg = lm.wrappers.MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
        ...                                random_state=0).fit(X, y)
        >>> reg.score(X, y) > 0.9
        True
    """

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: Any = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: Any = 10):
        store_params(self, locals())

    def fit(self, X: Any, y: Any) -> "MLPRegressor":
        """Trains a new network (or, with ``warm_start``, the current one) on ``X, y``.

        Args:
            X: array-like of shape (n_samples, n_features).
            y: targets of shape (n_samples,) or (n_samples, n_outputs).

        Returns:
            self.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any) -> "MLPRegressor":
        """One epoch over ``X, y``, continuing from the current network; returns self."""
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """The predictions, of shape (n_samples,) or (n_samples, n_outputs)."""
        out = self._outputs(self._forward(X))
        return out.ravel() if self.n_outputs_ == 1 else out

    # ---- internals ---------------------------------------------------------------------------
    def _check_params(self) -> None:
        if self.loss not in ("squared_error", "poisson"):
            raise ValueError(f"loss must be 'squared_error' or 'poisson', received "
                             f"{self.loss!r}.")
        super()._check_params()

    def _loss_kind(self) -> str:
        return self.loss

    @property
    def out_activation_(self) -> str:
        """The output activation scikit-learn would use: 'identity', or 'exp' (poisson)."""
        return "exp" if self.loss == "poisson" else "identity"

    def _outputs(self, raw: np.ndarray) -> np.ndarray:
        return np.exp(raw) if self.loss == "poisson" else raw

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative y, received a minimum "
                             f"of {np.min(y)}.")
        targets = np.asarray(y, dtype=np.float32).reshape(len(y), -1)
        return np.asarray(X, dtype=np.float32), targets, targets.shape[1]

    def _validation_score(self, raw: np.ndarray, y_val: np.ndarray) -> float:
        predicted = self._outputs(raw)
        if self.n_outputs_ == 1:
            return r2_score(y_val.ravel(), predicted.ravel())
        return r2_score(y_val, predicted)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags


def _document(cls: type, args: str) -> None:
    """Puts the shared parameter list into ``cls``'s docstring (absent under ``-OO``)."""
    if cls.__doc__:
        cls.__doc__ = cls.__doc__.replace("{args}", args)


_document(MLPClassifier, _SHARED_ARGS.strip("\n"))
_document(MLPRegressor, _SHARED_ARGS.strip("\n").replace("    Args:\n", "", 1))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only: no overflow for large |logits|.
    z = np.exp(-np.abs(logits))
    return np.where(logits >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(logits.dtype)
