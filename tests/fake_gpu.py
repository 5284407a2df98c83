"""A strict stand-in for a GPU backend, so device placement is tested on machines without one.

``FakeGpuBackend`` keeps its arrays in NumPy, but its array type, ``DeviceArray``, treats host
data the way CuPy does, and stricter:

* an operation mixing a device array with a NumPy array raises (CuPy: "Unsupported type
  numpy.ndarray"), 0-d arrays included; Python and NumPy scalars are accepted, as in CuPy;
* ``np.asarray(device_array)`` raises (CuPy refuses implicit conversion), and a device array
  is not an ``np.ndarray``;
* every copy between host and device is counted in ``Transfers``: ``asarray``/``array`` of
  host data (host to device), ``asnumpy``, ``.get()``, ``.item()``, ``float()``, ``bool()``...
  (device to host), NumPy index arrays (copied to the device, as CuPy does).

Its ``elementwise_kernel`` runs the CUDA source that code generation writes for fused chains
by evaluating the kernel's expression with NumPy (the expressions are written in a syntax that
is both C++ and Python; see lamina/graph/codegen/cupy_codegen.py).

Use it through the ``fake_gpu`` fixture of the tests that need it: it makes the fake the
"gpu:0" device for one test.
"""
from __future__ import annotations

import dataclasses
import types
from typing import Any

import numpy as np

from lamina.backends.base import Backend


class MixingError(TypeError):
    """A device array met a host NumPy array in one operation."""


@dataclasses.dataclass
class Transfers:
    """Copies between host and device since the last reset."""
    to_device: int = 0
    to_host: int = 0

    def reset(self) -> None:
        self.to_device = self.to_host = 0


TRANSFERS = Transfers()


# ---- the device array -----------------------------------------------------------------------
def unwrap(value: Any) -> Any:
    """Device arrays as their NumPy storage (for the NumPy call behind an operation); raises
    for host arrays met in the same operation."""
    if isinstance(value, DeviceArray):
        return value._a
    if isinstance(value, np.ndarray):
        raise MixingError(f"A fake-GPU operation received a host numpy.ndarray (shape "
                          f"{value.shape}, dtype {value.dtype}): CuPy refuses host arrays; "
                          "copy it to the device first.")
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


