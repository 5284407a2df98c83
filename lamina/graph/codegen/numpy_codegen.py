"""CPU code generation: one flat Python function of NumPy calls.

Every node becomes one or two lines: an op that can write into a preallocated buffer is called
with ``out=``; views (reshape, transpose, broadcast) are taken, not copied; only outputs and
values of unknown shape are allocated on each run. Buffers, ufuncs and constants are bound as
closure variables, which are faster to reach than globals. ``plan.source`` shows the code.

Example of generated code (one dense layer with ReLU):

    def run(i0):
        r1 = S0._value
        _matmul(i0, r1, out=b0)
        _add(b0, c0, out=b0)
        _maximum(b0, 0, out=b0)
        ...
"""
from __future__ import annotations

import builtins
import itertools
import linecache
from typing import Any, Callable

import numpy as np

from ...backends import numba_kernels
from ...ops import indexing, rnn as rnn_ops
from .. import program as P
from ..passes import memory
from ..passes.bias_relu_pool import BIAS_RELU_POOL, POOL_MASK_GRAD, POOL_MASK_SUM, mask_dtype
from ..passes.fusion import FUSED
from ..passes.simplify import BROADCAST
from ..passes.sum_squares import SUM_SQUARES

_COUNTER = itertools.count()


class Context:
    """Names for the objects the generated code refers to (closure variables), and how the
    code reaches its array module: NumPy here; the GPU generator (cupy_codegen) subclasses
    this to allocate on the device and to call its own kernels."""

    def __init__(self, xp: Any = np, emitters: dict[str, "Emitter"] | None = None):
        self.names: dict[int, str] = {}
        self.values: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.shared: dict[Any, Any] = {}   # what one node's code leaves for a later node
        self.xp = xp
        self.emitters = EMITTERS if emitters is None else emitters
        # Every object named, kept alive: names are found by id(), and a freed object's id
        # can be reused (bound methods such as np.add.reduce are new objects on each access).
        self.kept: list[Any] = []

    def ref(self, obj: Any, hint: str, numbered: bool = True) -> str:
        """The closure name of ``obj``: ``hint`` plus a number (``c0``, ``S1``...)."""
        key = id(obj)
        if key not in self.names:
            name = hint
            if numbered:
                count = self.counts.get(hint, 0)
                self.counts[hint] = count + 1
                name = f"{hint}{count}"
            self.names[key] = name
            self.values[name] = obj
            self.kept.append(obj)
        return self.names[key]

    def fn(self, name: str) -> str:
        """A function of the array module by name, e.g. ``fn("add") -> "_add"``."""
        return self.ref(getattr(self.xp, name), f"_{name}", numbered=False)

    def module(self) -> str:
        """The array module, as primitive forwards take it (their ``xp``)."""
        return self.ref(self.xp, "_np", numbered=False)

    def lookup(self, node: P.Node) -> "Emitter | None":
        return emitter_for(node, self.emitters)

    def scalar(self, value: Any, dtype: Any) -> str:
        """A constant of ``dtype``: a 0-d array, which ufuncs take faster than a number."""
        return self.ref(_scalar_array(value, dtype), "c")

    def empty(self, shape: tuple, dtype: Any) -> Any:
        """A preallocated array of the generated code."""
        return np.empty(shape, dtype)

    def place(self, value: np.ndarray) -> Any:
        """A host constant (a Const node's value, an index array) as the code's array."""
        return value

    def input_code(self, name: str) -> str:
        """A line that brings argument ``name`` to the code's device (none on the CPU)."""
        return ""

    def reduce_code(self, ufunc: str, arg: str, axis: Any, keepdims: bool, out: str) -> str:
        """``ufunc.reduce`` over ``axis`` into ``out``: NumPy's own reduce method, which skips
        the Python-level wrapper of np.sum and friends (~2 us a call)."""
        reduce = self.ref(getattr(np, ufunc).reduce, f"_{ufunc}_reduce", numbered=False)
        return f"{reduce}({arg}, axis={axis!r}, keepdims={keepdims}, out={out})"

    def numba(self) -> bool:
        """Whether the optional numba kernels (CPU only) may be used."""
        return numba_kernels.available()

    def owns(self, value: Any) -> bool:
        """Whether ``value`` is an array of the code's device."""
        return isinstance(value, (np.ndarray, np.generic))

    def device_name(self) -> str:
        return "cpu:0"


class Emitter:
    """How one op type is written: ``code(ctx, node, args, out)`` returns a statement that
    writes the result into the array named ``out`` (for a view: an expression; out is None)."""

    __slots__ = ("code", "writes_out", "in_place", "view")

    def __init__(self, code: Callable, writes_out: bool = True, in_place: bool = False,
                 view: bool = False):
        self.code = code
        self.writes_out = writes_out
        self.in_place = in_place
        self.view = view


# Binary ufuncs that NumPy scalars compute with an operator, the same float operation.
_SCALAR_OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/"}


def _scalar_operator(ctx, node: P.Node, operands: list, ufunc: str) -> str | None:
    """The operator for ``ufunc`` where the node and its operands are 0-d floats of one dtype
    (a loss, a penalty, a metric's total, a step count): arithmetic on NumPy scalars, ~0.25
    us, where a ufunc call with out= costs ~0.7 us. None elsewhere."""
    operator = _SCALAR_OPERATORS.get(ufunc)
    if (operator is None or ctx.xp is not np or node.shape != ()
            or node.dtype.np not in (np.float32, np.float64)
            or any(o.shape != () or o.dtype != node.dtype for o in operands)):
        return None
    return operator


