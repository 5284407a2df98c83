"""``model.summary()``: one row per layer with its output shape and parameter count."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import nest
from ..tensor import _fmt_shape


def summary_lines(model: Any, width: int, show_trainable: bool) -> list[str]:
    rows = [(f"{layer.name} ({type(layer).__name__})", _output_shape(layer),
             _params(layer), _connections(model, layer)) for layer in model.layers]
    connected = any(r[3] for r in rows)
    cols = [0.45, 0.75, 1.0] if not connected else [0.33, 0.55, 0.67, 1.0]
    stops = [int(width * c) for c in cols]
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected
                                                            else [])
    lines = [f'Model: "{model.name}"', "_" * width, _row(header, stops), "=" * width]
    for i, (name, shape, params, conn) in enumerate(rows):
        cells = [name, shape, params] + ([conn] if connected else [])
        lines.append(_row(cells, stops))
        lines.append("=" * width if i == len(rows) - 1 else "")
    lines = [line for line in lines if line != ""]
    total, trainable = _counts(model)
    lines += [f"Total params: {total:,} ({_bytes(model.weights)})",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "_" * width]
    if show_trainable:
        lines.insert(-1, "Trainable layers: " + ", ".join(
            layer.name for layer in model.layers if layer.trainable))
    return lines


def _row(cells: list[str], stops: list[int]) -> str:
    line = ""
    start = 0
    for cell, stop in zip(cells, stops):
        text = " " + str(cell)
        line += text[: stop - start - 1].ljust(stop - start)
        start = stop
    return line.rstrip()


def _output_shape(layer: Any) -> str:
    """From the layer's last symbolic call (functional and Sequential models); "?" for layers
    of subclassed models, whose calls are not recorded."""
    if not layer._inbound_nodes:
        return "?"
    outputs = nest.flatten(layer._inbound_nodes[-1].outputs)
    return ", ".join(_fmt_shape(t.shape) for t in outputs)


def _params(layer: Any) -> str:
    if not layer.built:
        return "0 (unbuilt)"
    return f"{int(sum(np.prod(w.shape) for w in layer.weights)):,}"


def _connections(model: Any, layer: Any) -> str:
    nodes = getattr(model, "_nodes", None)
    if nodes is None or type(model).__name__ == "Sequential":
        return ""
    parents = []
    for node in nodes:
        if node.layer is layer:
            parents += [t.node.layer.name for t in node.parents()]
    if len(parents) <= 1 and all(_single_chain(model)):
        return ""
    return ", ".join(parents)


def _single_chain(model: Any) -> list[bool]:
    return [len(node.parents()) == 1 for node in model._nodes]


def _counts(model: Any) -> tuple[int, int]:
    total = int(sum(np.prod(w.shape) for w in model.weights)) if model.built else 0
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights)) if model.built else 0
    return total, trainable


def _bytes(weights: list) -> str:
    n = float(sum(np.prod(w.shape) * w.dtype.itemsize for w in weights))
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"