def wrap(value: Any) -> Any:
    """NumPy results as device arrays (0-d arrays for scalars, as CuPy returns)."""
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, np.generic):
        return DeviceArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(v) for v in value)
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def _index(index: Any) -> Any:
    """An index for a device array: NumPy index arrays are copied over (counted)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, np.ndarray):
        TRANSFERS.to_device += 1
        return index
    return unwrap(index)


class DeviceArray:
    """An array on the fake device (see the module docstring)."""

    __slots__ = ("_a",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, array: np.ndarray):
        self._a = array

    # -- NumPy's protocols: operations are forwarded, implicit conversion is refused ----
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError("Implicit conversion of a fake-GPU array to a NumPy array is not "
                        "allowed (as in CuPy): use backend.to_numpy or .get().")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        result = getattr(ufunc, method)(*unwrap(inputs), **unwrap(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return wrap(result)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        return wrap(func(*unwrap(args), **unwrap(kwargs)))

    # -- attributes and methods of the storage, with results on the device --------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):   # never hand out __array_interface__ and friends
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: wrap(attr(*unwrap(args), **unwrap(kwargs)))
        return wrap(attr)

    @property
    def shape(self) -> tuple:
        return self._a.shape

    @property
    def dtype(self) -> np.dtype:
        return self._a.dtype

    @property
    def ndim(self) -> int:
        return self._a.ndim

    @property
    def size(self) -> int:
        return self._a.size

    @property
    def device(self) -> Any:
        return FakeCuda.Device(0)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (wrap(row) for row in self._a)

    def __getitem__(self, index: Any) -> Any:
        return wrap(self._a[_index(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(value, np.ndarray):
            TRANSFERS.to_device += 1
        else:
            value = unwrap(value)
        self._a[_index(index)] = value

    # -- reading values on the host (counted) ----------------------------------------------
    def get(self) -> np.ndarray:
        TRANSFERS.to_host += 1
        return self._a.copy()

    def item(self) -> Any:
        TRANSFERS.to_host += 1
        return self._a.item()

    def tolist(self) -> Any:
        TRANSFERS.to_host += 1
        return self._a.tolist()

    def __bool__(self) -> bool:
        TRANSFERS.to_host += 1
        return bool(self._a)

    def __float__(self) -> float:
        TRANSFERS.to_host += 1
        return float(self._a)

    def __int__(self) -> int:
        TRANSFERS.to_host += 1
        return int(self._a)

    def __index__(self) -> int:
        TRANSFERS.to_host += 1
        return self._a.__index__()

    def __repr__(self) -> str:
        return f"fake_gpu_array({self._a!r})"

    def __copy__(self) -> "DeviceArray":
        return DeviceArray(self._a.copy())

    def __deepcopy__(self, memo: dict) -> "DeviceArray":
        return DeviceArray(self._a.copy())

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("Pickling a fake-GPU array would copy it to the host silently.")


def _binary(name: str):
    def op(self: DeviceArray, other: Any) -> Any:
        return wrap(getattr(self._a, name)(unwrap(other)))
    op.__name__ = name
    return op


def _in_place(name: str):
    def op(self: DeviceArray, other: Any) -> DeviceArray:
        getattr(self._a, name)(unwrap(other))
        return self
    op.__name__ = name
    return op


def _unary(name: str):
    def op(self: DeviceArray) -> Any:
        return wrap(getattr(self._a, name)())
    op.__name__ = name
    return op


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
           "xor", "lshift", "rshift"):
    setattr(DeviceArray, f"__{_n}__", _binary(f"__{_n}__"))
    setattr(DeviceArray, f"__r{_n}__", _binary(f"__r{_n}__"))
    setattr(DeviceArray, f"__i{_n}__", _in_place(f"__i{_n}__"))
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(DeviceArray, f"__{_n}__", _binary(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(DeviceArray, f"__{_n}__", _unary(f"__{_n}__"))


# ---- the array module -----------------------------------------------------------------------
def _from_host(value: Any, dtype: Any = None) -> DeviceArray:
    TRANSFERS.to_device += 1
    return DeviceArray(np.array(value, dtype=dtype, copy=True))


def asarray(value: Any, dtype: Any = None, order: Any = None) -> DeviceArray:
    if isinstance(value, DeviceArray):
        return value if dtype is None or value.dtype == dtype else value.astype(dtype)
    return _from_host(value, dtype)


def array(value: Any, dtype: Any = None, copy: bool = True, **kwargs: Any) -> DeviceArray:
    if isinstance(value, DeviceArray):
        return DeviceArray(np.array(value._a, dtype=dtype, copy=copy))
    return _from_host(value, dtype)


def ascontiguousarray(value: Any, dtype: Any = None) -> DeviceArray:
    if isinstance(value, DeviceArray):
        return DeviceArray(np.ascontiguousarray(value._a, dtype=dtype))
    return _from_host(value, dtype)


def asnumpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    TRANSFERS.to_host += 1
    return np.array(value._a, copy=True)


def _maker(fn: Any):
    """A creation function (empty, zeros, arange...): its result is made on the device."""
    def make(*args: Any, **kwargs: Any) -> Any:
        return wrap(fn(*unwrap(args), **unwrap(kwargs)))
    make.__name__ = fn.__name__
    return make


class FakeCuda:
    """``cupy.cuda`` as far as lamina uses it."""

    class Device:
        def __init__(self, index: int = 0):
            self.id = index

        def __enter__(self) -> "FakeCuda.Device":
            return self

        def __exit__(self, *exc: Any) -> None:
            return None

        def synchronize(self) -> None:
            return None


class RandomState:
    """``cupy.random.RandomState``: draws made on the device (not transfers)."""

    def __init__(self, seed: int | None = None):
        self._rng = np.random.default_rng(seed)

    def random_sample(self, size: Any = None, dtype: Any = float) -> DeviceArray:
        return wrap(self._rng.random(size, dtype=dtype))

    def standard_normal(self, size: Any = None, dtype: Any = float) -> DeviceArray:
        return wrap(self._rng.standard_normal(size, dtype=dtype))

    def randint(self, low: int, high: int | None = None, size: Any = None,
                dtype: Any = int) -> DeviceArray:
        return wrap(self._rng.integers(low, high, size=size, dtype=dtype))

    def permutation(self, n: int) -> DeviceArray:
        return wrap(self._rng.permutation(n))


_STRIDE_TRICKS = types.SimpleNamespace(
    as_strided=lambda x, shape=None, strides=None, **kw: wrap(
        np.lib.stride_tricks.as_strided(unwrap(x), shape, strides, **kw)),
    sliding_window_view=lambda x, *a, **kw: wrap(
        np.lib.stride_tricks.sliding_window_view(unwrap(x), *a, **kw)))


class FakeXp(types.ModuleType):
    """The fake device's array module: NumPy's names, with arrays made on the device."""

    def __init__(self):
        super().__init__("fake_gpu_xp")
        self.ndarray = DeviceArray
        self.asarray, self.array, self.asnumpy = asarray, array, asnumpy
        self.ascontiguousarray = ascontiguousarray
        for name in ("empty", "zeros", "ones", "full", "arange", "linspace", "eye",
                     "identity", "tri"):
            setattr(self, name, _maker(getattr(np, name)))
        self.cuda = FakeCuda
        self.random = types.SimpleNamespace(RandomState=RandomState)
        self.lib = types.SimpleNamespace(stride_tricks=_STRIDE_TRICKS)

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


XP = FakeXp()


# ---- generated kernels ----------------------------------------------------------------------
# lamina's helpers (cupy_codegen.PREAMBLE) written out in NumPy, comparison for comparison, so
# that tests check the C++ logic against NumPy's own ufuncs (NaN, signed zeros).
def _max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where((a > b) | (a != a), a, b)


def _min(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where((a < b) | (a != a), a, b)


def _relu(x: np.ndarray) -> np.ndarray:
    return np.where((x > 0) | (x != x), x, x.dtype.type(0))


# What the CUDA functions and lamina's helpers of a fused kernel compute, in NumPy.
KERNEL_NAMESPACE = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "tanh": np.tanh,
    "sin": np.sin, "cos": np.cos, "sqrt": np.sqrt, "floor": np.floor, "ceil": np.ceil,
    "rint": np.rint, "fabs": np.abs, "pow": np.power, "lamina_max": _max,
    "lamina_min": _min, "lamina_relu": _relu, "lamina_square": np.square,
    "lamina_sign": np.sign,
}


def _params(spec: str) -> list[tuple[np.dtype, str]]:
    pairs = []
    for part in spec.split(","):
        type_name, name = part.split()
        pairs.append((np.dtype(type_name), name))
    return pairs


class FakeElementwiseKernel:
    """Runs a generated fused kernel: checks its arguments as CuPy does (declared dtypes,
    device arrays), evaluates its expression with NumPy and writes the output."""

    def __init__(self, in_params: str, out_params: str, operation: str, name: str,
                 preamble: str = ""):
        self.inputs = _params(in_params)
        self.outputs = _params(out_params)
        target, expression = operation.rstrip(";").split(" = ", 1)
        assert len(self.outputs) == 1 and target == self.outputs[0][1], operation
        self.expression = compile(expression, name, "eval")
        self.name, self.preamble, self.operation = name, preamble, operation
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        *inputs, out = args
        assert len(inputs) == len(self.inputs), (len(inputs), self.inputs)
        env = dict(KERNEL_NAMESPACE)
        for (dtype, name), value in zip(self.inputs + self.outputs, args):
            if not isinstance(value, DeviceArray) or value.dtype != dtype:
                raise TypeError(f"Type is mismatched. {name} {type(value).__name__} "
                                f"{getattr(value, 'dtype', None)} {dtype}")
            env[name] = value._a
        result = eval(self.expression, {"__builtins__": {}}, env)
        assert np.result_type(result) == out.dtype, (np.result_type(result), out.dtype)
        np.copyto(out._a, result)
        self.calls += 1
        return out


# ---- the backend ----------------------------------------------------------------------------
class FakeGpuBackend(Backend):
    """A GPU backend over :data:`XP` (see the module docstring)."""

    name = "fake-gpu"
    xp = XP

    def __init__(self):
        self.transfers = TRANSFERS
        self.kernels: list[FakeElementwiseKernel] = []

    def asarray(self, value: Any, dtype: np.dtype | None = None) -> Any:
        return XP.asarray(value, dtype=dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        return XP.asnumpy(array)

    def erf(self, x: Any) -> Any:
        from lamina.backends.numpy_backend import erf
        return wrap(erf(x._a))

    def owns(self, array: Any) -> bool:
        return isinstance(array, DeviceArray)

    def elementwise_kernel(self, in_params: str, out_params: str, operation: str, name: str,
                           preamble: str = "") -> FakeElementwiseKernel:
        kernel = FakeElementwiseKernel(in_params, out_params, operation, name, preamble)
        self.kernels.append(kernel)
        return kernel