def _ufunc_code(name: str) -> Callable:
    def code(ctx, node, args, out):
        operator = _scalar_operator(ctx, node, node.inputs, name) if len(args) == 2 else None
        if operator is not None:
            return f"{out}[()] = {args[0]}[()] {operator} {args[1]}[()]"
        return f"{ctx.fn(name)}({', '.join(args)}, out={out})"
    return code


def _zero(ctx, node) -> str:
    """A zero of the node's dtype."""
    return ctx.scalar(0, node.dtype.np)


def _scalar_array(value: Any, dtype: Any) -> np.ndarray:
    key = (value, np.dtype(dtype).str)
    found = _SCALARS.get(key)
    if found is None:
        found = _SCALARS[key] = np.asarray(value, dtype=dtype)
    return found


_SCALARS: dict[tuple, np.ndarray] = {}


def _relu(ctx, node, args, out):
    return f"{ctx.fn('maximum')}({args[0]}, {_zero(ctx, node)}, out={out})"


# Reductions by the ufunc that reduces (see Context.reduce_code). The mean is the sum divided
# by the count, as NumPy computes it.
_REDUCERS = {"sum": "add", "max": "maximum", "min": "minimum", "prod": "multiply",
             "all": "logical_and", "any": "logical_or"}


def _sigmoid(ctx, node, args, out):
    """0.5 + 0.5 * tanh(x / 2), as the primitive's forward, in place in ``out``."""
    half = ctx.scalar(0.5, node.dtype.np)
    return (f"{ctx.fn('multiply')}({args[0]}, {half}, out={out}); "
            f"{ctx.fn('tanh')}({out}, out={out}); {ctx.fn('multiply')}({out}, {half}, "
            f"out={out}); {ctx.fn('add')}({out}, {half}, out={out})")


def _bias_relu(ctx, node, args, out):
    """max(x + b, 0) (passes/bias_relu.py): one numba pass over (rows, C) views, else the two
    NumPy calls (reshape copies a non-contiguous x: still right)."""
    x, b = args
    if (ctx.numba() and node.dtype.np in (np.float32, np.float64)
            and int(np.prod(node.shape)) >= numba_kernels.SMALL_KERNEL_MIN):
        channels = node.shape[-1]
        if out == x:            # in place: the kernel that takes the array once
            kernel = ctx.ref(numba_kernels.kernels()["bias_relu_into_x"], "_bias_relu_into_x",
                             False)
            return f"{kernel}({x}.reshape(-1, {channels}), {b})"
        kernel = ctx.ref(numba_kernels.kernels()["bias_relu"], "_bias_relu", False)
        return (f"{kernel}({x}.reshape(-1, {channels}), {b}, "
                f"{out}.reshape(-1, {channels}))")
    return (f"{ctx.fn('add')}({x}, {b}, out={out}); "
            f"{ctx.fn('maximum')}({out}, {_zero(ctx, node)}, out={out})")


def _relu_grad(ctx, node, args, out):
    g, x = args
    floats = (np.float32, np.float64)
    if (ctx.numba() and node.dtype.np in floats and node.static
            and int(np.prod(node.shape)) >= numba_kernels.SMALL_KERNEL_MIN
            and all(i.dtype == node.dtype and i.shape == node.shape for i in node.inputs)):
        # one numba pass over flat views (reshape copies a non-contiguous input: still right)
        if out in (g, x) and g != x:    # in place: the kernels that take the array once
            name = "relu_grad_into_g" if out == g else "relu_grad_into_x"
            kernel = ctx.ref(numba_kernels.kernels()[name], "_" + name, False)
            return f"{kernel}({g}.reshape(-1), {x}.reshape(-1))"
        kernel = ctx.ref(numba_kernels.kernels()["relu_grad"], "_relu_grad", False)
        return f"{kernel}({g}.reshape(-1), {x}.reshape(-1), {out}.reshape(-1))"
    mask = ctx.ref(ctx.empty(node.shape, bool), "m")
    return (f"{ctx.fn('greater')}({x}, {_zero(ctx, node)}, out={mask}); "
            f"{ctx.fn('multiply')}({g}, {mask}, out={out})")


def _bias_relu_pool(ctx, node, args, out):
    """Max pooling of max(x + b, 0) in one numba pass (passes/bias_relu_pool.py, which runs
    only with the kernels); the mask of window maxima stays for the gradient node."""
    kh, kw = node.attrs["ksize"]
    mask = ctx.ref(ctx.empty(node.shape, mask_dtype((kh, kw))), "pm")
    ctx.shared[("pool_mask", id(node))] = mask
    kernel = ctx.ref(numba_kernels.kernels()["bias_relu_pool"], "_bias_relu_pool", False)
    return f"{kernel}({args[0]}, {args[1]}, {kh}, {kw}, {out}, {mask})"


