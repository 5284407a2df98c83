"""The graph IR: a Graph holds Operations in the order they were built (SSA: each produces one
tensor, named ``<op name>:0``, and takes the tensors of earlier operations as inputs).

Ops built while a graph is the default become Operations here instead of running: this is
TensorFlow 1's graph mode, and it is also how ``lm.function`` traces Python code. A readable
printer (``print(graph)``) shows one line per operation with its type, inputs, attributes,
shape and dtype.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import numpy as np

from .. import dtypes as _dt
from .._state import _PROCESS, STATE, refresh_graph
from ..backends import default_device
from ..ops.registry import REGISTRY, Aval, Primitive, _target_dtype, defprim, record
from ..tensor import Tensor, Variable, _fmt_shape, convert

# Graph-only op types: the executor gives them their meaning (they have no forward).
CONST = defprim("Const", None, shape=None, inputs=())
PLACEHOLDER = defprim("Placeholder", None, shape=None, inputs=(), stateful=True)
VARIABLE = defprim("VariableV2", None, shape=None, inputs=(), stateful=True)
READ_VARIABLE = defprim("ReadVariable", None, shape=None, inputs=(), stateful=True)
ASSIGN = defprim("Assign", None, shape=None, inputs=("value",), stateful=True)
NO_OP = defprim("NoOp", None, shape=None, inputs=(), stateful=True)
STRUCTURAL = frozenset(p.name for p in (CONST, PLACEHOLDER, VARIABLE, READ_VARIABLE, ASSIGN,
                                        NO_OP))


class Operation:
    """A node of a Graph: op type, inputs, attributes, and its one output tensor.

    Example:
        >>> g.get_operation_by_name("Add")
        <lamina.Operation 'Add' type=Add>
    """

    __slots__ = ("name", "type", "prim", "inputs", "attrs", "outputs", "graph",
                 "control_inputs", "__weakref__")

    def __init__(self, graph: "Graph", name: str, prim: Primitive, inputs: Sequence[Tensor],
                 attrs: dict, aval: Aval | None, control_inputs: Sequence["Operation"] = ()):
        self.graph = graph
        self.name = name
        self.prim = prim
        self.type = prim.name
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.control_inputs = tuple(control_inputs)
        self.outputs = [] if aval is None else [symbolic(self, aval)]

    @property
    def out(self) -> Tensor:
        """The operation's output (what the backward walk calls ``out``)."""
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"<lamina.Operation '{self.name}' type={self.type}>"

    def run(self, feed_dict: dict | None = None, session: Any = None) -> None:
        """Runs this operation in ``session`` (default: the innermost open Session)."""
        from .session import _current_session
        (session or _current_session()).run(self, feed_dict)

    def describe(self) -> str:
        """One line of the IR printer."""
        args = ", ".join(f"%{t.op.name}" for t in self.inputs)
        if self.control_inputs:
            args += (", " if args else "") + ", ".join(f"^{c.name}" for c in self.control_inputs)
        attrs = {k: _fmt_attr(v) for k, v in self.attrs.items()}
        text = f"%{self.name} = {self.type}({args})"
        if attrs:
            text += " {" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "}"
        if self.outputs:
            t = self.outputs[0]
            shape = "?" if t._shape is None else _fmt_shape(t._shape)
            text += f" : {t._dtype.name}{shape}"
        return text


def _fmt_attr(v: Any) -> str:
    if isinstance(v, Tensor) and v._value is not None:
        v = v.numpy()
    if isinstance(v, (np.ndarray, np.generic)):
        if v.size <= 6:
            return np.array2string(np.asarray(v), separator=",").replace("\n", "")
        return f"<array {v.dtype}{_fmt_shape(v.shape)}>"
    if isinstance(v, Variable):
        return f"'{v._name}'"
    if isinstance(v, _dt.DType):
        return v.name
    return repr(v)


def symbolic(op: Operation, aval: Aval, index: int = 0) -> Tensor:
    """The symbolic tensor standing for an operation's output."""
    t = object.__new__(Tensor)
    t._value = None
    t._dtype = aval.dtype
    t._device = default_device()
    t._op = op
    t._index = index
    t._shape = None if aval.shape is None else tuple(aval.shape)
    return t


