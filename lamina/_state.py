"""The one piece of global execution state: eager or graph, active tapes, device scope.

Every op checks ``STATE.graph``: when it is None the op runs now (eager); otherwise it adds a
node to that graph. Keeping this a plain object with attributes (not thread-local) keeps the
eager fast path cheap; lamina programs build and run a model from one thread.
"""
from __future__ import annotations


class _State:
    __slots__ = ("graph", "tapes", "eager", "graph_stack", "device", "device_stack",
                 "grad_enabled")

    def __init__(self):
        self.graph = None          # the Graph ops are added to, or None when eager
        self.tapes = []            # GradientTapes that are recording, innermost last
        self.eager = True          # False after disable_eager_execution()
        self.graph_stack = []      # graphs entered with as_default() / tracing
        self.device = None         # the Device new tensors are placed on (None: default)
        self.device_stack = []
        self.grad_enabled = True   # False inside no_grad()


STATE = _State()


def refresh_graph() -> None:
    """Recomputes ``STATE.graph`` from the graph stack and the eager switch."""
    if STATE.graph_stack:
        STATE.graph = STATE.graph_stack[-1]
    elif not STATE.eager:
        from .graph.ir import get_default_graph
        STATE.graph = get_default_graph()
    else:
        STATE.graph = None
