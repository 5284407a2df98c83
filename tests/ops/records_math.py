"""Records for elementwise maths, reductions and casting (lamina/ops/math.py)."""
import math

import numpy as np

import lamina as lm
from tests.ops.harness import (Fixed, OpRecord, away_from_zero, distinct, normal, positive,
                               unit)

BCAST = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3))]
SHAPES1 = [((5,),), ((2, 3),), ((),)]
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0, x)


def _gelu(x):
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def _elu(x, a=1.0):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


def _selu(x):
    return 1.0507009873554805 * _elu(x, 1.6732632423543772)


def _bool(shape):
    return Fixed(lambda rng: rng.random(shape) > 0.5)


def _axes_records(name, fn, ref, domain=normal, grad2=False):
    """A reduction tested over all axes, one axis, several axes, keepdims."""
    return [
        OpRecord(name, lambda x: fn(x), lambda x: ref(x), [((3, 4),), ((5,),)], domain,
                 grad2=grad2),
        OpRecord(name, lambda x: fn(x, axis=1), lambda x: ref(x, axis=1), [((2, 3, 4),)],
                 domain, grad2=grad2),
        OpRecord(name, lambda x: fn(x, axis=(0, 2), keepdims=True),
                 lambda x: ref(x, axis=(0, 2), keepdims=True), [((2, 3, 4),)], domain,
                 grad2=grad2),
        OpRecord(name, lambda x: fn(x, axis=-1), lambda x: ref(x, axis=-1), [((3, 4),)], domain,
                 grad2=grad2),
    ]


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


