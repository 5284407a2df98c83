"""``lm.function``: trace a Python function into a graph once per input signature, compile it,
and run the compiled plan on later calls.

The signature of a call is, for each argument (nested lists/tuples/dicts are walked): the shape
and dtype of a tensor or array, the identity of a Variable, the value of anything else. A call
with a new signature traces again, and the reason (which argument changed, from what to what)
is recorded in ``retrace_reasons``. Variables the function uses are captured by reference;
assignments to them inside the function update them in place.

Devices: the compiled code runs where the function's tensors are. Tensor arguments on a GPU
decide; without them, the variables the function uses; without those, the ``lm.device``
scope of the call. NumPy (and CPU tensor) arguments follow, copied by the plan's first lines.
"""
from __future__ import annotations

import functools
import inspect
import threading
import warnings
import weakref
from typing import Any, Callable

import numpy as np

from .. import nest
from .._state import STATE
from ..backends import CPU, Device
from ..tensor import Tensor, Variable, _wrap
from ..dtypes import from_numpy
from . import rebind
from .compile import Plan, compile_ops, compile_program, pass_options
from .ir import Graph, placeholder
from .session import needed_ops

WARN_AFTER_RETRACES = 5
# Function.export_plans keeps the plans of this many signatures (those that ran first).
EXPORTED_SIGNATURES = 4


class FuncGraph(Graph):
    """The graph a traced function builds; variables created while tracing are eager."""

    lifts_variables = True

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.created_variables: list[Variable] = []


class ConcreteFunction:
    """One traced specialization of a Function: its graph and its compiled plan.

    One imported from another model's function (``Function.import_plans``) was not traced
    here: its graph holds only the placeholders, its ``structured_outputs`` None where the
    plan's results go, and its plan is generated on first use.

    Attributes:
        graph: the traced FuncGraph (``graph.get_operations()``, ``print(graph)``).
        inputs: the placeholders standing for the tensor arguments.
        structured_outputs: what the Python function returned (symbolic tensors inside).
    """

    def __init__(self, graph: FuncGraph, inputs: list[Tensor], outputs: Any,
                 fuse: bool | None = None, arg_device: Device | None = None,
                 scope_device: Device | None = None):
        self.graph = graph
        self.inputs = inputs
        self.structured_outputs = outputs
        self._fuse = fuse
        self._arg_device = arg_device
        self._scope_device = scope_device
        self.device: Device = CPU      # decided when the plan is compiled
        self._plan: Plan | None = None
        self._program = None           # an optimized program to compile (see _from_program)
        leaves = nest.flatten(outputs)
        self._symbolic = [i for i, x in enumerate(leaves)
                          if isinstance(x, Tensor) and x._value is None]
        # The common case, one tensor out, skips the structure walk on every call.
        self._single = isinstance(outputs, Tensor) and outputs._value is None

    @property
    def plan(self) -> Plan:
        """The compiled plan (compiled on first use)."""
        if self._plan is None:
            self._plan = self._compile()
        return self._plan

    def _compile(self) -> Plan:
        if self._program is not None:
            return compile_program(self._program, [id(h) for h in self.inputs])
        leaves = nest.flatten(self.structured_outputs)
        fetched = [leaves[i] for i in self._symbolic]
        effects = [op for op in self.graph.get_operations()
                   if op.type == "Assign" or (op.prim is not None and op.prim.effect)]
        ops = needed_ops([*fetched, *effects], {}) if (fetched or effects) else []
        feeds = {id(p): np.empty(p.shape, p.dtype.np) for p in self.inputs}
        self.device = self._arg_device or _variables_device(ops) or self._scope_device or CPU
        return compile_ops(ops, fetched, feeds, _own_slot, fuse=self._fuse, device=self.device)

    @property
    def source(self) -> str:
        """The generated Python source of the compiled plan."""
        return self.plan.source

    @property
    def optimized(self):
        """The optimized program the plan computes (printable)."""
        return self.plan.program

    def run(self, arrays: list) -> Any:
        outs = (self._plan or self.plan)(*arrays)
        if self._single:
            value = outs[0]
            return _wrap(value, from_numpy(value.dtype), self.device)
        leaves = list(nest.flatten(self.structured_outputs))
        for i, value in zip(self._symbolic, outs):
            leaves[i] = _wrap(value, from_numpy(value.dtype), self.device)
        return nest.pack_like(self.structured_outputs, leaves)

    @classmethod
    def _from_program(cls, name: str, inputs: list[tuple], outputs: Any,
                      symbolic: list[int], program) -> "ConcreteFunction":
        """A concrete function running an optimized ``program`` (a rebound one, see
        ``export_plans``) on the CPU, compiled on first use (code generation only): its graph
        holds only placeholders (``inputs``: (shape, dtype, name) each), and ``outputs`` is
        the output structure with the program's results at ``symbolic``."""
        graph = FuncGraph(name)
        with graph.as_default():
            holders = [placeholder(dtype, shape, name=n) for shape, dtype, n in inputs]
        self = cls.__new__(cls)
        self.graph, self.inputs, self.structured_outputs = graph, holders, outputs
        self._fuse = self._arg_device = self._scope_device = None
        self.device, self._symbolic = CPU, list(symbolic)
        self._plan, self._program = None, program
        self._single = symbolic == [0] and not nest.is_nested(outputs)
        return self

    def __call__(self, *args: Any) -> Any:
        flat = [a for a in nest.flatten(list(args))]
        if len(flat) != len(self.inputs):
            raise TypeError(f"This concrete function takes {len(self.inputs)} tensor "
                            f"argument(s), received {len(flat)}.")
        return self.run([_array_for(p, a) for p, a in zip(self.inputs, flat)])


