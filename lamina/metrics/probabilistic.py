"""Means of the classification losses: the cross-entropies, ``KLDivergence`` and
``Poisson`` (Keras's probabilistic metrics), and the hinge losses.
"""
from __future__ import annotations

from .. import losses as _losses
from .base import example_doc, metric_class

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge"]

BinaryCrossentropy = metric_class(
    "BinaryCrossentropy", _losses.binary_crossentropy, "binary_crossentropy",
    "Mean binary cross-entropy of 0/1 labels against probabilities (or logits)."
    + example_doc("BinaryCrossentropy(from_logits=True)([[1.0]], [[0.0]])", "0.6931..."),
    from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = metric_class(
    "CategoricalCrossentropy", _losses.categorical_crossentropy, "categorical_crossentropy",
    "Mean cross-entropy of one-hot labels against class probabilities (or logits)."
    + example_doc("CategoricalCrossentropy()([[0, 1]], [[0.5, 0.5]])", "0.6931..."),
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = metric_class(
    "SparseCategoricalCrossentropy", _losses.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Mean cross-entropy of integer labels against class probabilities (or logits)."
    + example_doc("SparseCategoricalCrossentropy()([1], [[0.5, 0.5]])", "0.6931..."),
    from_logits=False, axis=-1)
Hinge = metric_class(
    "Hinge", _losses.hinge, "hinge", "Mean hinge loss (0/1 labels read as -1/1)."
    + example_doc("Hinge()([[1.0]], [[0.25]])", "0.75"))
SquaredHinge = metric_class(
    "SquaredHinge", _losses.squared_hinge, "squared_hinge", "Mean squared hinge loss."
    + example_doc("SquaredHinge()([[1.0]], [[0.5]])", "0.25"))
CategoricalHinge = metric_class(
    "CategoricalHinge", _losses.categorical_hinge, "categorical_hinge",
    "Mean categorical hinge loss."
    + example_doc("CategoricalHinge()([[0.0, 1.0]], [[0.5, 0.5]])", "1.0"))
KLDivergence = metric_class(
    "KLDivergence", _losses.kl_divergence, "kl_divergence",
    "Mean Kullback-Leibler divergence."
    + example_doc("KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]])", "0.0"))
Poisson = metric_class(
    "Poisson", _losses.poisson, "poisson", "Mean Poisson loss y_pred - y_true log(y_pred)."
    + example_doc("Poisson()([[0.0]], [[2.0]])", "2.0"))
