"""GPU code generation (CuPy): the CPU generator's flat function, run on the device.

The generated function has the same shape as on the CPU (numpy_codegen.write): one call per
node, written with ``out=`` into preallocated buffers. What differs is decided by GpuContext:

* buffers, scratch arrays and constants live on the device (made once, at compile time);
  scalars are NumPy scalars, which CuPy passes to kernels by value;
* the first lines copy host (NumPy) arguments to the device, visibly: ``i0 = _upload(i0)``.
  That is the only host-to-device copy a step makes; arrays already on the device pass;
* reductions call ``cupy.sum``/``amax``/...; numba kernels (CPU only) are never used, so the
  emitters that would call them fall back to code written against ``xp``;
* a fused elementwise chain (passes/fusion.py) becomes one generated CUDA kernel
  (``cupy.ElementwiseKernel``): one read of its inputs and one write, instead of a kernel
  launch and a round trip through memory per step. :func:`kernel_source` writes the kernel's
  source from the fused node alone (tested without a GPU).

Not done yet: capturing a whole step as a CUDA graph. CuPy's cuBLAS calls (matmul) refuse
stream capture, so a step with a matrix product cannot be captured through CuPy; see
docs/design.md.

Example of generated code (a dense layer with ReLU, on the GPU):

    def run(i0):
        i0 = _upload(i0)
        r1 = S0._value
        _matmul(i0, r1, out=b0)
        k0(b0, c0, b0)          # fused: relu(x + bias), one kernel
        ...
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Callable

import numpy as np

from ...backends import Device, device_of
from .. import program as P
from ..passes.fusion import FUSED
from . import numpy_codegen as base

# ---- fused chains as CUDA source ------------------------------------------------------------
# Each step's expression, in a syntax that is both CUDA C++ and Python: infix arithmetic in
# full parentheses and calls of CUDA's math functions (overloaded for float and double) or of
# the helpers in PREAMBLE, which follow NumPy's semantics (NaN propagation of maximum/minimum;
# between equal values, +0.0 and -0.0 included, maximum and minimum return the second, so a
# ReLU gives +0.0 for -0.0).
STEP_TEMPLATES: dict[str, str] = {
    "add": "({0} + {1})",
    "subtract": "({0} - {1})",
    "multiply": "({0} * {1})",
    "true_divide": "({0} / {1})",
    "negative": "(-{0})",
    "absolute": "fabs({0})",
    "square": "lamina_square({0})",
    "maximum": "lamina_max({0}, {1})",
    "minimum": "lamina_min({0}, {1})",
    "sign": "lamina_sign({0})",
    "Relu": "lamina_relu({0})",
    "power": "pow({0}, {1})",
    **{name: f"{name}({{0}})" for name in ("exp", "expm1", "log", "log1p", "tanh", "sin", "cos",
                                             "sqrt", "floor", "ceil", "rint")},
}

PREAMBLE = """\
template <typename T> __device__ T lamina_max(T a, T b) { return (a > b || a != a) ? a : b; }
template <typename T> __device__ T lamina_min(T a, T b) { return (a < b || a != a) ? a : b; }
template <typename T> __device__ T lamina_relu(T x) { return (x > T(0) || x != x) ? x : T(0); }
template <typename T> __device__ T lamina_square(T x) { return x * x; }
template <typename T> __device__ T lamina_sign(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : (x == T(0) ? T(0) : x));
}
"""

# Element types the kernels are written for (CuPy's parameter spelling: NumPy dtype names).
KERNEL_DTYPES = ("float32", "float64")


@dataclasses.dataclass(frozen=True)
class KernelSource:
    """The arguments of ``cupy.ElementwiseKernel`` for one fused chain."""
    in_params: str
    out_params: str
    operation: str
    name: str
    preamble: str = PREAMBLE


def step_key(op: str, prim: Any) -> str:
    """The STEP_TEMPLATES key of a fused step: its ufunc's name, or the op type (Relu)."""
    return prim.ufunc if prim is not None and prim.ufunc is not None else op