def _variables_device(ops: list) -> Device | None:
    """The device of the eager variables the operations read or write, when they share one
    (a mix is reported by code generation, naming the variable)."""
    devices = set()
    for op in ops:
        held = [op.attrs.get("var"), *(op.attrs.get("writes") or ())]
        for var in held:
            if isinstance(var, Variable) and var._op is None and var._value is not None:
                devices.add(var._device)
    return devices.pop() if len(devices) == 1 else None


def _argument_device(name: str, leaves: list) -> Device | None:
    """The GPU that tensor arguments live on (None: all on the CPU, or NumPy data)."""
    found = None
    for leaf in leaves:
        if not isinstance(leaf, Tensor) or isinstance(leaf, Variable) or leaf._device is CPU:
            continue
        if found is not None and leaf._device is not found:
            raise ValueError(f"lm.function {name!r} received tensors on {found.name} and "
                             f"{leaf._device.name}: expected every tensor argument on one "
                             "device. Move them with .to(device).")
        found = leaf._device
    return found


def _own_slot(var: Variable) -> Variable:
    if var._op is not None:
        raise ValueError(f"lm.function cannot use graph-mode variable {var.name}; create "
                         "variables eagerly (outside lm.disable_eager_execution()).")
    return var


def _array_for(holder: Tensor, value: Any) -> Any:
    arr = value._value if isinstance(value, Tensor) else np.asarray(value)
    if arr.shape != holder.shape or arr.dtype != holder.dtype.np:
        raise ValueError(f"Expected a {holder.dtype.name} value of shape {holder.shape} for "
                         f"{holder.op.name}, received {arr.dtype} {arr.shape}.")
    return arr


