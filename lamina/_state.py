"""The execution state: eager or graph, active tapes, device scope. One per thread.

Every op checks ``STATE.graph``: when it is None the op runs now (eager); otherwise it adds a
node to that graph. Each thread has its own state (a ``threading.local``): a function being
traced, a tape recording or a device scope in one thread leaves ops in other threads alone,
so models can be built, trained and served from several threads at once (one attribute read
costs ~10 ns more than on a plain object). ``disable_eager_execution()`` is process-wide, as
in TensorFlow: threads started later begin in graph mode too.
"""
from __future__ import annotations

import threading

# disable_eager_execution()'s switch, for threads that start later
_PROCESS = {"eager": True}


class _State(threading.local):
    def __init__(self):        # runs once in each thread, on its first use of STATE
        self.graph = None          # the Graph ops are added to, or None when eager
        self.tapes = []            # GradientTapes that are recording, innermost last
        self.eager = _PROCESS["eager"]   # False after disable_eager_execution()
        self.graph_stack = []      # graphs entered with as_default() / tracing
        self.device = None         # the Device new tensors are placed on (None: default)
        self.device_stack = []
        self.grad_enabled = True   # False inside no_grad()
        self.training = [None]     # the training flag of the innermost layer call setting one
        self.sessions = []         # Sessions entered with ``with``, innermost last
        if not self.eager:
            refresh_graph(self)


STATE = _State()


def refresh_graph(state: _State | None = None) -> None:
    """Recomputes ``STATE.graph`` from the graph stack and the eager switch."""
    state = STATE if state is None else state
    if state.graph_stack:
        state.graph = state.graph_stack[-1]
    elif not state.eager:
        from .graph.ir import get_default_graph
        state.graph = get_default_graph()
    else:
        state.graph = None