def kernel_source(node: P.Node) -> KernelSource | None:
    """CUDA source of a Fused node: inputs ``in0..``, output ``out0``, the chain as one
    expression. None when the chain has a step without a template, attributes, or a dtype
    other than float32/float64 (the caller then runs one ufunc per step).

    Example: the chain add(x, b) -> Relu gives
        in_params "float32 in0, float32 in1", out_params "float32 out0",
        operation "out0 = lamina_relu((in0 + in1));"
    """
    if node.op != FUSED:
        raise ValueError(f"kernel_source expects a {FUSED} node, received a {node.op} node.")
    dtype = node.dtype.name
    if dtype not in KERNEL_DTYPES or any(x.dtype is not node.dtype for x in node.inputs):
        return None
    expression = None
    for op, prim, refs, attrs in node.attrs["body"]:
        template = STEP_TEMPLATES.get(step_key(op, prim))
        if template is None or attrs:
            return None
        operands = [expression if ref[0] == "prev" else f"in{ref[1]}" for ref in refs]
        expression = template.format(*operands)
    in_params = ", ".join(f"{dtype} in{k}" for k in range(len(node.inputs)))
    out_params = f"{dtype} out0"
    operation = f"out0 = {expression};"
    digest = hashlib.sha1(f"{in_params}|{operation}".encode()).hexdigest()[:12]
    return KernelSource(in_params, out_params, operation, f"lamina_fused_{digest}")


def _fused(ctx: "GpuContext", node: P.Node, args: list[str], out: str) -> str:
    """One generated kernel for the chain (in place is safe: each element is read before it
    is written); one ufunc per step where no kernel can be written."""
    source = kernel_source(node)
    kernel = None
    if source is not None:
        kernel = ctx.backend.elementwise_kernel(source.in_params, source.out_params,
                                                source.operation, source.name,
                                                source.preamble)
    if kernel is None:
        return base.SHARED_EMITTERS[FUSED].code(ctx, node, args, out)
    return f"{ctx.ref(kernel, 'k')}({', '.join(args)}, {out})"


# The GPU's emitters: those every backend shares (none of numpy_codegen.CPU_ONLY_EMITTERS),
# with fused chains as kernels.
EMITTERS: dict[str, base.Emitter] = {**base.SHARED_EMITTERS,
                                     FUSED: base.Emitter(_fused, in_place=True)}

# CuPy's reduction functions (with out= and keepdims=) by the ufunc that reduces; the CPU
# code calls ufunc.reduce instead.
_REDUCTIONS = {"add": "sum", "maximum": "amax", "minimum": "amin", "multiply": "prod",
               "logical_and": "all", "logical_or": "any"}


# ---- the context ----------------------------------------------------------------------------
class GpuContext(base.Context):
    """How generated code reaches a GPU device (see the module docstring)."""

    def __init__(self, device: Device):
        super().__init__(device.xp, EMITTERS)
        self.device = device
        self.backend = device.backend
        self._scalars: dict[tuple, str] = {}

    def module(self) -> str:
        return self.ref(self.xp, "_xp", numbered=False)

    def scalar(self, value: Any, dtype: Any) -> str:
        key = (value, np.dtype(dtype).str)
        name = self._scalars.get(key)
        if name is None:
            name = self._scalars[key] = self.ref(np.dtype(dtype).type(value), "c")
        return name

    def empty(self, shape: tuple, dtype: Any) -> Any:
        return self.xp.empty(shape, dtype)

    def place(self, value: np.ndarray) -> Any:
        return self.backend.asarray(value)

    def input_code(self, name: str) -> str:
        upload = self.ref(uploader(self.device), "_upload", numbered=False)
        return f"{name} = {upload}({name})"

    def reduce_code(self, ufunc: str, arg: str, axis: Any, keepdims: bool, out: str) -> str:
        return f"{self.fn(_REDUCTIONS[ufunc])}({arg}, axis={axis!r}, keepdims={keepdims}, " \
               f"out={out})"

    def numba(self) -> bool:
        return False

    def owns(self, value: Any) -> bool:
        return self.backend.owns(value)

    def device_name(self) -> str:
        return self.device.name


def uploader(device: Device) -> Callable[[Any], Any]:
    """The input converter of plans on ``device``: its arrays pass, NumPy arrays are copied
    there (one copy per argument and call), anything else is refused."""
    backend = device.backend

    def upload(value: Any) -> Any:
        if backend.owns(value):
            return value
        if isinstance(value, np.ndarray):
            return backend.asarray(value)
        raise ValueError(f"Code compiled for {device.name} received a "
                         f"{type(value).__name__} on {device_of(value).name}: expected an array "
                         f"on {device.name} or a NumPy array. Move it with "
                         f".to('{device.name}').")
    return upload


def generate(program: P.Program, on_missing: Callable[[Any], Callable | None] | None,
             device: Device) -> base.Generated:
    """Writes, compiles and returns the function computing ``program`` on ``device``."""
    with device.backend.scope():
        generated = base.write(program, GpuContext(device), on_missing)
    generated.fn = _on_device(generated.fn, device)
    return generated


def _on_device(fn: Callable[..., tuple], device: Device) -> Callable[..., tuple]:
    """``fn`` run with ``device`` as the current CUDA device (kernels launch there)."""
    scope = device.backend.scope

    def run(*arrays: Any) -> tuple:
        with scope():
            return fn(*arrays)
    return run
