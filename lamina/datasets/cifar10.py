"""CIFAR-10 (Krizhevsky, 2009): 50,000 training and 10,000 test 32x32 colour images in 10
classes, read from the original binary version ``cifar-10-binary.tar.gz``.

The archive holds ``cifar-10-batches-bin/data_batch_1.bin`` ... ``data_batch_5.bin`` and
``test_batch.bin``; each is a run of 3073-byte records: one label byte (0..9), then the 1024
red, 1024 green and 1024 blue bytes of the image, row by row. Members are read straight from
the archive (nothing is extracted to disk) and never unpickled.
"""
from __future__ import annotations

import tarfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ._cache import RemoteFile, dataset_dir, fetch, format_error

__all__ = ["load_data", "class_names"]

class_names = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")

ARCHIVE = RemoteFile(
    "cifar-10-binary.tar.gz", ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")
FOLDER = "cifar-10-batches-bin"
TRAIN_MEMBERS = tuple(f"{FOLDER}/data_batch_{i}.bin" for i in range(1, 6))
TEST_MEMBER = f"{FOLDER}/test_batch.bin"
RECORD_BYTES = 1 + 3 * 32 * 32


def load_data(path: Any = None, cache_dir: Any = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10 from the local cache, downloading the archive the first time.

    Args:
        path: the folder holding ``cifar-10-binary.tar.gz`` (default: ``<cache>/cifar10``).
        cache_dir: the cache folder (default: ``$LAMINA_DATA``, else ``~/.lamina/datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(50000, 32, 32, 3)`` and
        ``(10000, 32, 32, 3)`` (channels last), uint8 labels ``(50000, 1)`` and
        ``(10000, 1)`` (see ``class_names``).

    Raises:
        DataUnavailableError: the archive is missing and cannot be downloaded.
        DatasetFormatError: the archive is damaged or lacks a batch file.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = lm.datasets.cifar10.load_data()
        >>> x_train.shape, y_train.shape
        ((50000, 32, 32, 3), (50000, 1))
    """
    folder = dataset_dir("cifar10", path, cache_dir)
    (archive,) = fetch(folder, [ARCHIVE], "cifar10")
    members = read_members(archive, (*TRAIN_MEMBERS, TEST_MEMBER))
    train = [parse_batch(members[name], archive, name) for name in TRAIN_MEMBERS]
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    x_test, y_test = parse_batch(members[TEST_MEMBER], archive, TEST_MEMBER)
    return (x_train, y_train), (x_test, y_test)


def read_members(archive: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """The bytes of the regular files ``names`` inside the ``.tar.gz`` ``archive``."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if name in names and name not in found:
                    if not member.isfile():
                        raise format_error(archive, f"{name} is not a regular file", ARCHIVE)
                    found[name] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise format_error(archive, f"it is not a complete .tar.gz archive ({exc})",
                           ARCHIVE) from None
    missing = [name for name in names if name not in found]
    if missing:
        raise format_error(archive, f"it lacks {missing}", ARCHIVE)
    return found


def parse_batch(raw: bytes, archive: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 32, 32, 3)`` and labels ``(n, 1)`` of one binary batch file."""
    if not raw or len(raw) % RECORD_BYTES:
        raise format_error(archive, f"{name} holds {len(raw)} bytes, not a whole number of "
                           f"{RECORD_BYTES}-byte records", ARCHIVE)
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, :1].copy()
    if labels.max() >= len(class_names):
        raise format_error(archive, f"{name} holds label {labels.max()}, expected labels 0 to "
                           f"{len(class_names) - 1}", ARCHIVE)
    # Records store each image channel by channel (CHW); Keras's layout is channels last.
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