def _pool_mask_grad(ctx, node, args, out):
    """The gradient through a BiasReluPool node, from its output and mask (that node runs
    first: this one takes its output)."""
    kh, kw = node.attrs["ksize"]
    mask = ctx.shared[("pool_mask", id(node.inputs[0]))]
    sums = ctx.empty(node.shape[-1:] if node.attrs.get("channel_sum") else (0,), np.float64)
    ctx.shared[("pool_sum", id(node))] = sums = ctx.ref(sums, "ps")
    kernel = ctx.ref(numba_kernels.kernels()["pool_mask_grad"], "_pool_mask_grad", False)
    return f"{kernel}({args[0]}, {mask}, {args[1]}, {kh}, {kw}, {out}, {sums})"


def _sum_squares(ctx, node, args, out):
    """sum(x * x) over all of x as one dot product of the flattened array with itself
    (passes/sum_squares.py); reshape copies a non-contiguous x: still right."""
    flat = f"{args[0]}.reshape(-1)"
    return f"{out}[...] = {ctx.fn('dot')}({flat}, {flat})"


def _pool_mask_sum(ctx, node, args, out):
    """The per-channel sum of a PoolMaskGrad node, which its kernel left (in float64)."""
    sums = ctx.shared[("pool_sum", id(node.inputs[0]))]
    return f"{ctx.fn('copyto')}({out}, {sums}, casting='unsafe')"


def _static_index(node: P.Node, spec: tuple, shape: tuple) -> tuple:
    from ...ops.indexing import _index_tuple
    return _index_tuple(np, shape, (), spec)


def _getitem_view(ctx, node, args, out):
    """Basic indexing with a static index: a view (the planner keeps its base alive)."""
    index = _static_index(node, node.attrs["spec"], node.inputs[0].shape)
    return f"{args[0]}[{ctx.ref(index, 'ix')}]"


def _gather_rows(ctx, node, args, out):
    """``x[ids]`` (integer ids on axis 0, an embedding's lookup): the ids checked as the
    forward checks them, then one ``take`` into the planned buffer (no fresh array of the
    gathered rows on every run)."""
    x = node.inputs[0]
    _, which, mode = node.attrs["spec"][0]
    ids = args[1 + which]
    check = ctx.ref(indexing._array_index, "_check_ids", False)
    # keyed by the ids' node: a buffer name may hold other values later in the code
    ctx.shared[("ids checked", id(node.inputs[1 + which]), x.shape[0], mode)] = True
    return (f"{check}({ctx.module()}, {ids}, 0, {x.shape[0]}, {mode!r}); "
            f"{ctx.fn('take')}({args[0]}, {ids}, axis=0, out={out}, mode='wrap')")


def _scatter_rows(ctx, node, args, out):
    """The gradient of ``x[ids]``: rows added into a zeroed planned buffer (the forward's
    row sum, without a fresh array on every run). The ids are checked unless the gather of
    the forward, earlier in the same code, checked them against the same rows."""
    _, which, mode = node.attrs["spec"][0]
    ids = args[2 + which]
    add = ctx.ref(indexing._add_rows, "_add_rows", False)
    code = f"{out}.fill(0); {add}({out}, {ids}, {args[0]})"
    if ctx.shared.get(("ids checked", id(node.inputs[2 + which]), node.shape[0], mode)):
        return code
    check = ctx.ref(indexing._array_index, "_check_ids", False)
    return f"{check}({ctx.module()}, {ids}, 0, {node.shape[0]}, {mode!r}); " + code


def _assemble(ctx, node, args, out):
    """Slices into their places: copies when they cover the array exactly once, else a zero
    fill and in-place additions."""
    indexes = [_static_index(node, spec, node.shape) for spec in node.attrs["specs"]]
    count = np.zeros(node.shape, dtype=np.int32)
    for index in indexes:
        count[index] += 1
    exact = bool(np.all(count == 1))
    lines = [] if exact else [f"{ctx.fn('copyto')}({out}, {_zero(ctx, node)})"]
    op = ctx.fn("copyto") if exact else ctx.fn("add")
    for index, value in zip(indexes, args):
        name = ctx.ref(index, "ix")
        if exact:
            lines.append(f"{op}({out}[{name}], {value})")
        else:
            lines.append(f"{op}({out}[{name}], {value}, out={out}[{name}])")
    return "; ".join(lines)


def _matmul_sum(ctx, node, args, out):
    """sum_i A_i @ B_i as one product of stacked operands. A transposed view A_i = a_i^T is
    stacked from a_i's rows, so the stacked A is the transpose of a row-stacked buffer."""
    rows, cols = node.shape
    dt = node.dtype.np
    stacked = node.attrs.get("stacked_b", False)
    if stacked:   # the B_i are already stacked (passes/batch_matmul.py): read them in place
        a_nodes, a_names = node.inputs[:-1], args[:-1]
        total = int(np.prod(node.inputs[-1].shape[:-1]))
        b_stack = f"{args[-1]}.reshape({total}, {cols})"
        b_names = [None] * len(a_names)
    else:
        a_nodes, a_names, b_names = node.inputs[0::2], args[0::2], args[1::2]
        total = sum(a.shape[1] for a in a_nodes)
        b_stack = ctx.ref(ctx.empty((total, cols), dt), "mb")
    a_stack = ctx.ref(ctx.empty((total, rows), dt), "ma")   # holds A^T, row by row
    copy = ctx.fn("copyto")
    lines, start = [], 0
    for a, a_name, b_name in zip(a_nodes, a_names, b_names):
        k = a.shape[1]
        rows_k = f"{start}:{start + k}"
        # a_stack holds A^T: for the usual A_i = h_i^T this copies h_i's rows as they are.
        lines.append(f"{copy}({a_stack}[{rows_k}], {a_name}.T)")
        if b_name is not None:
            lines.append(f"{copy}({b_stack}[{rows_k}], {b_name})")
        start += k
    lines.append(f"{ctx.fn('matmul')}({a_stack}.T, {b_stack}, out={out})")
    return "; ".join(lines)


