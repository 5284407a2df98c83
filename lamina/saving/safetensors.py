"""Reading and writing the safetensors format, checking every byte of a file before trusting it.

A safetensors file is:

* 8 bytes: the length ``n`` of the header, an unsigned little-endian 64-bit integer;
* ``n`` bytes: a UTF-8 JSON object ``{name: {"dtype": "F32", "shape": [2, 3],
  "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}`` (``__metadata__`` is
  optional), padded with spaces;
* the tensors' raw little-endian bytes; ``data_offsets`` count from the first byte after the
  header, and the tensors tile that buffer exactly: no gap, no overlap, nothing left over.

The reader never executes anything from the file: it parses JSON and copies bytes into NumPy
arrays. Every inconsistency raises :class:`FileFormatError` naming the file and the problem.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Mapping

import numpy as np

__all__ = ["FileFormatError", "serialize", "deserialize", "save_file", "load_file"]

# safetensors dtype name -> little-endian NumPy dtype.
DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype("|b1"), "U8": np.dtype("|u1"), "I8": np.dtype("|i1"),
    "U16": np.dtype("<u2"), "I16": np.dtype("<i2"), "F16": np.dtype("<f2"),
    "U32": np.dtype("<u4"), "I32": np.dtype("<i4"), "F32": np.dtype("<f4"),
    "U64": np.dtype("<u8"), "I64": np.dtype("<i8"), "F64": np.dtype("<f8"),
}
_NAMES = {(dtype.kind, dtype.itemsize): name for name, dtype in DTYPES.items()}
# Known to the format but without a NumPy dtype: reported as such rather than as unknown.
_UNSUPPORTED = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"}
MAX_HEADER_BYTES = 100 * 1024 * 1024   # the limit of the reference implementation
_ENTRY_KEYS = {"dtype", "shape", "data_offsets"}


class FileFormatError(ValueError):
    """A saved file (safetensors or ``.lamina``) is truncated, corrupt or inconsistent."""


# ---- writing ----------------------------------------------------------------------------------
def serialize(tensors: Mapping[str, Any], metadata: Mapping[str, str] | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (name -> array), in the mapping's order.

    Args:
        tensors: names (non-empty strings, not ``"__metadata__"``) to arrays of a supported
            dtype (bool, uint8/16/32/64, int8/16/32/64, float16/32/64).
        metadata: optional string -> string pairs stored in the header.

    Example:
        >>> data = serialize({"w": np.ones((2, 3), np.float32)}, {"format": "lamina"})
        >>> deserialize(data)[0]["w"].shape
        (2, 3)
    """
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = _check_metadata_to_write(metadata)
    chunks = []
    offset = 0
    for name, value in tensors.items():
        array = _check_tensor_to_write(name, value)
        raw = array.astype(_little(array.dtype), copy=False).tobytes(order="C")
        header[name] = {"dtype": _NAMES[array.dtype.kind, array.dtype.itemsize],
                        "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad so the data starts 8-byte aligned, as the reference writer does.
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save_file(tensors: Mapping[str, Any], path: str | Path,
              metadata: Mapping[str, str] | None = None) -> None:
    """Writes :func:`serialize`'s bytes to ``path`` (atomically: see ``atomic_write``)."""
    from .files import atomic_write
    data = serialize(tensors, metadata)
    atomic_write(Path(path), lambda stream: stream.write(data))


def _little(dtype: np.dtype) -> np.dtype:
    return dtype if dtype.byteorder == "|" else dtype.newbyteorder("<")


def _check_tensor_to_write(name: Any, value: Any) -> np.ndarray:
    if not isinstance(name, str) or not name:
        raise ValueError(f"Tensor names must be non-empty strings, received {name!r}.")
    if name == "__metadata__":
        raise ValueError("'__metadata__' is reserved by the safetensors format and cannot name "
                         "a tensor.")
    array = np.asarray(value)
    if (array.dtype.kind, array.dtype.itemsize) not in _NAMES:
        raise ValueError(f"Tensor {name!r} has dtype {array.dtype}, which safetensors cannot "
                         f"store; supported: {sorted(str(d) for d in DTYPES.values())}.")
    return array


def _check_metadata_to_write(metadata: Mapping[str, str]) -> dict[str, str]:
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"safetensors metadata maps strings to strings, received "
                             f"{key!r}: {value!r}.")
    return dict(metadata)


