"""The op registry: every primitive is declared once here, with

* ``forward(xp, *arrays, **attrs)``: the computation, written against the backend's ``xp``;
* ``vjp(g, out, *inputs, **attrs)``: the gradient rule, written in lamina ops, so gradients of
  gradients and gradients inside graphs need nothing more;
* ``shape(*avals, **attrs)``: the output shape and dtype, so graphs know them without running.

:func:`bind` applies a primitive: it converts and promotes the inputs, then either runs the
forward now (eager) and lets recording tapes note it, or adds a node to the graph being built.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from .. import dtypes as _dt
from .._state import STATE
from ..backends import CPU, default_device
from ..tensor import Tensor, Variable, _wrap, convert

REGISTRY: dict[str, "Primitive"] = {}


class Aval(NamedTuple):
    """An abstract value: what a graph knows about a tensor before it runs."""
    shape: tuple
    dtype: _dt.DType


# Which input dtypes a primitive accepts.
NUMERIC = "numeric"   # bool, int, float
FLOAT = "float"       # ints and bools are cast to float32 first (as Keras does)
INTEGER = "integer"   # bool or integer only (bitwise ops, indices)
ANY = "any"


class Primitive:
    """One op of the registry. See the module docstring for the three rules it carries.

    Attributes:
        name: the op type, as graphs print it (``"Add"``).
        inputs: names of the tensor inputs (graph mode names constants ``<op>/<input>``).
        promote: indices of the inputs brought to one common dtype.
        accepts: which dtypes the promoted inputs may have (NUMERIC, FLOAT, INTEGER, ANY).
        ufunc: the NumPy ufunc name when the forward is exactly that ufunc (lets codegen
            write into preallocated buffers and fuse elementwise chains).
        stateful: the op reads or changes state (random draws, variables): never folded or
            merged.
        effect: the op changes variables (listed in its ``writes`` attribute): it runs even
            when nothing uses its output, and compiled code keeps reads of those variables
            ordered around it.
        takes_into: the forward accepts ``into=``, a preallocated array of the output's
            shape and dtype to write its result into and return (compiled code passes its
            planned buffer, so the step allocates nothing for this op).
    """

    __slots__ = ("name", "forward", "vjp", "shape", "inputs", "promote", "accepts", "ufunc",
                 "stateful", "effect", "elementwise", "ready", "host", "binary_fast", "takes_into")

    def __init__(self, name: str, forward: Callable, *, vjp: Callable | None = None,
                 shape: Callable, inputs: Sequence[str] = ("x",),
                 promote: Sequence[int] | None = None, accepts: str = NUMERIC,
                 ufunc: str | None = None, stateful: bool = False, effect: bool = False,
                 elementwise: bool = False, takes_into: bool = False):
        if name in REGISTRY:
            raise ValueError(f"Primitive {name!r} is already registered.")
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.shape = shape
        self.inputs = tuple(inputs)
        self.promote = tuple(range(len(inputs))) if promote is None else tuple(promote)
        self.accepts = accepts
        self.ufunc = ufunc
        self.stateful = stateful or effect
        self.effect = effect
        self.elementwise = elementwise or ufunc is not None
        self.takes_into = takes_into
        # dtype categories (0 bool, 1 int, 2 float) that inputs may have without conversion
        self.ready = {NUMERIC: (0, 1, 2), FLOAT: (2,), INTEGER: (0, 1), ANY: (0, 1, 2)}[accepts]
        if not self.promote:
            self.ready = (0, 1, 2)
        # The NumPy ufunc itself, called directly on the eager fast path for CPU tensors.
        self.host = getattr(np, ufunc) if ufunc is not None else None
        self.binary_fast = self.promote == (0, 1) and len(self.inputs) == 2
        REGISTRY[name] = self

    def __repr__(self) -> str:
        return f"<Primitive {self.name}>"

    def defvjp(self, fn: Callable) -> Callable:
        """Decorator form for attaching the gradient rule after the forward."""
        self.vjp = fn
        return fn


def defprim(name: str, forward: Callable, **kwargs: Any) -> Primitive:
    """Declares a primitive (see :class:`Primitive` for the keyword arguments)."""
    return Primitive(name, forward, **kwargs)


# ---- input conversion and promotion --------------------------------------------------------
def _target_dtype(prim: Primitive, args: Sequence[Any]) -> _dt.DType | None:
    """The common dtype of the promoted inputs, following :mod:`lamina.dtypes`."""
    if not prim.promote:
        return None
    strong, weak = [], []
    for i in prim.promote:
        a = args[i]
        if isinstance(a, Tensor):
            strong.append(a._dtype)
        elif isinstance(a, np.ndarray):
            strong.append(_dt.as_dtype(a.dtype))
        else:
            # Python data and NumPy scalars are weak: they adapt to the tensors they meet.
            kind = _dt.weak_kind(a)
            weak.append(kind if kind is not None else convert(a)._dtype.category)
    target = _dt.result_type(strong, weak)
    return _check_accepts(prim, target, args)


def _check_accepts(prim: Primitive, target: _dt.DType, args: Sequence[Any]) -> _dt.DType:
    accepts = prim.accepts
    if accepts == FLOAT and not target.is_floating:
        return _dt.float32
    if accepts == INTEGER and target.is_floating:
        raise TypeError(f"{prim.name} expects bool or integer inputs, received "
                        f"{target.name}.")
    return target


def convert_inputs(prim: Primitive, args: Sequence[Any]) -> list[Tensor]:
    """Eager: turns every argument into a Tensor, promoting the ``promote`` group.

    Python numbers and NumPy arrays go to the device of the tensor inputs (``gpu_x * 2.0``
    runs on the GPU), or to the current device when there are none.
    """
    target = _target_dtype(prim, args)
    dev = None
    for a in args:
        if isinstance(a, Tensor) and a._value is not None:
            dev = a._device
            break
    out = []
    for i, a in enumerate(args):
        want = target if i in prim.promote else None
        if isinstance(a, Tensor):
            if want is not None and a._dtype is not want:
                a = cast_tensor(a, want)
            out.append(a)
        else:
            out.append(convert(a, want, dev))
    return out


def cast_tensor(x: Tensor, dtype: _dt.DType) -> Tensor:
    return bind(REGISTRY["Cast"], x, dtype=dtype)


# ---- bind ---------------------------------------------------------------------------------
def bind(prim: Primitive, *args: Any, name: str | None = None, **attrs: Any) -> Tensor:
    """Applies ``prim`` to ``args``: runs it now, or adds it to the graph being built.

    Args:
        prim: the primitive.
        *args: tensors, NumPy arrays or Python numbers, one per ``prim.inputs``.
        name: the operation's name in graph mode (default: the op type, made unique).
        **attrs: the primitive's static attributes (axis, shape, ...).
    """
    if STATE.graph is not None:
        from ..graph.ir import bind_graph
        return bind_graph(prim, args, attrs, name)
    if not STATE.tapes:
        if len(args) == 1:
            out = _fast_unary(prim, args[0], attrs)
            if out is not None:
                return out
        elif len(args) == 2 and not attrs:
            out = _fast_binary(prim, args[0], args[1])
            if out is not None:
                return out
    return run_eager(prim, convert_inputs(prim, args), attrs)


def _fast_unary(prim: Primitive, x: Any, attrs: dict) -> Tensor | None:
    """Eager, nothing recording, an input needing no conversion: run the forward directly."""
    if type(x) is not Tensor or x._value is None or x._dtype.category not in prim.ready:
        return None
    try:
        if x._device is CPU and prim.host is not None and not attrs:
            value = prim.host(x._value)
        else:
            value = prim.forward(x._device.xp, x._value, **attrs)
    except Exception:
        return None  # the checked path gives the precise error
    dtype = value.dtype
    return _wrap(value, x._dtype if dtype is x._dtype.np else _dt.from_numpy(dtype), x._device)


def apply_binary(prim: Primitive, x: Any, y: Any) -> Tensor:
    """``prim(x, y)``, with a direct path to the backend when no graph is built, no tape
    records and the inputs need no conversion: two eager tensors of one dtype and device, or
    one tensor and a Python number of a category the tensor's dtype absorbs (NumPy's own rule
    for Python scalars then gives the dtype lamina's promotion would). This keeps ``a + b``
    and ``a * 2.0`` within a small factor of the NumPy call."""
    if STATE.graph is None and not STATE.tapes:
        out = _fast_binary(prim, x, y)
        if out is not None:
            return out
    if STATE.graph is not None:
        return bind(prim, x, y)
    return run_eager(prim, convert_inputs(prim, (x, y)), {})


def _fast_binary(prim: Primitive, x: Any, y: Any) -> Tensor | None:
    """``apply_binary``'s direct path, once no graph and no tape is known: None where the
    inputs need converting or checking."""
    if prim.binary_fast:
        # Which input is the tensor, and is the other one directly usable with it?
        if type(x) is Tensor:
            t, xv = x, x._value
            if type(y) is Tensor:
                yv = y._value if y._dtype is x._dtype and y._device is x._device else None
            else:
                yv = y if _absorbs(x, y) else None
        elif type(y) is Tensor and _absorbs(y, x):
            t, xv, yv = y, x, y._value
        else:
            t = xv = yv = None
        if xv is not None and yv is not None and t._dtype.category in prim.ready:
            try:
                if t._device is CPU and prim.host is not None:
                    value = prim.host(xv, yv)
                else:
                    value = prim.forward(t._device.xp, xv, yv)
            except Exception:
                pass  # bad shapes and the like: the checked path explains
            else:
                dtype = value.dtype
                return _wrap(value, t._dtype if dtype is t._dtype.np else _dt.from_numpy(dtype),
                             t._device)
    return None


def _absorbs(t: Tensor, scalar: Any) -> bool:
    """A Python float with a float tensor, or a Python int with an int tensor, keeps the
    tensor's dtype under both NumPy's and lamina's rules."""
    kind = type(scalar)
    return (kind is float and t._dtype.category == 2) or (kind is int and
                                                           t._dtype.category == 1)


