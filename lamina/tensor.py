"""Tensor and Variable: the values every op takes and returns.

A Tensor is either *eager* (it holds a backend array in ``_value``) or *symbolic* (it is output
``_index`` of operation ``_op`` in a Graph and holds no value; ``_shape`` may contain None).
Tensors are immutable. A Variable is a Tensor whose value can be replaced with ``assign``; it is
what optimizers update.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from . import dtypes as _dt
from ._state import STATE
from .backends import CPU, Device, default_device, device_of, get_device


class Tensor:
    """A multi-dimensional array with a dtype and a device.

    Create tensors with :func:`lamina.tensor`, :func:`lamina.constant` or an op; do not call
    the class directly. Eager tensors print their value:

    Example:
        >>> lm.add(1, 1)
        <lamina.Tensor: shape=(), dtype=int32, numpy=2>
    """

    __slots__ = ("_value", "_dtype", "_device", "_op", "_index", "_shape", "__weakref__")
    # Make `ndarray + tensor` call Tensor.__radd__ instead of converting the tensor.
    __array_priority__ = 100

    def __init__(self, value: Any, dtype: Any = None, device: Any = None):
        src = convert(value, dtype, get_device(device) if device is not None else None)
        self._value, self._dtype, self._device = src._value, src._dtype, src._device
        self._op = None
        self._index = 0
        self._shape = None

    # ---- identity -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The shape as a tuple of ints (None for dims unknown while building a graph)."""
        if self._value is not None:
            return self._value.shape
        return self._shape

    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def device(self) -> Device:
        return self._device

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int | None:
        n = 1
        for d in self.shape:
            if d is None:
                return None
            n *= d
        return n

    @property
    def is_symbolic(self) -> bool:
        """True for a tensor that stands for a value computed when its graph runs."""
        return self._value is None

    @property
    def op(self):
        """The graph Operation that produces this tensor (symbolic tensors only)."""
        return self._op

    @property
    def graph(self):
        return self._op.graph if self._op is not None else None

    @property
    def name(self) -> str:
        """``"<operation name>:<output index>"`` for symbolic tensors."""
        if self._op is None:
            raise AttributeError("Tensor.name is only defined for tensors in a graph; this "
                                 "tensor is eager.")
        return f"{self._op.name}:{self._index}"

    # ---- values ---------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The value as a NumPy array (a NumPy scalar for 0-d tensors).

        A copy, as in TensorFlow: writing to it cannot change the (immutable) tensor.
        """
        host = self._host()
        if host.ndim == 0:
            return host[()]
        return host.copy() if host is self._value else host

    def _host(self) -> np.ndarray:
        """The value as a NumPy array, sharing memory with the tensor where it can."""
        if self._value is None:
            raise _symbolic_error(self, ".numpy()")
        return self._device.backend.to_numpy(self._value)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        value = self.numpy()
        if np.size(value) != 1:
            raise ValueError(f"item() expects a tensor with one element, received shape "
                             f"{self.shape}.")
        return value.item()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        host = self._host()
        if dtype is not None and np.dtype(dtype) != host.dtype:
            return host.astype(dtype)
        if copy or isinstance(self, Variable):  # a variable's buffer may change in place
            return host.copy()
        # No copy for np.asarray(t) / np.exp(t), but read-only: tensors are immutable.
        view = host.view()
        view.flags.writeable = False
        return view

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        # NumPy functions treat tensors as (read-only) arrays and give NumPy results, as
        # np.exp(t) does, instead of calling Tensor methods with NumPy's own keywords.
        return func(*_as_arrays(args), **_as_arrays(kwargs))

    def to(self, device: "str | Device") -> "Tensor":
        """A copy of this tensor on another device (itself if it is already there)."""
        dev = get_device(device)
        if dev is self._device:
            return self
        return _wrap(dev.backend.asarray(self._host()), self._dtype, dev)

    def cpu(self) -> "Tensor":
        return self.to(CPU)

    # ---- Python protocol ------------------------------------------------------------------
    def __repr__(self) -> str:
        if self._value is None:
            return (f"<lamina.Tensor '{self.name}' shape={_fmt_shape(self.shape)} "
                    f"dtype={self._dtype.name}>")
        return (f"<lamina.{type(self).__name__}: shape={_fmt_shape(self.shape)}, "
                f"dtype={self._dtype.name}, numpy={_fmt_value(self.numpy())}>")

    def __str__(self) -> str:
        if self._value is None:
            return repr(self)
        return str(self.numpy())

    def __format__(self, spec: str) -> str:
        if self._value is not None and self.ndim == 0:
            return format(self.numpy().item(), spec)
        return format(str(self), spec)

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor (shape ()) is undefined.")
        if shape[0] is None:
            raise TypeError(f"len() of tensor {self.name} is unknown while building the graph "
                            f"(shape {_fmt_shape(shape)}).")
        return shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self._value is None:
            raise TypeError(
                f"Using symbolic tensor {self.name} as a Python bool is not allowed: its value "
                "exists only when the graph runs. Use lm.where / lm.cond-style ops, or run it "
                "in a Session.")
        return bool(self._value)

    def __int__(self) -> int:
        return int(self.numpy())

    def __float__(self) -> float:
        return float(self.numpy())

    def __index__(self) -> int:
        if not self._dtype.is_integer:
            raise TypeError(f"Only integer tensors can be used as an index, received dtype "
                            f"{self._dtype.name}.")
        return int(self.numpy())

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} does not support item assignment: tensors are immutable. "
            "Build a new tensor instead (e.g. lm.where(mask, new, t)), or keep changing state "
            "in an lm.Variable and replace its value with .assign(...).")

    __hash__ = object.__hash__

    def ref(self) -> "Tensor":
        """A hashable reference (tensors already hash by identity; kept for TF users)."""
        return self


def _fmt_shape(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _fmt_value(value: Any) -> str:
    if np.ndim(value) == 0:
        return str(value)
    text = repr(np.asarray(value))
    # A value spanning several lines starts on its own line, as TensorFlow prints it.
    return "\n" + text if "\n" in text else text


def _as_arrays(value: Any) -> Any:
    """``value`` with every tensor in it (nested in lists, tuples, dicts) as a NumPy array."""
    if isinstance(value, Tensor):
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_arrays(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_arrays(v) for k, v in value.items()}
    return value


def _symbolic_error(t: Tensor, what: str) -> TypeError:
    return TypeError(
        f"{what} needs a value, but tensor {t.name} is symbolic (it belongs to a graph and has "
        "a value only when the graph runs). Fetch it with Session.run, or build it eagerly.")


_new = object.__new__


def _wrap(value: Any, dtype: _dt.DType, device: Device) -> Tensor:
    """Wraps a backend array as an eager Tensor without checks (the hot path of every op)."""
    t = _new(Tensor)
    t._value = value
    t._dtype = dtype
    t._device = device
    t._op = None
    return t


def wrap_array(value: Any, device: Device | None = None) -> Tensor:
    """Wraps a backend array, taking the dtype from the array itself."""
    return _wrap(value, _dt.from_numpy(value.dtype), device or device_of(value))


# ---- conversion ---------------------------------------------------------------------------
def _python_dtype(value: Any) -> _dt.DType:
    """The TensorFlow-style default dtype of (nested) Python data."""
    try:
        arr = np.asarray(value)
    except ValueError:
        raise ValueError(f"Cannot convert {_describe(value)} to a tensor: expected nested lists "
                         "of one regular (rectangular) shape, received lists of different "
                         "lengths.") from None
    kind = arr.dtype.kind
    if kind == "b":
        return _dt.bool_
    if kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return _dt.int64
        return _dt.int32
    if kind == "f":
        return _dt.float32
    raise TypeError(f"Cannot convert {_describe(value)} to a tensor: expected numbers, bools "
                    f"or nested lists of them, received elements of NumPy kind {arr.dtype}.")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def convert(value: Any, dtype: Any = None, device: Device | None = None) -> Tensor:
    """Converts Python data, NumPy arrays or tensors to a Tensor (eager, unless symbolic).

    Python data takes TensorFlow's defaults (int32, float32, bool); NumPy arrays keep their
    dtype; ``dtype`` casts.
    """
    if isinstance(value, Tensor):
        if dtype is not None and _dt.as_dtype(dtype) is not value._dtype:
            from .ops.math import cast
            value = cast(value, dtype)
        if device is not None and value._value is not None and device is not value._device:
            value = value.to(device)
        return value
    want = _dt.as_dtype(dtype) if dtype is not None else None
    dev = device or default_device()
    if isinstance(value, (np.ndarray, np.generic)):
        got = _dt.as_dtype(value.dtype)
        host = value
    elif (owner := _gpu_owner(value)) is not None:
        return _device_array(value, owner, want, device)
    else:
        got = _python_dtype(value)
        host = value
    target = want or got
    try:
        array = dev.backend.asarray(host, dtype=target.np)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"Cannot convert {_describe(value)} to a {target.name} tensor: "
                         f"{exc}") from None
    return _wrap(array, target, dev)


def _gpu_owner(value: Any) -> Device | None:
    """The GPU whose backend array ``value`` is (a CuPy array, say), else None."""
    if not (hasattr(value, "dtype") and hasattr(value, "shape")):
        return None
    owner = device_of(value)
    return None if owner is CPU else owner


def _device_array(value: Any, owner: Device, want: _dt.DType | None,
                  device: Device | None) -> Tensor:
    """A GPU backend's array as a tensor on its own device (moved if ``device`` differs)."""
    dtype = want or _dt.as_dtype(value.dtype)
    if want is not None and value.dtype != want.np:
        value = value.astype(want.np)
    t = _wrap(value, dtype, owner)
    return t if device is None or device is owner else t.to(device)


