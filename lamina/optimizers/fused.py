"""Fused optimizer steps: one primitive updates every variable at once.

Applied one variable at a time, an optimizer step is a dozen elementwise ops per variable:
for a small network that is most of a training step's calls. The fused step keeps the
variables of one optimizer (and their slots) as views into one flat array per role, copies the
gradients into one flat gradient array, and runs the update formula once over the flat arrays.

An optimizer opts in by defining ``fused_kernel(xp, state, scalars)`` (``state`` a
:class:`FusedState`: its ``params``, ``grad``, ``slots`` and ``scratch`` flat arrays, and
``kernels``, numba's kernels where they run), written with in-place ufuncs in exactly the
order of its ``update_step`` (so both give the same numbers), and ``fused_scalars(variable)``
(the per-step scalars, as tensors, computed in the graph). ``update_step`` stays the
reference; tests check the two agree bit for bit.

A weight penalty's gradient term ``k * w`` may be folded into the step by the compiler
(``graph/passes/fused_decay``): the node's ``decay`` attribute lists ``(gradient index, k)``
and the step adds ``k * w`` into the flat gradient array first (one numba kernel call).

Packing: a variable joins a flat group by having its ``_value`` replaced with a view into the
group's array. Anything that later replaces a variable's array (an eager ``assign``,
``set_weights``) breaks that link; every fused step checks the links first (one identity test
per variable) and repacks if needed, so the update is never applied to a stale copy.
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..backends import numba_kernels
from ..ops.registry import ANY, Aval, bind, defprim


class FlatGroup:
    """Holders (variables or session slots: objects with ``_value``) packed into one array."""

    def __init__(self, xp: Any, holders: Sequence[Any]):
        self.xp = xp
        self.holders = list(holders)
        shapes = [h._value.shape for h in self.holders]
        sizes = [int(np.prod(s)) for s in shapes]
        self.flat = xp.empty(sum(sizes), dtype=self.holders[0]._value.dtype)
        self.views = []
        start = 0
        for shape, size in zip(shapes, sizes):
            self.views.append(self.flat[start:start + size].reshape(shape))
            start += size
        self.pack()

    def pack(self) -> None:
        """Copies each holder's current value into its view and makes the view its value."""
        for holder, view in zip(self.holders, self.views):
            value = holder._value
            if value is None:
                raise RuntimeError(f"Attempting to use uninitialized variable "
                                   f"{getattr(holder, 'name', holder)} in an optimizer step.")
            if value is not view:
                self.xp.copyto(view, value)
                holder._value = view

    def ensure(self) -> None:
        """Repacks if any holder's array was replaced since the last step."""
        for holder, view in zip(self.holders, self.views):
            if holder._value is not view:
                self.pack()
                return


class FusedState:
    """The flat groups of one (optimizer, variable list): parameters, each slot, the
    gradients and scratch space.

    ``kernels`` is numba's kernel table where the kernels may run on these arrays, else None.
    It is decided on first use (so optimizers without kernels never load numba) for every
    plan and eager call sharing the state: a step does not consult the ``LAMINA_NUMBA``
    setting every time, and the kernels give the NumPy code's numbers anyway.
    """

    def __init__(self, xp: Any, writes: Sequence[Any], roles: int):
        count = len(writes) // roles
        self.xp = xp
        self.groups = [FlatGroup(xp, writes[r * count:(r + 1) * count]) for r in range(roles)]
        params = self.groups[0]
        self.grad = xp.empty_like(params.flat)
        start = 0
        self.grad_views = []
        self.bounds = []            # (start, end) of each variable in the flat arrays
        for view in params.views:
            self.grad_views.append(self.grad[start:start + view.size].reshape(view.shape))
            self.bounds.append((start, start + view.size))
            start += view.size
        self.scratch = [xp.empty_like(params.flat) for _ in range(2)]
        self.params = params.flat
        self.slots = [group.flat for group in self.groups[1:]]
        self.holders = [(h, v) for group in self.groups for h, v in zip(group.holders,
                                                                         group.views)]
        self.all_holders = [h for h, _ in self.holders]
        self.done = xp.zeros((), dtype=self.grad.dtype)
        self._decay_tables: dict[tuple, _DecayTable] = {}

    @functools.cached_property
    def kernels(self) -> dict | None:
        return (numba_kernels.kernels()
                if numba_kernels.usable(self.xp, self.params, self.grad) else None)

    def decay_table(self, decay: tuple) -> "_DecayTable":
        """The table adding ``k * w`` to the flat gradient of variable ``i`` for each
        ``(i, k)`` of ``decay`` (a weight penalty's gradient folded in by
        ``graph/passes/fused_decay``), made on first use."""
        table = self._decay_tables.get(decay)
        if table is None:
            table = self._decay_tables[decay] = _DecayTable(self, decay)
        return table

    def ensure(self) -> None:
        """Repacks the groups if any variable's array was replaced since the last step."""
        for holder, view in self.holders:
            if holder._value is not view:
                for group in self.groups:
                    group.ensure()
                return


