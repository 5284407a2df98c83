"""``plot_model``: a model's layer graph as Graphviz DOT text, rendered to an image by the
Graphviz ``dot`` program when it is installed (no Python Graphviz package is needed).

Functional models (and built Sequential models, through the graph they keep) draw one box per
layer and one arrow per connection; a subclassed model records no graph, so it is one box.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .. import nest

__all__ = ["plot_model", "model_to_dot"]

_TEXT_FORMATS = {"dot", "gv"}
_IMAGE_FORMATS = {"png", "svg", "pdf", "jpg", "jpeg", "gif", "ps", "eps"}
_RANKDIRS = ("TB", "LR", "BT", "RL")
_RENDER_TIMEOUT = 120


def plot_model(model: Any, to_file: Any = "model.png", show_shapes: bool = True,
               show_dtype: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
               dpi: int = 96, show_layer_activations: bool = False,
               show_trainable: bool = False) -> str:
    """Draws the model's layers and their connections to ``to_file``.

    A name ending in ``.dot`` (or ``.gv``) gets the Graphviz DOT text. Image formats (``.png``,
    ``.svg``, ``.pdf``, ``.jpg``...; no extension means PNG) are rendered by running
    Graphviz's ``dot`` program, which must be installed.

    Args:
        model: a built model.
        to_file: where to write the plot.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show layer names (the class name is always shown).
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right); also ``"BT"``, ``"RL"``.
        dpi: resolution of bitmap images.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer is trainable.

    Returns:
        The DOT text of the plot.

    Raises:
        RuntimeError: an image was asked for and Graphviz's ``dot`` is not installed (or
            failed).

    Example:
        >>> lm.utils.plot_model(model, to_file="model.dot")   # no Graphviz needed
        >>> lm.utils.plot_model(model, to_file="model.png", show_dtype=True)
    """
    path = Path(_check_path(to_file))
    fmt = path.suffix[1:].lower() or "png"
    if fmt not in _TEXT_FORMATS | _IMAGE_FORMATS:
        raise ValueError(f"plot_model cannot write {path.suffix!r} files; use a name ending in "
                         f"one of {sorted('.' + f for f in _TEXT_FORMATS | _IMAGE_FORMATS)}.")
    text = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                        show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi,
                        show_layer_activations=show_layer_activations,
                        show_trainable=show_trainable)
    if fmt in _TEXT_FORMATS:
        path.write_text(text, encoding="utf-8")
    else:
        _render(text, path, fmt)
    return text


def model_to_dot(model: Any, show_shapes: bool = True, show_dtype: bool = False,
                 show_layer_names: bool = True, rankdir: str = "TB", dpi: int = 96,
                 show_layer_activations: bool = False, show_trainable: bool = False) -> str:
    """The Graphviz DOT text that :func:`plot_model` draws (see there for the arguments).

    Example:
        >>> print(lm.utils.model_to_dot(model))
        digraph "sequential" { ...
    """
    _check_args(model, rankdir, dpi)
    show = {"shapes": show_shapes, "dtype": show_dtype, "names": show_layer_names,
            "activations": show_layer_activations, "trainable": show_trainable}
    boxes, edges = _graph(model)
    lines = [f"digraph {_quote(model.name)} {{",
             f"  graph [rankdir={rankdir}, dpi={dpi}, concentrate=true];",
             '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];']
    ids = {}
    for layer, node in boxes:
        ids[id(layer)] = f"n{len(ids)}"
        lines.append(f"  {ids[id(layer)]} [label={_quote(_label(layer, node, show))}];")
    lines += [f"  {ids[a]} -> {ids[b]};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _check_path(to_file: Any) -> Any:
    if not isinstance(to_file, (str, os.PathLike)):
        raise TypeError(f"to_file must be a file path, received {type(to_file).__name__}: "
                        f"{to_file!r}.")
    return to_file


def _check_args(model: Any, rankdir: Any, dpi: Any) -> None:
    from ..models.model import Model
    if not isinstance(model, Model):
        raise TypeError(f"plot_model expects an lm.Model, received {type(model).__name__}.")
    if not model.built:
        raise ValueError(f"Model {model.name!r} has not yet been built. Build the model first "
                         "by calling build() or by calling the model on a batch of data.")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {list(_RANKDIRS)}, received {rankdir!r}.")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"dpi must be a positive number, received {dpi!r}.")


# ---- the graph --------------------------------------------------------------------------------
def _graph(model: Any) -> tuple[list[tuple[Any, Any]], list[tuple[int, int]]]:
    """``([(layer, first node of the layer or None)], [(id(src), id(dst))])``."""
    graph = _functional_graph(model)
    if graph is None:   # subclassed: its calls are not recorded
        return [(model, None)], []
    boxes: dict[int, tuple[Any, Any]] = {}
    for t in graph.inputs:
        boxes[id(t.node.layer)] = (t.node.layer, t.node)
    edges: list[tuple[int, int]] = []
    for node in graph._nodes:
        boxes.setdefault(id(node.layer), (node.layer, node))
        for parent in node.parents():
            edge = (id(parent.node.layer), id(node.layer))
            if edge not in edges:
                edges.append(edge)
    return list(boxes.values()), edges


def _functional_graph(model: Any) -> Any:
    from ..models.model import Functional
    from ..models.sequential import Sequential
    if isinstance(model, Functional):
        return model
    if isinstance(model, Sequential):
        return model._graph
    return None


def _label(layer: Any, node: Any, show: dict) -> str:
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show["names"] else kind]
    if show["activations"]:
        activation = _activation(layer)
        if activation:
            lines.append(f"activation: {activation}")
    if show["shapes"]:
        lines.append(f"input: {_inputs_shape(layer, node)}")
        lines.append(f"output: {_shapes(node.outputs) if node is not None else '?'}")
    if show["dtype"]:
        dtypes = [t.dtype for t in nest.flatten(node.outputs)] if node is not None \
            else [layer.dtype]
        lines.append("dtype: " + ", ".join(dtypes))
    if show["trainable"]:
        lines.append(f"trainable: {'yes' if layer.trainable else 'no'}")
    return "\n".join(lines)


def _inputs_shape(layer: Any, node: Any) -> str:
    if node is None:   # a subclassed model: the batch it was built with, if any
        shapes = getattr(layer, "_build_input_shape", None)
        return "?" if shapes is None else _fmt(shapes)
    if not node.parents():  # an InputLayer
        return _shapes(node.outputs)
    return _shapes(node.parents())


def _shapes(tensors: Any) -> str:
    shapes = [t.shape for t in nest.flatten(tensors)]
    return _fmt(shapes[0] if len(shapes) == 1 else shapes)


def _fmt(shape: Any) -> str:
    from ..tensor import _fmt_shape
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return "[" + ", ".join(_fmt_shape(tuple(s)) for s in shape) + "]"
    return _fmt_shape(tuple(shape))


def _activation(layer: Any) -> str | None:
    try:
        value = layer.get_config().get("activation")
    except Exception:  # a layer whose config cannot be built just shows no activation
        return None
    if isinstance(value, dict):
        value = value.get("class_name")
    return value if isinstance(value, str) else None


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# ---- rendering --------------------------------------------------------------------------------
def _find_dot() -> str | None:
    return shutil.which("dot")


def _render(text: str, path: Path, fmt: str) -> None:
    dot = _find_dot()
    if dot is None:
        raise RuntimeError(
            f"plot_model needs Graphviz's `dot` program to write {str(path)!r}, and it is not "
            "installed (not found on PATH). Install Graphviz (e.g. `apt install graphviz`, "
            "`brew install graphviz` or `conda install graphviz`), or pass a file name ending "
            "in '.dot' to get the DOT text without it.")
    try:
        done = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=text.encode("utf-8"),
                              capture_output=True, timeout=_RENDER_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"Running Graphviz ({dot}) to write {path} failed: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"Graphviz ({dot}) could not write {path} (exit status "
                           f"{done.returncode}): {message}")
