"""TensorFlow 1 style sessions: run parts of a Graph, feeding placeholders.

``Session.run(fetches, feed_dict)`` finds the operations the fetches need, checks the feeds,
and executes them. Variables of a graph keep their values in the Session (a new Session starts
uninitialized, as in TensorFlow 1).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import nest
from .._state import STATE
from ..backends import Device, get_device, to_host
from ..tensor import Tensor, Variable, _fmt_shape
from .ir import Graph, Operation, get_default_graph

def _current_session() -> "Session":
    if not STATE.sessions:
        raise RuntimeError("No default Session: run inside `with lm.Session() as sess:` or "
                           "pass session=.")
    return STATE.sessions[-1]


class Session:
    """Runs operations of a graph.

    Args:
        graph: the graph to run (default: the default graph).
        config: accepted for TensorFlow compatibility; unused.
        compile: run compiled plans (the default) or interpret the graph op by op.
        device: where the graph runs and its variables' values live ("cpu", "gpu", ...);
            default: the ``lm.device`` scope the Session is created in. Fed NumPy values are
            copied there; fetched values come back as NumPy.

    Example:
        >>> lm.disable_eager_execution()
        >>> total = lm.add(1, 1)
        >>> with lm.Session() as sess:
        ...     sess.run(total)
        2
    """

    def __init__(self, graph: Graph | None = None, config: Any = None, compile: bool = True,
                 device: "str | Device | None" = None):
        self.graph = graph or get_default_graph()
        self.device = get_device(device)      # None: the lm.device scope, else the CPU
        self._slots: dict[int, _Slot] = {}     # id(graph variable) -> its value here
        self._closed = False
        self._plans: dict[Any, Any] = {}
        self._compile = compile

    def __enter__(self) -> "Session":
        STATE.sessions.append(self)
        self._graph_scope = self.graph.as_default()
        self._graph_scope.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._graph_scope.__exit__(*exc)
        if self in STATE.sessions:
            STATE.sessions.remove(self)
        self.close()

    def close(self) -> None:
        self._closed = True
        self._slots.clear()
        self._plans.clear()

    # ---- run ------------------------------------------------------------------------------
    def run(self, fetches: Any, feed_dict: dict | None = None) -> Any:
        """Computes ``fetches`` (a tensor, an operation, a name, or nested lists/tuples/dicts
        of them); returns NumPy values in the same structure (None for operations)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        flat = [self._resolve(f) for f in nest.flatten(fetches)]
        feeds = self._check_feeds(feed_dict or {})
        values = self._execute(flat, feeds)
        out = [None if isinstance(f, Operation) else _to_host(values[id(f)]) for f in flat]
        return nest.pack_like(fetches, out)

    def _resolve(self, fetch: Any) -> "Tensor | Operation":
        if isinstance(fetch, str):
            if ":" in fetch:
                return self.graph.get_tensor_by_name(fetch)
            return self.graph.get_operation_by_name(fetch)
        if isinstance(fetch, Operation):
            if fetch.graph is not self.graph:
                raise ValueError(f"Operation {fetch.name!r} is not an element of this "
                                 "Session's graph.")
            return fetch
        if isinstance(fetch, Tensor):
            if fetch._op is None:
                raise TypeError("Session.run fetches symbolic tensors of its graph; received "
                                "an eager tensor (it already has a value: call .numpy()).")
            if fetch._op.graph is not self.graph:
                raise ValueError(f"Tensor {fetch.name} is not an element of this Session's "
                                 "graph.")
            return fetch
        raise TypeError(f"Session.run cannot fetch {type(fetch).__name__}: expected a tensor, "
                        "an operation, a name, or nested lists/tuples/dicts of them.")

    def _check_feeds(self, feed_dict: dict) -> dict[int, Any]:
        feeds: dict[int, Any] = {}
        for key, value in feed_dict.items():
            t = self._resolve(key) if isinstance(key, str) else key
            if not isinstance(t, Tensor) or t._op is None or t._op.graph is not self.graph:
                raise ValueError(f"Cannot feed {key!r}: feed_dict keys must be tensors "
                                 "(usually placeholders) of this Session's graph.")
            feeds[id(t)] = check_feed(t, value)
        return feeds

    def _execute(self, fetches: list, feeds: dict[int, Any]) -> dict[int, Any]:
        ops = needed_ops(fetches, feeds)
        missing_feeds(ops, feeds)
        if not self._compile:
            from .executor import interpret
            return interpret(self, ops, feeds, self.device)
        key = (tuple(id(f) for f in fetches),
               tuple((k, a.shape, a.dtype.str) for k, a in feeds.items()))
        plan = self._plans.get(key)
        if plan is None:
            from .compile import compile_ops
            plan = compile_ops(ops, [f for f in fetches if isinstance(f, Tensor)], feeds,
                               self._slot, self._missing, device=self.device)
            self._plans[key] = plan
        outputs = plan(*[feeds[k] for k in plan.feed_order])
        values = dict(zip((id(f) for f in fetches if isinstance(f, Tensor)), outputs))
        return values

    def compiled(self, fetches: Any, feed_dict: dict | None = None):
        """The Plan that ``run(fetches, feed_dict)`` uses: print ``.program`` or ``.source``."""
        flat = [self._resolve(f) for f in nest.flatten(fetches)]
        feeds = self._check_feeds(feed_dict or {})
        self._execute(flat, feeds)
        key = (tuple(id(f) for f in flat),
               tuple((k, a.shape, a.dtype.str) for k, a in feeds.items()))
        return self._plans[key]

    def _slot(self, var: Variable) -> Any:
        """Graph variables keep their value in the Session; eager ones in themselves."""
        if var._op is None:
            return var
        slot = self._slots.get(id(var))
        if slot is None:
            slot = self._slots[id(var)] = _Slot(var)
        return slot

    def _missing(self, slot: Any) -> Any:
        return _raise_uninitialized if isinstance(slot, _Slot) else None

    # ---- variables (used by the interpreter) ----------------------------------------------
    def read(self, var: Variable) -> Any:
        slot = self._slot(var)
        if slot._value is None:
            _raise_uninitialized(slot)
        return slot._value

    def write(self, var: Variable, value: Any) -> None:
        self._slot(var)._value = value