class _DecayTable:
    """The flat ranges (start, end, start, end...) and coefficients of one ``decay`` list of
    one state, and the kernel adding them (numba's, chosen once; None: NumPy, two calls per
    range)."""

    def __init__(self, state: FusedState, decay: tuple):
        self.state = state
        self.bounds = np.asarray([state.bounds[i] for i, _ in decay], np.int64).reshape(-1)
        self.coefs = np.asarray([k for _, k in decay], dtype=state.grad.dtype)
        self.kernel = None if state.kernels is None else state.kernels["add_scaled"]

    def add(self) -> None:
        """grad += k * params over each range."""
        state = self.state
        if self.kernel is not None:
            self.kernel(state.grad, state.params, self.bounds, self.coefs)
            return
        scratch, xp = state.scratch[0], state.xp
        for s, k in enumerate(self.coefs):
            part = slice(self.bounds[2 * s], self.bounds[2 * s + 1])
            xp.multiply(k, state.params[part], out=scratch[part])
            xp.add(state.grad[part], scratch[part], out=state.grad[part])


def _state(optimizer: Any, xp: Any, writes: tuple, roles: int) -> FusedState:
    """The optimizer's flat state for this list of variables (made on first use).

    Every plan and eager call updating the same variables shares one state, found by the
    variables themselves; the identity of the ``writes`` tuple is a faster first look-up.
    """
    states = optimizer.__dict__.setdefault("_fused_states", {})
    fast = states.get(id(writes))
    if fast is not None and fast[0] is writes:
        return fast[1]
    key = tuple(id(w) for w in writes)
    state = states.get(key)
    if state is None or any(h is not w for h, w in zip(state.all_holders, writes)):
        state = states[key] = FusedState(xp, writes, roles)
    states[id(writes)] = (writes, state)
    return state


def _step_forward(xp, *inputs, optimizer, writes, roles, grads, placed=(), decay=()):
    """``placed``: indices of gradients the compiled code already wrote into their places in
    the flat gradient array (see ``numpy_codegen``); the others are copied in. ``decay``:
    ``(index, k)`` pairs, gradients that get ``k * variable`` added first (see
    ``graph/passes/fused_decay``)."""
    state = _state(optimizer, xp, writes, roles)
    _apply(xp, state, optimizer, inputs, grads, [i for i in range(grads) if i not in placed],
           state.decay_table(decay) if decay else None)
    return state.done


def _apply(xp, state: FusedState, optimizer: Any, inputs: Sequence[Any], grads: int,
           copied: Sequence[int], decay: _DecayTable | None) -> None:
    """The step on ``state``: gradients ``copied`` copied into the flat gradient array, the
    folded penalties added, the optimizer's kernel run."""
    state.ensure()
    for i in copied:
        xp.copyto(state.grad_views[i], inputs[i])
    if decay is not None:
        decay.add()
    optimizer.fused_kernel(xp, state, inputs[grads:])


class PlanStep:
    """A fused step node's call in a compiled plan: ``_step_forward`` with the node's
    attributes bound once (the plan calls it with the array module and the inputs)."""

    def __init__(self, attrs: dict):
        self.optimizer = attrs["optimizer"]
        self.writes = attrs["writes"]
        self.roles = attrs["roles"]
        self.grads = attrs["grads"]
        self.decay = attrs.get("decay", ())
        self.copied = tuple(i for i in range(self.grads) if i not in attrs.get("placed", ()))
        self._state: FusedState | None = None       # the state last seen, and its decay table
        self._table: _DecayTable | None = None

    def __call__(self, xp: Any, *inputs: Any) -> Any:
        state = _state(self.optimizer, xp, self.writes, self.roles)
        if state is not self._state:
            self._state = state
            self._table = state.decay_table(self.decay) if self.decay else None
        _apply(xp, state, self.optimizer, inputs, self.grads, self.copied, self._table)
        return state.done


def state_for(attrs: dict, xp: Any = np) -> FusedState | None:
    """The flat state a fused step node will use, made ahead of its first run; None when its
    variables have no values yet (a Session before its initializer ran)."""
    if any(h._value is None for h in attrs["writes"]):
        return None
    return _state(attrs["optimizer"], xp, attrs["writes"], attrs["roles"])


def _step_rule(*avals, **attrs) -> Aval:
    return Aval((), avals[0].dtype)


FUSED_STEP = defprim("FusedOptimizerStep", _step_forward, shape=_step_rule, effect=True,
                     promote=(), accepts=ANY, inputs=("gradient",))


def fusable(optimizer: Any, variables: Sequence[Any]) -> bool:
    """Whether ``optimizer`` can update ``variables`` with one fused step."""
    if getattr(optimizer, "fused_kernel", None) is None or not optimizer.fuse:
        return False
    first = variables[0]
    return all(v.constraint is None and v.dtype is first.dtype and v._device is first._device
               and v.dtype.is_floating for v in variables)


def apply_fused(optimizer: Any, grads: Sequence[Any], variables: Sequence[Any]) -> None:
    """One fused update of ``variables`` (adds one node while building a graph)."""
    roles = [variables] + [[optimizer.get_slot(v, name) for v in variables]
                           for name in optimizer.fused_slots()]
    writes = tuple(h for role in roles for h in role)
    scalars = optimizer.fused_scalars(variables[0])
    bind(FUSED_STEP, *grads, *scalars, optimizer=optimizer, writes=writes, roles=len(roles),
         grads=len(grads))


def scalar(value: float, dtype: _dt.DType) -> Any:
    """A Python constant rounded as the per-variable graph rounds it (to the variable dtype)."""
    return dtype.np.type(value)
