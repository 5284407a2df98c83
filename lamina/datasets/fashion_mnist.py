"""Fashion-MNIST (Xiao, Rasul and Vollgraf, Zalando Research): 60,000 training and 10,000 test
28x28 grey images of 10 kinds of clothing, in the same IDX files as MNIST (see mnist.py)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ._cache import mirrored_files
from .mnist import load_idx_dataset

__all__ = ["load_data", "class_names"]

class_names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")

_MIRRORS = ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/"
            "fashion/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")
_CHECKSUMS = {  # SHA-256 of the files whose MD5s the Fashion-MNIST README publishes
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}
FILES = mirrored_files(_MIRRORS, _CHECKSUMS)


def load_data(path: Any = None, cache_dir: Any = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST from the local cache, downloading the files the first time.

    Args:
        path: the folder holding the four ``.gz`` files (default: ``<cache>/fashion_mnist``).
        cache_dir: the cache folder (default: ``$LAMINA_DATA``, else ``~/.lamina/datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(60000, 28, 28)`` and
        ``(10000, 28, 28)``, uint8 labels 0..9 (see ``class_names``).

    Raises:
        DataUnavailableError: files are missing and cannot be downloaded.
        DatasetFormatError: a cached file is damaged or not an IDX file of the right kind.

    Example:
        >>> (x_train, y_train), _ = lm.datasets.fashion_mnist.load_data()
        >>> lm.datasets.fashion_mnist.class_names[y_train[0]]
        'Ankle boot'
    """
    return load_idx_dataset("fashion_mnist", FILES, path, cache_dir)
