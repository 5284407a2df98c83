"""Graphs, sessions and eager execution: the same ``1 + 1`` three ways.

1. Graph mode (TensorFlow 1): after ``lm.disable_eager_execution()``, ``lm.add(1, 1)`` does
   not add anything. It puts an ``Add`` operation and two ``Const`` operations into the
   default graph and returns a symbolic tensor, ``<lamina.Tensor 'Add:0' ...>``, that has no
   value yet. A ``Session`` runs the graph: ``sess.run(tensor)`` computes it, feeding
   placeholders from ``feed_dict``.
2. Eager mode (the default, TensorFlow 2): ``lm.add(1, 1)`` computes 2 at once and
   ``.numpy()`` hands it over as NumPy.
3. ``lm.function``: write eager code, get a graph back when speed matters.

    python examples/graph_session_eager.py

``main()`` prints each step and returns what it printed, so tests can check it.
"""
from __future__ import annotations

import numpy as np

import lamina as lm


def graph_mode() -> dict:
    """Builds ``1 + 1`` and ``2x + 1`` as a graph, then runs them in a Session."""
    # In a TF1 script this one line sits at the top and the whole script builds graphs.
    lm.disable_eager_execution()
    # This script switches modes twice, so start from an empty graph: names then begin at
    # 'Add' (running the cell twice in a notebook would give 'Add_1', as in TensorFlow).
    lm.reset_default_graph()
    try:
        total = lm.add(1, 1)
        print("graph mode, lm.add(1, 1) is a symbolic tensor:", total)
        operations = lm.get_default_graph().get_operations()
        print("the default graph now holds:")
        for op in operations:
            print("   ", op)

        # A placeholder is an input whose value is given only when the graph runs.
        x = lm.placeholder(lm.float32, shape=(None,), name="x")
        line = 2.0 * x + 1.0

        # Why a Session? A TF1 graph is a description that a runtime can optimize, place on
        # devices and run many times; the Session holds that runtime's state (variable
        # values, compiled plans) and computes only what the fetched tensors need.
        with lm.Session() as sess:
            value = sess.run(total)
            line_values = sess.run(line, feed_dict={x: np.array([0.0, 1.0, 2.0], np.float32)})
        print("sess.run(total) =", value)
        print("sess.run(2x + 1, feed_dict={x: [0, 1, 2]}) =", line_values)
    finally:
        lm.enable_eager_execution()  # back to the default for the rest of the process
    return {"graph_tensor": repr(total), "operations": [repr(op) for op in operations],
            "session_value": value, "fed_values": line_values}


def eager_mode() -> dict:
    """The same computation executed immediately: no graph, no session."""
    total = lm.add(1, 1)
    print("eager mode, lm.add(1, 1) already holds its value:", repr(total))
    print("total.numpy() =", total.numpy())
    return {"eager_tensor": repr(total), "eager_value": total.numpy()}


def traced() -> dict:
    """``lm.function`` traces an eager-style Python function into a graph and compiles it."""
    @lm.function
    def add(a, b):
        return lm.add(a, b)

    one = lm.constant(1)
    result = add(one, one)
    graph = add.get_concrete_function(one, one).graph
    print("lm.function(add)(1, 1) =", result.numpy(), "- traced into", graph.get_operations())
    return {"traced_value": result.numpy(),
            "traced_operations": [repr(op) for op in graph.get_operations()]}


def main() -> dict:
    """Runs the three parts in order; returns everything they reported."""
    result = graph_mode()
    print()
    result.update(eager_mode())
    print()
    result.update(traced())
    return result


if __name__ == "__main__":
    main()
