"""MNIST handwritten digits (LeCun, Cortes and Burges): 60,000 training and 10,000 test images
of 28x28 grey pixels, read from the four original gzipped IDX files.

An IDX file is a 4-byte magic number (two zero bytes, a type code — 0x08 for unsigned bytes —
and the number of dimensions), then each dimension as a big-endian 32-bit integer, then the
values. Images are ``0x00000803`` (n, 28, 28); labels ``0x00000801`` (n,). Fashion-MNIST uses the
same files and reuses :func:`load_idx_dataset`.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._cache import RemoteFile, dataset_dir, fetch, format_error, mirrored_files

__all__ = ["load_data"]

_MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/")
_CHECKSUMS = {  # SHA-256 of the original files
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
FILES = mirrored_files(_MIRRORS, _CHECKSUMS)

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
NUM_CLASSES = 10


def load_data(path: Any = None, cache_dir: Any = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST from the local cache, downloading the files the first time.

    Args:
        path: the folder holding the four ``.gz`` files (default: ``<cache>/mnist``).
        cache_dir: the cache folder (default: ``$LAMINA_DATA``, else ``~/.lamina/datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape ``(60000, 28, 28)``
        and ``(10000, 28, 28)``, uint8 labels 0..9 of shape ``(60000,)`` and ``(10000,)``.

    Raises:
        DataUnavailableError: files are missing and cannot be downloaded (the message says
            where to get them).
        DatasetFormatError: a cached file is damaged or not an MNIST IDX file.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = lm.datasets.mnist.load_data()
        >>> x_train.shape, y_train[:3]
        ((60000, 28, 28), array([5, 0, 4], dtype=uint8))
    """
    return load_idx_dataset("mnist", FILES, path, cache_dir)


def load_idx_dataset(dataset: str, files: Sequence[RemoteFile], path: Any, cache_dir: Any
                     ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Reads MNIST-layout files (train images, train labels, test images, test labels)."""
    folder = dataset_dir(dataset, path, cache_dir)
    paths = fetch(folder, files, dataset)
    splits = []
    for images_at, labels_at in ((0, 1), (2, 3)):
        images = read_images(paths[images_at], files[images_at])
        labels = read_labels(paths[labels_at], files[labels_at])
        if len(images) != len(labels):
            raise format_error(paths[labels_at], f"it holds {len(labels)} labels for the "
                               f"{len(images)} images of {paths[images_at].name}")
        splits.append((images, labels))
    return splits[0], splits[1]


def read_images(path: Path, remote: RemoteFile | None = None) -> np.ndarray:
    """The uint8 images ``(n, 28, 28)`` of a gzipped IDX image file."""
    images = read_idx(path, IMAGES_MAGIC, remote)
    if images.shape[1:] != (28, 28):
        raise format_error(path, f"its images are {images.shape[1]}x{images.shape[2]}, "
                           "expected 28x28", remote)
    return images


def read_labels(path: Path, remote: RemoteFile | None = None) -> np.ndarray:
    """The uint8 labels ``(n,)`` of a gzipped IDX label file (each in 0..9)."""
    labels = read_idx(path, LABELS_MAGIC, remote)
    if labels.size and labels.max() >= NUM_CLASSES:
        raise format_error(path, f"it holds label {labels.max()}, expected labels 0 to "
                           f"{NUM_CLASSES - 1}", remote)
    return labels


def read_idx(path: Path, magic: int, remote: RemoteFile | None = None) -> np.ndarray:
    """The unsigned-byte array of a gzipped IDX file whose magic number must be ``magic``."""
    raw = _gunzip(path, remote)
    if len(raw) < 4:
        raise format_error(path, f"it holds {len(raw)} bytes, too few for an IDX header",
                           remote)
    (found,) = struct.unpack(">I", raw[:4])
    if found != magic:
        raise format_error(path, f"its magic number is 0x{found:08x}, expected 0x{magic:08x} "
                           f"(unsigned bytes in {magic & 0xFF} dimensions)", remote)
    ndim = magic & 0xFF
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise format_error(path, "its header is truncated", remote)
    dims = struct.unpack(f">{ndim}I", raw[4:start])
    expected = int(np.prod(dims, dtype=object))
    actual = len(raw) - start
    if actual != expected:
        problem = "it is truncated" if actual < expected else "it has trailing bytes"
        raise format_error(path, f"{problem}: dimensions {list(dims)} need {expected} bytes "
                           f"of data, found {actual}", remote)
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims).copy()


def _gunzip(path: Path, remote: RemoteFile | None) -> bytes:
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise format_error(path, f"it is not a complete gzip file ({exc})", remote) from None
