"""Core layers: Dense (``activation(x @ kernel + bias)``), Activation, Dropout, Flatten,
Reshape, Embedding, Lambda, Identity, RepeatVector and Permute.
"""
from __future__ import annotations

import inspect
import json
import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import activations, nest, regularizers, serialization
from ..ops import creation, indexing, linalg, nn, shape
from ..ops.math import cast
from ..tensor import Tensor, _fmt_shape
from ._arguments import (add_weight_with_options, fraction, positive_int, seed_or_none,
                         serialize_or_none, set_weight_options, standard_data_format,
                         weight_options_config)
from .base import InputSpec, Layer

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Embedding", "Lambda",
           "Identity", "RepeatVector", "Permute"]


def _resolve_activation(config: dict, custom_objects: dict | None) -> dict:
    """A copy of ``config`` whose activation name is looked up (in custom_objects first)."""
    name = config.get("activation")
    if not isinstance(name, str):
        return config
    return {**config, "activation": activations.deserialize(name, custom_objects)}


@serialization.register("layer")
class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units: the output size.
        activation: a name (``"relu"``), a callable, or None for linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: how the weights start.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the
            loss.
        kernel_constraint, bias_constraint: applied after each update.

    Example:
        >>> layer = lm.layers.Dense(3, activation="softmax")
        >>> layer(lm.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.units = positive_int(units, "units", "Dense")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_weight_options(self, "kernel", kernel_initializer, kernel_regularizer,
                           kernel_constraint)
        set_weight_options(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: tuple) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"Dense layer {self.name!r} needs the last dimension of its input "
                             f"to be known, received input shape {input_shape}.")
        self.kernel = add_weight_with_options(self, "kernel", (features, self.units))
        self.bias = add_weight_with_options(self, "bias", (self.units,)) if self.use_bias \
            else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: features})

    def call(self, inputs: Any) -> Any:
        out = linalg.matmul(inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        out = self.activation(out)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(out))
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                **weight_options_config(self, "kernel", "bias"),
                "activity_regularizer": serialize_or_none(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Dense":
        return super().from_config(_resolve_activation(config, custom_objects))


@serialization.register("layer")
class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: a name (``"relu"``), a callable, or None for the identity.

    Example:
        >>> lm.layers.Activation("relu")(lm.tensor([-1.0, 2.0])).numpy()
        array([0., 2.], dtype=float32)
    """

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Activation":
        return super().from_config(_resolve_activation(config, custom_objects))


@serialization.register("layer")
class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of its inputs while training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    A new mask is drawn on every call, also inside compiled train steps (``lm.nn.dropout``).

    Args:
        rate: the fraction of inputs to drop, in [0, 1).
        noise_shape: the mask's shape, one entry per input axis: 1 shares the mask along that
            axis (``(None, 1, features)`` drops the same features at every time step); None
            takes the input's size.
        seed: an int makes the masks reproducible (after ``lm.random.seed``).

    Example:
        >>> layer = lm.layers.Dropout(0.5)
        >>> layer(lm.ones((2, 3))).numpy()          # not training: unchanged
        array([[1., 1., 1.],
               [1., 1., 1.]], dtype=float32)
    """

    def __init__(self, rate: float, noise_shape: Sequence[int | None] | None = None,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.rate = fraction(rate, "rate", "Dropout")
        self.seed = seed_or_none(seed, "Dropout")
        self.noise_shape = None if noise_shape is None else _noise_shape(noise_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training or self.rate == 0:
            return inputs
        x = inputs if inputs.dtype.is_floating else cast(inputs, self.dtype)
        if self.noise_shape is None:
            return nn.dropout(x, self.rate, seed=self.seed)
        # The mask is dropout applied to ones of the noise shape, broadcast over x: a slice of
        # x gives that shape even where the batch size is not known yet.
        ones = creation.ones_like(self._noise_template(x))
        return x * nn.dropout(ones, self.rate, seed=self.seed)

    def _noise_template(self, x: Any) -> Any:
        if len(self.noise_shape) != x.ndim:
            raise ValueError(f"Dropout layer {self.name!r}: noise_shape {self.noise_shape} "
                             f"needs one entry per input axis, received input of shape "
                             f"{_fmt_shape(x.shape)}.")
        index = []
        for want, size in zip(self.noise_shape, x.shape):
            if want == 1 and size != 1:
                index.append(slice(0, 1))
            elif want is None or size is None or want == size:
                index.append(slice(None))
            else:
                raise ValueError(f"Dropout layer {self.name!r}: each entry of noise_shape "
                                 f"{self.noise_shape} must be 1, None or the input's size; "
                                 f"received input of shape {_fmt_shape(x.shape)}.")
        return x[tuple(index)]

    def get_config(self) -> dict:
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise,
                "seed": self.seed}


def _noise_shape(value: Any) -> tuple:
    try:
        dims = tuple(value)
    except TypeError:
        dims = None
    if dims is None or any(d is not None and (isinstance(d, bool) or not isinstance(
            d, (int, np.integer)) or d < 1) for d in dims):
        raise ValueError(f"Dropout: noise_shape must be a tuple of positive ints or None, "
                         f"received {value!r}.")
    return tuple(None if d is None else int(d) for d in dims)


@serialization.register("layer")
class Flatten(Layer):
    """Flattens each sample to one axis: ``(batch, d1, d2, ...)`` -> ``(batch, d1 * d2 * ...)``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``; channels-first
            inputs are moved to channels-last before flattening, as Keras does, so the order
            of features matches a channels-last model.

    Example:
        >>> lm.layers.Flatten()(lm.ones((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = standard_data_format(data_format, "Flatten")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: Any) -> Any:
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            x = shape.transpose(x, (0, *range(2, x.ndim), 1))
        batch, rest = x.shape[0], x.shape[1:]
        features = None if None in rest else math.prod(rest)
        if batch is None and features is None:
            raise ValueError(f"Flatten layer {self.name!r} needs the non-batch sizes of its "
                             f"input to be known, received input shape "
                             f"{_fmt_shape(x.shape)}.")
        return shape.reshape(x, (-1 if batch is None else batch,
                                 -1 if features is None else features))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


@serialization.register("layer")
class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: the new shape of one sample; one entry may be -1, inferred from the
            sample's size.

    Example:
        >>> lm.layers.Reshape((3, -1))(lm.ones((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any):
        super().__init__(**kwargs)
        self.target_shape = _target_shape(target_shape)

    def call(self, inputs: Any) -> Any:
        batch = inputs.shape[0]
        target = self._resolve(inputs.shape)
        if batch is None and -1 in target:
            raise ValueError(f"Reshape layer {self.name!r}: cannot infer the -1 in "
                             f"target_shape {self.target_shape} because input shape "
                             f"{_fmt_shape(inputs.shape)} has unknown non-batch sizes.")
        return shape.reshape(inputs, (-1 if batch is None else batch, *target))

    def _resolve(self, input_shape: tuple) -> tuple:
        """The target shape with its -1 filled in, checked against the sample's size."""
        rest, target = input_shape[1:], self.target_shape
        if None in rest:
            return target
        total = math.prod(rest)
        known = math.prod(d for d in target if d != -1)
        if -1 in target and known > 0 and total % known == 0:
            return tuple(total // known if d == -1 else d for d in target)
        if -1 not in target and known == total:
            return target
        raise ValueError(f"Reshape layer {self.name!r}: an input of shape "
                         f"{_fmt_shape(input_shape)} has {total} values per sample, which "
                         f"cannot be reshaped to target_shape {self.target_shape}.")

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def _target_shape(value: Any) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    try:
        dims = tuple(value)
    except TypeError:
        dims = None
    if dims is None or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or
                           (d < 1 and d != -1) for d in dims) or \
            sum(d == -1 for d in dims) > 1:
        raise ValueError(f"Reshape: target_shape must be a tuple of positive ints with at most "
                         f"one -1, received {value!r}.")
    return tuple(int(d) for d in dims)


@serialization.register("layer")
class Embedding(Layer):
    """Turns integer indices into dense vectors: row ``i`` of an ``(input_dim, output_dim)``
    table for each index ``i``.

    Inputs hold indices in ``[0, input_dim)``; float inputs are cast to int32, as in Keras. In
    eager mode an index out of range raises an IndexError naming the layer; masking
    (``mask_zero=True``) is not supported.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: how the table starts (Keras's ``"uniform"``: U(-0.05, 0.05)).
        embeddings_regularizer: a penalty on the table added to the loss.
        embeddings_constraint: applied to the table after each update.
        mask_zero: must be False: lamina layers do not propagate masks.

    Example:
        >>> layer = lm.layers.Embedding(10, 4)
        >>> layer(lm.tensor([[1, 2, 3]])).shape
        (1, 3, 4)
    """

    def __init__(self, input_dim: int, output_dim: int,
                 embeddings_initializer: Any = "uniform", embeddings_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = positive_int(output_dim, "output_dim", "Embedding")
        if mask_zero:
            raise ValueError("Embedding: mask_zero=True is not supported because lamina layers "
                             "do not propagate masks. Leave mask_zero=False, and keep index 0 "
                             "for padding or weight padded samples with sample_weight.")
        self.mask_zero = False
        set_weight_options(self, "embeddings", embeddings_initializer, embeddings_regularizer,
                           embeddings_constraint)

    def build(self, input_shape: tuple) -> None:
        self.embeddings = add_weight_with_options(self, "embeddings",
                                                  (self.input_dim, self.output_dim))

    def call(self, inputs: Any) -> Any:
        if not (inputs.dtype.is_integer or inputs.dtype.is_floating):
            raise TypeError(f"Embedding layer {self.name!r} expects integer indices, received "
                            f"a {inputs.dtype.name} tensor.")
        if not inputs.is_symbolic:
            self._check_indices(inputs.numpy())
        if inputs.dtype.is_floating:
            inputs = cast(inputs, "int32")
        return indexing.gather(self.embeddings, inputs)

    def _check_indices(self, values: np.ndarray) -> None:
        """Eager inputs only: names the first bad index (a compiled call checks too, in the
        gather, but cannot name the layer)."""
        bad = (values < 0) | (values >= self.input_dim)
        if values.dtype.kind == "f":
            bad |= values != np.floor(values)
        if bad.any():
            index = values[bad].ravel()[0].item()
            raise IndexError(f"Embedding layer {self.name!r} received index {index!r}: "
                             f"expected integers in [0, input_dim={self.input_dim}).")

    def get_config(self) -> dict:
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                **weight_options_config(self, "embeddings"), "mask_zero": self.mask_zero}


@serialization.register("layer")
class Lambda(Layer):
    """Wraps a function of tensors as a layer, for small computations in models.

    The function must use lamina ops (so the layer also runs in compiled steps). A config
    cannot carry code: ``get_config`` stores the function's *name*, and ``from_config`` (and
    ``lm.models.load_model``) look that name up in ``custom_objects``. Built-in activations
    such as ``lm.tanh`` load without help. Lambda expressions have no name and cannot be
    saved; use a ``def`` function.

    Args:
        function: called as ``function(inputs, **arguments)``; it also receives ``training``
            when its signature has that argument.
        output_shape: optional, the expected shape of one output sample (without the batch
            axis); a call whose output differs raises an error. Shapes are otherwise found by
            running the function.
        arguments: extra keyword arguments for ``function`` (JSON data, to be saved).

    Example:
        >>> def double(x):
        ...     return x * 2.0
        >>> lm.layers.Lambda(double)(lm.ones((1, 2))).numpy()
        array([[2., 2.]], dtype=float32)
        >>> # loading: lm.models.load_model(path, custom_objects={"double": double})
    """

    def __init__(self, function: Callable, output_shape: Sequence[int | None] | None = None,
                 arguments: dict | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, received {function!r}.")
        if callable(output_shape):
            raise TypeError("Lambda: output_shape must be a tuple or None; lamina finds output "
                            "shapes by running the function, so a shape function is not "
                            "needed.")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: arguments must be a dict of keyword arguments, received "
                            f"{arguments!r}.")
        self.function = function
        self._expected_shape = None if output_shape is None else tuple(
            None if d is None else int(d) for d in output_shape)
        self.arguments = dict(arguments or {})
        self._pass_training = _has_parameter(function, "training")

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        kwargs = dict(self.arguments)
        if self._pass_training:
            kwargs["training"] = training
        out = self.function(inputs, **kwargs)
        for t in nest.flatten(out):
            if not isinstance(t, Tensor):
                raise TypeError(f"Lambda layer {self.name!r}: the function returned "
                                f"{type(t).__name__}; it must return lamina tensors (use lm "
                                "ops, not NumPy).")
        self._check_output(out)
        return out

    def _check_output(self, out: Any) -> None:
        want = self._expected_shape
        if want is None:
            return
        if not isinstance(out, Tensor):
            raise ValueError(f"Lambda layer {self.name!r}: output_shape {want} describes one "
                             f"tensor, but the function returned {type(out).__name__}.")
        got = tuple(out.shape[1:])
        if len(want) != len(got) or any(w is not None and g is not None and w != g
                                        for w, g in zip(want, got)):
            raise ValueError(f"Lambda layer {self.name!r}: output_shape is {want}, but the "
                             f"function returned a tensor of shape {_fmt_shape(out.shape)}.")

    def get_config(self) -> dict:
        name, kind = self._function_reference()
        try:
            json.dumps(self.arguments)
        except TypeError:
            raise ValueError(f"Lambda layer {self.name!r} cannot be saved: its arguments "
                             f"{self.arguments!r} are not JSON data.") from None
        shape_ = None if self._expected_shape is None else list(self._expected_shape)
        return {**super().get_config(), "function": name, "function_type": kind,
                "output_shape": shape_, "arguments": self.arguments}

    def _function_reference(self) -> tuple[str, str]:
        """The function's name, and whether it is a built-in activation or a custom object."""
        name = getattr(self.function, "__name__", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Lambda layer {self.name!r} cannot be saved: its function "
                             f"{self.function!r} has no name to look up when loading (lambda "
                             "expressions and callable objects have none). Use a def "
                             "function and pass it in custom_objects when loading.")
        try:
            builtin = activations.get(name) is self.function
        except ValueError:
            builtin = False
        return name, "activation" if builtin else "custom_object"

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Lambda":
        config = dict(config)
        name = config.pop("function")
        kind = config.pop("function_type", "custom_object")
        if custom_objects and name in custom_objects:
            function = custom_objects[name]
        elif kind == "activation":
            function = activations.get(name)
        else:
            raise ValueError(f"Lambda layer {config.get('name')!r} calls a function named "
                             f"{name!r}; configs cannot carry code, so pass it when loading: "
                             f"custom_objects={{{name!r}: {name}}}.")
        return super().from_config({**config, "function": function})


def _has_parameter(fn: Callable, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):         # some built-ins have no inspectable signature
        return False


@serialization.register("layer")
class Identity(Layer):
    """Returns its input unchanged (a placeholder in a model, e.g. for an optional block).

    Example:
        >>> lm.layers.Identity()(lm.ones((2, 3))).shape
        (2, 3)
    """

    def call(self, inputs: Any) -> Any:
        return inputs


@serialization.register("layer")
class RepeatVector(Layer):
    """Repeats each sample ``n`` times: ``(batch, features)`` -> ``(batch, n, features)``.

    Args:
        n: how many times to repeat.

    Example:
        >>> lm.layers.RepeatVector(3)(lm.ones((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.n = positive_int(n, "n", "RepeatVector")
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: Any) -> Any:
        return shape.tile(shape.expand_dims(inputs, 1), (1, self.n, 1))

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


@serialization.register("layer")
class Permute(Layer):
    """Permutes the non-batch axes of each sample.

    Args:
        dims: a permutation of ``1..rank-1`` (axis 0 is the batch); ``(2, 1)`` swaps the two
            axes of a rank-3 input.

    Example:
        >>> lm.layers.Permute((2, 1))(lm.ones((5, 3, 4))).shape
        (5, 4, 3)
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any):
        super().__init__(**kwargs)
        try:
            self.dims = tuple(dims)
        except TypeError:
            self.dims = None
        if self.dims is None or any(isinstance(d, bool) for d in self.dims) or \
                sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..n (the batch axis 0 "
                             f"stays first), received {dims!r}.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs: Any) -> Any:
        return shape.transpose(inputs, (0, *(int(d) for d in self.dims)))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": [int(d) for d in self.dims]}