def _leading_sum(ctx, node, arg, out) -> str | None:
    """A float sum over the leading axes (a bias gradient) as ``ones @ x`` on the CPU: one BLAS
    matrix-vector product, 1.5-5x faster than ``add.reduce`` over leading axes (measured,
    (128, 512) to (43264, 32)). None where that does not apply."""
    x, axis = node.inputs[0], node.attrs["axis"]
    axis = (axis,) if isinstance(axis, int) else tuple(axis) if axis is not None else ()
    if (ctx.xp is not np or node.dtype.np not in (np.float32, np.float64)
            or x.dtype != node.dtype or not x.static
            or not 0 < len(axis) < len(x.shape) or axis != tuple(range(len(axis)))):
        return None
    rows = int(np.prod(x.shape[:len(axis)]))
    cols = int(np.prod(x.shape[len(axis):]))
    ones = ctx.ref(np.ones(rows, node.dtype.np), "c")
    # reshape is a view for the contiguous arrays the plan makes (a copy, still right, else)
    return (f"{ctx.fn('matmul')}({ones}, {arg}.reshape({rows}, {cols}), "
            f"out={out}.reshape({cols}))")


def _reduction(name: str) -> Callable:
    def code(ctx, node, args, out):
        a = node.attrs
        ufunc = _REDUCERS.get(name, "add")
        line = None
        if name in ("sum", "mean"):
            line = _leading_sum(ctx, node, args[0], out)
        if line is None:
            line = ctx.reduce_code(ufunc, args[0], a["axis"], a["keepdims"], out)
        if name == "mean":
            count = int(np.prod([node.inputs[0].shape[i] for i in a["axis"]]))
            count = ctx.scalar(count, node.dtype.np)
            line += f"; {ctx.fn('true_divide')}({out}, {count}, out={out})"
        return line
    return code


def _matmul(ctx, node, args, out):
    return f"{ctx.fn('matmul')}({args[0]}, {args[1]}, out={out})"


def _cast(ctx, node, args, out):
    return f"{ctx.fn('copyto')}({out}, {args[0]}, casting='unsafe')"


def _select(ctx, node, args, out):
    # Two copies into `out`; never planned in place, so `out` is neither x nor y.
    c, x, y = args
    copy = ctx.fn("copyto")
    return f"{copy}({out}, {y}); {copy}({out}, {x}, where={c})"


def _reshape(ctx, node, args, out):
    return f"{args[0]}.reshape({tuple(node.shape)!r})"


def _transpose(ctx, node, args, out):
    return f"{args[0]}.transpose({tuple(node.attrs['perm'])!r})"


def _broadcast(ctx, node, args, out):
    return f"{ctx.fn('broadcast_to')}({args[0]}, {tuple(node.shape)!r})"


def _fused(ctx, node, args, out):
    """Each step of the chain writes into the output (the chain is linear, so in place)."""
    lines = []
    for op, prim, refs, attrs in node.attrs["body"]:
        step_args = [out if r[0] == "prev" else args[r[1]] for r in refs]
        step = P.Node(op, prim, [], attrs, node.shape, node.dtype)
        lines.append(ctx.lookup(step).code(ctx, step, step_args, out))
    return "; ".join(lines)


# From this many logits the two-pass cross-entropy (NumPy's exp between two kernels) beats the
# one kernel with its scalar exp (measured: 200 x 10, 6.2 vs 2.8 us; 16 x 3, 0.45 vs 0.85).
XENT_SPLIT_MIN = 256


def _xent(ctx, node, args, out):
    """Sparse softmax cross-entropy, rows of logits (N, C): the softmax stays in a scratch
    buffer for the gradient node of the same step (with numba: one kernel each)."""
    logits, labels = node.inputs
    if len(logits.shape) != 2:
        return f"{out}[...] = {_fallback(ctx, node, args)}"
    rows, classes = logits.shape
    dt = node.dtype.np
    probs = ctx.ref(ctx.empty((rows, classes), dt), "xp")
    ctx.shared[(id(logits), id(labels))] = probs
    if ctx.numba():
        kernels = numba_kernels.kernels()
        if rows * classes < XENT_SPLIT_MIN:
            kernel = ctx.ref(kernels["xent_forward"], "_xent_forward", False)
            return f"{kernel}({args[0]}, {args[1]}, {out}, {probs})"
        # larger batches: the exponentials by NumPy's SIMD exp between two kernel passes
        shift = ctx.ref(kernels["xent_shift"], "_xent_shift", False)
        normalize = ctx.ref(kernels["xent_normalize"], "_xent_normalize", False)
        return (f"{shift}({args[0]}, {args[1]}, {out}, {probs}); "
                f"{ctx.fn('exp')}({probs}, out={probs}); {normalize}({out}, {probs})")
    z = ctx.ref(ctx.empty((rows, classes), dt), "xz")
    total = ctx.ref(ctx.empty((rows, 1), dt), "xs")
    ar = ctx.ref(ctx.place(np.arange(rows)), "xr")
    return "; ".join([
        ctx.reduce_code("maximum", args[0], 1, True, total),
        f"{ctx.fn('subtract')}({args[0]}, {total}, out={z})",
        f"{ctx.fn('exp')}({z}, out={probs})",
        ctx.reduce_code("add", probs, 1, True, total),
        f"{ctx.fn('log')}({total}[:, 0], out={out})",
        f"{ctx.fn('subtract')}({out}, {z}[{ar}, {args[1]}], out={out})",
        f"{ctx.fn('true_divide')}({probs}, {total}, out={probs})"])