RECORDS = [
    # binary arithmetic
    OpRecord("add", lm.add, np.add, BCAST, grad2=True),
    OpRecord("subtract", lm.subtract, np.subtract, BCAST, grad2=True),
    OpRecord("multiply", lm.multiply, np.multiply, BCAST, grad2=True),
    OpRecord("divide", lm.divide, np.divide, [((3, 4), (3, 4)), ((2, 3), (3,))],
             away_from_zero, grad2=True),
    OpRecord("pow", lm.pow, np.power, [((3, 4), (3, 4)), ((2, 3), ())], positive, grad2=True),
    OpRecord("maximum", lm.maximum, np.maximum, [((3, 4), (3, 4)), ((2, 3), (3,))], distinct),
    OpRecord("minimum", lm.minimum, np.minimum, [((3, 4), (3, 4)), ((2, 3), (3,))], distinct),
    OpRecord("mod", lm.mod, np.mod, [((3, 4), (3, 4))], positive, rtol=1e-4, atol=1e-5),
    OpRecord("floor_divide", lm.floor_divide, np.floor_divide, [((3, 4), (3, 4))], positive,
             grad=False),
    # operators are the same primitives reached through Python syntax
    OpRecord("__add__", lambda x, y: x + y, np.add, BCAST),
    OpRecord("__sub__", lambda x, y: x - y, np.subtract, BCAST),
    OpRecord("__mul__", lambda x, y: x * y, np.multiply, BCAST),
    OpRecord("__truediv__", lambda x, y: x / y, np.divide, [((3, 4), (3, 4))], away_from_zero),
    OpRecord("__pow__", lambda x: x ** 2.0, lambda x: x ** 2.0, SHAPES1, grad2=True),
    OpRecord("__rsub__", lambda x: 1.0 - x, lambda x: 1.0 - x, SHAPES1),
    OpRecord("__rtruediv__", lambda x: 1.0 / x, lambda x: 1.0 / x, SHAPES1, away_from_zero),
    OpRecord("__neg__", lambda x: -x, np.negative, SHAPES1),
    # comparisons and logic (no gradient)
    *[OpRecord(n, getattr(lm, n), getattr(np, n), [((3, 4), (3, 4)), ((2, 3), (3,))], distinct,
               grad=False, dtype_out=lm.bool)
      for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")],
    *[OpRecord(n, getattr(lm, n), getattr(np, n), [(_bool((3, 4)), _bool((3, 4)))], grad=False,
               dtype_out=lm.bool) for n in ("logical_and", "logical_or", "logical_xor")],
    OpRecord("logical_not", lm.logical_not, np.logical_not, [(_bool((3, 4)),)], grad=False,
             dtype_out=lm.bool),
    OpRecord("__and__", lambda x, y: x & y, np.logical_and, [(_bool((4,)), _bool((4,)))],
             grad=False, dtype_out=lm.bool),
    OpRecord("__or__", lambda x, y: x | y, np.logical_or, [(_bool((4,)), _bool((4,)))],
             grad=False, dtype_out=lm.bool),
    OpRecord("__invert__", lambda x: ~x, np.logical_not, [(_bool((4,)),)], grad=False,
             dtype_out=lm.bool),
    # unary functions
    OpRecord("negative", lm.negative, np.negative, SHAPES1, grad2=True),
    OpRecord("abs", lm.abs, np.abs, SHAPES1, away_from_zero, grad2=True),
    OpRecord("sign", lm.sign, np.sign, SHAPES1, away_from_zero, grad=False),
    OpRecord("sqrt", lm.sqrt, np.sqrt, SHAPES1, positive, grad2=True),
    OpRecord("rsqrt", lm.rsqrt, lambda x: 1 / np.sqrt(x), SHAPES1, positive, grad2=True),
    OpRecord("square", lm.square, np.square, SHAPES1, grad2=True),
    OpRecord("exp", lm.exp, np.exp, SHAPES1, grad2=True),
    OpRecord("log", lm.log, np.log, SHAPES1, positive, grad2=True),
    OpRecord("log1p", lm.log1p, np.log1p, SHAPES1, unit, grad2=True),
    OpRecord("expm1", lm.expm1, np.expm1, SHAPES1, grad2=True),
    OpRecord("sin", lm.sin, np.sin, SHAPES1, grad2=True),
    OpRecord("cos", lm.cos, np.cos, SHAPES1, grad2=True),
    OpRecord("tanh", lm.tanh, np.tanh, SHAPES1, grad2=True),
    OpRecord("sigmoid", lm.sigmoid, _sigmoid, SHAPES1, grad2=True),
    OpRecord("relu", lm.relu, lambda x: np.maximum(x, 0), SHAPES1, away_from_zero),
    OpRecord("leaky_relu", lm.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), SHAPES1,
             away_from_zero),
    OpRecord("leaky_relu", lambda x: lm.leaky_relu(x, alpha=0.3),
             lambda x: np.where(x > 0, x, 0.3 * x), SHAPES1, away_from_zero),
    OpRecord("elu", lm.elu, _elu, SHAPES1, away_from_zero, grad2=True),
    OpRecord("selu", lm.selu, _selu, SHAPES1, away_from_zero, grad2=True),
    OpRecord("gelu", lm.gelu, _gelu, SHAPES1, grad2=True),
    OpRecord("gelu", lambda x: lm.gelu(x, approximate=True), _gelu_tanh, SHAPES1, grad2=True),
    OpRecord("softplus", lm.softplus, _softplus, SHAPES1, grad2=True),
    OpRecord("softsign", lm.softsign, lambda x: x / (1 + np.abs(x)), SHAPES1, away_from_zero,
             grad2=True),
    OpRecord("silu", lm.silu, lambda x: x * _sigmoid(x), SHAPES1, grad2=True),
    OpRecord("erf", lm.erf, _erf, [((5,),), ((2, 3),)], lambda r, s: r.uniform(-4, 4, s),
             grad2=True),
    OpRecord("floor", lm.floor, np.floor, SHAPES1, grad=False),
    OpRecord("ceil", lm.ceil, np.ceil, SHAPES1, grad=False),
    OpRecord("round", lm.round, np.rint, SHAPES1, grad=False),
    OpRecord("is_finite", lm.is_finite, np.isfinite, SHAPES1, grad=False, dtype_out=lm.bool),
    OpRecord("is_nan", lm.is_nan, np.isnan, SHAPES1, grad=False, dtype_out=lm.bool),
    # selection
    OpRecord("where", lm.where, np.where, [(_bool((3, 4)), (3, 4), (3, 4)),
                                           (_bool((3, 1)), (1, 4), ())], grad2=True),
    OpRecord("clip", lambda x: lm.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
             [((4, 5),)], lambda r, s: r.uniform(-1, 1, s)),
    OpRecord("cast", lambda x: lm.cast(x, lm.int32), lambda x: x.astype(np.int32), SHAPES1,
             lambda r, s: r.uniform(-5, 5, s), grad=False, dtype_out=lm.int32),
    OpRecord("cast", lambda x: lm.cast(lm.cast(x, lm.float16), x.dtype),
             lambda x: x.astype(np.float16).astype(x.dtype), SHAPES1, rtol64=1e-3,
             grad=False),  # finite differences cannot see through float16 rounding
    OpRecord("identity", lm.identity, lambda x: x.copy(), SHAPES1),
    # finite differences see through stop_gradient; tests/test_autodiff.py checks its gradient
    OpRecord("stop_gradient", lambda x: lm.stop_gradient(x) * x, lambda x: x * x, SHAPES1,
             grad=False),
    # reductions
    *_axes_records("sum", lm.sum, np.sum, grad2=True),
    *_axes_records("mean", lm.mean, np.mean, grad2=True),
    *_axes_records("max", lm.max, np.max, distinct),
    *_axes_records("min", lm.min, np.min, distinct),
    *_axes_records("prod", lm.prod, np.prod, positive, grad2=True),
    *_axes_records("var", lm.var, np.var, grad2=True),
    *_axes_records("std", lm.std, np.std),
    *_axes_records("logsumexp", lm.logsumexp, _logsumexp, grad2=True),
    OpRecord("prod", lambda x: lm.prod(x * lm.tensor([1.0, 0.0, 1.0], x.dtype), axis=1),
             lambda x: np.prod(x * np.array([1.0, 0.0, 1.0]), axis=1), [((2, 3),)]),
    OpRecord("max", lambda x: lm.max(lm.concat([x, x], 0), axis=0),
             lambda x: np.max(np.concatenate([x, x]), axis=0), [((2, 3),)], distinct),
    OpRecord("argmax", lambda x: lm.argmax(x, axis=1), lambda x: np.argmax(x, axis=1),
             [((3, 4),)], distinct, grad=False, dtype_out=lm.int64),
    OpRecord("argmin", lambda x: lm.argmin(x, axis=0), lambda x: np.argmin(x, axis=0),
             [((3, 4),)], distinct, grad=False, dtype_out=lm.int64),
    OpRecord("all", lambda x: lm.all(x, axis=1), lambda x: np.all(x, axis=1),
             [(_bool((3, 4)),)], grad=False, dtype_out=lm.bool),
    OpRecord("any", lambda x: lm.any(x, axis=0), lambda x: np.any(x, axis=0),
             [(_bool((3, 4)),)], grad=False, dtype_out=lm.bool),
]
