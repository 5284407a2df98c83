"""Datasets. ``iris`` and ``digits`` ship inside the package and load offline.

Each module has ``load_data(test_split=0.2, seed=113)`` returning
``(x_train, y_train), (x_test, y_test)`` as NumPy arrays.
"""
from . import digits, iris

__all__ = ["iris", "digits"]
