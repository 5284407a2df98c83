"""Compiled plans moved from one set of state objects to another of the same make.

A traced and optimized training step acts on objects it names: variables (read, assigned,
updated by a fused optimizer step) and the optimizer itself. Two models built alike (same
layers, shapes, dtypes, loss and optimizer settings) trace to the same program but for those
objects. A :class:`Template` keeps a Function's optimized programs with each such object
replaced by its position in a list; :func:`attach` puts another list's objects in those
places and generates code again, skipping the trace and the optimizing passes (most of a
small model's first step).

Only what the caller lists is replaced. A program naming any other object (a random
generator, a Python function or bound method, a variable not listed) is not detached:
``detach`` returns None and the caller traces as usual. Plain data (numbers, strings,
dtypes, primitives, NumPy ufuncs and module-level builtins) is kept as it is. What the objects cannot show must be equal for the two
models, and is the caller's to ensure: values baked into the program as constants
(hyperparameters such as a penalty's factor) and the Python code that was traced.
"""
from __future__ import annotations

import types
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..backends import CPU
from ..ops.registry import Primitive
from ..tensor import Tensor, Variable
from . import program as P

# Attribute values kept as they are: plain data, dtypes, primitives and NumPy functions.
_PLAIN = (int, float, complex, bool, str, bytes, type(None), slice, type(Ellipsis), np.generic,
          np.dtype, _dt.DType, Primitive, np.ufunc, types.BuiltinFunctionType)


class _Place:
    """Stands in a detached program for the object at ``index`` of the list."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


class _Unknown(Exception):
    """An attribute holds an object the list does not name."""


def _signatures(objects: Sequence[Any]) -> list[tuple]:
    """What must match for one list to stand for another: each object's type, a variable's
    shape and dtype, and where the same object appears twice (the passes reason by identity:
    two places holding one object are not two objects)."""
    first: dict[int, int] = {}
    out = []
    for k, obj in enumerate(objects):
        same = first.setdefault(id(obj), k)
        if isinstance(obj, Variable):
            out.append((type(obj), tuple(obj.shape), obj.dtype.name, same))
        else:
            out.append((type(obj), same))
    return out


def plain(value: Any) -> bool:
    """Whether ``value`` is plain data that may be shared between programs as it is: numbers,
    strings, dtypes, primitives, NumPy ufuncs, builtins not bound to an object."""
    if isinstance(value, Tensor) or not isinstance(value, _PLAIN):
        return False
    if isinstance(value, types.BuiltinFunctionType):
        owner = getattr(value, "__self__", None)
        return owner is None or isinstance(owner, types.ModuleType)
    if isinstance(value, slice):
        return all(plain(v) for v in (value.start, value.stop, value.step))
    return True


def _map(value: Any, convert) -> Any:
    """``value`` with ``convert`` applied to every leaf (through tuples, lists, dicts and
    frozensets)."""
    kind = type(value)
    if kind is tuple or kind is list:
        return kind(_map(v, convert) for v in value)
    if kind is dict:
        if not all(plain(k) for k in value):
            raise _Unknown("a dict key")
        return {k: _map(v, convert) for k, v in value.items()}
    if kind is frozenset:
        return frozenset(_map(v, convert) for v in value)
    return convert(value)


def _copy(program: P.Program, convert) -> P.Program:
    """A copy of ``program`` (new nodes) with ``convert`` applied to every attribute leaf."""
    new = P.Program()
    node_of: dict[int, P.Node] = {}
    for n in program.nodes:
        attrs = {k: _map(v, convert) for k, v in n.attrs.items()}
        copy = P.Node(n.op, n.prim, [node_of[id(i)] for i in n.inputs], attrs, n.shape,
                      n.dtype, n.name)
        node_of[id(n)] = new.add(copy)
    new.inputs = [node_of[id(n)] for n in program.inputs]
    new.outputs = [node_of[id(n)] for n in program.outputs]
    new.effects = [node_of[id(n)] for n in program.effects]
    new.optimized_with = program.optimized_with
    return new


class Template:
    """Programs detached from their objects: ``programs`` (one per input signature),
    ``signatures``, what each listed object was (see :func:`attach`), and ``functions``, what
    the owner adds to rebuild its functions (``Function.export_plans``: per signature, the
    inputs and the output structure), and ``compiled_with``, the conditions the programs were
    optimized under (the owner's to compare)."""

    def __init__(self, programs: dict[Any, P.Program], signatures: list[tuple]):
        self.programs = programs
        self.signatures = signatures
        self.functions: dict[Any, Any] = {}
        self.compiled_with: dict[str, Any] = {}


def detach(programs: dict[Any, P.Program], objects: Sequence[Any]) -> Template | None:
    """``programs`` with each of ``objects`` replaced by its place in the list; None if a
    program names an object the list does not (or names a tensor's value)."""
    index = {id(obj): k for k, obj in enumerate(objects)}

    def convert(value: Any) -> Any:
        k = index.get(id(value))
        if k is not None:
            return _Place(k)
        if isinstance(value, np.ndarray) and value.dtype != object:
            return value.copy()    # a constant: not to share with the program it came from
        if plain(value):
            return value
        raise _Unknown(type(value).__name__)

    try:
        detached = {key: _copy(program, convert) for key, program in programs.items()}
    except _Unknown:
        return None
    return Template(detached, _signatures(objects))


def attach_matches(template: Template, objects: Sequence[Any]) -> bool:
    """Whether ``objects`` can take the places of the template's: as many, of the same types,
    variables of the same shapes and dtypes, the same object where the template had one
    object twice, eager and on the CPU (where the plans run)."""
    return _signatures(objects) == template.signatures and not any(
        isinstance(obj, Variable) and (obj._op is not None or obj._device is not CPU)
        for obj in objects)


def attach(template: Template, objects: Sequence[Any]) -> dict[Any, P.Program] | None:
    """The template's programs acting on ``objects`` (each where its counterpart was); None
    if they do not match (see :func:`attach_matches`)."""
    if not attach_matches(template, objects):
        return None

    def convert(value: Any) -> Any:
        if isinstance(value, _Place):
            return objects[value.index]
        return value

    return {key: _copy(program, convert) for key, program in template.programs.items()}