class Function:
    """A Python function compiled on its first call for each input signature.

    Use ``@lm.function`` or ``lm.function(fn)``. Results equal those of calling ``fn``
    eagerly.

    Example:
        >>> @lm.function
        ... def f(x, y):
        ...     return x ** 2 + y
        >>> f(lm.tensor([2, 3]), lm.tensor([3, -2]))
        <lamina.Tensor: shape=(2,), dtype=int32, numpy=array([7, 7], dtype=int32)>
    """

    def __init__(self, fn: Callable, name: str | None = None, fuse: bool | None = None):
        if not callable(fn):
            raise TypeError(f"lm.function expects a callable, received {type(fn).__name__}.")
        if fuse is not None and not isinstance(fuse, (bool, np.bool_)):
            raise TypeError(f"lm.function's fuse must be True, False or None (the device "
                            f"decides), received {fuse!r}.")
        self.python_function = fn
        self.name = name or getattr(fn, "__name__", "function")
        self._fuse = fuse
        self._cache: dict[tuple, ConcreteFunction] = {}
        self._last_key: tuple | None = None
        self._traces = 0
        self._trace_lock = threading.RLock()
        self._bound: "weakref.WeakKeyDictionary[Any, Function]" = weakref.WeakKeyDictionary()
        self.retrace_reasons: list[str] = []
        try:
            self._signature = inspect.signature(fn)
        except (TypeError, ValueError):
            self._signature = None
        functools.update_wrapper(self, fn)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        """``@lm.function`` on a method: one Function per instance (bound to it)."""
        if instance is None:
            return self
        bound = self._bound.get(instance)
        if bound is None:
            bound = Function(self.python_function.__get__(instance, owner), self.name,
                             self._fuse)
            self._bound[instance] = bound
        return bound

    # ---- calling ------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if STATE.graph is not None or STATE.tapes:
            # Inside another graph, or under a tape that must see every op: run inline.
            return self.python_function(*args, **kwargs)
        if not kwargs:
            fast = _fast_key(args)
            if fast is not None:
                concrete = self._cache.get(fast[0])
                if concrete is not None:
                    self._last_key = fast[0]
                    return concrete.run(fast[1])
        leaves, paths = self._leaves(args, kwargs)
        key = _key(leaves)
        concrete = self._cache.get(key) or self._traced(args, kwargs, leaves, paths, key)
        self._last_key = key
        return concrete.run([_input_array(x) for x in leaves if _is_input(x)])

    def get_concrete_function(self, *args: Any, **kwargs: Any) -> ConcreteFunction:
        """The traced specialization for these arguments (tracing it if needed)."""
        leaves, paths = self._leaves(args, kwargs)
        key = _key(leaves)
        return self._cache.get(key) or self._traced(args, kwargs, leaves, paths, key)

    def export_plans(self, objects: list) -> "rebind.Template | None":
        """This function's compiled plans, detached from ``objects`` (the variables and
        optimizers they act on) for :meth:`import_plans` on a function of another model built
        alike; None where that cannot be done (a plan not compiled or not on the CPU, a plan
        naming an object not in ``objects``, an output that is not computed by the plan)."""
        programs, outputs = {}, {}
        # A function called with many shapes keeps a few: those that ran (compiled), the
        # last added first, then those imported and never run.
        ranked = sorted(self._cache.items(), key=lambda item: item[1]._plan is not None)
        for key, concrete in ranked[-EXPORTED_SIGNATURES:]:
            program = (concrete._plan.program if concrete._plan is not None
                       else concrete._program)
            if program is None:            # traced, never compiled: never run either
                continue
            if concrete.device is not CPU:
                return None
            leaves = nest.flatten(concrete.structured_outputs)
            if not all(isinstance(x, Tensor) and x._value is None or rebind.plain(x)
                       for x in leaves):
                return None
            programs[key] = program
            inputs = [(tuple(h.shape), h.dtype, h.op.name) for h in concrete.inputs]
            shape = nest.map_structure(lambda x: None if isinstance(x, Tensor) else x,
                                       concrete.structured_outputs)
            outputs[key] = (inputs, shape, concrete._symbolic)
        template = rebind.detach(programs, objects) if programs else None
        if template is not None:
            template.functions.update(outputs)
            options = {repr(p.optimized_with) for p in programs.values()}
            if len(options) != 1:
                return None                # programs optimized differently: not one template
            template.compiled_with = next(iter(programs.values())).optimized_with
        return template

    @staticmethod
    def can_import(template: "rebind.Template", objects: list, fuse: bool | None = None
                   ) -> bool:
        """Whether :meth:`import_plans` would take ``template`` for ``objects``: they match
        (``rebind.attach_matches``) and the plans were optimized with the options a trace
        would get now (``fuse``; with or without the numba kernels)."""
        return (template.compiled_with == pass_options(CPU, fuse)
                and rebind.attach_matches(template, objects))

    def import_plans(self, template: "rebind.Template", objects: list) -> bool:
        """Adds the template's plans, acting on ``objects`` (in the places of those it was
        exported from), for the signatures this function has not traced: those calls then
        run without tracing. False (nothing added) if it cannot (see :meth:`can_import`)."""
        if not self.can_import(template, objects, self._fuse):
            return False
        programs = rebind.attach(template, objects)
        for key, program in programs.items():
            if key in self._cache:
                continue
            inputs, outputs, symbolic = template.functions[key]
            self._cache[key] = ConcreteFunction._from_program(self.name, inputs, outputs,
                                                              symbolic, program)
        return True

    def experimental_get_tracing_count(self) -> int:
        """How many times the function has been traced."""
        return self._traces

    # ---- tracing ------------------------------------------------------------------------
    def _traced(self, args, kwargs, leaves, paths, key) -> ConcreteFunction:
        """The concrete function for ``key``, traced by one thread at a time (two threads'
        first calls would trace twice, and see each other's variable creation)."""
        with self._trace_lock:
            return self._cache.get(key) or self._trace(args, kwargs, leaves, paths, key)

    def _leaves(self, args: tuple, kwargs: dict) -> tuple[list, list[str]]:
        names = self._argument_names(args, kwargs)
        leaves: list = []
        paths: list[str] = []
        for name, value in names:
            for path, leaf in _flatten_with_paths(value, name):
                leaves.append(leaf)
                paths.append(path)
        return leaves, paths

    def _argument_names(self, args: tuple, kwargs: dict) -> list[tuple[str, Any]]:
        if self._signature is not None:
            try:
                bound = self._signature.bind(*args, **kwargs)
                return list(bound.arguments.items())
            except TypeError as exc:
                raise TypeError(f"{self.name}() {exc}") from None
        return [*((f"args[{i}]", a) for i, a in enumerate(args)), *sorted(kwargs.items())]

    def _trace(self, args, kwargs, leaves, paths, key) -> ConcreteFunction:
        if self._cache:
            reason = _explain(self._last_key or next(iter(self._cache)), key, paths)
            self.retrace_reasons.append(reason)
            if len(self.retrace_reasons) >= WARN_AFTER_RETRACES:
                warnings.warn(f"lm.function {self.name!r} was traced {self._traces + 1} times; "
                              f"the latest because {reason}. Pass tensors of fixed shapes, "
                              "not changing Python values, to avoid retracing.", stacklevel=3)
        graph = FuncGraph(self.name)
        holders = []
        with graph.as_default():
            new_leaves = []
            for leaf, path in zip(leaves, paths):
                if _is_input(leaf):
                    arr = _input_array(leaf)
                    holder = placeholder(from_numpy(arr.dtype), arr.shape,
                                         name=_op_name(path))
                    holders.append(holder)
                    new_leaves.append(holder)
                else:
                    new_leaves.append(leaf)
            call_args, call_kwargs = _rebuild(self._argument_names(args, kwargs), new_leaves,
                                              self._signature, args, kwargs)
            outputs = self.python_function(*call_args, **call_kwargs)
        if graph.created_variables and self._traces > 0:
            raise ValueError(f"lm.function {self.name!r} created variables on a call other "
                             "than its first trace. Create variables once, outside the "
                             "function or on its first call only.")
        _check_outputs(outputs, graph)
        concrete = ConcreteFunction(graph, holders, outputs, self._fuse,
                                    _argument_device(self.name, leaves), _scope())
        self._traces += 1
        self._cache[key] = concrete
        return concrete


