"""Datasets. ``iris`` and ``digits`` ship inside the package and load offline.

Each of these has ``load_data(test_split=0.2, seed=113)`` returning
``(x_train, y_train), (x_test, y_test)`` as NumPy arrays.

``mnist``, ``fashion_mnist`` and ``cifar10`` have ``load_data(path=None, cache_dir=None)``
with Keras's shapes and dtypes: they read the original files from a local cache
(``$LAMINA_DATA`` or ``~/.lamina/datasets``) and download them there when they are missing.
"""
from . import cifar10, digits, fashion_mnist, iris, mnist
from ._cache import DatasetFormatError, DataUnavailableError

__all__ = ["iris", "digits", "mnist", "fashion_mnist", "cifar10", "DataUnavailableError",
           "DatasetFormatError"]