class Graph:
    """A dataflow graph: Operations in build order, with TensorFlow-style unique names.

    Example:
        >>> g = lm.Graph()
        >>> with g.as_default():
        ...     total = lm.add(1, 1)
        >>> [op.name for op in g.get_operations()]
        ['Add/x', 'Add/y', 'Add']
    """

    # lm.function graphs set this: variables created while tracing are made eagerly.
    lifts_variables = False

    def __init__(self):
        self._ops: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._names: dict[str, int] = {}
        self._scope: list[str] = []
        self.variables: list[Variable] = []
        self.version = 0   # bumped on every change; compiled plans check it

    # ---- building -------------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self) -> Iterator["Graph"]:
        """Makes ops built inside the block go into this graph."""
        STATE.graph_stack.append(self)
        refresh_graph()
        try:
            yield self
        finally:
            STATE.graph_stack.pop()
            refresh_graph()

    def unique_name(self, name: str, mark_used: bool = True) -> str:
        """``name`` inside the current name scope, suffixed ``_1``, ``_2``... if taken."""
        full = "/".join([*self._scope, name]) if self._scope else name
        key = full.lower()
        count = self._names.get(key, 0)
        if count:
            candidate = f"{full}_{count}"
            while candidate.lower() in self._names:
                count += 1
                candidate = f"{full}_{count}"
            full = candidate
        if mark_used:
            self._names[key] = count + 1
            self._names.setdefault(full.lower(), 1)
        return full

    @contextlib.contextmanager
    def _exact_scope(self, full_name: str) -> Iterator[None]:
        """Enters the scope ``full_name/`` (an already unique op name) as it is."""
        saved = self._scope
        self._scope = full_name.split("/")
        try:
            yield
        finally:
            self._scope = saved

    def add_op(self, prim: Primitive, name: str, inputs: Sequence[Tensor], attrs: dict,
               aval: Aval | None, control_inputs: Sequence[Operation] = ()) -> Operation:
        op = Operation(self, name, prim, inputs, attrs, aval, control_inputs)
        self._ops.append(op)
        self._by_name[name] = op
        self.version += 1
        return op

    def capture(self, value: Any, name: str = "Const", dtype: _dt.DType | None = None
                ) -> Tensor:
        """Brings a value into this graph as a tensor.

        Symbolic tensors of this graph pass through; eager variables become ReadVariable
        nodes; eager tensors and Python data become Const nodes.
        """
        if isinstance(value, Tensor):
            if value._op is not None:
                if value._op.graph is not self:
                    raise ValueError(
                        f"Tensor {value.name} belongs to another graph than the one being "
                        "built. Tensors of one graph can only be used with ops of that graph.")
                return value
            if isinstance(value, Variable):
                return self.read_variable(value)
            return self.constant(value if dtype is None else convert(value, dtype), name)
        return self.constant(convert(value, dtype), name)

    def constant(self, value: Tensor, name: str = "Const") -> Tensor:
        opname = self.unique_name(name)
        return self.add_op(CONST, opname, (), {"value": value._value},
                           Aval(value.shape, value._dtype)).out

    def read_variable(self, var: Variable) -> Tensor:
        read = self.add_op(READ_VARIABLE, self.unique_name(var._name + "/read"), (),
                           {"var": var}, Aval(var.shape, var._dtype)).out
        if STATE.tapes and STATE.grad_enabled:
            for tape in STATE.tapes:
                tape._note_read(var, read)
        return read

    def create_variable(self, var: Variable, initial_value: Any, dtype: Any) -> None:
        """TensorFlow 1 variables: a VariableV2 op whose value lives in each Session."""
        name = self.unique_name(var._name)
        with self._exact_scope(name):
            init = self.capture(initial_value, "initial_value",
                                _dt.as_dtype(dtype) if dtype is not None else None)
        if init._dtype is not (_dt.as_dtype(dtype) if dtype is not None else init._dtype):
            from ..ops.math import cast
            init = cast(init, dtype)
        var._dtype = init._dtype
        var._device = default_device()
        var._value = None
        var._shape = init._shape
        op = self.add_op(VARIABLE, name, (), {"var": var}, None)
        op.outputs = [var]
        var._op = op
        var._index = 0
        with self._exact_scope(name):
            var._initializer = self.add_op(
                ASSIGN, self.unique_name("Assign"), (init,), {"var": var, "how": "assign"},
                Aval(init._shape, init._dtype))
        self.variables.append(var)

    # ---- queries --------------------------------------------------------------------------
    def get_operations(self) -> list[Operation]:
        """All operations, in the order they were built."""
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        op = self._by_name.get(name)
        if op is None:
            raise KeyError(f"The name {name!r} refers to an Operation not in this graph.")
        return op

    def get_tensor_by_name(self, name: str) -> Tensor:
        """The tensor ``"<operation>:<index>"``, e.g. ``"Add:0"``."""
        op_name, sep, index = name.rpartition(":")
        if not sep or not index.isdigit():
            raise ValueError(f"Tensor names look like '<operation>:<index>', e.g. 'Add:0'; "
                             f"received {name!r}.")
        op = self._by_name.get(op_name)
        if op is None:
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist: the "
                           f"operation {op_name!r} is not in this graph.")
        if int(index) >= len(op.outputs):
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist: "
                           f"operation {op_name!r} has {len(op.outputs)} output(s).")
        return op.outputs[int(index)]

    def __str__(self) -> str:
        return "\n".join(op.describe() for op in self._ops)

    def __repr__(self) -> str:
        return f"<lamina.Graph with {len(self._ops)} operations>"


