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
    """The value of a constant holding one number (possibly repeated), else None."""
    if node.op != P.CONST:
        return None
    value = np.asarray(node.attrs["value"])
    if value.size == 0:
        return None
    first = value.reshape(-1)[0]
    if value.size > 1 and not (first == first and np.all(value == first)):
        return None            # varies, or NaN (NaN == NaN fails: keep such code as it is)
    return first


def _split(term: P.Node, weight: Any, single) -> tuple[P.Node, Any] | None:
    """``(g, k)`` if ``term`` computes ``g + k * w`` (in either order) for the variable
    ``weight``, with ``k`` a constant number and both nodes read only here."""
    if term.op != "Add" or not term.static or not single(term):
        return None
    for g, product in (term.inputs, term.inputs[::-1]):
        if (product.op != "Mul" or not single(product) or g.shape != term.shape
                or g.dtype != term.dtype or product.shape != term.shape
                or product.dtype != term.dtype):
            continue
        for const, read in (product.inputs, product.inputs[::-1]):
            if (read.op == P.READ and read.attrs["slot"] is weight
                    and read.shape == term.shape and read.dtype == term.dtype):
                k = _uniform(const)
                if k is not None and const.dtype == term.dtype:
                    return g, term.dtype.np.type(k)
    return None


def _written_elsewhere(program: P.Program, step: P.Node) -> set[int]:
    """Ids of the variables that nodes other than ``step`` write: for those the value the
    penalty read may not be the one the step sees."""
    written = set()
    for node in program.nodes:
        if node.op == P.ASSIGN:
            written.add(id(node.attrs["slot"]))
        elif node.op == FUSED_STEP and node is not step:
            written.update(id(w) for w in node.attrs["writes"])
    return written


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
