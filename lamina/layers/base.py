"""The Layer base class: the Keras lifecycle ``__init__`` (configuration) -> ``build``
(weights, once the input shape is known) -> ``call`` (the computation) -> ``get_config``.

A layer is called like a function. On tensors or arrays it builds itself on first use and runs
``call``; on the symbolic inputs of the functional API (``lm.Input``) it records a node of the
model graph instead (see ``lamina/models/functional.py``).
"""
from __future__ import annotations

import contextlib
import inspect
import re
from typing import Any, Iterator, Sequence

import numpy as np

from .. import nest, serialization
from .._state import STATE
from ..graph.ir import name_scope
from ..tensor import Tensor, Variable, _fmt_shape, convert

_UIDS: dict[str, int] = {}


def unique_name(prefix: str) -> str:
    """``dense``, then ``dense_1``, ``dense_2``... (per prefix, for the whole program)."""
    count = _UIDS.get(prefix, 0)
    _UIDS[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def snake_case(name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``; ``Conv2D`` -> ``conv2d``."""
    out = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name)
    out = re.sub(r"(?<=[A-Za-z0-9])([A-Z][a-z])", r"_\1", out)  # "2D" stays whole
    return out.lower()


@contextlib.contextmanager
def training_scope(training: bool | None) -> Iterator[None]:
    """Makes ``training`` the default for layers called inside (Dropout, BatchNormalization)."""
    stack = STATE.training      # per thread: another thread's training call is not this one's
    stack.append(training)
    try:
        yield
    finally:
        stack.pop()


class InputSpec:
    """What a layer accepts: rank (``ndim``/``min_ndim``) and fixed sizes of some axes."""

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}

    def check(self, layer: "Layer", shape: tuple, index: int = 0) -> None:
        where = f"Input {index} of layer {layer.name!r} is incompatible with the layer"
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(f"{where}: expected ndim={self.ndim}, received ndim={len(shape)} "
                             f"(input shape {_fmt_shape(shape)}).")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={self.min_ndim}, received "
                             f"ndim={len(shape)} (input shape {_fmt_shape(shape)}).")
        for axis, size in self.axes.items():
            if -len(shape) <= axis < len(shape) and shape[axis] not in (None, size):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {_fmt_shape(shape)}.")


class Layer:
    """Base class of all layers (and of Model).

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name (default: the class name in snake case, numbered).
        dtype: the dtype of the weights and computations (default float32).
        input_shape: for the first layer of a Sequential model, the shape of one sample.

    Subclasses set their configuration in ``__init__``, create weights in
    ``build(input_shape)`` with :meth:`add_weight`, compute in ``call(inputs)``, and list their
    constructor arguments in ``get_config()``.

    Example:
        >>> class Scale(lm.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.k = self.add_weight(name="k", shape=(), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.k
    """

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 input_shape: Sequence[int | None] | None = None, input_dim: int | None = None,
                 batch_size: int | None = None, **kwargs: Any):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s) "
                            f"{sorted(kwargs)}.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Layer name must be a string, received {name!r}.")
        object.__setattr__(self, "_layers", [])
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = _dtype_name(dtype)
        self.built = False
        self.input_spec: InputSpec | None = None
        self._weights: list[Variable] = []
        self._regularizers: list[tuple[Variable, Any]] = []
        self._losses: list[Tensor] = []
        self._inbound_nodes: list = []
        self._build_input_shape: Any = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._batch_input_shape = (None if input_shape is None else
                                   (batch_size, *_as_shape(input_shape)))

    # ---- tracking -------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("__") and hasattr(self, "_layers"):
            for item in nest.flatten(value) if isinstance(value, (list, tuple, dict)) else [
                    value]:
                if isinstance(item, Layer) and item is not self and item not in self._layers:
                    self._layers.append(item)
        object.__setattr__(self, name, value)

    @property
    def layers(self) -> list["Layer"]:
        """The layers this layer holds (in the order they were assigned)."""
        return list(self._layers)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    # ---- weights --------------------------------------------------------------------------
    def add_weight(self, name: str | None = None, shape: Sequence[int] = (),
                   initializer: Any = None, dtype: Any = None, trainable: bool = True,
                   regularizer: Any = None, constraint: Any = None) -> Variable:
        """Creates a weight of this layer (a Variable) and tracks it.

        Args:
            name: the weight's name within the layer (``kernel``, ``bias``...).
            shape: its shape.
            initializer: an initializer or its name (default: glorot_uniform for floats,
                zeros otherwise).
            dtype: default: the layer's dtype.
            trainable: whether optimizers update it.
            regularizer: adds a penalty on the weight to the layer's losses.
            constraint: applied to the weight after each optimizer update.
        """
        from .. import constraints, initializers, regularizers
        dtype = _dtype_name(dtype or self.dtype)
        shape = _as_shape(shape)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        init = initializers.get(initializer)
        name = name or f"variable_{len(self._weights)}"
        value = init(shape, dtype=dtype)
        var = Variable(value, trainable=trainable, name=f"{self.name}/{name}", dtype=dtype,
                       constraint=constraints.get(constraint))
        self._weights.append(var)
        if regularizer is not None:
            self._regularizers.append((var, regularizers.get(regularizer)))
        return var

    @property
    def weights(self) -> list[Variable]:
        """All weights: this layer's, then those of the layers it holds."""
        out = list(self._weights)
        for layer in self._layers:
            out.extend(w for w in layer.weights if not any(w is o for o in out))
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        out = [w for w in self._weights if w.trainable]
        for layer in self._layers:
            out.extend(w for w in layer.trainable_weights if not any(w is o for o in out))
        return out

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = self.trainable_weights
        return [w for w in self.weights if not any(w is t for t in trainable)]

    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """The weights' values as NumPy arrays, in :attr:`weights` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets every weight from a list of arrays in :attr:`weights` order."""
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(f"Layer {self.name!r} expects {len(params)} weight arrays, received "
                             f"{len(weights)}.")
        for var, value in zip(params, weights):
            value = np.asarray(value)
            if value.shape != tuple(var.shape):
                raise ValueError(f"Layer {self.name!r}: weight {var.name} has shape "
                                 f"{_fmt_shape(tuple(var.shape))}, received an array of shape "
                                 f"{_fmt_shape(value.shape)}.")
        for var, value in zip(params, weights):
            var.assign(np.asarray(value, dtype=var.dtype.np))

    def count_params(self) -> int:
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"Layer {self.name!r} is not built yet, so it has no weights to "
                             "count: call it on data or build it first.")
        return int(sum(np.prod(w.shape) for w in self.weights))

    # ---- losses ---------------------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        """Adds a scalar to the training loss (called from ``call``; reset on every call)."""
        self._losses.append(loss)

    @property
    def losses(self) -> list[Tensor]:
        """Losses added during the last call, plus the weight regularization penalties."""
        out = list(self._losses)
        out.extend(penalty(w) for w, penalty in self._regularizers)
        for layer in self._layers:
            out.extend(layer.losses)
        return out

    def _clear_losses(self) -> None:
        self._losses = []
        for layer in self._layers:
            layer._clear_losses()

    # ---- lifecycle ------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Creates the weights; called once, with the shape of the first inputs."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation. Subclasses implement it."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        from ..models import functional
        if functional.is_symbolic_input(inputs):
            return functional.call_symbolically(self, inputs, args, kwargs)
        inputs = self._convert_inputs(inputs)
        self.maybe_build(inputs)
        self._check_inputs(inputs)
        training = kwargs.pop("training", None)
        if training is None:
            training = STATE.training[-1]
        if self._accepts_training():
            kwargs["training"] = training
        self._clear_losses()
        with training_scope(training), name_scope(self.name):
            return self.call(inputs, *args, **kwargs)

    def maybe_build(self, inputs: Any) -> None:
        if not self.built:
            shapes = nest.map_structure(lambda t: tuple(t.shape), inputs)
            self._build_input_shape = shapes
            self._build_from(shapes)

    def _build_from(self, shapes: Any, *more_shapes: Any) -> None:
        """Runs ``build`` eagerly and unrecorded: weights are eager variables even when the
        layer is first called while a graph is being built or traced. Layers whose ``build``
        takes several shapes (MultiHeadAttention: query, value, key) pass the rest after."""
        saved = STATE.graph, STATE.graph_stack, STATE.tapes
        STATE.graph, STATE.graph_stack, STATE.tapes = None, [], []
        try:
            self.build(shapes, *more_shapes)
        finally:
            STATE.graph, STATE.graph_stack, STATE.tapes = saved
        self.built = True

    def _convert_inputs(self, inputs: Any) -> Any:
        """Arrays and numbers become tensors; float inputs take the layer's dtype."""
        def one(x: Any) -> Any:
            if not isinstance(x, Tensor):
                x = convert(np.asarray(x) if not isinstance(x, np.ndarray) else x)
            if x.dtype.is_floating and x.dtype.name != self.dtype and \
                    self.dtype.startswith("float"):
                from ..ops.math import cast
                x = cast(x, self.dtype)
            return x
        return nest.map_structure(one, inputs)

    def _check_inputs(self, inputs: Any) -> None:
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, list) else [self.input_spec]
        for i, (spec, x) in enumerate(zip(specs, nest.flatten(inputs))):
            if spec is not None and x.shape is not None:
                spec.check(self, tuple(x.shape), i)

    @classmethod
    def _accepts_training(cls) -> bool:
        cached = cls.__dict__.get("_training_arg")
        if cached is None:
            params = inspect.signature(cls.call).parameters
            cached = "training" in params or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
            setattr(cls, "_training_arg", cached)
        return cached

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for inputs of ``input_shape`` (batch dim None allowed)."""
        from ..models import functional
        return functional.output_shape(self, input_shape)

    # ---- config ---------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments that recreate this layer (JSON-serializable)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        config = dict(config)
        batch_shape = config.pop("batch_input_shape", None)
        layer = cls(**config)
        if batch_shape is not None:
            layer._batch_input_shape = tuple(batch_shape)
        return layer

    # ---- functional-API views ---------------------------------------------------------------
    @property
    def input(self) -> Any:
        return self._node_attr("inputs")

    @property
    def output(self) -> Any:
        return self._node_attr("outputs")

    @property
    def output_shape(self) -> Any:
        return nest.map_structure(lambda t: t.shape, self.output)

    @property
    def input_shape(self) -> Any:
        return nest.map_structure(lambda t: t.shape, self.input)

    def _node_attr(self, which: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has not been called on symbolic inputs "
                                 "(lm.Input), so it has no defined " + which[:-1] + ".")
        return getattr(self._inbound_nodes[0], which)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _dtype_name(dtype: Any) -> str:
    from .. import dtypes
    return "float32" if dtype is None else dtypes.as_dtype(dtype).name


def _as_shape(shape: Any) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"Expected a shape (a tuple of ints or None), received "
                        f"{shape!r}.") from None


serialization.register("layer")(Layer)
