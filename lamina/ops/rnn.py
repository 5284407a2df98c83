"""The LSTM cell's gates as one primitive pair: ``LSTMGates`` and its gradient.

A step of an LSTM computes, from the gate pre-activations ``z`` (batch, 4 * units; Keras's
order i, f, c, o) and the previous cell state ``c``:

    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_c)
    c' = f * c + i * g;  h = o * tanh(c')

Written in lamina ops that is about 25 small calls forward and 40 backward per time step. As
one primitive (for the default tanh/sigmoid activations) it is one ``tanh`` over the whole
gate block (``sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)``), one over ``c'``, and a handful of
products: with numba, two kernels do the products. The output is ``stack([h, c'])`` (one
primitive, one output); the layer takes ``h`` and ``c'`` as views.

The gradient primitive returns ``[dz, dc]`` side by side, shape (batch, 5 * units). In eager
mode it recomputes the gates from ``z``; compiled code keeps the forward's activated gates
and ``tanh(c')`` in scratch buffers instead (see ``forward_step``/``forward_into`` and
``backward_into``, which the NumPy code generator calls). Its own gradient (second order)
differentiates the same gradient written in lamina ops.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._state import STATE
from ..autodiff import GradientTape
from ..backends import numba_kernels
from ..tensor import _fmt_shape, convert
from . import math as m
from .registry import FLOAT, Aval, bind, defprim
from .shape import concat, split, stack

_CONSTANTS: dict = {}


def gate_constants(xp: Any, units: int, dtype: Any) -> tuple:
    """(scale, shift) per gate column: gates = tanh(z * scale) * scale + shift.

    For the sigmoid gates i, f, o: scale 0.5 and shift 0.5; for the candidate g: 1 and 0.
    """
    key = (units, np.dtype(dtype).str, xp.__name__)
    found = _CONSTANTS.get(key)
    if found is None:
        scale = np.full(4 * units, 0.5, dtype=dtype)
        scale[2 * units:3 * units] = 1.0
        shift = np.full(4 * units, 0.5, dtype=dtype)
        shift[2 * units:3 * units] = 0.0
        found = _CONSTANTS[key] = (xp.asarray(scale), xp.asarray(shift))
    return found


def forward_into(xp: Any, z: Any, c: Any, out: Any, s: Any, tc: Any) -> None:
    """One step: ``out = [h, c']``; leaves the activated gates [i, f, g, o] in ``s`` and
    ``tanh(c')`` in ``tc`` for the gradient. Chooses the gate constants and the numba kernel
    for these arrays, then runs :func:`forward_step`."""
    scale, shift = gate_constants(xp, c.shape[-1], z.dtype)
    kernel = numba_kernels.for_arrays(xp, "lstm_forward", s, c, out[1])
    forward_step(xp, z, c, out, s, tc, scale, shift, kernel)


def forward_step(xp: Any, z: Any, c: Any, out: Any, s: Any, tc: Any, scale: Any, shift: Any,
                 kernel: Callable | None) -> None:
    """:func:`forward_into` with its choices made: the constants of :func:`gate_constants`
    and the ``lstm_forward`` kernel (None: the NumPy sequence, the same float operations in
    the same order). Compiled code calls this with both chosen once, at compile time: choosing
    them costs about 2 us a call (measured: a (32, 512) float32 step, 12 us against 10)."""
    units = c.shape[-1]
    xp.multiply(z, scale, out=s)
    xp.tanh(s, out=s)
    new_c = out[1]
    if kernel is not None:
        kernel(s, scale, shift, c, new_c)
    else:
        s *= scale
        s += shift
        xp.multiply(s[:, units:2 * units], c, out=new_c)
        new_c += s[:, :units] * s[:, 2 * units:3 * units]
    xp.tanh(new_c, out=tc)
    xp.multiply(s[:, 3 * units:], tc, out=out[0])


def backward_into(xp: Any, s: Any, c: Any, tc: Any, g_hc: Any, out: Any) -> None:
    """``out = [dz, dc]`` for output gradients ``g_hc = [dh, dc']``, from the activated gates
    ``s`` and ``tc = tanh(c')`` of the forward step. The NumPy sequence and the numba kernel
    do the same float operations in the same order (same numbers, bit for bit)."""
    kernel = numba_kernels.for_arrays(xp, "lstm_backward", s, c, tc, g_hc, out)
    if kernel is not None:
        kernel(s, c, tc, g_hc, out)
        return
    u = c.shape[-1]
    i, f, g, o = s[:, :u], s[:, u:2 * u], s[:, 2 * u:3 * u], s[:, 3 * u:]
    dh, dc_next = g_hc[0], g_hc[1]
    tmp = xp.multiply(tc, tc)
    xp.subtract(1, tmp, out=tmp)
    dc = dh * o
    dc *= tmp
    dc += dc_next                                         # dc = dc' + dh * o * (1 - tc^2)
    # dz_i = dc g i (1 - i), dz_f = dc c f (1 - f), dz_c = dc i (1 - g^2), dz_o = dh tc o (1 - o)
    for k, (first, second, gate) in enumerate(((dc, g, i), (dc, c, f), (dc, i, None),
                                               (dh, tc, o))):
        block = out[:, k * u:(k + 1) * u]
        xp.multiply(first, second, out=block)
        if gate is not None:
            block *= gate
            xp.subtract(1, gate, out=tmp)
        else:
            xp.multiply(g, g, out=tmp)
            xp.subtract(1, tmp, out=tmp)
        block *= tmp
    xp.multiply(dc, f, out=out[:, 4 * u:])


def _forward(xp, z, c):
    out = xp.empty((2,) + c.shape, dtype=z.dtype)
    forward_into(xp, z, c, out, xp.empty(z.shape, z.dtype), xp.empty(c.shape, z.dtype))
    return out


def _grad_forward(xp, z, c, hc, g_hc):
    """[dz, dc] for output gradients g_hc = [dh, dc'] (dc' may include the next step's)."""
    scale, shift = gate_constants(xp, c.shape[-1], z.dtype)
    s = xp.multiply(z, scale)
    xp.tanh(s, out=s)
    s *= scale
    s += shift
    out = xp.empty(c.shape[:-1] + (5 * c.shape[-1],), dtype=z.dtype)
    backward_into(xp, s, c, xp.tanh(hc[1]), g_hc, out)
    return out


def composite(z, c):
    """The same maths in lamina ops: the reference the tests compare against."""
    z_i, z_f, z_c, z_o = split(z, 4, axis=-1)
    i, f, o = m.sigmoid(z_i), m.sigmoid(z_f), m.sigmoid(z_o)
    new_c = f * c + i * m.tanh(z_c)
    return stack([o * m.tanh(new_c), new_c])


def _grad_composite(z, c, g_hc):
    """``_grad_forward`` written in lamina ops, so that it can itself be differentiated."""
    z_i, z_f, z_c, z_o = split(z, 4, axis=-1)
    i, f, o = m.sigmoid(z_i), m.sigmoid(z_f), m.sigmoid(z_o)
    g = m.tanh(z_c)
    tc = m.tanh(f * c + i * g)
    dh, dc_next = g_hc[0], g_hc[1]
    dc = dc_next + dh * o * (1.0 - tc * tc)
    return concat([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g * g),
                   dh * tc * o * (1.0 - o), dc * f], axis=-1)


def _grad_vjp(h, out, z, c, hc, g_hc):
    """Second order. ``hc`` is a function of ``z`` and ``c``, which ``_grad_composite``
    recomputes, so every path runs through ``z``, ``c`` and ``g_hc``: ``hc`` gets none."""
    with GradientTape() as tape:
        tape.watch([z, c, g_hc])
        first = _grad_composite(z, c, g_hc)
    dz, dc, dg = tape.gradient(first, [z, c, g_hc], output_gradients=h,
                               unconnected_gradients="zero")
    return dz, dc, None, dg


def _gates_vjp(g, hc, z, c):
    grads = bind(LSTM_GATES_GRAD, z, c, hc, g)
    units = c.shape[-1]
    return grads[:, :4 * units], grads[:, 4 * units:]


def _grad_rule(z: Aval, c: Aval, hc: Aval, g: Aval) -> Aval:
    return Aval((c.shape[0], 5 * c.shape[1]), z.dtype)


LSTM_GATES_GRAD = defprim("LSTMGatesGrad", _grad_forward, vjp=_grad_vjp, shape=_grad_rule,
                          inputs=("z", "c", "hc", "gradients"), accepts=FLOAT)
LSTM_GATES = defprim("LSTMGates", _forward, vjp=_gates_vjp,
                     shape=lambda z, c: Aval((2,) + tuple(c.shape), z.dtype),
                     inputs=("z", "c"), accepts=FLOAT)


def fused_pays() -> bool:
    """Whether the layers should use ``lstm_gates`` rather than the composite ops.

    Eagerly the primitive always wins (one tape entry instead of dozens). In a compiled graph
    it wins with the numba kernels; without them the elementwise fusion of the composite
    graph is faster than the primitive's NumPy sequence (char_lstm_b32_t32: 5.5 ms against
    4.6 ms per step, against 4.2 ms for the primitive with numba).
    """
    return STATE.graph is None or numba_kernels.available()


def lstm_gates(z: Any, c: Any) -> Any:
    """``stack([h, c'])`` of an LSTM step with sigmoid gates and tanh activations.

    Args:
        z: gate pre-activations, shape ``(batch, 4 * units)`` in the order i, f, c, o.
        c: the previous cell state, shape ``(batch, units)``.

    Raises:
        ValueError: for shapes other than those.
    """
    z, c = convert(z), convert(c)
    units = c.shape[-1] if c.ndim == 2 else None
    if (z.ndim != 2 or c.ndim != 2 or units is None or z.shape[-1] != 4 * units
            or None not in (z.shape[0], c.shape[0]) and z.shape[0] != c.shape[0]):
        raise ValueError("lstm_gates expects z of shape (batch, 4 * units) and c of shape "
                         f"(batch, units), received z {_fmt_shape(z.shape)} and c "
                         f"{_fmt_shape(c.shape)}.")
    return bind(LSTM_GATES, z, c)