def _is_input(leaf: Any) -> bool:
    return (isinstance(leaf, Tensor) and not isinstance(leaf, Variable)) or isinstance(
        leaf, np.ndarray)


def _input_array(leaf: Any) -> Any:
    if isinstance(leaf, Tensor):
        if leaf._value is None:
            raise TypeError(f"lm.function received symbolic tensor {leaf.name} outside a "
                            "graph; pass eager tensors or arrays.")
        return leaf._value
    return leaf


def _fast_key(args: tuple) -> tuple | None:
    """The signature key of a call whose arguments are all arrays, eager tensors or None (the
    common case of a training step), without the general walk; None for anything else. It
    equals what :func:`_key` gives for the same call."""
    key = []
    arrays = []
    on_device = False
    for a in args:
        kind = type(a)
        if kind is Tensor:
            device = a._device
            a = a._value
            if a is None:
                return None
            if device is not CPU:
                key.append(("tensor", a.shape, a.dtype.str, device))
                arrays.append(a)
                on_device = True
                continue
        elif a is None:
            key.append(("python", "NoneType", None))
            continue
        elif kind is not np.ndarray:
            return None
        key.append(("tensor", a.shape, a.dtype.str))
        arrays.append(a)
    scope = STATE.device   # _scope(), inlined: this runs on every call of a training step
    if scope is not None and scope is not CPU and not on_device:
        key.append(("device", scope))
    return tuple(key), arrays


def _key(leaves: list) -> tuple:
    key = []
    on_device = False
    for leaf in leaves:
        if isinstance(leaf, Variable):
            key.append(("variable", id(leaf)))
        elif _is_input(leaf):
            arr = _input_array(leaf)
            device = leaf._device if isinstance(leaf, Tensor) else CPU
            entry = ("tensor", arr.shape, arr.dtype.str)
            key.append(entry if device is CPU else (*entry, device))
            on_device = on_device or device is not CPU
        else:
            try:
                hash(leaf)
                key.append(("python", type(leaf).__name__, leaf))
            except TypeError:
                key.append(("object", id(leaf)))
    scope = _scope()
    # Tensors on a device decide where the plan runs (the scope then changes nothing).
    if scope is not None and not on_device:
        key.append(("device", scope))
    return tuple(key)


