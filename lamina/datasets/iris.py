"""Fisher's iris data (150 flowers, 4 measurements, 3 species), shipped with lamina."""
from __future__ import annotations

import numpy as np

from ._shipped import check_split_args, read_csv_gz, stratified_split

__all__ = ["load_data", "class_names", "feature_names"]

class_names = ("setosa", "versicolor", "virginica")
feature_names = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                 "petal width (cm)")

_SHA256 = "9f3c1fff1a98d8a7c055a4d421dee0b3af87e3e8f1d3c9c36057d22e2c385bcc"


def load_data(test_split: float = 0.2, seed: int = 113
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the iris data set, split into training and test samples.

    The split is stratified (each species keeps its share in both parts) and depends only on
    ``seed``. Works offline: the data ships inside the package.

    Args:
        test_split: fraction of each species put in the test set, in ``[0, 1)``.
        seed: seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float32 features of shape ``(n, 4)`` (see
        ``feature_names``, in cm) and int32 labels 0..2 (see ``class_names``).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = lm.datasets.iris.load_data()
        >>> x_train.shape, x_test.shape
        ((120, 4), (30, 4))
    """
    test_split, seed = check_split_args(test_split, seed)
    table = read_csv_gz("iris.csv.gz", _SHA256, n_rows=150, n_columns=5)
    x = table[:, :4].astype(np.float32)
    y = table[:, 4].astype(np.int32)
    return stratified_split(x, y, test_split, seed)
