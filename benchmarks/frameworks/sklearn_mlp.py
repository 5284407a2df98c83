"""scikit-learn's own MLPClassifier: the anchor for lamina's MLPClassifier."""
from __future__ import annotations

import warnings

from ..workloads import Workload, digits


def build(w: Workload):
    if w.kind != "sklearn":
        raise NotImplementedError("scikit-learn is the anchor of sklearn_mlp_digits only")
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    x, y = digits()

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            MLPClassifier(hidden_layer_sizes=(100,), max_iter=50, tol=0.0, n_iter_no_change=1000,
                          batch_size=w.batch, random_state=0).fit(x, y)

    return fit, (lambda: None), 1
