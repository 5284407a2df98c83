"""Writing files so that an interrupted save never destroys the previous file.

The new content goes to a temporary file in the same folder, is flushed to disk, and only then
replaces the target with ``os.replace`` (atomic on POSIX and Windows): a crash, an exception or a
full disk in the middle of a save leaves the old file as it was.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Callable


def as_path(filepath: Any, what: str) -> Path:
    """``filepath`` (a str or os.PathLike) as a Path; a clear TypeError otherwise."""
    if isinstance(filepath, (str, os.PathLike)):
        return Path(os.fspath(filepath))
    raise TypeError(f"{what} expects a file path (str or os.PathLike), received "
                    f"{type(filepath).__name__}: {filepath!r}.")


def check_writable(path: Path, overwrite: bool) -> None:
    """Raises if ``path`` exists and ``overwrite`` is False, or if its folder is missing."""
    if path.is_dir():
        raise IsADirectoryError(f"Cannot write {path}: it is a folder; pass a file name.")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Cannot write {path}: the folder {path.parent} does not "
                                "exist.")


def atomic_write(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """Calls ``write(stream)`` on a temporary file, then moves it onto ``path``.

    Example:
        >>> atomic_write(Path("w.safetensors"), lambda f: f.write(data))
    """
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private (0600); give it the mode a normal open() would.
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_folder(folder)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Makes the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
