"""Configs of functional models: the layers, and the calls between them, as plain JSON.

A model's config lists its layers (each ``{"class_name", "config"}``) and its nodes in
execution order. A reference to a tensor is ``{"layer": name}`` for an input, or
``{"node": k, "index": i}`` for output ``i`` of the model's ``k``-th node. Rebuilding looks
classes up in lamina's registry (and ``custom_objects``): no code from the file ever runs.
"""
from __future__ import annotations

from typing import Any

from .. import nest, serialization
from .functional import InputLayer, KerasTensor


def functional_config(model: Any) -> dict:
    refs: dict[int, dict] = {}
    for t in model.inputs:
        refs[id(t)] = {"layer": t.node.layer.name}
    nodes = []
    for k, node in enumerate(model._nodes):
        nodes.append({"layer": node.layer.name,
                      "args": _encode(list(node.args), refs, node.layer.name),
                      "kwargs": _encode(node.kwargs, refs, node.layer.name)})
        for i, t in enumerate(nest.flatten(node.outputs)):
            refs[id(t)] = {"node": k, "index": i}
    return {"name": model.name, "trainable": model.trainable,
            "layers": [serialization.serialize(layer) for layer in model.layers],
            "nodes": nodes,
            "inputs": _encode(model._inputs, refs, model.name),
            "outputs": _encode(model._outputs, refs, model.name)}


def _encode(value: Any, refs: dict[int, dict], where: str) -> Any:
    def one(x: Any) -> Any:
        if isinstance(x, KerasTensor):
            return {"__tensor__": refs[id(x)]}
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        raise ValueError(f"Cannot save the call of {where!r}: argument {x!r} is not JSON data.")
    return _map(value, one)


def functional_from_config(cls: type, config: dict, custom_objects: dict | None = None) -> Any:
    layers = {}
    for spec in config["layers"]:
        layer = serialization.deserialize("layer", spec, custom_objects)
        layers[layer.name] = layer
    outputs_of: list[list[KerasTensor]] = []

    def decode(value: Any) -> Any:
        def one(x: Any) -> Any:
            if isinstance(x, dict) and set(x) == {"__tensor__"}:
                ref = x["__tensor__"]
                if "layer" in ref:
                    return layers[ref["layer"]].output
                return outputs_of[ref["node"]][ref["index"]]
            return x
        return _map(value, one)

    for node in config["nodes"]:
        layer = layers.get(node["layer"])
        if layer is None:
            raise ValueError(f"Model config refers to layer {node['layer']!r}, which it does "
                             "not define.")
        out = layer(*decode(node["args"]), **decode(node["kwargs"]))
        outputs_of.append(nest.flatten(out))
    model = cls(decode(config["inputs"]), decode(config["outputs"]), name=config["name"],
                trainable=config.get("trainable", True))
    return model


def _map(value: Any, fn: Any) -> Any:
    if isinstance(value, dict) and not (set(value) == {"__tensor__"}):
        return {k: _map(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map(v, fn) for v in value)
    return fn(value)


def is_input_layer(layer: Any) -> bool:
    return isinstance(layer, InputLayer)
