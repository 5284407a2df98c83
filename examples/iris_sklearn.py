"""Classify iris flowers with lamina inside scikit-learn: a Pipeline and cross-validation.

``lm.wrappers.MLPClassifier`` takes the parameters of scikit-learn's own ``MLPClassifier``
and trains the network with lamina. Being a scikit-learn estimator, it goes in a
``Pipeline`` after a ``StandardScaler`` (so each cross-validation fold is scaled by its own
training part) and works with ``cross_val_score``, ``GridSearchCV`` and the rest. Needs the
``sklearn`` extra: ``pip install 'lamina[sklearn]'``.

    python examples/iris_sklearn.py --seed 0

``main(seed)`` returns the cross-validation scores and the test accuracy, so tests can call
it.
"""
from __future__ import annotations

import argparse

import numpy as np
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import lamina as lm


def make_pipeline(seed: int = 0) -> Pipeline:
    """Standardize the four measurements, then a 16-unit ReLU network."""
    return Pipeline([
        ("scale", StandardScaler()),
        # sklearn's Adam step (0.001) needs ~1000 epochs here; 0.01 converges in < 300.
        ("mlp", lm.wrappers.MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                                          max_iter=300, random_state=seed)),
    ])


def main(seed: int = 0, folds: int = 5) -> dict:
    """Cross-validates the pipeline on the training flowers, then fits and tests it.

    Returns:
        ``{"cv_scores", "test_accuracy", "epochs", "loss_curve"}``: the accuracy of each
        cross-validation fold, the accuracy on the 30 test flowers, and the epochs and
        per-epoch losses of the final fit.
    """
    (x_train, y_train), (x_test, y_test) = lm.datasets.iris.load_data()
    pipeline = make_pipeline(seed)
    # Each fold clones the pipeline, fits it on the other folds and scores it on this one.
    cv_scores = cross_val_score(pipeline, x_train, y_train, cv=folds)
    pipeline.fit(x_train, y_train)
    mlp = pipeline.named_steps["mlp"]
    return {"cv_scores": cv_scores, "test_accuracy": float(pipeline.score(x_test, y_test)),
            "epochs": int(mlp.n_iter_), "loss_curve": list(mlp.loss_curve_)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = main(seed=args.seed)
    scores = result["cv_scores"]
    print(f"5-fold cross-validation accuracy: {np.mean(scores):.3f} +/- {np.std(scores):.3f} "
          f"(folds: {', '.join(f'{s:.2f}' for s in scores)})")
    print(f"test accuracy {result['test_accuracy']:.3f} after {result['epochs']} epochs "
          f"(final training loss {result['loss_curve'][-1]:.4f})")
