"""The local cache of the data sets that are too large to ship: where their files live, and
fetching the missing ones.

Files live in ``<root>/<data set>/`` under their original names, where ``root`` is the
``cache_dir`` argument, else the ``LAMINA_DATA`` environment variable, else
``~/.lamina/datasets``. A missing file is downloaded with urllib (with a timeout) to a temporary
file in that folder, checked against its published SHA-256, and only then moved into place, so
an interrupted download never leaves a partial file under the real name. Without a network the
error names the files, the folder and the URLs to fetch them from by hand.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

ENV_VAR = "LAMINA_DATA"
DEFAULT_ROOT = Path("~") / ".lamina" / "datasets"
DOWNLOAD_TIMEOUT = 60.0       # seconds without data before a download is abandoned
_CHUNK = 1 << 20

# The opener, looked up at call time so that tests can replace it (no network in tests).
_urlopen = urllib.request.urlopen


class DataUnavailableError(FileNotFoundError):
    """A data set's files are not in the cache and could not be downloaded."""


class DatasetFormatError(ValueError):
    """A cached data file is truncated, damaged, or not in the expected format."""


@dataclass(frozen=True)
class RemoteFile:
    """A file of a data set: its name, where to download it, and its published checksum."""

    name: str
    urls: tuple[str, ...]
    sha256: str


def mirrored_files(mirrors: Sequence[str], checksums: dict[str, str]
                   ) -> tuple[RemoteFile, ...]:
    """One RemoteFile per ``{name: sha256}``, downloadable from each mirror (folder URLs)."""
    return tuple(RemoteFile(name, tuple(m + name for m in mirrors), sha256)
                 for name, sha256 in checksums.items())


def dataset_dir(dataset: str, path: Any = None, cache_dir: Any = None) -> Path:
    """The folder holding ``dataset``'s files: ``path`` if given, else
    ``<cache_dir or $LAMINA_DATA or ~/.lamina/datasets>/<dataset>``."""
    if path is not None:
        return _as_folder(path, "path")
    root = cache_dir if cache_dir is not None else os.environ.get(ENV_VAR) or DEFAULT_ROOT
    return _as_folder(root, "cache_dir") / dataset


def _as_folder(value: Any, what: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{what} must be a folder path (str or os.PathLike), received "
                        f"{type(value).__name__}: {value!r}.")
    return Path(os.fspath(value)).expanduser()


def fetch(folder: Path, files: Sequence[RemoteFile], dataset: str) -> list[Path]:
    """The paths of ``files`` in ``folder``, downloading those that are missing.

    Raises:
        DataUnavailableError: some files are missing and could not be downloaded; the message
            says which, where to put them and where to get them.
    """
    failures = {}
    for remote in files:
        if not (folder / remote.name).is_file():
            reasons = download(remote, folder)
            if reasons:
                failures[remote] = reasons
    if failures:
        raise DataUnavailableError(_unavailable_message(dataset, folder, failures))
    return [folder / remote.name for remote in files]


def download(remote: RemoteFile, folder: Path) -> list[str]:
    """Downloads ``remote`` into ``folder`` from the first URL that works; returns the reason
    each URL failed (an empty list on success)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [f"cannot create the folder {folder}: {exc}"]
    reasons = []
    for url in remote.urls:
        try:
            _download_one(url, folder / remote.name, remote.sha256)
            return []
        except (OSError, ValueError, http.client.HTTPException) as exc:
            reasons.append(f"{url}: {exc}")
    return reasons


def _download_one(url: str, target: Path, sha256: str) -> None:
    print(f"Downloading {url} to {target}", file=sys.stderr)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                    dir=target.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            raise ValueError(f"the downloaded file has SHA-256 {digest.hexdigest()}, expected "
                             f"{sha256} (a damaged or different file; it was discarded)")
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _unavailable_message(dataset: str, folder: Path, failures: dict) -> str:
    lines = [f"The {dataset} data set is not in the cache folder {folder} and could not be "
             "downloaded:"]
    for remote, reasons in failures.items():
        lines.append(f"  {remote.name} (SHA-256 {remote.sha256}):")
        lines += [f"    {reason}" for reason in reasons]
    lines.append(f"Without a network, download these files by hand and put them in {folder} "
                 f"(or in <folder>/{dataset} for a folder named by the {ENV_VAR} environment "
                 "variable or the cache_dir argument):")
    lines += [f"  {remote.urls[0]}" for remote in failures]
    return "\n".join(lines)


def format_error(path: Path, problem: str, remote: RemoteFile | None = None) -> \
        DatasetFormatError:
    """The error for a cached file that cannot be parsed, with how to get a good copy."""
    hint = " Delete it so that it is downloaded again" + (
        f", or fetch it by hand from {remote.urls[0]}." if remote else ".")
    return DatasetFormatError(f"{path} is damaged or not in the expected format: {problem}."
                              + hint)