def _xent_grad(ctx, node, args, out):
    """``g * (softmax - onehot)``, from the softmax the forward node of the step left (it
    runs first: the gradient depends on the loss)."""
    logits, labels, _ = node.inputs
    probs = ctx.shared.get((id(logits), id(labels)))
    if probs is None:
        return f"{out}[...] = {_fallback(ctx, node, args)}"
    if ctx.numba():
        kernel = ctx.ref(numba_kernels.kernels()["xent_grad"], "_xent_grad", False)
        return f"{kernel}({probs}, {args[1]}, {args[2]}, {out})"
    ar = ctx.ref(ctx.place(np.arange(logits.shape[0])), "xr")
    return "; ".join([
        f"{ctx.fn('copyto')}({out}, {probs})",
        f"{out}[{ar}, {args[1]}] -= 1",
        f"{ctx.fn('multiply')}({out}, {args[2]}[:, None], out={out})"])


def _lstm_gates(ctx, node, args, out):
    """An LSTM step; the activated gates and tanh(c') stay in scratch buffers for the
    gradient node of the same step (see lamina.ops.rnn). With the numba kernel the code calls
    ``rnn.forward_step`` with the constants and kernel chosen here, once, rather than
    ``forward_into``, which chooses them on every call."""
    z, c = node.inputs
    if None in z.shape or None in c.shape:
        return f"{out}[...] = {_fallback(ctx, node, args)}"
    dt = node.dtype.np
    gates = ctx.ref(ctx.empty(z.shape, dt), "lg")
    tanh_c = ctx.ref(ctx.empty(c.shape, dt), "lc")
    ctx.shared[("lstm", id(z), id(c))] = (gates, tanh_c)
    kernel = _lstm_kernel(ctx, node, "lstm_forward")
    if kernel is None:
        fn = ctx.ref(rnn_ops.forward_into, "_lstm_forward", False)
        return f"{fn}({ctx.module()}, {args[0]}, {args[1]}, {out}, {gates}, {tanh_c})"
    scale, shift = (ctx.ref(a, "c") for a in rnn_ops.gate_constants(np, c.shape[-1], dt))
    step = ctx.ref(rnn_ops.forward_step, "_lstm_forward_step", False)
    return (f"{step}({ctx.module()}, {args[0]}, {args[1]}, {out}, {gates}, {tanh_c}, "
            f"{scale}, {shift}, {kernel})")


def _lstm_kernel(ctx, node, name: str) -> str | None:
    """The numba kernel of an LSTM step, where the plan may call it directly: on the CPU, for
    float32/float64 inputs of the node's dtype."""
    if (not ctx.numba() or node.dtype.np not in (np.float32, np.float64)
            or any(i.dtype != node.dtype for i in node.inputs)):
        return None
    return ctx.ref(numba_kernels.kernels()[name], f"_{name}_kernel", False)


def _lstm_gates_grad(ctx, node, args, out):
    """The LSTM step's gradient from the forward node's saved gates (it runs first: the
    gradient takes the forward's output)."""
    z, c = node.inputs[:2]
    saved = ctx.shared.get(("lstm", id(z), id(c)))
    if saved is None:
        return f"{out}[...] = {_fallback(ctx, node, args)}"
    kernel = _lstm_kernel(ctx, node, "lstm_backward")
    if kernel is not None:
        return f"{kernel}({saved[0]}, {args[1]}, {saved[1]}, {args[3]}, {out})"
    fn = ctx.ref(rnn_ops.backward_into, "_lstm_backward", False)
    return f"{fn}({ctx.module()}, {saved[0]}, {args[1]}, {saved[1]}, {args[3]}, {out})"


# The emitters every backend uses: code written against the context's array module, numba
# kernels only where ``ctx.numba()`` allows them (cupy_codegen starts its table from this one).
SHARED_EMITTERS: dict[str, Emitter] = {
    "SparseSoftmaxXent": Emitter(_xent),
    "SparseSoftmaxXentGrad": Emitter(_xent_grad),
    "LSTMGates": Emitter(_lstm_gates),
    "LSTMGatesGrad": Emitter(_lstm_gates_grad),
    "AssembleSlices": Emitter(_assemble),
    "MatMulSum": Emitter(_matmul_sum),
    "Relu": Emitter(_relu, in_place=True),
    "BiasRelu": Emitter(_bias_relu, in_place=True),
    SUM_SQUARES: Emitter(_sum_squares),
    "ReluGrad": Emitter(_relu_grad, in_place=True),
    "Sigmoid": Emitter(_sigmoid, in_place=True),
    "MatMul": Emitter(_matmul),
    "Sum": Emitter(_reduction("sum")),
    "Mean": Emitter(_reduction("mean")),
    "Max": Emitter(_reduction("max")),
    "Min": Emitter(_reduction("min")),
    "Prod": Emitter(_reduction("prod")),
    "All": Emitter(_reduction("all")),
    "Any": Emitter(_reduction("any")),
    "Cast": Emitter(_cast),
    "Select": Emitter(_select),
    "Reshape": Emitter(_reshape, writes_out=False, view=True),
    "ExpandDims": Emitter(_reshape, writes_out=False, view=True),
    "Squeeze": Emitter(_reshape, writes_out=False, view=True),
    "Transpose": Emitter(_transpose, writes_out=False, view=True),
    BROADCAST: Emitter(_broadcast, writes_out=False, view=True),
    FUSED: Emitter(_fused, in_place=True),
}

