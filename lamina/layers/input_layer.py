"""Symbolic inputs of the functional API: ``lm.Input``, the InputLayer behind it, KerasTensor
(a shape and a dtype standing for data to come) and Node (one call of a layer on them)."""
from __future__ import annotations

from typing import Any, Sequence

from .. import nest, serialization
from ..tensor import _fmt_shape
from .base import Layer, _as_shape, _dtype_name, unique_name


class KerasTensor:
    """A symbolic tensor of the functional API: a shape (batch dim None) and a dtype.

    Example:
        >>> x = lm.Input(shape=(4,))
        >>> x
        <KerasTensor shape=(None, 4), dtype=float32, name=input_layer>
    """

    __slots__ = ("shape", "dtype", "name", "node", "index")

    def __init__(self, shape: tuple, dtype: str, name: str, node: "Node | None" = None,
                 index: int = 0):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={_fmt_shape(self.shape)}, dtype={self.dtype}, " \
               f"name={self.name}>"

    def _no_ops(self, *_: Any) -> Any:
        raise TypeError(f"Operators on symbolic inputs ({self!r}) are not supported: "
                        "combine them with layers such as lm.layers.Add, or write a layer.")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _no_ops
    __truediv__ = __rtruediv__ = __matmul__ = __getitem__ = _no_ops


class Node:
    """One call of a layer on symbolic inputs: what went in, what came out."""

    __slots__ = ("layer", "args", "kwargs", "outputs")

    def __init__(self, layer: Layer, args: tuple, kwargs: dict, outputs: Any):
        self.layer, self.args, self.kwargs, self.outputs = layer, args, kwargs, outputs

    @property
    def inputs(self) -> Any:
        return self.args[0] if self.args else None

    def parents(self) -> list[KerasTensor]:
        return [t for t in nest.flatten([list(self.args), self.kwargs])
                if isinstance(t, KerasTensor)]


@serialization.register("layer")
class InputLayer(Layer):
    """The layer behind ``lm.Input``: it holds the input's shape and produces it unchanged."""

    def __init__(self, batch_shape: Sequence[int | None] | None = None, dtype: Any = None,
                 name: str | None = None, **kwargs: Any):
        super().__init__(name=name or None, dtype=dtype, **kwargs)
        if batch_shape is None:
            raise ValueError("InputLayer needs batch_shape (e.g. (None, 4)).")
        self.batch_shape = tuple(batch_shape)
        self.built = True
        out = KerasTensor(self.batch_shape, self.dtype, self.name)
        node = Node(self, (), {}, out)
        out.node = node
        self._inbound_nodes.append(node)

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def Input(shape: Sequence[int | None] | None = None, batch_size: int | None = None,  # noqa: N802
          dtype: Any = "float32", name: str | None = None,
          batch_shape: Sequence[int | None] | None = None) -> KerasTensor:
    """A symbolic input of a functional model.

    Args:
        shape: the shape of one sample (without the batch dim); None for variable dims.
        batch_size: a fixed batch size (default: any).
        dtype: the input's dtype.
        name: the input layer's name.
        batch_shape: the full shape, batch dim included (instead of shape/batch_size).

    Example:
        >>> inputs = lm.Input(shape=(4,))
        >>> outputs = lm.layers.Dense(3)(inputs)
        >>> model = lm.Model(inputs, outputs)
    """
    if batch_shape is None:
        if shape is None:
            raise ValueError("Input needs shape= (the shape of one sample, e.g. (4,)) or "
                             "batch_shape=.")
        batch_shape = (batch_size, *_as_shape(shape))
    layer = InputLayer(batch_shape=_as_shape(batch_shape), dtype=_dtype_name(dtype),
                       name=name or _input_name())
    return layer.output


def _input_name() -> str:
    return unique_name("input_layer")
