"""The compiler pipeline: graph operations -> Program -> passes -> generated code -> Plan.

Both front doors use it: ``Session.run`` compiles the part of a graph its fetches need, and
``lm.function`` compiles the graph it traced. A Plan is specialized to the shapes and dtypes of
its inputs; callers cache plans per input signature.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

from ..backends import CPU, Device, numba_kernels
from .codegen import numpy_codegen
from .ir import Operation
from .passes import optimize
from .program import Program, build_program


class Plan:
    """A compiled computation: call it with the input arrays, get the output arrays.

    Attributes:
        program: the optimized Program (``print(plan.program)``).
        source: the generated Python source (``print(plan.source)``).
        feed_order: ids of the fed tensors, in argument order.
        device: where the plan runs; it takes arrays of that device, or NumPy arrays, which
            its first lines copy there (see ``cupy_codegen``), and returns arrays there.
        values: the objects the source names (buffers ``b0``..., constants ``c0``...).

    Calls from several threads run one after another (a lock): they share the buffers.
    """

    def __init__(self, program: Program, generated: numpy_codegen.Generated,
                 feed_order: list[int], device: Device = CPU):
        self._lock = threading.Lock()
        self.program = program
        self.source = generated.source
        self.memory = generated.memory
        self.feed_order = feed_order
        self.device = device
        self.values = generated.values
        self._fn = generated.fn

    def __call__(self, *arrays: Any) -> tuple:
        # One run at a time: the runs share the plan's buffers (BLAS calls and the kernels
        # release the GIL, so two threads would write into each other's intermediates).
        with self._lock:
            return self._fn(*arrays)

    def __repr__(self) -> str:
        return (f"<lamina.Plan: {len(self.program.nodes)} nodes, "
                f"{len(self.memory.buffers)} buffers>")


def compile_ops(ops: Sequence[Operation], fetched: Sequence[Any], feeds: dict[int, Any],
                slot_of: Callable[[Any], Any], on_missing: Callable | None = None,
                optimized: bool = True, fuse: bool | None = None, device: Device = CPU
                ) -> Plan:
    """Compiles ``ops`` (in graph order) into a Plan computing ``fetched`` on ``device``.

    Args:
        ops: the operations needed, in graph order (see ``session.needed_ops``).
        fetched: tensors to return (operations are run for their effects).
        feeds: id(tensor) -> an example array; fixes the argument order, shapes and dtypes.
        slot_of: maps a Variable to the object whose ``_value`` holds its array.
        on_missing: see ``numpy_codegen.generate``.
        optimized: run the optimizing passes (False: translate the graph as it is).
        fuse: run elementwise fusion (default: on a GPU, where a fused chain is one kernel,
            not on the CPU, where NumPy runs each step anyway).
        device: the device the code runs on (its arrays, buffers and kernels).
    """
    program, order = build_program(list(ops), list(fetched), feeds, slot_of)
    on_cpu = device is CPU
    if optimized:
        program.optimized_with = pass_options(device, fuse)
        optimize(program, **program.optimized_with)
    if on_cpu:
        generated = numpy_codegen.generate(program, on_missing)
    else:
        from .codegen import cupy_codegen
        generated = cupy_codegen.generate(program, on_missing, device)
    return Plan(program, generated, order, device)


def pass_options(device: Device = CPU, fuse: bool | None = None) -> dict:
    """The options ``optimize`` runs with for code on ``device``: elementwise fusion on a GPU
    unless ``fuse`` says otherwise, the numba kernels' passes on the CPU where numba is on."""
    on_cpu = device is CPU
    return {"fuse": (not on_cpu) if fuse is None else bool(fuse),
            "kernels": on_cpu and numba_kernels.available()}


def compile_program(program: Program, feed_order: list[int]) -> Plan:
    """A Plan for a program that is already optimized (see ``graph/rebind.py``): code
    generation only, for the CPU."""
    return Plan(program, numpy_codegen.generate(program), feed_order, CPU)