# Row gathers (ids on axis 0) and their gradients: table keys of their own, since emitter_for
# decides from the node's inputs whether a GetItem or ScatterAdd is one.
GATHER_ROWS, SCATTER_ROWS = "GetItem/rows", "ScatterAdd/rows"

# The emitters only the CPU has: the nodes of passes/bias_relu_pool.py, which call numba
# kernels unconditionally (the pass runs only where they will run), and the row gathers and
# scatters (take(..., out=, mode=) and indexing._add_rows, which CuPy has no form of; the GPU
# calls their forwards).
CPU_ONLY_EMITTERS: dict[str, Emitter] = {
    BIAS_RELU_POOL: Emitter(_bias_relu_pool),
    POOL_MASK_GRAD: Emitter(_pool_mask_grad),
    POOL_MASK_SUM: Emitter(_pool_mask_sum),
    GATHER_ROWS: Emitter(_gather_rows),
    SCATTER_ROWS: Emitter(_scatter_rows),
}

# The CPU's table: both.
EMITTERS: dict[str, Emitter] = {**SHARED_EMITTERS, **CPU_ONLY_EMITTERS}

_GETITEM_VIEW = Emitter(_getitem_view, writes_out=False, view=True)


def emitter_for(node: P.Node, table: dict[str, Emitter] | None = None) -> Emitter | None:
    """How ``node`` is written, from ``table`` (default: the CPU's); None: call its forward."""
    table = EMITTERS if table is None else table
    if node.op == "GetItem":   # basic static indexing is a view; rows of a table, a take;
        from ..passes.assemble import _basic     # anything else, the forward
        spec = node.attrs["spec"]
        if len(node.inputs) == 1 and _basic(spec):
            return _GETITEM_VIEW
        x = node.inputs[0]
        if (len(node.inputs) == 2 and node.static and x.static and x.shape
                and indexing._rows_only(spec, len(x.shape))
                and node.inputs[1].dtype.np.kind in "iu"):
            return table.get(GATHER_ROWS)
        return None
    if (node.op == "ScatterAdd" and node.static and node.shape and len(node.inputs) == 3
            and node.inputs[2].dtype.np.kind in "iu" and node.inputs[0].dtype == node.dtype
            and indexing._rows_only(node.attrs["spec"], len(node.shape))
            and SCATTER_ROWS in table):
        return table[SCATTER_ROWS]
    found = table.get(node.op)
    if found is None and node.prim is not None and node.prim.ufunc is not None:
        found = table[node.op] = Emitter(_ufunc_code(node.prim.ufunc), in_place=True)
    if found is None and node.prim is not None and node.prim.takes_into:
        found = _INTO
    return found


def _into_code(ctx, node, args, out):
    """A primitive whose forward takes ``into=``: it fills the planned buffer, so the step
    allocates nothing for it (large im2col and pooling arrays would otherwise be mapped
    fresh, page by page, on every run)."""
    return _fallback(ctx, node, [*args, f"into={out}"])


_INTO = Emitter(_into_code)


def plan_memory(program: P.Program, table: dict[str, Emitter] | None = None
                ) -> memory.MemoryPlan:
    def writes_out(n):
        e = emitter_for(n, table)
        return e is not None and e.writes_out

    def in_place(n):
        e = emitter_for(n, table)
        return e is not None and e.in_place

    def is_view(n):
        e = emitter_for(n, table)
        return e is not None and e.view

    return memory.plan(program, writes_out, in_place, is_view)


# ---- the function ---------------------------------------------------------------------------
class Generated:
    """The result of code generation: the callable, its source, its memory plan, and the
    objects the source names (buffers ``b0``..., constants ``c0``..., functions)."""

    def __init__(self, fn: Callable, source: str, memory_plan: memory.MemoryPlan,
                 values: dict[str, Any] | None = None):
        self.fn = fn
        self.source = source
        self.memory = memory_plan
        self.values = values or {}


def generate(program: P.Program, on_missing: Callable[[Any], Callable | None] | None = None
             ) -> Generated:
    """Writes, compiles and returns the function computing ``program`` with NumPy.

    Args:
        program: an optimized program.
        on_missing: for a variable slot that may hold no array yet, a function the generated
            code calls with the slot when that happens (the Session reports uninitialized
            variables this way); None for slots that always hold one.
    """
    return write(program, Context(), on_missing)


