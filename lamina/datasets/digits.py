"""The UCI optical handwritten digits (1797 images of 8x8 pixels), shipped with lamina."""
from __future__ import annotations

import numpy as np

from ._shipped import check_split_args, read_csv_gz, stratified_split

__all__ = ["load_data", "class_names"]

class_names = tuple(str(d) for d in range(10))

_SHA256 = "0f622aac121cc3fc5d83397199887f8019d6db33381d033e73e300a2ce17c1ed"


def load_data(test_split: float = 0.2, seed: int = 113
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the 8x8 digits data set, split into training and test images.

    Each pixel counts the set pixels of a 4x4 block of the original 32x32 bitmap, so values
    are whole numbers from 0 to 16 (divide by 16 to scale to [0, 1]). The split is stratified
    by digit and depends only on ``seed``. Works offline: the data ships inside the package.

    Args:
        test_split: fraction of each digit's images put in the test set, in ``[0, 1)``.
        seed: seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float32 images of shape ``(n, 8, 8)`` and
        int32 labels 0..9.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = lm.datasets.digits.load_data()
        >>> x_train.shape, y_train.dtype
        ((1438, 8, 8), dtype('int32'))
    """
    test_split, seed = check_split_args(test_split, seed)
    table = read_csv_gz("digits.csv.gz", _SHA256, n_rows=1797, n_columns=65)
    x = table[:, :64].astype(np.float32).reshape(-1, 8, 8)
    y = table[:, 64].astype(np.int32)
    return stratified_split(x, y, test_split, seed)