# ---- reading ----------------------------------------------------------------------------------
def load_file(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and metadata of the safetensors file at ``path`` (see :func:`deserialize`).

    Example:
        >>> tensors, metadata = load_file("w.safetensors")
    """
    path = Path(path)
    with open(path, "rb") as stream:
        data = stream.read()
    return deserialize(data, source=str(path))


def deserialize(data: bytes, source: str = "<bytes>"
                ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parses and validates safetensors ``data``; returns ``(tensors, metadata)``.

    The tensors come back in the order of their data in the file, as independent copies.

    Raises:
        FileFormatError: naming ``source`` and the first problem found (a header length past
            the end of the data, invalid JSON, an unknown dtype, offsets out of bounds,
            overlapping or leaving gaps, a byte count that does not match dtype and shape...).
    """
    view = memoryview(data)
    header_len = _header_length(view, source)
    header = _parse_header(bytes(view[8:8 + header_len]), source)
    metadata = _check_metadata(header.pop("__metadata__", None), source)
    buffer = view[8 + header_len:]
    entries = sorted(((_check_entry(name, spec, source), name) for name, spec in header.items()),
                     key=lambda item: item[0][2])
    _check_tiling(entries, len(buffer), source)
    tensors = {}
    for (dtype, shape, begin, end), name in entries:
        array = np.frombuffer(buffer[begin:end], dtype=DTYPES[dtype]).reshape(shape)
        if dtype == "BOOL" and np.any(array.view(np.uint8) > 1):
            raise FileFormatError(f"{source}: tensor {name!r} of dtype BOOL holds bytes other "
                                  "than 0 and 1.")
        tensors[name] = array.astype(array.dtype.newbyteorder("="), copy=True)
    return tensors, metadata


def _header_length(view: memoryview, source: str) -> int:
    if len(view) < 8:
        raise FileFormatError(f"{source}: the file is {len(view)} bytes long, too short to hold "
                              "the 8-byte header length of a safetensors file (truncated?).")
    (header_len,) = struct.unpack("<Q", view[:8])
    if header_len < 2:
        raise FileFormatError(f"{source}: the header length is {header_len} bytes; a "
                              "safetensors header is a JSON object of at least 2 bytes.")
    if header_len > MAX_HEADER_BYTES:
        raise FileFormatError(f"{source}: the header length {header_len} exceeds the "
                              f"{MAX_HEADER_BYTES}-byte limit (not a safetensors file?).")
    if 8 + header_len > len(view):
        raise FileFormatError(f"{source}: the header length {header_len} goes past the end of "
                              f"the file ({len(view)} bytes): the file is truncated or not a "
                              "safetensors file.")
    return header_len


def _parse_header(raw: bytes, source: str) -> dict[str, Any]:
    if not raw.startswith(b"{"):
        raise FileFormatError(f"{source}: the header does not start with '{{': not a "
                              "safetensors file.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{source}: the header is not valid UTF-8 ({exc}).") from None
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicates)
    except (json.JSONDecodeError, _DuplicateKey) as exc:
        raise FileFormatError(f"{source}: the header is not valid JSON: {exc}.") from None
    if not isinstance(header, dict):
        raise FileFormatError(f"{source}: the header must be a JSON object, received "
                              f"{type(header).__name__}.")
    return header


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _check_metadata(metadata: Any, source: str) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise FileFormatError(f"{source}: '__metadata__' must map strings to strings, received "
                              f"{metadata!r}.")
    return metadata


def _check_entry(name: str, spec: Any, source: str) -> tuple[str, tuple[int, ...], int, int]:
    where = f"{source}: tensor {name!r}"
    if not isinstance(spec, dict) or set(spec) != _ENTRY_KEYS:
        raise FileFormatError(f"{where}: expected an object with keys {sorted(_ENTRY_KEYS)}, "
                              f"received {spec!r}.")
    dtype = spec["dtype"]
    if dtype in _UNSUPPORTED:
        raise FileFormatError(f"{where}: dtype {dtype} has no NumPy equivalent and cannot be "
                              "loaded.")
    if dtype not in DTYPES:
        raise FileFormatError(f"{where}: unknown dtype {dtype!r}; expected one of "
                              f"{sorted(DTYPES)}.")
    shape = spec["shape"]
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise FileFormatError(f"{where}: shape must be a list of non-negative integers, "
                              f"received {shape!r}.")
    offsets = spec["data_offsets"]
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
            and offsets[0] <= offsets[1]):
        raise FileFormatError(f"{where}: data_offsets must be [begin, end] with "
                              f"0 <= begin <= end, received {offsets!r}.")
    begin, end = offsets
    expected = int(np.prod(shape, dtype=object)) * DTYPES[dtype].itemsize
    if end - begin != expected:
        raise FileFormatError(f"{where}: shape {shape} of dtype {dtype} needs {expected} bytes, "
                              f"but data_offsets {offsets} span {end - begin} bytes.")
    return dtype, tuple(shape), begin, end


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_tiling(entries: list, buffer_len: int, source: str) -> None:
    """The tensors' byte ranges must cover the data exactly, one after another."""
    position = 0
    for (_, _, begin, end), name in entries:
        if begin != position:
            problem = "overlaps the previous tensor" if begin < position else \
                f"leaves a gap of {begin - position} bytes before it"
            raise FileFormatError(f"{source}: tensor {name!r} (data_offsets [{begin}, {end}]) "
                                  f"{problem}.")
        position = end
    if position != buffer_len:
        if position > buffer_len:
            raise FileFormatError(f"{source}: the tensors need {position} bytes of data but "
                                  f"the file holds only {buffer_len}: it is truncated.")
        raise FileFormatError(f"{source}: {buffer_len - position} bytes after the last tensor "
                              "belong to no tensor.")