def write(program: P.Program, ctx: Context, on_missing: Callable[[Any], Callable | None] | None
          ) -> Generated:
    """The generator shared by the backends: ``ctx`` says how arrays are made and reached."""
    mem = plan_memory(program, ctx.emitters)
    transparent = _transparent_broadcasts(program)
    placed = _place_gradients(program, mem, ctx)
    buffers = [ctx.ref(placed[k] if k in placed else ctx.empty(shape, dtype), "b")
               for k, (shape, dtype) in enumerate(mem.buffers)]
    names: dict[int, str] = {}
    body: list[str] = []
    args = []
    for node in program.nodes:
        if id(node) in transparent:   # its users broadcast by themselves
            names[id(node)] = names[id(node.inputs[0])]
            continue
        storage = mem.storage[id(node)]
        line, name = _node_code(ctx, node, storage, names, buffers, on_missing)
        names[id(node)] = name
        if node.op == P.INPUT:
            args.append(name)
            line = ctx.input_code(name)
        if line:
            body.append(line)
    returns = []
    for out in program.outputs:
        kind = mem.storage[id(out)].kind
        returns.append(names[id(out)] if kind == "alloc" else f"{names[id(out)]}.copy()")
    body.append("return (" + "".join(r + ", " for r in returns) + ")")
    return _compile(ctx, args, body, mem)


# Ops whose NumPy call broadcasts its inputs against the output buffer on its own.
_BROADCASTING = {"Relu", "Select", "Cast", FUSED}


def _transparent_broadcasts(program: P.Program) -> set[int]:
    """Broadcast nodes that need no code: every user is a ufunc (or copyto) writing into a
    buffer of the full shape, which broadcasts the small input by itself."""
    users = program.users()
    outputs = {id(n) for n in program.outputs}
    found = set()
    for node in program.nodes:
        if node.op != BROADCAST or id(node) in outputs:
            continue
        consumers = users.get(id(node), [])
        if consumers and all(_broadcasts(u) and u.shape == node.shape for u in consumers):
            found.add(id(node))
    return found


def _broadcasts(node: P.Node) -> bool:
    return node.op in _BROADCASTING or (node.prim is not None and node.prim.ufunc is not None)


def _place_gradients(program: P.Program, mem, ctx: Context) -> dict[int, Any]:
    """Fused optimizer steps read all gradients from one flat array. A gradient computed
    into a buffer of its own (or a reshaped view of one) gets that buffer allocated as its
    slice of the flat array, so the step needs no copy. Returns buffer index -> array, and
    records per node which gradients are in place (``ctx.shared``)."""
    from ...optimizers import fused
    arrays: dict[int, Any] = {}
    for node in program.nodes:
        if node.op != "FusedOptimizerStep":
            continue
        state = fused.state_for(node.attrs, ctx.xp)
        decayed = {i for i, _ in node.attrs.get("decay", ())}
        done = []
        for i, g in enumerate(node.inputs[:node.attrs["grads"]]):
            storage = mem.storage[id(g)]
            if storage.kind == "view":
                # A transpose (say) of its buffer lists the elements in another order; and
                # the step adds a penalty (passes/fused_decay) into a placed gradient, which
                # must not show through a view to the buffer's other readers: copied in.
                if i in decayed or not _same_order_view(g, storage.root):
                    continue
                storage = mem.storage[id(storage.root)]
            view = state.grad_views[i] if state is not None else None
            if (view is None or storage.kind != "buffer" or storage.buffer in arrays
                    or mem.buffers[storage.buffer][1] != view.dtype):
                continue
            shape = mem.buffers[storage.buffer][0]
            if int(np.prod(shape)) == view.size:
                arrays[storage.buffer] = view.reshape(shape)
                done.append(i)
        ctx.shared[id(node)] = tuple(done)
    return arrays


# Views whose elements, read in C order, are their root's in C order (a flat slice of the
# root's buffer holds the view's values in order); a transpose or broadcast is not one.
_ORDER_KEEPING_VIEWS = ("Reshape", "ExpandDims", "Squeeze")


def _same_order_view(node: P.Node, root: P.Node) -> bool:
    """Whether ``node``, a view of ``root``'s storage, lists root's elements in its order."""
    while node is not root:
        if node.op not in _ORDER_KEEPING_VIEWS:
            return False
        node = node.inputs[0]
    return True


def _fused_step(ctx, node, args, out):
    """The fused optimizer step's forward, told which gradients are already in place."""
    from ...optimizers import fused
    attrs = dict(node.attrs, placed=frozenset(ctx.shared.get(id(node), ())))
    fn = ctx.ref(fused.PlanStep(attrs), "F_FusedOptimizerStep_")
    return f"{fn}({ctx.module()}, {', '.join(args)})"


def _guard(ctx, slot_obj: Any, slot: str, on_missing) -> str:
    handler = on_missing(slot_obj) if on_missing else None
    if handler is None:
        return ""
    return f"if {slot}._value is None: {ctx.ref(handler, '_missing')}({slot})\n"