def run_eager(prim: Primitive, inputs: list[Tensor], attrs: dict) -> Tensor:
    """Runs a primitive's forward on eager tensors and records it on watching tapes."""
    dev = inputs[0]._device if inputs else default_device()
    values = []
    for x in inputs:
        if x._value is None:
            raise mixing_error(prim, x)
        if x._device is not dev:
            raise ValueError(f"{prim.name}: all inputs must be on one device, received "
                             f"{dev.name} and {x._device.name}. Move them with .to(device).")
        values.append(x._value)
    try:
        value = prim.forward(dev.xp, *values, **attrs)
    except Exception as exc:
        raise explain_failure(prim, inputs, attrs, exc) from None
    out = _wrap(value, _dt.from_numpy(value.dtype), dev)
    if STATE.tapes and STATE.grad_enabled and prim.vjp is not None:
        record(prim, inputs, attrs, out)
    return out


def record(prim: Primitive, inputs: list[Tensor], attrs: dict, out: Tensor) -> None:
    """Lets every recording tape note an op whose inputs it watches.

    A variable input is recorded as one snapshot of its current value, shared by all tapes:
    an outer tape then knows the snapshot that an inner tape's gradient walk computes with,
    which second derivatives with respect to variables need.
    """
    reads = None
    for x in inputs:
        if isinstance(x, Variable) and x._value is not None:
            reads = reads or {}
            if id(x) not in reads:
                reads[id(x)] = _wrap(x._value, x._dtype, x._device)
    for tape in STATE.tapes:
        tape._record(prim, inputs, attrs, out, reads)


