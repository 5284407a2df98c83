"""Writing TensorBoard event files without TensorFlow.

An event file is a sequence of TFRecords. Each record is::

    uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)

(little-endian), where ``data`` is one serialized ``tensorflow.Event`` protocol buffer. The first
event names the format (``file_version: "brain.Event:2"``); every later one carries a
``Summary`` of tagged values: scalars (``simple_value``), histograms (``HistogramProto``),
images (PNG bytes) or tensors with plugin metadata. The few protobuf messages needed are encoded
by hand below (field numbers from TensorBoard's ``event.proto``, ``summary.proto``,
``histogram.proto`` and ``tensor.proto``), so TensorBoard itself is needed only to view the
files.

Example:
    >>> with EventFileWriter("logs/train") as writer:
    ...     writer.add_scalar("epoch_loss", 0.25, step=0)
"""
from __future__ import annotations

import json
import os
import socket
import struct
import time
import zlib
from typing import Any

import numpy as np

__all__ = ["EventFileWriter"]

FILE_VERSION = "brain.Event:2"


# ---- CRC32C (Castagnoli), as TFRecord framing needs ----------------------------------------
def _crc32c_table() -> list[int]:
    poly = 0x82F63B78  # the Castagnoli polynomial, bit-reversed
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """The CRC-32C checksum of ``data``.

    Example:
        >>> hex(crc32c(b"123456789"))
        '0xe3069283'
    """
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The CRC as TFRecord stores it: rotated right by 15 bits plus a constant, because a CRC
    of data that itself holds CRCs is weak.

    Example:
        >>> hex(masked_crc32c(b""))   # crc32c(b"") is 0, so only the constant remains
        '0xa282ead8'
    """
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """``data`` framed as one TFRecord (length, its masked CRC, data, the data's masked CRC)."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


# ---- a minimal protobuf encoder ---------------------------------------------------------------
_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def _varint(value: int) -> bytes:
    """Base-128 varint; negative int64 values take ten bytes (two's complement)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _int_field(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + _varint(int(value))


def _double_field(field: int, value: float) -> bytes:
    return _key(field, _FIXED64) + struct.pack("<d", float(value))


def _float_field(field: int, value: float) -> bytes:
    return _key(field, _FIXED32) + struct.pack("<f", float(value))


def _bytes_field(field: int, payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return _key(field, _BYTES) + _varint(len(payload)) + payload


def _packed_doubles(field: int, values: Any) -> bytes:
    return _bytes_field(field, np.asarray(values, dtype="<f8").tobytes())


def encode_event(wall_time: float, step: int = 0, file_version: str | None = None,
                 summary: bytes | None = None) -> bytes:
    """A serialized ``Event``: wall_time (1), step (2), file_version (3) or summary (5)."""
    out = _double_field(1, wall_time)
    if step:
        out += _int_field(2, step)
    if file_version is not None:
        out += _bytes_field(3, file_version)
    if summary is not None:
        out += _bytes_field(5, summary)
    return out


def scalar_value(tag: str, value: float) -> bytes:
    """A ``Summary.Value`` holding ``simple_value`` (field 2, a float32)."""
    return _bytes_field(1, tag) + _float_field(2, value)


def histogram_value(tag: str, values: Any, bins: int = 30) -> bytes:
    """A ``Summary.Value`` holding a ``HistogramProto`` (field 5) of ``values``."""
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data)]
    if data.size == 0:
        data = np.zeros(1)
    low, high = float(data.min()), float(data.max())
    if low == high:  # one bucket around a constant, so TensorBoard still draws a bar
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(data, bins=bins, range=(low, high))
    histo = (_double_field(1, data.min()) + _double_field(2, data.max())
             + _double_field(3, data.size) + _double_field(4, data.sum())
             + _double_field(5, np.square(data).sum())
             + _packed_doubles(6, edges[1:]) + _packed_doubles(7, counts))
    return _bytes_field(1, tag) + _bytes_field(5, histo)


def image_value(tag: str, image: Any) -> bytes:
    """A ``Summary.Value`` holding a grayscale ``Image`` (field 4) of a 2-D array, scaled to
    0..255 and encoded as PNG."""
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.ndim != 2:
        raise ValueError(f"image_value expects a 2-D array, received shape {pixels.shape}.")
    low, high = pixels.min(), pixels.max()
    scaled = (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)
    gray = np.round(scaled * 255).astype(np.uint8)
    height, width = gray.shape
    img = (_int_field(1, height) + _int_field(2, width) + _int_field(3, 1)
           + _bytes_field(4, png_bytes(gray)))
    return _bytes_field(1, tag) + _bytes_field(4, img)


def text_tensor_value(tag: str, text: str, plugin_name: str, plugin_content: bytes = b""
                      ) -> bytes:
    """A ``Summary.Value`` holding a scalar string ``TensorProto`` (field 8) for
    ``plugin_name``: dtype DT_STRING (7), an empty shape (a scalar), one string_val (8)."""
    plugin = _bytes_field(1, plugin_name) + _bytes_field(2, plugin_content)
    metadata = _bytes_field(1, plugin)
    tensor = _int_field(1, 7) + _bytes_field(2, b"") + _bytes_field(8, text)
    return _bytes_field(1, tag) + _bytes_field(9, metadata) + _bytes_field(8, tensor)


def png_bytes(gray: np.ndarray) -> bytes:
    """A 2-D uint8 array as an 8-bit grayscale PNG file."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    height, width = gray.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + gray[r].tobytes() for r in range(height))  # filter type 0
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def _weight_image(values: np.ndarray) -> np.ndarray:
    """A weight as a 2-D picture: a bias as one row, a kernel wider than tall."""
    image = np.squeeze(values)
    if image.ndim <= 1:
        return image.reshape(1, -1)
    image = image.reshape(-1, image.shape[-1])
    return image.T if image.shape[0] > image.shape[1] else image


def model_graph_json(model: Any) -> str | None:
    """The model's layer graph in the JSON shape TensorBoard's graph plugin reads for Keras
    models (``graph_keras_model``); None for a subclassed model, which has no layer graph."""
    from ..models import Functional, Sequential
    if isinstance(model, Functional):
        config = _functional_graph(model)
    elif isinstance(model, Sequential) and model.layers:
        config = {"name": model.name, "layers": [_layer_entry(lay) for lay in model.layers]}
    else:
        return None
    return json.dumps({"class_name": type(model).__name__, "config": config})


def _layer_entry(layer: Any) -> dict:
    return {"class_name": type(layer).__name__,
            "config": {"name": layer.name, "dtype": str(layer.dtype)}}


def _functional_graph(model: Any) -> dict:
    """Layers with their inbound nodes (one per call of the layer), inputs and outputs."""
    inbound: dict[str, list] = {}
    for node in model._nodes:
        args = [_history(t) for t in _keras_tensors(node.args)]
        inbound.setdefault(node.layer.name, []).append({"args": args})
    layers = [dict(_layer_entry(layer), inbound_nodes=inbound.get(layer.name, []))
              for layer in model.layers]
    return {"name": model.name, "layers": layers,
            "input_layers": [[t.node.layer.name, 0, 0] for t in model.inputs],
            "output_layers": [[t.node.layer.name, 0, 0] for t in model.outputs]}


def _keras_tensors(args: Any) -> list:
    from .. import nest
    return [a for a in nest.flatten(list(args)) if hasattr(a, "node")]


def _history(tensor: Any) -> dict:
    return {"config": {"keras_history": [tensor.node.layer.name, 0, 0]}}


class EventFileWriter:
    """Appends summaries to a new event file ``events.out.tfevents.<time>.<host>`` in
    ``log_dir`` (created if needed).

    Args:
        log_dir: the folder TensorBoard will read (one folder per run, e.g. ``logs/train``).

    Example:
        >>> writer = EventFileWriter("logs/train")
        >>> writer.add_scalar("epoch_loss", 0.5, step=1)
        >>> writer.close()
    """

    def __init__(self, log_dir: str | os.PathLike):
        self.log_dir = os.fspath(log_dir)
        os.makedirs(self.log_dir, exist_ok=True)
        base = os.path.join(self.log_dir,
                            f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}")
        path, count = base, 0
        while os.path.exists(path):  # two writers in one second must not share a file
            count += 1
            path = f"{base}.{count}"
        self.path = path
        self._file = open(path, "wb")
        self._write(encode_event(time.time(), file_version=FILE_VERSION))
        self.flush()

    def _write(self, event: bytes) -> None:
        if self._file is None:
            raise RuntimeError(f"The event file {self.path} is closed.")
        self._file.write(tfrecord(event))

    def add_values(self, values: list[bytes], step: int) -> None:
        """Writes one event whose summary holds the encoded ``values``."""
        summary = b"".join(_bytes_field(1, v) for v in values)
        self._write(encode_event(time.time(), step=int(step), summary=summary))

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        """Writes ``value`` under ``tag`` at ``step`` (shown in the Scalars tab)."""
        self.add_values([scalar_value(tag, value)], step)

    def add_scalars(self, values: dict, step: int) -> None:
        """Writes every scalar number in ``values`` (tag: value); other entries (arrays,
        strings) are left out, since a scalar chart cannot show them."""
        for tag, value in values.items():
            if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
                self.add_scalar(tag, float(value), step)

    def add_histogram(self, tag: str, values: Any, step: int, bins: int = 30) -> None:
        """Writes the distribution of ``values`` (shown in the Histograms tab)."""
        self.add_values([histogram_value(tag, values, bins)], step)

    def add_image(self, tag: str, image: Any, step: int) -> None:
        """Writes a 2-D array as a grayscale image (shown in the Images tab)."""
        self.add_values([image_value(tag, image)], step)

    def add_weights(self, layers: Any, step: int, images: bool = False) -> None:
        """A histogram (``<weight>/histogram``) of every weight of ``layers`` and, if
        ``images``, a grayscale picture of it (``<weight>/image``)."""
        for layer in layers:
            for weight in layer.weights:
                name = weight.name.replace(":", "_")
                values = weight.numpy()
                self.add_histogram(f"{name}/histogram", values, step)
                if images and values.size:
                    self.add_image(f"{name}/image", _weight_image(values), step)

    def add_text_tensor(self, tag: str, text: str, plugin_name: str, step: int = 0,
                        plugin_content: bytes = b"") -> None:
        """Writes ``text`` as a string tensor for ``plugin_name`` (e.g. a model graph)."""
        self.add_values([text_tensor_value(tag, text, plugin_name, plugin_content)], step)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "EventFileWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
