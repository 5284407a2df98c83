"""Memory planning: decide where every value of a Program lives.

Each node gets a Storage:
  * ``input`` / ``const`` / ``read``: an argument, a constant, or a variable's own array;
  * ``view``: a view of another node's storage (reshape, transpose, broadcast...): its "root"
    must stay alive while the view is used;
  * ``buffer k``: preallocated buffer k, written by the op with ``out=``. A buffer whose last
    use has passed is reused by a later node of the same shape and dtype; an elementwise op
    may even write over an input that dies at that op (in place);
  * ``alloc``: the op allocates its result on every run (outputs, which the caller keeps;
    values of unknown shape; ops that cannot write into a given buffer).
A variable read whose value is still needed after an assignment to the same variable gets a
copy (``copy-read``), because assignments update the variable's array in place.
"""
from __future__ import annotations

from typing import Callable

from .. import program as P


class Storage:
    __slots__ = ("kind", "buffer", "root")

    def __init__(self, kind: str, buffer: int = -1, root: "P.Node | None" = None):
        self.kind = kind      # input | const | read | copy-read | view | buffer | alloc
        self.buffer = buffer  # buffer index for buffer / copy-read
        self.root = root      # for views: the node whose storage is viewed

    def __repr__(self) -> str:
        return f"Storage({self.kind}{'' if self.buffer < 0 else f', {self.buffer}'})"


class MemoryPlan:
    """Storage of every node, and the shape/dtype of every preallocated buffer."""

    def __init__(self):
        self.storage: dict[int, Storage] = {}
        self.buffers: list[tuple[tuple, object]] = []   # (shape, numpy dtype)

    def new_buffer(self, node: P.Node) -> int:
        self.buffers.append((tuple(node.shape), node.dtype.np))
        return len(self.buffers) - 1


def plan(program: P.Program, writes_out: Callable[[P.Node], bool],
         in_place: Callable[[P.Node], bool], is_view: Callable[[P.Node], bool]) -> MemoryPlan:
    """Assigns storage to every node.

    Args:
        program: the optimized program.
        writes_out: whether the backend can write this node's result into a given buffer.
        in_place: whether that write may alias one of the node's inputs (elementwise ops).
        is_view: whether the node's result is a view of its first input.
    """
    position = {id(n): k for k, n in enumerate(program.nodes)}
    end = _last_uses(program, position)
    result = MemoryPlan()
    outputs = {id(n) for n in program.outputs}
    root_end: dict[int, int] = {}          # buffer index -> last position its memory is used
    free: list[int] = []                   # buffers whose memory is no longer needed
    for k, node in enumerate(program.nodes):
        _release(free, root_end, k)
        storage = _choose(node, k, result, end, outputs, root_end, free, writes_out, in_place,
                          is_view)
        result.storage[id(node)] = storage
        if storage.kind == "buffer":
            root_end[storage.buffer] = max(root_end.get(storage.buffer, -1), end[id(node)])
        elif storage.kind == "view":
            root = result.storage[id(storage.root)]
            if root.kind == "buffer":
                root_end[root.buffer] = max(root_end[root.buffer], end[id(node)])
            end[id(storage.root)] = max(end[id(storage.root)], end[id(node)])
    _protect_reads(program, position, end, result)
    return result


def _last_uses(program: P.Program, position: dict[int, int]) -> dict[int, int]:
    end = {id(n): position[id(n)] for n in program.nodes}
    for n in program.nodes:
        for i in n.inputs:
            end[id(i)] = max(end[id(i)], position[id(n)])
    for n in (*program.outputs, *program.effects):
        end[id(n)] = len(program.nodes)
    return end


def _release(free: list[int], root_end: dict[int, int], k: int) -> None:
    for b, last in list(root_end.items()):
        if last < k and b not in free:
            free.append(b)
            del root_end[b]


def _choose(node, k, result, end, outputs, root_end, free, writes_out, in_place, is_view
            ) -> Storage:
    if node.op == P.INPUT:
        return Storage("input")
    if node.op == P.CONST:
        return Storage("const")
    if node.op in (P.READ, P.ASSIGN):
        return Storage("read")
    if is_view(node):
        root = node.inputs[0]
        while result.storage[id(root)].kind == "view":
            root = result.storage[id(root)].root
        return Storage("view", root=root)
    if id(node) in outputs or not node.static or not writes_out(node):
        return Storage("alloc")
    if in_place(node):
        for x in node.inputs:
            s = result.storage[id(x)]
            if (s.kind == "buffer" and root_end.get(s.buffer) == k and x.shape == node.shape
                    and x.dtype is node.dtype):
                return Storage("buffer", s.buffer)
    for b in free:
        shape, dtype = result.buffers[b]
        if shape == tuple(node.shape) and dtype == node.dtype.np:
            free.remove(b)
            return Storage("buffer", b)
    return Storage("buffer", result.new_buffer(node))


def _protect_reads(program: P.Program, position: dict[int, int], end: dict[int, int],
                   result: MemoryPlan) -> None:
    """A read still in use after an assign (or another write) to its variable must hold a
    copy."""
    assigns: dict[int, list[int]] = {}
    for n in program.nodes:
        for slot in P.written_slots(n):
            assigns.setdefault(id(slot), []).append(position[id(n)])
    for n in program.nodes:
        if n.op != P.READ:
            continue
        p = position[id(n)]
        writes = assigns.get(id(n.attrs["slot"]), ())
        if any(p < w < end[id(n)] for w in writes):
            result.storage[id(n)] = Storage("copy-read", result.new_buffer(n))
