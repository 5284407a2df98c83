"""Turning what users pass to fit/evaluate/predict into checked NumPy arrays and batches.

Data may be an array, a tensor, a list/tuple of them (several inputs or outputs) or a dict
keyed by input/output names. Everything is checked before training starts: same number of
samples everywhere, no empty arrays, no NaN or infinite values; floats become float32.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .. import nest
from ..tensor import Tensor, _fmt_shape


def to_arrays(data: Any, what: str) -> Any:
    """``data`` with every leaf as a NumPy array (float data as float32)."""
    if data is None:
        return None

    def one(leaf: Any) -> np.ndarray:
        if isinstance(leaf, Tensor):
            leaf = leaf.numpy()
        try:
            arr = np.asarray(leaf)
        except ValueError:
            raise ValueError(f"{what} must be arrays of one regular shape; received ragged "
                             "nested lists.") from None
        if arr.dtype.kind == "f" and arr.dtype != np.float32:
            arr = arr.astype(np.float32)
        elif arr.dtype.kind not in "fiub":
            raise TypeError(f"{what} must hold numbers, received an array of dtype "
                            f"{arr.dtype}.")
        return arr

    if _is_nested_numbers(data):  # a Python list of samples, not a list of inputs
        return one(data)
    return nest.map_structure(one, data)


def _is_nested_numbers(data: Any) -> bool:
    if not isinstance(data, (list, tuple)):
        return False
    leaves = nest.flatten(data)
    return bool(leaves) and all(isinstance(v, (int, float, np.number, np.bool_))
                                for v in leaves)


def num_samples(*parts: tuple[str, Any]) -> int:
    """The common first dimension of all arrays; raises if they disagree or are empty."""
    sizes: dict[str, list[int]] = {}
    for name, data in parts:
        if data is None:
            continue
        for arr in nest.flatten(data):
            if arr.ndim == 0:
                raise ValueError(f"{name} must have a batch dimension, received a scalar.")
            sizes.setdefault(name, []).append(arr.shape[0])
    found = {n for values in sizes.values() for n in values}
    if len(found) > 1:
        detail = ", ".join(f"{name} sizes: {values}" for name, values in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: every array needs the same number of "
                         f"samples, received {detail}.")
    if not found:
        raise ValueError("No data: x is required.")
    n = found.pop()
    if n == 0:
        shapes = [_fmt_shape(a.shape) for _, d in parts if d is not None
                  for a in nest.flatten(d)]
        raise ValueError(f"Expected at least one sample, received empty arrays of shapes "
                         f"{shapes}.")
    return n


def check_finite(data: Any, what: str) -> None:
    """Raises if a float array holds NaN or infinite values, naming the first position."""
    for i, arr in enumerate(nest.flatten(data)):
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            where = tuple(int(k) for k in np.argwhere(~np.isfinite(arr))[0])
            label = what if len(nest.flatten(data)) == 1 else f"{what}[{i}]"
            raise ValueError(f"{label} contains NaN or infinite values (the first at index "
                             f"{where}, value {arr[where]}). Clean or impute the data before "
                             "using it.")


def take(data: Any, index: Any) -> Any:
    """The rows ``index`` (a slice or an integer index array) of every array."""
    if data is None:
        return None
    if type(data) is np.ndarray:       # the common case, once per batch: no structure walk
        return _rows(data, index)
    return nest.map_structure(lambda a: _rows(a, index), data)


def _rows(a: Any, index: Any) -> Any:
    # np.take copies whole rows at a time: twice as fast as a[index] for a shuffled epoch's
    # gather of small rows (1797 x 64 float32: 8.4 vs 18.7 us); the same rows and errors.
    if type(a) is np.ndarray and type(index) is np.ndarray and index.dtype.kind in "iu":
        return np.take(a, index, axis=0)
    return a[index]


def batches(n: int, batch_size: int, limit: int | None = None) -> Iterator[slice]:
    """Slices covering ``range(n)`` in order (the first ``limit`` of them if given)."""
    steps = [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    return iter(steps[:limit] if limit else steps)


# Shuffled batches are gathered about this many bytes at a time: one gather per array serves
# several batches (indexing rows per batch is a call per array per step, a good part of a small
# network's step), and the copy stays small whatever the size of the data.
GATHER_BYTES = 4 << 20


def epoch_batches(parts: list, n: int, batch_size: int, shuffle: bool,
                  rng: np.random.Generator, limit: int | None = None) -> Iterator[list]:
    """One epoch: per step, a list of the batch's rows of each of ``parts`` (arrays,
    structures of arrays, or None).

    Unshuffled batches are slices (views) in order. Shuffled, batch k holds the rows
    ``order[k * batch_size:(k + 1) * batch_size]`` of one permutation ``order`` drawn from
    ``rng`` per epoch; the rows of as many batches as fit in ``GATHER_BYTES`` (at least one
    batch) are gathered at once, and each batch is a slice of them.
    """
    if not shuffle:
        for index in batches(n, batch_size, limit):
            yield [take(p, index) for p in parts]
        return
    order = rng.permutation(n)
    total = -(-n // batch_size)
    total = min(total, limit) if limit else total
    leaves = [a for p in parts if p is not None for a in nest.flatten(p)]
    row_bytes = sum(a.nbytes // max(1, len(a)) for a in leaves)
    per_chunk = max(1, GATHER_BYTES // max(1, row_bytes * batch_size))
    for first in range(0, total, per_chunk):
        last = min(total, first + per_chunk)
        low = first * batch_size
        chunk = [take(p, order[low:min(n, last * batch_size)]) for p in parts]
        for step in range(first, last):
            rows = slice(step * batch_size - low, min(n, (step + 1) * batch_size) - low)
            yield [take(c, rows) for c in chunk]


def split_validation(parts: list[Any], fraction: float, n: int) -> tuple[list, list]:
    """The last ``fraction`` of the samples held out (before any shuffling), as Keras does."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), received {fraction}.")
    cut = int(n * (1.0 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} of {n} samples leaves an empty "
                         "training or validation set.")
    train = [take(p, slice(0, cut)) for p in parts]
    held = [take(p, slice(cut, n)) for p in parts]
    return train, held


def class_weights(y: Any, class_weight: dict) -> np.ndarray:
    """Per-sample weights from a {class index: weight} dict and the labels."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class index: weight}}, received "
                        f"{type(class_weight).__name__}.")
    flat = nest.flatten(y)
    if len(flat) != 1:
        raise ValueError("class_weight is only supported for models with one output.")
    labels = flat[0]
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(labels.shape[0], -1)[:, 0].astype(np.int64)
    unknown = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if unknown:
        raise ValueError(f"class_weight has no weight for class(es) {unknown}; it covers "
                         f"{sorted(int(k) for k in class_weight)}.")
    table = {int(k): float(v) for k, v in class_weight.items()}
    return np.asarray([table[int(c)] for c in labels], dtype=np.float32)


def concat_outputs(chunks: list[Any]) -> Any:
    """Batches of predictions joined along the batch dimension, as NumPy."""
    first = chunks[0]
    flat = [nest.flatten(c) for c in chunks]
    joined = [np.concatenate([np.asarray(f[i]) for f in flat], axis=0)
              for i in range(len(flat[0]))]
    return nest.pack_like(first, joined)