# ---- Variable -----------------------------------------------------------------------------
class Variable(Tensor):
    """A tensor whose value can change: model weights, optimizer state, counters.

    Args:
        initial_value: the starting value (anything :func:`lamina.tensor` accepts, or a
            zero-argument callable returning it).
        trainable: whether tapes watch it automatically and optimizers update it.
        name: a name for printing, saving and graph mode.
        dtype: cast the initial value to this dtype.

    Example:
        >>> v = lm.Variable([1.0, 2.0])
        >>> v.assign_add([1.0, 1.0]).numpy()
        array([2., 3.], dtype=float32)
    """

    __slots__ = ("trainable", "_name", "_initializer", "_aliases", "constraint")

    def __init__(self, initial_value: Any, trainable: bool = True, name: str | None = None,
                 dtype: Any = None, constraint: Any = None):
        if callable(initial_value):
            initial_value = initial_value()
        self.trainable = bool(trainable)
        self.constraint = constraint
        self._name = name or "Variable"
        self._initializer = None
        self._op = None
        self._index = 0
        self._shape = None
        graph = STATE.graph
        if graph is not None and not getattr(graph, "lifts_variables", False):
            graph.create_variable(self, initial_value, dtype)
            return
        if graph is not None:  # created while lm.function traces: made eagerly, noted
            graph.created_variables.append(self)
        if isinstance(initial_value, Tensor) and initial_value._value is None:
            raise ValueError(
                f"Variable {self._name!r} needs a concrete initial value when it is created "
                f"inside a traced function, received symbolic tensor {initial_value.name}. "
                "Create variables outside the function (or on its first call from eager "
                "values).")
        src = convert(initial_value, dtype)
        self._dtype = src._dtype
        self._device = src._device
        # A private, writable, contiguous copy: compiled steps update it in place.
        self._value = src._device.xp.array(src._value, copy=True)

    @property
    def name(self) -> str:
        if self._op is not None:
            return f"{self._op.name}:0"
        return f"{self._name}:0"

    @property
    def initializer(self):
        """The operation that assigns the initial value (graph mode)."""
        return self._initializer

    def value(self) -> Tensor:
        """A tensor holding the current value (a snapshot: later assigns do not change it)."""
        from .ops.registry import read_variable
        return read_variable(self)

    read_value = value

    def assign(self, value: Any, read_value: bool = True):
        """Replaces the value; returns the variable (an operation in graph mode)."""
        from .ops.registry import assign_variable
        return assign_variable(self, value, "assign")

    def assign_add(self, delta: Any, read_value: bool = True):
        """Adds ``delta`` to the value in place."""
        from .ops.registry import assign_variable
        return assign_variable(self, delta, "add")

    def assign_sub(self, delta: Any, read_value: bool = True):
        """Subtracts ``delta`` from the value in place."""
        from .ops.registry import assign_variable
        return assign_variable(self, delta, "sub")

    def __repr__(self) -> str:
        if self._value is None:
            return (f"<lamina.Variable '{self.name}' shape={_fmt_shape(self.shape)} "
                    f"dtype={self._dtype.name}>")
        return (f"<lamina.Variable '{self.name}' shape={_fmt_shape(self.shape)} "
                f"dtype={self._dtype.name}, numpy={_fmt_value(self.numpy())}>")

    __hash__ = object.__hash__


def tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Creates a tensor from Python data, a NumPy array or another tensor.

    Python ints become int32 and floats float32 (TensorFlow's defaults); NumPy arrays keep
    their dtype unless ``dtype`` is given.

    Example:
        >>> lm.tensor([1, 2, 3])
        <lamina.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>
    """
    dev = get_device(device) if device is not None else None
    if STATE.graph is not None and not isinstance(data, Tensor):
        from .ops.registry import constant_node
        return constant_node(convert(data, dtype, dev), None)
    return convert(data, dtype, dev)


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """Creates a constant tensor, optionally broadcast or reshaped to ``shape``.

    Example:
        >>> lm.constant(0.5, shape=(2,))
        <lamina.Tensor: shape=(2,), dtype=float32, numpy=array([0.5, 0.5], dtype=float32)>
    """
    t = value if isinstance(value, Tensor) and value._value is None else convert(value, dtype)
    if shape is not None and t._value is not None:
        shape = tuple(int(d) for d in shape)
        arr = t._value
        if arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        elif arr.size == 1:
            arr = t._device.xp.broadcast_to(arr.reshape(()), shape).copy()
        else:
            raise ValueError(f"constant: cannot give a value of shape {t.shape} the shape "
                             f"{shape}: expected {int(np.prod(shape))} elements or 1, received "
                             f"{arr.size}.")
        t = _wrap(arr, t._dtype, t._device)
    if STATE.graph is not None:
        from .ops.registry import constant_node
        return constant_node(t, name)
    return t
