"""The op-test harness: one record per public op, checked the same way for every op.

A record names the public function, a lamina callable and a float64 NumPy reference that must
agree, and the inputs to try. Each record is checked for:
  * forward values in float64 (tight) and float32 (loose, and the result stays float32);
  * first-order gradients against central finite differences (float64);
  * second-order gradients against finite differences of the gradient, for smooth ops;
  * graph mode: the same callable built into a Graph gives the same result when run.

Inputs: a shape tuple means a random float input (drawn from ``domain``); ``Fixed(fn)`` is a
non-differentiated input made by ``fn(rng)`` (indices, masks, integer data).
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Callable, Sequence

import numpy as np

import lamina as lm


@dataclasses.dataclass(frozen=True)
class Fixed:
    """An input that is not differentiated: ``make(rng) -> np.ndarray``."""
    make: Callable[[np.random.Generator], Any]


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):
    """Inside (-0.9, 0.9): for functions with poles at +-1."""
    return rng.uniform(-0.9, 0.9, shape)


def away_from_zero(rng, shape):
    """|x| in [0.2, 2]: keeps finite differences off the kink of abs, relu and friends."""
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """A permutation of well separated values: no ties for max/min/sort."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.15).reshape(shape) + rng.uniform(-0.05, 0.05, shape)


@dataclasses.dataclass
class OpRecord:
    """How to test one public op.

    Attributes:
        name: the public function's name (``lm.<name>`` or ``lm.nn.<name>``).
        fn: lamina callable taking tensors (one per input) and returning a tensor.
        ref: NumPy float64 reference taking arrays and returning an array.
        inputs: list of input sets; each set is a tuple of shapes / Fixed.
        domain: sampler for float inputs.
        grad: check first-order gradients.
        grad2: check second-order gradients (smooth ops only).
        rtol, atol: float32 forward tolerances (float64 uses 1e-9 / 1e-10 unless ``rtol64``).
        graph: also build the op in a Graph and run it in a Session.
        dtype_out: expected output dtype for float32 inputs (None: float32).
    """
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    inputs: Sequence[tuple]
    domain: Callable = normal
    grad: bool = True
    grad2: bool = False
    rtol: float = 1e-5
    atol: float = 1e-6
    rtol64: float = 1e-9
    graph: bool = True
    dtype_out: Any = None
    eps: float = 1e-6
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-6

    def __repr__(self) -> str:
        return f"OpRecord({self.name})"