class _Slot:
    """Where a graph variable's value lives in one Session."""

    __slots__ = ("_value", "_dtype", "_name", "var")

    def __init__(self, var: Variable):
        self._value = None
        self._dtype = var._dtype
        self._name = var._op.name
        self.var = var


def _raise_uninitialized(slot: _Slot) -> None:
    raise RuntimeError(f"Attempting to use uninitialized variable {slot.var.name}. Run "
                       "lm.global_variables_initializer() (or the variable's initializer) in "
                       "this Session first.")


def check_feed(t: Tensor, value: Any) -> Any:
    """A fed value as an array of the tensor's dtype, after checking its shape and dtype.

    Values of the same kind convert (float64 data to a float32 placeholder, Python ints to
    int32), and integers convert to floats; anything that would change meaning (floats to
    ints, bools to numbers, out-of-range integers) is refused.
    """
    # An array on a GPU passes through the host, like any fed value.
    arr = value.numpy() if isinstance(value, Tensor) else to_host(value)
    want = t._dtype.np
    if arr.dtype != want:
        same_kind = arr.dtype.kind == want.kind or {arr.dtype.kind, want.kind} <= {"i", "u"}
        widening = arr.dtype.kind in "iu" and want.kind == "f"
        if not (same_kind or widening) or not _fits(arr, want):
            raise TypeError(f"Cannot feed a value of dtype {arr.dtype.name} to tensor {t.name}, "
                            f"which has dtype {t._dtype.name}.")
        arr = arr.astype(want)
    shape = t._shape
    if shape is not None:
        if arr.ndim != len(shape) or any(d is not None and d != a
                                         for d, a in zip(shape, arr.shape)):
            raise ValueError(f"Cannot feed a value of shape {_fmt_shape(arr.shape)} to tensor "
                             f"{t.name}, which has shape {_fmt_shape(shape)}.")
    return arr


def _fits(arr: np.ndarray, dtype: np.dtype) -> bool:
    if dtype.kind not in "iu" or arr.size == 0:
        return True
    info = np.iinfo(dtype)
    return bool(arr.min() >= info.min and arr.max() <= info.max)


def missing_feeds(ops: list[Operation], feeds: dict[int, Any]) -> None:
    """Raises for a placeholder the fetches need that was not fed."""
    for op in ops:
        if op.type == "Placeholder" and id(op.outputs[0]) not in feeds:
            out = op.outputs[0]
            shape = "any shape" if out._shape is None else f"shape {_fmt_shape(out._shape)}"
            raise ValueError(f"You must feed a value for placeholder {out.name} (dtype "
                             f"{out.dtype.name}, {shape}): the fetches need it.")


def needed_ops(fetches: list, feeds: dict[int, Any]) -> list[Operation]:
    """The operations the fetches depend on, in graph order; fed tensors cut the walk."""
    seen: set[int] = set()
    stack = [f if isinstance(f, Operation) else f._op for f in fetches]
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if op.outputs and id(op.outputs[0]) in feeds:
            continue
        stack.extend(t._op for t in op.inputs)
        stack.extend(op.control_inputs)
    graph_ops = fetches[0].graph.get_operations() if fetches else []
    return [op for op in graph_ops if id(op) in seen]


def _to_host(value: Any) -> Any:
    """A fetched value as NumPy: 0-d results become NumPy scalars, as TensorFlow returns."""
    value = to_host(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value
