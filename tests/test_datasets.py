"""The iris and digits data sets that ship inside the package."""
import gzip
import shutil

import numpy as np
import pytest

import lamina.datasets
from lamina.datasets import _shipped, digits, iris


def _check_arrays(data, n_total, feature_shape, n_classes):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.dtype == np.int32 and y_test.dtype == np.int32
    assert x_train.shape[1:] == feature_shape and x_test.shape[1:] == feature_shape
    assert len(x_train) == len(y_train) and len(x_test) == len(y_test)
    assert len(x_train) + len(x_test) == n_total
    assert set(np.unique(np.concatenate([y_train, y_test]))) == set(range(n_classes))


def test_iris_shapes_counts_and_values():
    data = iris.load_data()
    _check_arrays(data, 150, (4,), 3)
    (x_train, y_train), (x_test, y_test) = data
    assert x_test.shape == (30, 4)
    assert np.bincount(np.concatenate([y_train, y_test])).tolist() == [50, 50, 50]
    assert np.bincount(y_test).tolist() == [10, 10, 10]     # stratified
    x = np.concatenate([x_train, x_test])
    assert 4.0 <= x[:, 0].min() and x[:, 0].max() <= 8.0   # sepal length in cm
    assert 0.0 < x.min() and x.max() < 8.0
    np.testing.assert_allclose(np.sort(x[:, 2])[[0, -1]], [1.0, 6.9])
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    assert len(iris.feature_names) == 4 and "petal" in iris.feature_names[2]


def test_iris_known_first_sample():
    # Fisher's first flower (setosa): 5.1, 3.5, 1.4, 0.2.
    (x_train, y_train), (x_test, y_test) = iris.load_data(test_split=0.0)
    x = np.concatenate([x_train, x_test])
    y = np.concatenate([y_train, y_test])
    hits = np.flatnonzero(np.all(np.isclose(x, [5.1, 3.5, 1.4, 0.2]), axis=1))
    assert len(hits) >= 1 and set(y[hits]) == {0}
    assert x_test.shape == (0, 4)


def test_digits_shapes_counts_and_values():
    data = digits.load_data()
    _check_arrays(data, 1797, (8, 8), 10)
    (x_train, y_train), (x_test, y_test) = data
    counts = np.bincount(np.concatenate([y_train, y_test]))
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    x = np.concatenate([x_train, x_test])
    assert x.min() == 0.0 and x.max() == 16.0
    assert np.array_equal(x, np.round(x))                     # whole pixel counts
    # Each digit's test share is within one sample of test_split.
    assert np.all(np.abs(np.bincount(y_test) - 0.2 * counts) <= 0.5)
    assert digits.class_names == tuple("0123456789")


@pytest.mark.parametrize("module", [iris, digits])
def test_split_depends_only_on_seed(module):
    (a_x, a_y), (a_tx, a_ty) = module.load_data(seed=7)
    (b_x, b_y), (b_tx, b_ty) = module.load_data(seed=7)
    np.testing.assert_array_equal(a_x, b_x)
    np.testing.assert_array_equal(a_ty, b_ty)
    (c_x, _), _ = module.load_data(seed=8)
    assert not np.array_equal(a_x, c_x)
    # Train and test together hold every sample once, whatever the split.
    (d_x, _), (d_tx, _) = module.load_data(test_split=0.5, seed=7)
    whole = np.sort(np.concatenate([a_x, a_tx]).reshape(len(a_x) + len(a_tx), -1), axis=0)
    other = np.sort(np.concatenate([d_x, d_tx]).reshape(len(d_x) + len(d_tx), -1), axis=0)
    np.testing.assert_array_equal(whole, other)


def test_training_order_is_shuffled():
    (_, y_train), _ = iris.load_data()
    assert not np.all(np.diff(y_train) >= 0)   # classes interleave, not sorted blocks


@pytest.mark.parametrize("kwargs,error,match", [
    ({"test_split": 1.0}, ValueError, "test_split"),
    ({"test_split": -0.1}, ValueError, "test_split"),
    ({"test_split": "0.2"}, TypeError, "test_split"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        iris.load_data(**kwargs)


def test_missing_and_corrupt_files_give_clear_errors(tmp_path, monkeypatch):
    shipped = _shipped.DATA_DIR / "iris.csv.gz"
    monkeypatch.setattr(_shipped, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="iris.csv.gz.*missing"):
        iris.load_data()
    shutil.copy(shipped, tmp_path / "iris.csv.gz")
    iris.load_data()   # an intact copy loads
    with gzip.open(tmp_path / "iris.csv.gz", "wb") as f:
        f.write(b"sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species\n")
    with pytest.raises(ValueError, match="corrupt"):
        iris.load_data()


def test_package_exposes_modules():
    assert lamina.datasets.iris is iris and lamina.datasets.digits is digits