def make_inputs(record: OpRecord, spec: tuple, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for item in spec:
        if isinstance(item, Fixed):
            out.append(np.asarray(item.make(rng)))
        else:
            out.append(np.asarray(record.domain(rng, item), dtype=np.float64))
    return out


def is_float(a: np.ndarray) -> bool:
    return a.dtype.kind == "f"


def as_lamina(arrays: list, dtype) -> list:
    return [lm.tensor(a.astype(dtype) if is_float(a) else a) for a in arrays]


def run(record: OpRecord, arrays: list, dtype=np.float64) -> np.ndarray:
    out = record.fn(*as_lamina(arrays, dtype))
    assert isinstance(out, lm.Tensor), f"{record.name} returned {type(out).__name__}"
    return out


def check_forward(record: OpRecord, arrays: list, device: Any = None) -> None:
    """float64 against the reference, float32 against the reference of the rounded inputs;
    with ``device``, run in its scope with the results checked to be there."""
    expected = np.asarray(record.ref(*arrays))
    with lm.device(device) if device is not None else contextlib.nullcontext():
        out64 = run(record, arrays, np.float64)
        out32 = run(record, arrays, np.float32)
    for out in (out64, out32) if device is not None else ():
        assert out.device == device and device.backend.owns(out._value), \
            f"{record.name}: a result on {out.device}, expected {device}"
    np.testing.assert_allclose(out64.numpy(), expected, rtol=record.rtol64, atol=record.rtol64,
                               err_msg=f"{record.name} float64 forward")
    want_dtype = record.dtype_out or lm.float32
    assert out32.dtype == want_dtype, \
        f"{record.name}: float32 inputs gave {out32.dtype}, expected {want_dtype}"
    ref32 = np.asarray(record.ref(*[a.astype(np.float32).astype(np.float64) if is_float(a)
                                    else a for a in arrays]))
    np.testing.assert_allclose(out32.numpy().astype(np.float64), ref32, rtol=record.rtol,
                               atol=record.atol, err_msg=f"{record.name} float32 forward")


def loss_and_grads(record: OpRecord, tensors: list, weights: np.ndarray, float_idx: list):
    with lm.GradientTape() as tape:
        for i in float_idx:
            tape.watch(tensors[i])
        out = record.fn(*tensors)
        loss = lm.sum(out * lm.tensor(weights))
    return loss, tape.gradient(loss, [tensors[i] for i in float_idx],
                               unconnected_gradients="zero")


def _numeric_grad(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> np.ndarray:
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    g = grad.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        hi = f(x)
        flat[k] = old - eps
        lo = f(x)
        flat[k] = old
        g[k] = (hi - lo) / (2 * eps)
    return grad


def check_grad(record: OpRecord, arrays: list, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    float_idx = [i for i, a in enumerate(arrays) if is_float(a)]
    out_shape = np.shape(run(record, arrays).numpy())
    weights = rng.standard_normal(out_shape)
    tensors = as_lamina(arrays, np.float64)
    _, grads = loss_and_grads(record, tensors, weights, float_idx)
    for gi, i in enumerate(float_idx):
        def f(xi, i=i):
            local = list(arrays)
            local[i] = xi
            return float(np.sum(run(record, local).numpy() * weights))
        expected = _numeric_grad(f, arrays[i].copy(), record.eps)
        got = grads[gi]
        assert got is not None, f"{record.name}: no gradient for input {i}"
        assert got.shape == arrays[i].shape, \
            f"{record.name}: gradient shape {got.shape}, expected {arrays[i].shape}"
        np.testing.assert_allclose(got.numpy(), expected, rtol=record.grad_rtol,
                                   atol=record.grad_atol,
                                   err_msg=f"{record.name} gradient of input {i}")


def check_grad2(record: OpRecord, arrays: list, seed: int = 2) -> None:
    """d/dx_i of sum(w2 * d/dx_i sum(w * f)) against finite differences of the gradient."""
    rng = np.random.default_rng(seed)
    float_idx = [i for i, a in enumerate(arrays) if is_float(a)]
    out_shape = np.shape(run(record, arrays).numpy())
    weights = rng.standard_normal(out_shape)
    i = float_idx[0]
    w2 = rng.standard_normal(arrays[i].shape)

    def first_grad(xi: np.ndarray) -> np.ndarray:
        local = as_lamina([*arrays[:i], xi, *arrays[i + 1:]], np.float64)
        return loss_and_grads(record, local, weights, [i])[1][0].numpy()

    tensors = as_lamina(arrays, np.float64)
    with lm.GradientTape() as outer:
        outer.watch(tensors[i])
        _, (g,) = loss_and_grads(record, tensors, weights, [i])
        second_target = lm.sum(g * lm.tensor(w2))
    got = outer.gradient(second_target, tensors[i], unconnected_gradients="zero")
    expected = _numeric_grad(lambda xi: float(np.sum(first_grad(xi) * w2)), arrays[i].copy(),
                             1e-5)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-5,
                               err_msg=f"{record.name} second-order gradient")


def check_graph(record: OpRecord, arrays: list) -> None:
    """Build the op in a Graph from placeholders, run it in a Session, compare with eager."""
    expected = run(record, arrays).numpy()
    graph = lm.Graph()
    with graph.as_default():
        holders = [lm.placeholder(lm.as_dtype(a.dtype), a.shape) for a in arrays]
        out = record.fn(*holders)
        assert out.shape == np.shape(expected) or None in out.shape, \
            f"{record.name}: graph shape {out.shape}, eager shape {np.shape(expected)}"
    with lm.Session(graph=graph) as sess:
        got = sess.run(out, feed_dict=dict(zip(holders, arrays)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12,
                               err_msg=f"{record.name} graph mode")


def primitives_used(record: OpRecord, arrays: list) -> set[str]:
    """The op types the record's callable builds, and its gradient if it has one (traced
    into a throwaway graph)."""
    graph = lm.Graph()
    with graph.as_default():
        holders = [lm.placeholder(lm.as_dtype(a.dtype), a.shape) for a in arrays]
        out = record.fn(*holders)
        sources = [h for h, a in zip(holders, arrays) if is_float(a)]
        if record.grad and sources and out.dtype.is_floating:
            lm.gradients(out, sources)
    return {op.type for op in graph.get_operations()}


def check_compiled(record: OpRecord, arrays: list, seed: int = 3, device: Any = None) -> None:
    """The op and its gradients, compiled by lm.function, equal eager execution. With
    ``device``: both run in its scope with the results checked to be there, and the
    gradients, eager and compiled, equal the CPU's (within looser tolerances)."""
    on_device = device is not None
    where = f" on {device}" if on_device else ""
    with lm.device(device) if on_device else contextlib.nullcontext():
        tensors = as_lamina(arrays, np.float64)
        eager = record.fn(*tensors)
        compiled = lm.function(record.fn)(*tensors)
    if on_device:
        assert compiled.device == device and device.backend.owns(compiled._value), \
            f"{record.name}: compiled result on {compiled.device}, expected {device}"
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(),
                               rtol=1e-10 if on_device else 1e-12, atol=1e-12,
                               err_msg=f"{record.name} compiled forward{where}")
    if not record.grad:
        return
    float_idx = [i for i, a in enumerate(arrays) if is_float(a)]
    weights = np.random.default_rng(seed).standard_normal(np.shape(eager.numpy()))

    def grads(*xs):
        return loss_and_grads(record, list(xs), weights, float_idx)[1]

    expected = grads(*(as_lamina(arrays, np.float64) if on_device else tensors))
    with lm.device(device) if on_device else contextlib.nullcontext():
        got = {"gradient": grads(*tensors)} if on_device else {}
        got["compiled gradient"] = lm.function(grads)(*tensors)
    if on_device:
        assert all(len(g) == len(expected) for g in got.values()), record.name
    for what, values in got.items():
        for e, g in zip(expected, values):
            assert not on_device or g.device == device, f"{record.name}: gradient device"
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-9 if on_device else 1e-10,
                                       atol=1e-12, err_msg=f"{record.name} {what}{where}")