def _node_code(ctx, node, storage, names, buffers, on_missing) -> tuple[str, str]:
    k = len(names)
    if node.op == P.INPUT:
        return "", f"i{node.attrs['index']}"
    if node.op == P.CONST:
        return "", ctx.ref(ctx.place(node.attrs["value"]), "c")
    if node.op == P.READ:
        _check_placement(ctx, node.attrs["slot"])
        slot = ctx.ref(node.attrs["slot"], "S")
        guard = _guard(ctx, node.attrs["slot"], slot, on_missing)
        if storage.kind == "copy-read":
            name = buffers[storage.buffer]
            line = f"{ctx.fn('copyto')}({name}, {slot}._value)"
        else:
            name = f"r{k}"
            line = f"{name} = {slot}._value"
        return guard + line, name
    if node.op == P.ASSIGN:
        return _assign_code(ctx, node, names, on_missing), f"r{k}"
    args = [names[id(i)] for i in node.inputs]
    emitter = ctx.lookup(node)
    if storage.kind == "buffer":
        name = buffers[storage.buffer]
        return emitter.code(ctx, node, args, name), name
    name = f"t{k}"
    if node.op == "FusedOptimizerStep":
        return f"{name} = {_fused_step(ctx, node, args, None)}", name
    if emitter is not None and emitter.view:
        return f"{name} = {emitter.code(ctx, node, args, None)}", name
    if emitter is not None and node.static:
        # A fresh array each run (an output the caller keeps), written like a buffer.
        empty = f"{ctx.fn('empty')}({tuple(node.shape)!r}, {ctx.ref(node.dtype.np, 'dt')})"
        return f"{name} = {empty}; {emitter.code(ctx, node, args, name)}", name
    return f"{name} = {_fallback(ctx, node, args)}", name


def _fallback(ctx, node, args) -> str:
    """Any primitive: call its forward (it allocates its result)."""
    fn = ctx.ref(node.prim.forward, f"F_{node.op}_")
    if not node.attrs:
        return f"{fn}({ctx.module()}, {', '.join(args)})"
    attrs = ctx.ref(node.attrs, "A")
    return f"{fn}({ctx.module()}, {''.join(a + ', ' for a in args)}**{attrs})"


def _assign_code(ctx, node, names, on_missing) -> str:
    slot = ctx.ref(node.attrs["slot"], "S")
    value = names[id(node.inputs[0])]
    k = len(names)
    how = node.attrs["how"]
    _check_placement(ctx, node.attrs["slot"])
    if how == "assign":
        helper = ctx.ref(assigner(ctx.xp), "_assign_value", numbered=False)
        return f"r{k} = {helper}({slot}, {value})"
    guard = _guard(ctx, node.attrs["slot"], slot, on_missing)
    name = "add" if how == "add" else "subtract"
    operator = _scalar_operator(ctx, node, node.inputs[:1], name)
    if operator is not None:            # the variable has the node's shape and dtype
        return f"{guard}r{k} = {slot}._value; r{k}[()] = r{k}[()] {operator} {value}[()]"
    return f"{guard}r{k} = {slot}._value; {ctx.fn(name)}(r{k}, {value}, out=r{k})"


def assigner(xp: Any) -> Callable[[Any, Any], Any]:
    """The helper the generated code assigns variables with, for array module ``xp``."""
    found = _ASSIGNERS.get(id(xp))
    if found is None:
        def assign_value(slot: Any, value: Any) -> Any:
            """``slot = value`` in place when the array is there already, else a new array."""
            current = slot._value
            if current is None or current.shape != np.shape(value):
                slot._value = xp.array(value, dtype=slot._dtype.np, copy=True)
            else:
                xp.copyto(current, value, casting="unsafe")
            return slot._value
        found = _ASSIGNERS[id(xp)] = assign_value
    return found


_ASSIGNERS: dict[int, Callable] = {}


def _check_placement(ctx: Context, slot: Any) -> None:
    """A variable the code reads or assigns must live where the code runs."""
    value = slot._value
    if value is None or ctx.owns(value):
        return
    from ...backends import device_of
    name = getattr(slot, "name", None) or getattr(slot, "_name", "a variable")
    raise ValueError(f"Variable {name} lives on {device_of(value).name}, but this compiled "
                     f"code runs on {ctx.device_name()}: expected it on "
                     f"{ctx.device_name()}. Create variables, models and data under one "
                     "lm.device(...) scope (or move tensors with .to()).")


# Compiled sources by text: the same model built again (a new estimator in a grid search, the
# last partial batch of each fit) generates the same source, which Python compiles in ~0.5 ms.
_CODE: dict[str, Any] = {}
_CODE_LIMIT = 256


def _code_of(source: str) -> Any:
    """The code object of a plan's source (registered with linecache for tracebacks)."""
    code = _CODE.get(source)
    if code is None:
        filename = f"<lamina-plan-{next(_COUNTER)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec")
        if len(_CODE) >= _CODE_LIMIT:
            _CODE.pop(next(iter(_CODE), None), None)   # another thread may evict it first
        _CODE[source] = code
    return code


def _compile(ctx: Context, args: list[str], body: list[str], mem) -> Generated:
    closure = list(ctx.values)
    body = [part for line in body for part in line.split("\n")]
    inner = "\n".join(f"        {line}" for line in body)
    source = (f"def _build({', '.join(closure)}):\n"
              f"    def run({', '.join(args)}):\n{inner}\n"
              f"    return run\n")
    namespace: dict[str, Any] = {"__builtins__": builtins}
    exec(_code_of(source), namespace)
    fn = namespace["_build"](*[ctx.values[n] for n in closure])
    readable = (f"def run({', '.join(args)}):\n" +
                "\n".join(f"    {line}" for line in body) + "\n")
    return Generated(fn, readable, mem, dict(ctx.values))