def mixing_error(prim: Primitive, x: Tensor) -> Exception:
    return TypeError(
        f"{prim.name} received symbolic tensor {x.name} while executing eagerly. Graph tensors "
        "have values only inside Session.run; build the whole computation in the graph (or "
        "use lm.function) instead of mixing it into eager code.")


def explain_failure(prim: Primitive, inputs: list[Tensor], attrs: dict,
                    exc: Exception) -> Exception:
    """Turns a backend error into one that names the op, what it expected and what it got.

    The shape rule knows what the op accepts, so it is asked first; its error is the better
    message. Otherwise the backend's message is kept, prefixed with the op and input shapes.
    """
    avals = [Aval(x.shape, x._dtype) for x in inputs]
    try:
        prim.shape(*avals, **attrs)
    except (ValueError, TypeError, IndexError) as better:
        return type(better)(str(better))
    shapes = ", ".join(f"{n}: {a.shape} {a.dtype.name}" for n, a in zip(prim.inputs, avals))
    kind = type(exc) if isinstance(exc, (ValueError, TypeError, IndexError)) else RuntimeError
    return kind(f"{prim.name} failed on inputs ({shapes}): {exc}")


# ---- state: variables and constants -------------------------------------------------------
def read_variable(var: Variable) -> Tensor:
    """A snapshot of a variable's value (a ReadVariable node in graph mode)."""
    if STATE.graph is not None:
        return STATE.graph.capture(var)
    if var._value is None:
        raise mixing_error(REGISTRY["Identity"], var)
    read = _wrap(var._value, var._dtype, var._device)
    if STATE.tapes and STATE.grad_enabled:
        for tape in STATE.tapes:
            tape._note_read(var, read)
    return read


def assign_variable(var: Variable, value: Any, how: str):
    """``var = value`` / ``var += value`` / ``var -= value`` (a node in graph mode)."""
    if STATE.graph is not None:
        from ..graph.ir import assign_node
        return assign_node(var, value, how)
    if var._value is None:
        raise mixing_error(REGISTRY["Identity"], var)
    new = convert(value, None, var._device)
    if new._value is None:
        raise mixing_error(REGISTRY["Identity"], new)
    if new.shape != var.shape:
        raise ValueError(f"Cannot {how} a value of shape {new.shape} to variable {var.name} "
                         f"of shape {var.shape}: expected shape {var.shape}.")
    xp = var._device.xp
    if how == "assign":
        result = xp.array(new._value, dtype=var._dtype.np, copy=True)
    elif how == "add":
        result = (var._value + new._value).astype(var._dtype.np, copy=False)
    else:
        result = (var._value - new._value).astype(var._dtype.np, copy=False)
    if result.ndim == 0 and not isinstance(result, xp.ndarray):
        result = xp.array(result)  # a 0-d array, not a NumPy scalar: compiled code writes in it
    # Rebind rather than write in place: tensors that snapshot the old value stay valid.
    var._value = result
    return var


def constant_node(t: Tensor, name: str | None) -> Tensor:
    """A Const node holding an eager tensor's value, in the graph being built."""
    return STATE.graph.constant(t, name or "Const")
