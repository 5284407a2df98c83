"""Reverse-mode automatic differentiation: GradientTape, grad, value_and_grad.

A tape watches tensors. While it records, every op whose inputs it watches is noted as an
entry ``(prim, inputs, attrs, out)`` and its output becomes watched too. ``tape.gradient`` then
walks the entries backwards applying the chain rule: each entry's gradient rule turns the
gradient of its output into gradients of its inputs, and gradients of a tensor used twice add
up. The rules are written in lamina ops, so an outer tape records the walk of an inner one:
that is all higher-order gradients need. The same walk serves graph mode (``lm.gradients``),
where the entries are the graph's operations. A rule may return a zero-argument function in
place of a costly input gradient (a matmul's, say): the walk calls it only if that input leads
to a wanted tensor.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

from . import nest
from ._state import STATE
from .tensor import Tensor, Variable, _wrap, convert


class _Entry:
    """One recorded op: what the backward walk needs to apply its gradient rule."""
    __slots__ = ("prim", "inputs", "attrs", "out")

    def __init__(self, prim, inputs, attrs, out):
        self.prim, self.inputs, self.attrs, self.out = prim, inputs, attrs, out


def backward(entries: Sequence[Any], seeds: dict[int, Tensor], wanted: dict[int, Any],
             free: bool = False) -> dict[int, Tensor]:
    """The chain rule over recorded entries, from seed gradients back to wanted tensors.

    Args:
        entries: ops in the order they ran (so reversed order is a valid backward order).
        seeds: gradient of each target, keyed by ``id(target)``.
        wanted: the tensors whose gradients are asked for, keyed by id. A variable's id
            stands for all the reads of it (see ``GradientTape``).
        free: drop each entry (and so its saved tensors) as soon as it has been used.

    Returns:
        gradient by id, for every wanted tensor the targets depend on.
    """
    # Forward sweep: keep only the entries that lie on a path from a wanted tensor.
    reach = set(wanted)
    path = []
    for e in entries:
        if any(id(x) in reach for x in e.inputs):
            reach.add(id(e.out))
            path.append(e)
    if free:  # the path now holds the only references to the entries it needs
        del entries[:]
    grads = dict(seeds)
    found = {}
    for k in range(len(path) - 1, -1, -1):
        e = path[k]
        if free:
            path[k] = None
        g = grads.pop(id(e.out), None)
        if g is None:
            continue
        if id(e.out) in wanted:
            found[id(e.out)] = g
        input_grads = e.prim.vjp(g, e.out, *e.inputs, **e.attrs)
        for x, gx in zip(e.inputs, input_grads):
            if gx is None or id(x) not in reach or not x._dtype.is_floating:
                continue
            if callable(gx):  # a rule may defer costly gradients until they are needed
                gx = gx()
            old = grads.get(id(x))
            grads[id(x)] = gx if old is None else old + gx
    for key in wanted:
        if key not in found and key in grads:
            found[key] = grads[key]
    return found


class GradientTape:
    """Records operations on watched tensors so their gradients can be computed.

    Args:
        persistent: allow ``gradient`` to be called more than once.
        watch_accessed_variables: watch every trainable Variable the recorded code reads.

    Example:
        >>> x = lm.tensor(3.0)
        >>> with lm.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.gradient(y, x).numpy()
        6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._entries: list[_Entry] = []
        self._watched: dict[int, Tensor] = {}      # id -> tensor (kept alive: ids stay unique)
        self._variables: dict[int, Variable] = {}  # watched variables, by id
        self._reads: dict[int, list[Tensor]] = {}  # variable id -> tensors that read it
        self._used = False

    # ---- recording ------------------------------------------------------------------------
    def __enter__(self) -> "GradientTape":
        STATE.tapes.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self in STATE.tapes:
            STATE.tapes.remove(self)

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Ops inside this block are not recorded by this tape."""
        if self not in STATE.tapes:
            raise RuntimeError("stop_recording() needs the tape to be recording: call it inside "
                               "the tape's `with` block.")
        index = STATE.tapes.index(self)
        STATE.tapes.remove(self)
        try:
            yield
        finally:
            STATE.tapes.insert(index, self)

    def reset(self) -> None:
        """Forgets everything recorded and watched so far."""
        self._entries.clear()
        self._watched.clear()
        self._variables.clear()
        self._reads.clear()

    def watch(self, tensor: Any) -> None:
        """Makes the tape record ops on ``tensor`` (or on each tensor of a nested structure)."""
        for t in nest.flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch expects tensors or variables, received "
                                f"{type(t).__name__}.")
            if isinstance(t, Variable) and t._value is not None:
                self._variables[id(t)] = t
                self._reads.setdefault(id(t), [])
            self._watched[id(t)] = t

    def watched_variables(self) -> tuple:
        return tuple(self._variables.values())

    def _note_read(self, var: Variable, read: Tensor) -> bool:
        """A variable was read into ``read``; watch the read if the variable is watched."""
        if id(var) not in self._variables:
            if not (var.trainable and self.watch_accessed_variables):
                return False
            self.watch(var)
        if id(read) not in self._watched:  # an op may read one variable twice (v * v)
            self._reads[id(var)].append(read)
            self._watched[id(read)] = read
        return True

    def _record(self, prim, inputs: list[Tensor], attrs: dict, out: Tensor,
                reads: dict | None = None) -> None:
        watched = self._watched
        hit = False
        recorded = None
        for i, x in enumerate(inputs):
            if isinstance(x, Variable) and x._value is not None:
                # Record a snapshot of the variable's value, so that an assign between now and
                # the gradient cannot change what the gradient rule sees. ``reads`` holds the
                # snapshot every recording tape shares (see ops.registry.record).
                read = reads[id(x)] if reads else _wrap(x._value, x._dtype, x._device)
                # Always the snapshot, never the variable itself: a variable the tape does not
                # watch must not be reachable by the backward walk.
                recorded = recorded or list(inputs)
                recorded[i] = read
                hit = self._note_read(x, read) or hit
            elif id(x) in watched:
                hit = True
        if hit:
            self._entries.append(_Entry(prim, tuple(recorded or inputs), attrs, out))
            watched[id(out)] = out

    # ---- gradients ------------------------------------------------------------------------
    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: str = "none") -> Any:
        """Gradients of ``target`` (summed over its elements) with respect to ``sources``.

        Args:
            target: a tensor, or a list of tensors whose gradients add up.
            sources: a tensor, a variable, or a nested list/tuple/dict of them.
            output_gradients: weights for each target's elements (default: ones).
            unconnected_gradients: ``"none"`` gives None for a source the target does not
                depend on, ``"zero"`` gives zeros.

        Returns:
            the gradients, in the structure of ``sources``.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"unconnected_gradients must be 'none' or 'zero', received "
                             f"{unconnected_gradients!r}.")
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can compute gradients only once. "
                               "Use GradientTape(persistent=True) to call gradient() again.")
        self._used = True
        flat_sources = nest.flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(f"gradient() sources must be tensors or variables, received "
                                f"{type(s).__name__}.")
        targets = nest.flatten(target)
        seeds = _seeds(targets, output_gradients)
        entries, reads = self._entries, self._reads
        if not self.persistent:
            # Let go of everything recorded: the walk then holds the only references, so each
            # intermediate tensor is freed as soon as its gradient rule has run.
            self._entries, self._reads, self._watched = [], {}, {}
        was_recording = self in STATE.tapes
        if was_recording:  # the walk's own ops are for outer tapes, not this one
            STATE.tapes.remove(self)
        try:
            wanted = _wanted(flat_sources, reads)
            found = backward(entries, seeds, wanted, free=not self.persistent)
        finally:
            if was_recording:
                STATE.tapes.append(self)
        del entries
        out = [_source_grad(s, found, reads, unconnected_gradients) for s in flat_sources]
        return nest.pack_like(sources, out)

    def jacobian(self, target: Tensor, source: Tensor) -> Tensor:
        """d target[i...] / d source[j...], of shape ``target.shape + source.shape``."""
        if not self.persistent:
            raise RuntimeError("jacobian() computes one gradient per target element: create the "
                               "tape with persistent=True.")
        import numpy as np
        from .ops.shape import reshape, stack
        n = int(np.prod(target.shape))
        rows = []
        for i in range(n):
            weights = np.zeros(n, dtype=target.dtype.np)
            weights[i] = 1
            rows.append(self.gradient(target, source, weights.reshape(target.shape),
                                      unconnected_gradients="zero"))
        return reshape(stack(rows), tuple(target.shape) + tuple(source.shape))