def _scope() -> Device | None:
    """The lm.device scope of a call when it names a device other than the CPU."""
    scope = STATE.device
    return None if scope is None or scope is CPU else scope


def _describe(entry: tuple) -> str:
    kind = entry[0]
    if kind == "tensor":
        return f"a tensor of shape {entry[1]} and dtype {np.dtype(entry[2]).name}"
    if kind == "python":
        return f"the Python value {entry[2]!r}"
    if kind == "variable":
        return "another variable"
    return f"another {kind}"


def _explain(old: tuple, new: tuple, paths: list[str]) -> str:
    """Which argument changed between two signatures, and how."""
    (old, old_scope), (new, new_scope) = _split_scope(old), _split_scope(new)
    if old_scope is not new_scope:
        return (f"the lm.device scope changed ({_device_name(old_scope)} -> "
                f"{_device_name(new_scope)})")
    if len(old) != len(new):
        return f"the number of arguments changed ({len(old)} -> {len(new)} values)"
    changes = []
    for path, a, b in zip(paths, old, new):
        if a == b:
            continue
        if a[0] == b[0] == "tensor":
            parts = []
            if a[1] != b[1]:
                parts.append(f"shape {a[1]} -> {b[1]}")
            if a[2] != b[2]:
                parts.append(f"dtype {np.dtype(a[2]).name} -> {np.dtype(b[2]).name}")
            if a[3:] != b[3:]:
                parts.append(f"device {_device_name(*a[3:])} -> {_device_name(*b[3:])}")
            changes.append(f"argument {path!r}: " + ", ".join(parts))
        else:
            changes.append(f"argument {path!r}: {_describe(a)} -> {_describe(b)}")
    return "; ".join(changes) or "a new signature"


def _split_scope(key: tuple) -> tuple[tuple, Device | None]:
    """A signature without its trailing device-scope entry, and that scope."""
    if key and key[-1][0] == "device":
        return key[:-1], key[-1][1]
    return key, None


def _device_name(device: Device | None = None) -> str:
    return "cpu:0" if device is None else device.name


def _flatten_with_paths(value: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [item for k in sorted(value, key=str)
                for item in _flatten_with_paths(value[k], f"{path}[{k!r}]")]
    if isinstance(value, (list, tuple)):
        return [item for i, v in enumerate(value)
                for item in _flatten_with_paths(v, f"{path}[{i}]")]
    return [(path, value)]


def _op_name(path: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in path).strip("_")
    return cleaned or "arg"


def _rebuild(named: list[tuple[str, Any]], new_leaves: list, signature, args, kwargs):
    """The call's arguments with tensors replaced by placeholders."""
    values = [v for _, v in named]
    rebuilt = nest.pack_like(values, new_leaves)
    if signature is None:
        n = len(args)
        return rebuilt[:n], dict(zip(sorted(kwargs), rebuilt[n:]))
    bound = signature.bind(*args, **kwargs)
    for (name, _), value in zip(named, rebuilt):
        bound.arguments[name] = value
    return bound.args, bound.kwargs


def _check_outputs(outputs: Any, graph: FuncGraph) -> None:
    for leaf in nest.flatten(outputs):
        if isinstance(leaf, Tensor) and leaf._value is None and leaf.graph is not graph:
            raise ValueError(f"lm.function returned tensor {leaf.name}, which belongs to "
                             "another graph.")


def function(func: Callable | None = None, *, input_signature: Any = None,
             autograph: bool = True, jit_compile: Any = None, reduce_retracing: bool = False,
             name: str | None = None, fuse: bool | None = None) -> Any:
    """Compiles ``func`` into a graph on its first call per input signature.

    Usable as ``@lm.function``, ``@lm.function(...)`` or ``lm.function(fn)``. The arguments
    ``input_signature``, ``autograph``, ``jit_compile`` and ``reduce_retracing`` are accepted
    for TensorFlow compatibility; lamina always specializes on the concrete input shapes.
    ``fuse`` asks for (True) or against (False) elementwise fusion; the default fuses on a GPU
    (each fused chain becomes one kernel) and not on the CPU.

    Example:
        >>> f = lm.function(lambda x: lm.relu(x) * 2)
        >>> f(lm.tensor([-1.0, 2.0])).numpy()
        array([0., 4.], dtype=float32)
    """
    def wrap(fn: Callable) -> Function:
        return Function(fn, name, fuse)

    return wrap if func is None else wrap(func)


