"""Utilities (``lm.utils``): ``to_categorical``, ``normalize``, ``set_random_seed``,
``plot_model`` (plot_model.py), plus the progress bar (progress.py) and TensorBoard event files
(tensorboard.py) used by the callbacks.
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np

from .plot_model import model_to_dot, plot_model

__all__ = ["to_categorical", "normalize", "set_random_seed", "plot_model", "model_to_dot"]


def to_categorical(x: Any, num_classes: int | None = None) -> Any:
    """Converts integer class labels to one-hot rows (float32).

    A trailing axis of size 1 is dropped first, so labels of shape ``(n,)`` and ``(n, 1)``
    both give ``(n, num_classes)``.

    Args:
        x: integer labels in ``[0, num_classes)`` (array-like or tensor, any shape).
        num_classes: the number of classes (default: ``max(x) + 1``).

    Returns:
        A float32 NumPy array of shape ``x.shape + (num_classes,)`` (a tensor if ``x`` is one).

    Raises:
        ValueError: labels that are not integers, negative, or ``>= num_classes``.

    Example:
        >>> lm.utils.to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    from ..tensor import Tensor
    labels = _integer_labels(x)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    num_classes = _num_classes(flat, num_classes)
    if flat.size and flat.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(flat.max())} is out of range for "
                         f"num_classes={num_classes}; expected labels in [0, {num_classes}).")
    out = np.zeros((flat.size, num_classes), dtype=np.float32)
    out[np.arange(flat.size), flat] = 1.0
    out = out.reshape(shape + (num_classes,))
    if isinstance(x, Tensor):
        from ..tensor import tensor
        return tensor(out)
    return out


def _integer_labels(x: Any) -> np.ndarray:
    try:
        labels = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"to_categorical expects integer class labels, received {x!r} "
                         f"({exc}).") from None
    if labels.dtype == bool or labels.dtype.kind not in "iuf":
        raise ValueError(f"to_categorical expects integer class labels, received an array of "
                         f"dtype {labels.dtype}.")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("to_categorical expects integer class labels, received "
                             "non-integer values.")
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0, received {int(labels.min())}.")
    return labels


def _num_classes(flat: np.ndarray, num_classes: Any) -> int:
    if num_classes is None:
        if not flat.size:
            raise ValueError("to_categorical cannot infer num_classes from empty labels: pass "
                             "num_classes.")
        return int(flat.max()) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or \
            num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, received {num_classes!r}.")
    return int(num_classes)


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scales ``x`` so that its ``order``-norm along ``axis`` is 1 (zero vectors stay zero).

    Example:
        >>> lm.utils.normalize(np.array([[3.0, 4.0]]))
        array([[0.6, 0.8]])
    """
    x = np.asarray(x)
    if x.dtype.kind not in "iuf" or x.dtype == bool:
        raise ValueError(f"normalize expects a numeric array, received dtype {x.dtype}.")
    if x.ndim == 0:
        raise ValueError("normalize expects an array with at least one axis, received a "
                         "scalar.")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or \
            not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis!r} is out of range for an array of rank {x.ndim}.")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"order must be a positive integer, received {order!r}.")
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return x / norm.astype(x.dtype)


def set_random_seed(seed: int) -> None:
    """Seeds Python's ``random``, NumPy's global generator and lamina's global random stream,
    so that weight initialization, dropout and the shuffling in ``fit`` repeat exactly.

    Example:
        >>> lm.utils.set_random_seed(42)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
                         f"(of type {type(seed).__name__}).")
    if not 0 <= seed < 2 ** 32:
        raise ValueError(f"`seed` must be in [0, 2**32), received seed={seed}.")
    from ..ops import random as lm_random
    random.seed(int(seed))
    np.random.seed(int(seed))
    lm_random.seed(int(seed))
