"""Sequential: a plain stack of layers, each feeding the next."""
from __future__ import annotations

from typing import Any, Sequence

from .. import serialization
from ..layers.base import Layer, _as_shape
from . import functional
from .model import Functional, Model


@serialization.register("layer")
class Sequential(Model):
    """A model whose layers run one after the other.

    Args:
        layers: the layers, in order (an ``lm.Input`` may come first to fix the input shape).
        name: the model's name.

    Example:
        >>> model = lm.Sequential([
        ...     lm.Input(shape=(4,)),
        ...     lm.layers.Dense(16, activation="relu"),
        ...     lm.layers.Dense(3, activation="softmax"),
        ... ])
    """

    def __init__(self, layers: Sequence[Any] | None = None, name: str | None = None,
                 trainable: bool = True, **kwargs: Any):
        super().__init__(name=name or _default_name_seq(), trainable=trainable, **kwargs)
        self._input: functional.KerasTensor | None = None
        self._graph: Functional | None = None
        object.__setattr__(self, "_stack", [])
        self._add_all(layers or [])

    def _add_all(self, layers: Sequence[Any]) -> None:
        """``add`` for each layer, the symbolic graph built once at the end rather than after
        every layer (quadratic in the depth). Each layer is checked as it is added, so an
        entry that is not a layer or a repeated name is reported before a layer that fails
        when called."""
        for layer in layers:
            self.add(layer, rebuild=False)
        if self._input is not None and self._stack:
            self._rebuild_graph()

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends a layer (or an ``lm.Input``, which must come first). ``rebuild=False``
        leaves building the symbolic graph (output shapes, weights) to a later call."""
        if isinstance(layer, functional.KerasTensor):
            if self._stack or self._input is not None:
                raise ValueError("An lm.Input can only be the first entry of a Sequential "
                                 "model.")
            self._input = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, received "
                            f"{type(layer).__name__}: {layer!r}.")
        if any(other.name == layer.name for other in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names; name {layer.name!r} is already used.")
        self._stack.append(layer)
        if layer not in self._layers:
            self._layers.append(layer)
        if self._input is None and not self._stack[:-1] and \
                layer._batch_input_shape is not None:
            self._input = functional.Input(batch_shape=layer._batch_input_shape,
                                           dtype=layer.dtype)
        if rebuild and self._input is not None:
            self._rebuild_graph()

    def pop(self) -> Layer:
        """Removes and returns the last layer."""
        if not self._stack:
            raise IndexError("pop() from a Sequential model with no layers.")
        layer = self._stack.pop()
        self._layers.remove(layer)
        if self._input is not None and self._stack:
            self._rebuild_graph()
        return layer

    def _rebuild_graph(self) -> None:
        """Calls the layers on the symbolic input: output shapes for summary(), and builds."""
        x = self._input
        for layer in self._stack:
            x = layer(x)
        # Not tracked as a sub-layer: it is a view of this model's own layers.
        object.__setattr__(self, "_graph", Functional(self._input, x,
                                                                 name=self.name + "_graph"))
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        """Builds from the shape of a batch (batch dim first, e.g. ``(None, 4)``)."""
        if input_shape is None:
            if self._input is None:
                raise ValueError(f"Sequential model {self.name!r} cannot be built without an "
                                 "input shape: pass input_shape, start with lm.Input, or call "
                                 "the model on data.")
        elif self._input is None:
            self._input = functional.Input(batch_shape=_as_shape(input_shape))
        if self._stack:
            self._rebuild_graph()
        self.built = True

    def maybe_build(self, inputs: Any) -> None:
        if self._graph is None and self._stack:
            shape = (None, *tuple(inputs.shape)[1:]) if hasattr(inputs, "shape") else None
            self._input = functional.Input(batch_shape=shape, dtype=self.dtype) \
                if shape is not None else None
            if self._input is not None:
                self._rebuild_graph()
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not self._stack:
            raise ValueError(f"Sequential model {self.name!r} has no layers to run.")
        if self._input is not None:
            functional.check_shape(self._input, inputs, self.name)
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    @property
    def inputs(self) -> list:
        return [self._input] if self._input is not None else []

    @property
    def outputs(self) -> list:
        return self._graph.outputs if self._graph is not None else []

    @property
    def input_shape(self) -> Any:
        return self._input.shape if self._input is not None else None

    @property
    def output_shape(self) -> Any:
        return self._graph.outputs[0].shape if self._graph is not None else None

    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable,
                  "layers": [serialization.serialize(layer) for layer in self._stack]}
        if self._input is not None:
            config["build_input_shape"] = list(self._input.shape)
            config["input_dtype"] = self._input.dtype
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Sequential":
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        if config.get("build_input_shape") is not None:
            model._input = functional.Input(batch_shape=config["build_input_shape"],
                                            dtype=config.get("input_dtype", "float32"))
        model._add_all([serialization.deserialize("layer", spec, custom_objects)
                        for spec in config["layers"]])
        return model


def _default_name_seq() -> str:
    from ..layers.base import unique_name
    return unique_name("sequential")


