"""The functional API: calling layers on symbolic inputs (``lm.Input``, see
layers/input_layer.py), and ordering and running the resulting graph of layers.

Calling a layer on :class:`KerasTensor` inputs does not compute anything: it builds the layer,
finds the output shapes by tracing the layer's ``call`` into a scratch graph (so every layer
gets shape inference from lamina's ops for free), and records a :class:`Node`. A
:class:`Functional` model orders the nodes between its inputs and outputs and runs them on
real data.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import nest
from ..layers.base import Layer, _as_shape
from ..layers.input_layer import Input, InputLayer, KerasTensor, Node  # noqa: F401
from ..tensor import Tensor, _fmt_shape


def is_symbolic_input(x: Any) -> bool:
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple, dict)):
        return any(isinstance(t, KerasTensor) for t in nest.flatten(x))
    return False


# ---- calling a layer on symbolic inputs -------------------------------------------------------
def call_symbolically(layer: Layer, inputs: Any, args: tuple, kwargs: dict) -> Any:
    """Records ``layer(inputs, *args, **kwargs)`` and returns symbolic outputs."""
    outputs = _trace(layer, (inputs, *args), kwargs)
    node = Node(layer, (inputs, *args), dict(kwargs), None)
    flat = nest.flatten(outputs)
    keras_outputs = []
    for i, t in enumerate(flat):
        name = layer.name if len(flat) == 1 else f"{layer.name}_{i}"
        keras_outputs.append(KerasTensor(t.shape, t.dtype.name, name, node, i))
    node.outputs = nest.pack_like(outputs, keras_outputs)
    layer._inbound_nodes.append(node)
    return node.outputs


def _trace(layer: Layer, args: tuple, kwargs: dict) -> Any:
    """Runs the layer on placeholders in a scratch graph; returns its symbolic outputs."""
    from ..graph.function import FuncGraph
    from ..graph.ir import placeholder
    graph = FuncGraph(f"{layer.name}_shapes")
    with graph.as_default():
        def stand_in(x: Any) -> Any:
            if isinstance(x, KerasTensor):
                return placeholder(x.dtype, x.shape, name=x.name)
            return x
        real_args = nest.map_structure(stand_in, list(args))
        real_kwargs = nest.map_structure(stand_in, kwargs)
        out = Layer.__call__(layer, *real_args, **real_kwargs)
    for t in nest.flatten(out):
        if not isinstance(t, Tensor):
            raise TypeError(f"Layer {layer.name!r} returned {type(t).__name__}; layers must "
                            "return tensors (or lists/tuples/dicts of tensors).")
    return out


def output_shape(layer: Layer, input_shape: Any) -> Any:
    """``layer.compute_output_shape``: trace the layer on inputs of that shape."""
    def spec(shape: Any) -> KerasTensor:
        return KerasTensor(_as_shape(shape), layer.dtype, "x")
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(
            input_shape[0], (list, tuple)):
        inputs = [spec(s) for s in input_shape]
    else:
        inputs = spec(input_shape)
    if not layer.built:
        layer._build_from(nest.map_structure(lambda t: t.shape, inputs))
    out = _trace(layer, (inputs,), {})
    return nest.map_structure(lambda t: tuple(t.shape), out)


# ---- ordering the nodes of a model ----------------------------------------------------------
def order_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """The nodes between ``inputs`` and ``outputs``, each after the nodes it depends on.

    Raises:
        ValueError: if an output depends on an input that is not among ``inputs``.
    """
    input_ids = {id(t) for t in inputs}
    ordered: list[Node] = []
    seen: set[int] = set()

    def visit(t: KerasTensor, path: tuple) -> None:
        if id(t) in input_ids:
            return
        node = t.node
        if node is None or isinstance(node.layer, InputLayer):
            raise ValueError(
                f"Graph disconnected: cannot obtain a value for tensor {t!r} at layer "
                f"{path[-1] if path else '?'!r}. The inputs given to the model were "
                f"{[i.name for i in inputs]}; an input this output depends on is missing.")
        if id(node) in seen:
            return
        for parent in node.parents():
            visit(parent, (*path, node.layer.name))
        seen.add(id(node))
        ordered.append(node)

    for t in outputs:
        visit(t, ())
    return ordered


def check_inputs(inputs: Any) -> list[KerasTensor]:
    flat = nest.flatten(inputs)
    for t in flat:
        if not isinstance(t, KerasTensor) or not isinstance(t.node.layer, InputLayer):
            raise ValueError(f"Model inputs must come from lm.Input(...), received {t!r}.")
    return flat


def match_inputs(model_inputs: Any, data: Any, model_name: str) -> dict[int, Any]:
    """Pairs each symbolic input with the data given for it (by position or by name)."""
    flat = nest.flatten(model_inputs)
    if (isinstance(data, dict) and isinstance(model_inputs, dict)
            and all(isinstance(t, KerasTensor) for t in model_inputs.values())):
        # inputs declared in a dict take their data from a dict, by key
        missing = [key for key in model_inputs if key not in data]
        if missing:
            raise ValueError(f"Model {model_name!r}: no data for input(s) {missing}; received "
                             f"keys {sorted(data)}.")
        return {id(t): data[key] for key, t in model_inputs.items()}
    if isinstance(data, dict) and not isinstance(model_inputs, dict):
        missing = [t.name for t in flat if t.name not in data]
        if missing:
            raise ValueError(f"Model {model_name!r}: no data for input(s) {missing}; received "
                             f"keys {sorted(data)}.")
        return {id(t): data[t.name] for t in flat}
    given = nest.flatten(data) if isinstance(data, (list, tuple, dict)) and len(flat) > 1 \
        else [data]
    if len(given) != len(flat):
        raise ValueError(f"Model {model_name!r} expects {len(flat)} input(s) "
                         f"({[t.name for t in flat]}), received {len(given)}.")
    return {id(t): x for t, x in zip(flat, given)}


def check_shape(t: KerasTensor, value: Any, model_name: str) -> None:
    """The data for an input must match its shape (None dims match anything)."""
    shape = tuple(np.shape(value)) if not isinstance(value, Tensor) else tuple(value.shape)
    want = t.shape
    if len(shape) != len(want) or any(w is not None and w != s for w, s in zip(want, shape)):
        raise ValueError(f"Input {t.name!r} of model {model_name!r} is incompatible: expected "
                         f"shape {_fmt_shape(want)}, received data of shape "
                         f"{_fmt_shape(shape)}.")