def _wanted(sources: list[Tensor], reads: dict[int, list[Tensor]]) -> dict[int, Any]:
    """The tensors to collect gradients for: each source and every recorded read of it."""
    wanted: dict[int, Any] = {}
    for s in sources:
        wanted[id(s)] = s
        for read in reads.get(id(s), ()):
            wanted[id(read)] = read
    return wanted


def _seeds(targets: list[Tensor], output_gradients: Any) -> dict[int, Tensor]:
    from .ops.creation import ones_like
    weights = nest.flatten(output_gradients) if output_gradients is not None else None
    seeds: dict[int, Tensor] = {}
    for i, t in enumerate(targets):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradient() target must be a tensor, received {type(t).__name__}.")
        device = t._device if t._value is not None else None
        g = ones_like(t) if weights is None else convert(weights[i], t.dtype, device)
        seeds[id(t)] = g if id(t) not in seeds else seeds[id(t)] + g
    return seeds


def _source_grad(source: Tensor, found: dict, reads: dict, unconnected: str) -> Tensor | None:
    parts = [found[id(source)]] if id(source) in found else []
    parts += [found[id(r)] for r in reads.get(id(source), ()) if id(r) in found]
    if not parts:
        if unconnected == "zero":
            from .ops.creation import zeros_like
            return zeros_like(source)
        return None
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