# ---- the default graph and mode switches ---------------------------------------------------
_DEFAULT = [Graph()]


def get_default_graph() -> Graph:
    """The graph ops are added to when no other graph is entered."""
    return STATE.graph_stack[-1] if STATE.graph_stack else _DEFAULT[0]


def reset_default_graph() -> None:
    """Replaces the global default graph with a new, empty one."""
    if STATE.graph_stack:
        raise RuntimeError("reset_default_graph() cannot be called inside a graph's "
                           "as_default() block.")
    _DEFAULT[0] = Graph()
    refresh_graph()


def disable_eager_execution() -> None:
    """From now on ops build the default graph instead of running (TensorFlow 1 style), in
    this thread and in threads started later."""
    _PROCESS["eager"] = STATE.eager = False
    refresh_graph()


def enable_eager_execution() -> None:
    """From now on ops run as soon as they are called (the default), in this thread and in
    threads started later."""
    _PROCESS["eager"] = STATE.eager = True
    refresh_graph()


def executing_eagerly() -> bool:
    """True when ops run immediately, False while a graph is being built."""
    return STATE.graph is None


@contextlib.contextmanager
def name_scope(name: str) -> Iterator[str | None]:
    """Prefixes the names of ops built inside the block with ``name/`` (graph mode).

    In eager mode it does nothing (names exist only in graphs).
    """
    graph = STATE.graph
    if graph is None:
        yield None
        return
    scope = graph.unique_name(name.rstrip("/"))
    with graph._exact_scope(scope):
        yield scope + "/"


# ---- building ops into a graph --------------------------------------------------------------
def infer(prim: Primitive, inputs: Sequence[Tensor], attrs: dict) -> Aval:
    """The output shape and dtype of ``prim`` from its inputs' static shapes.

    Inputs of unknown rank (shape None, from ``placeholder(dtype)``) give an output of
    unknown rank; the dtype is still inferred, treating them as scalars.
    """
    avals = [Aval(t._shape, t._dtype) for t in inputs]
    if all(a.shape is not None for a in avals):
        return prim.shape(*avals, **attrs)
    stand_in = [Aval(() if a.shape is None else a.shape, a.dtype) for a in avals]
    try:
        dtype = prim.shape(*stand_in, **attrs).dtype
    except (ValueError, TypeError, IndexError):
        dtype = avals[0].dtype
    return Aval(None, dtype)


