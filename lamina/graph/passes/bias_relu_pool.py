"""Merging bias + ReLU with the max pooling after it, and the pooling's gradient with them.

A convolution block computes ``max_pool(relu(conv + b))``. After ``bias_relu`` that is two
passes over the block's largest array, the activation: one writes it, one pools it; the
backward pass then reads the activation again to find each window's maxima
(``MaxPoolGrad`` with the ReLU mask that ``pool_relu`` folded in). With tiled windows
(strides equal to the window, no padding) one kernel can do the forward from the
pre-activation (``BiasReluPool``: max(relu(v)) = relu(max(v))) and leave a small mask of
where each window's maxima were (one bit per window cell); the gradient (``PoolMaskGrad``)
routes from that mask and the pooled output. The activation is then never written. The
float operations are those of the nodes replaced, so the results are identical; except that
the gradient's kernel also sums it per channel (the bias gradient, ``PoolMaskSum``, in float64
from the window shares, not another pass over the gradient), which rounds as any other order of
that sum may.

It runs on the CPU with the numba kernels only (``kernels=True`` in ``optimize``): the NumPy
code has no cheaper way to do it; and, as bias + ReLU's own kernel, only for activations of
``SMALL_KERNEL_MIN`` elements or more.
"""
from __future__ import annotations

import numpy as np

from ...backends.numba_kernels import SMALL_KERNEL_MIN
from .. import program as P
from . import rewrite

BIAS_RELU_POOL = "BiasReluPool"   # inputs: pre-activation (N, H, W, C), bias (C,)
POOL_MASK_GRAD = "PoolMaskGrad"   # inputs: the BiasReluPool node, the pooled gradient
POOL_MASK_SUM = "PoolMaskSum"     # input: a PoolMaskGrad node; its per-channel sum
_MAX_WINDOW = 32                  # cells per window a mask can hold (uint32)


def mask_dtype(ksize: tuple) -> np.dtype:
    """The smallest unsigned integer with a bit per window cell."""
    cells = ksize[0] * ksize[1]
    return np.dtype(np.uint8 if cells <= 8 else np.uint16 if cells <= 16 else np.uint32)


def _tiled(node: P.Node) -> bool:
    a = node.attrs
    ksize = tuple(a.get("ksize", ()))
    return (len(ksize) == 2 and tuple(a.get("strides", ())) == ksize
            and a.get("padding") == "VALID" and ksize[0] * ksize[1] <= _MAX_WINDOW)


def _channel_sum(node: P.Node, grad: P.Node) -> bool:
    """Whether ``node`` sums ``grad`` (N, H, W, C) over all but its channels (a bias
    gradient)."""
    # (a Sum's axes are always a sorted tuple: ops.rules.normalize_axes)
    return (node.op == "Sum" and node.dtype == grad.dtype and node.attrs["axis"] == (0, 1, 2)
            and node.shape == ((1, 1, 1) if node.attrs["keepdims"] else ()) + grad.shape[3:])


def _matches(program: P.Program) -> tuple[dict[int, P.Node], set[int], dict[int, int]]:
    """MaxPool nodes to merge (id -> their BiasRelu input), the gradients to replace, and the
    channel sums of those gradients (id -> the gradient's id; the gradient's kernel computes
    them on the way)."""
    users = program.users()
    outputs = {id(n) for n in program.outputs}
    pools: dict[int, P.Node] = {}
    grads: set[int] = set()
    sums: dict[int, int] = {}
    for node in program.nodes:
        if node.op != "MaxPool" or not node.static or not _tiled(node):
            continue
        act = node.inputs[0]
        if (act.op != "BiasRelu" or id(act) in outputs or len(act.shape) != 4
                or act.dtype != node.dtype or node.dtype.np not in (np.float32, np.float64)
                or int(np.prod(act.shape)) < SMALL_KERNEL_MIN):
            continue
        z, b = act.inputs
        if z.shape != act.shape or z.dtype != act.dtype or b.dtype != act.dtype:
            continue
        found, ok = [], True
        for user in users.get(id(act), ()):
            if user is node:
                continue
            ok = (user.op == "MaxPoolGrad" and user.attrs.get("relu") is True
                  and user.inputs[0] is act and user.inputs[1] is node
                  and dict(user.attrs, relu=None) == dict(node.attrs, relu=None)
                  and user.dtype == node.dtype)
            if not ok:
                break
            found.append(user)
        if ok:
            pools[id(node)] = act
            grads.update(id(g) for g in found)
            sums.update((id(u), id(g)) for g in found for u in users.get(id(g), ())
                        if _channel_sum(u, g))
    return pools, grads, sums


def run(program: P.Program) -> bool:
    pools, grads, sums = _matches(program)
    if not pools:
        return False
    summed = set(sums.values())

    def rule(node: P.Node, emit) -> P.Node | None:
        if id(node) in pools:
            z, b = pools[id(node)].inputs
            merged = P.Node(BIAS_RELU_POOL, None, [z, b], {"ksize": node.attrs["ksize"]},
                            node.shape, node.dtype, node.name)
            emit(merged)
            return merged
        if id(node) in grads:
            # inputs (activation, pooled, gradient); the pooled one is the merged node now
            _, pooled, g = node.inputs
            merged = P.Node(POOL_MASK_GRAD, None, [pooled, g],
                            {"ksize": node.attrs["ksize"], "channel_sum": id(node) in summed},
                            node.shape, node.dtype, node.name)
            emit(merged)
            return merged
        if id(node) in sums:
            merged = P.Node(POOL_MASK_SUM, None, [node.inputs[0]], {}, node.shape,
                            node.dtype, node.name)
            emit(merged)
            return merged
        return None

    return rewrite(program, rule)