# ---- functional forms ---------------------------------------------------------------------
def value_and_grad(f: Callable, argnums: "int | Sequence[int]" = 0) -> Callable:
    """Returns a function computing ``(f(*args), gradient of f w.r.t. args[argnums])``.

    ``f`` must return a scalar. Composable: ``lm.grad(lm.grad(f))`` is the second derivative.

    Example:
        >>> lm.value_and_grad(lambda x: x ** 3)(2.0)
        (<lamina.Tensor: shape=(), dtype=float32, numpy=8.0>, <lamina.Tensor: ... numpy=12.0>)
    """
    many = not isinstance(argnums, int)
    positions = tuple(argnums) if many else (argnums,)

    def wrapped(*args: Any, **kwargs: Any):
        args = list(args)
        for p in positions:
            if p >= len(args):
                raise ValueError(f"argnums {p} is out of range: the function was called with "
                                 f"{len(args)} positional argument(s).")
        with GradientTape() as tape:
            for p in positions:
                if not isinstance(args[p], Tensor):
                    args[p] = convert(args[p])
                    if not args[p].dtype.is_floating:
                        args[p] = convert(args[p], "float32")
                tape.watch(args[p])
            value = f(*args, **kwargs)
        if not isinstance(value, Tensor) or value.shape != ():
            shape = getattr(value, "shape", type(value).__name__)
            raise TypeError(f"grad expects f to return a scalar tensor, received {shape}. Reduce "
                            "it (e.g. lm.sum) or use GradientTape for non-scalar targets.")
        grads = tape.gradient(value, [args[p] for p in positions],
                              unconnected_gradients="zero")
        return value, (tuple(grads) if many else grads[0])

    return wrapped


def grad(f: Callable, argnums: "int | Sequence[int]" = 0) -> Callable:
    """Returns a function computing the gradient of scalar ``f`` w.r.t. ``args[argnums]``.

    Example:
        >>> df = lm.grad(lambda x: lm.sin(x))
        >>> float(df(0.0))
        1.0
    """
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any, **kwargs: Any):
        return vg(*args, **kwargs)[1]

    return wrapped


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Ops inside this block are recorded by no tape.

    Example:
        >>> with lm.no_grad():
        ...     y = x * 2   # not differentiated
    """
    previous = STATE.grad_enabled
    STATE.grad_enabled = False
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def gradients(ys: Any, xs: Any, grad_ys: Any = None) -> list:
    """Graph mode: symbolic gradients of sum(ys) w.r.t. each of ``xs`` (TensorFlow 1 style).

    Returns a list with one tensor (or None) per element of ``xs``.
    """
    graph = STATE.graph
    if graph is None:
        raise RuntimeError("lm.gradients works while building a graph; in eager mode use "
                           "lm.GradientTape.")
    targets = nest.flatten(ys)
    sources = nest.flatten(xs)
    seeds = _seeds(targets, grad_ys)
    operations = graph.get_operations()
    # An eager variable (a layer's weight, say) enters the graph through ReadVariable nodes:
    # its gradient is the sum of its reads' gradients.
    reads: dict[int, list[Tensor]] = {}
    for op in operations:
        if op.type == "ReadVariable":
            reads.setdefault(id(op.attrs["var"]), []).append(op.outputs[0])
    wanted = _wanted(sources, reads)
    entries = [op for op in operations if op.prim is not None and op.prim.vjp is not None]
    found = backward(entries, seeds, wanted)
    return [_source_grad(x, found, reads, "none") for x in sources]
