"""Reading the data files that ship inside the package, and splitting them reproducibly.

Every file is checked against its SHA-256 before it is parsed, so a truncated or altered file
gives a clear error instead of wrong numbers.
"""
from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_csv_gz(filename: str, sha256: str, n_rows: int, n_columns: int) -> np.ndarray:
    """The numeric table in ``data/<filename>`` (gzip CSV with one header line) as float64.

    Raises:
        FileNotFoundError: the file is missing (a broken installation).
        ValueError: its checksum or its table shape is not the expected one.
    """
    path = DATA_DIR / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"The data file {path} is missing: lamina's datasets ship inside the package, so "
            "the installation is incomplete. Reinstall lamina.")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise ValueError(f"The data file {path} is corrupt: expected SHA-256 {sha256}, "
                         f"computed {digest}. Reinstall lamina.")
    text = gzip.decompress(raw).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, dtype=np.float64,
                       ndmin=2)
    if table.shape != (n_rows, n_columns):
        raise ValueError(f"The data file {path} holds a table of shape {table.shape}; expected "
                         f"{(n_rows, n_columns)}.")
    return table


def check_split_args(test_split: float, seed: int) -> tuple[float, int]:
    """Validates ``load_data``'s arguments."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)):
        raise TypeError(f"test_split must be a float in [0, 1), received {test_split!r}.")
    if not 0.0 <= float(test_split) < 1.0:
        raise ValueError(f"test_split must be in [0, 1), received {test_split}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, received {seed!r}.")
    if not 0 <= int(seed) < 2 ** 32:
        raise ValueError(f"seed must be in [0, 2**32), received {seed}.")
    return float(test_split), int(seed)


def stratified_split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int
                     ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Splits so that each class puts ``round(test_split * count)`` samples in the test set.

    The order is drawn from ``np.random.RandomState(seed)``, whose stream NumPy keeps stable
    across versions, so a seed gives the same split everywhere.
    """
    rng = np.random.RandomState(seed)
    train_idx, test_idx = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(test_split * len(members)))
        test_idx.append(members[:n_test])
        train_idx.append(members[n_test:])
    train = rng.permutation(np.concatenate(train_idx))
    test = rng.permutation(np.concatenate(test_idx))
    return (x[train], y[train]), (x[test], y[test])