def bind_graph(prim: Primitive, args: Sequence[Any], attrs: dict, name: str | None) -> Tensor:
    """Adds ``prim(*args)`` to the graph being built and returns its symbolic output."""
    graph = STATE.graph
    opname = graph.unique_name(name or prim.name)
    target = _target_dtype(prim, args)
    inputs = []
    with graph._exact_scope(opname):
        for i, a in enumerate(args):
            want = target if i in prim.promote else None
            # variadic ops (ConcatV2, GetItem) name extra inputs after their last one
            t = graph.capture(a, prim.inputs[min(i, len(prim.inputs) - 1)], want)
            if want is not None and t._dtype is not want:
                t = bind_graph(REGISTRY["Cast"], (t,), {"dtype": want}, None)
            inputs.append(t)
    aval = infer(prim, inputs, attrs)
    out = graph.add_op(prim, opname, inputs, attrs, aval).out
    if STATE.tapes and STATE.grad_enabled and prim.vjp is not None:
        record(prim, inputs, attrs, out)
    return out


def assign_node(var: Variable, value: Any, how: str) -> Tensor:
    """``var.assign*`` while building a graph: an Assign node, returned as its output tensor."""
    graph = STATE.graph
    if var._op is not None and var._op.graph is not graph:
        raise ValueError(f"Variable {var.name} belongs to another graph than the one being "
                         "built.")
    name = graph.unique_name({"assign": "Assign", "add": "AssignAdd", "sub": "AssignSub"}[how])
    with graph._exact_scope(name):
        t = graph.capture(value, "value", var._dtype)
    if t._dtype is not var._dtype:
        t = bind_graph(REGISTRY["Cast"], (t,), {"dtype": var._dtype}, None)
    if t._shape is not None and var.shape is not None and not _compatible(t._shape, var.shape):
        raise ValueError(f"Cannot {how} a value of shape {_fmt_shape(t._shape)} to variable "
                         f"{var.name} of shape {_fmt_shape(var.shape)}.")
    return graph.add_op(ASSIGN, name, (t,), {"var": var, "how": how},
                        Aval(var.shape, var._dtype)).out


def _compatible(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Tensor:
    """A graph input whose value is given to ``Session.run`` in ``feed_dict``.

    Args:
        dtype: the element type fed values must have.
        shape: a tuple with None for dims that may vary, or None for any shape.
        name: the operation's name (default ``"Placeholder"``).

    Example:
        >>> x = lm.placeholder(lm.float32, shape=(None, 4), name="x")
    """
    graph = STATE.graph
    if graph is None:
        raise RuntimeError("lm.placeholder() builds a graph input, so it needs graph mode: "
                           "call lm.disable_eager_execution() first or build inside "
                           "`with graph.as_default():`.")
    dt = _dt.as_dtype(dtype)
    if shape is not None:
        shape = tuple(None if d is None or d == -1 else int(d) for d in shape)
    op = graph.add_op(PLACEHOLDER, graph.unique_name(name or "Placeholder"), (),
                      {"dtype": dt, "shape": shape}, Aval(shape, dt))
    return op.out


def group(*inputs: Any, name: str | None = None) -> Operation:
    """An operation that runs all of ``inputs`` (operations or tensors) when it is run."""
    graph = STATE.graph
    if graph is None:
        raise RuntimeError("lm.group() needs graph mode.")
    ops = []
    for x in inputs:
        for item in (x if isinstance(x, (list, tuple)) else [x]):
            ops.append(item if isinstance(item, Operation) else item.op)
    return graph.add_op(NO_OP, graph.unique_name(name or "NoOp"), (), {}, None, ops)


def global_variables_initializer() -> Operation:
    """An operation that assigns every variable of the default graph its initial value."""
    graph = STATE.graph
    if graph is None:
        return None  # eager variables are initialized when created
    return graph.add_op(NO_OP, graph.unique_name("init"), (), {}, None,
                        [v.initializer for v in graph.variables])


def variables_initializer(var_list: Sequence[Variable], name: str = "init") -> Operation:
    graph = STATE.graph
    return graph.add_op(NO_OP, graph.unique_name(name), (), {}, None,
                        [v.initializer for v in var_list])
