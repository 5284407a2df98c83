"""Weight-penalty gradients fold into the fused optimizer step that consumes them.

An L2 penalty ``c * sum(w ** 2)`` on a weight (``kernel_regularizer=L2``, scikit-learn's
``alpha``) adds ``k * w`` to that weight's gradient on every step: a multiply and an add, two
NumPy calls over the weight, per penalized weight. When the sum feeds a fused optimizer step
(``optimizers/fused.py``) and nothing else reads it, the step is told instead: its ``decay``
attribute lists ``(gradient index, k)``, and it adds ``k * w`` into its flat gradient array
before the update, for all penalized weights in one kernel call. The float operations are the
ones replaced (``k * w`` rounded, then added), so the results are identical.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import program as P
from . import single_use

FUSED_STEP = "FusedOptimizerStep"


def _uniform(node: P.Node) -> Any:
    """The value of a constant holding one finite number (possibly repeated: the same bits
    everywhere, so not 0.0 beside -0.0), else None."""
    if node.op != P.CONST:
        return None
    value = np.ascontiguousarray(node.attrs["value"]).reshape(-1)
    if value.size == 0 or value.dtype.kind != "f" or not np.isfinite(value[0]):
        return None
    bits = value.view(f"u{value.dtype.itemsize}")
    return value[0] if np.all(bits == bits[0]) else None


def _split(term: P.Node, weight: Any, single) -> tuple[P.Node, Any] | None:
    """``(g, k)`` if ``term`` computes ``g + k * w`` (in either order) for the variable
    ``weight``, with ``k`` a constant number and both nodes read only here. ``g`` must be
    read only here too: the step adds ``k * w`` into g's buffer when that buffer is its slice
    of the flat gradient (code generation places no view there that the step adds into)."""
    if term.op != "Add" or not term.static or not single(term):
        return None
    for g, product in (term.inputs, term.inputs[::-1]):
        if (product.op != "Mul" or not single(product) or not single(g)
                or g.shape != term.shape or g.dtype != term.dtype
                or product.shape != term.shape or product.dtype != term.dtype):
            continue
        for const, read in (product.inputs, product.inputs[::-1]):
            if (read.op == P.READ and read.attrs["slot"] is weight
                    and read.shape == term.shape and read.dtype == term.dtype):
                k = _uniform(const)
                if k is not None and const.dtype == term.dtype and k.dtype == term.dtype.np:
                    return g, k
    return None


def _written_elsewhere(program: P.Program, step: P.Node) -> set[int]:
    """Ids of the variables that nodes other than ``step`` write: for those the value the
    penalty read may not be the one the step sees."""
    return {id(slot) for node in program.nodes if node is not step
            for slot in P.written_slots(node)}


def run(program: P.Program) -> bool:
    single = single_use(program)
    changed = False
    for node in program.nodes:
        if node.op != FUSED_STEP or node.attrs.get("decay"):
            continue
        writes = node.attrs["writes"]
        elsewhere = _written_elsewhere(program, node)
        inputs = list(node.inputs)
        decay = []
        for i in range(node.attrs["grads"]):
            if id(writes[i]) in elsewhere:
                continue
            found = _split(inputs[i], writes[i], single)
            if found is not None:
                inputs[i] = found[0]
                decay.append((i, found[1]))
        if decay:
            node.inputs = inputs
            node.attrs = {**node.attrs, "decay": tuple(decay)}   # a copy: the op keeps its own
            changed = True
    return changed
