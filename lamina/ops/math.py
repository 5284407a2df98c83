"""Elementwise maths, reductions and dtype casting.

Binary arithmetic, the unary functions of API.md and the reductions are primitives; ``clip``,
``var``, ``std``, ``logsumexp`` and friends are composites of them. Gradient rules reduce
broadcast gradients back to each input's shape with :func:`sum_to_like`.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._state import STATE
from ..tensor import Tensor, _wrap
from . import rules
from .registry import FLOAT, INTEGER, Aval, apply_binary, bind, defprim

__all__ = [
    "cast",
    "identity",
    "stop_gradient",
    "add",
    "subtract",
    "multiply",
    "divide",
    "floor_divide",
    "mod",
    "pow",
    "maximum",
    "minimum",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "negative",
    "abs",
    "sign",
    "sqrt",
    "rsqrt",
    "square",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "erf",
    "gelu",
    "softplus",
    "softsign",
    "silu",
    "floor",
    "ceil",
    "round",
    "logical_not",
    "is_finite",
    "is_nan",
    "where",
    "clip",
    "sum",
    "mean",
    "max",
    "min",
    "prod",
    "all",
    "any",
    "var",
    "std",
    "logsumexp",
    "argmax",
    "argmin",
    "swish",
    "clip_by_value",
]

# ---- shape-polymorphic helpers used by gradient rules --------------------------------------
# Graph mode may not know every dim while building, so the gradient of a broadcast sums back
# "to the shape of x" at run time rather than over axes fixed at build time.



def _sum_to_forward(xp, g, like):
    target = like.shape
    extra = g.ndim - len(target)
    axes = tuple(range(extra)) + tuple(i + extra for i, d in enumerate(target)
                                       if d == 1 and g.shape[i + extra] != 1)
    out = xp.sum(g, axis=axes, keepdims=True) if axes else g
    return out.reshape(target) if extra else out


SUM_TO_LIKE = defprim("SumToLike", _sum_to_forward, inputs=("x", "like"), promote=(),
                      shape=rules.like)
BROADCAST_LIKE = defprim("BroadcastLike", lambda xp, x, like: xp.broadcast_to(x, like.shape),
                         inputs=("x", "like"), promote=(), shape=rules.like)
RESHAPE_LIKE = defprim("ReshapeLike", lambda xp, x, like: xp.reshape(x, like.shape),
                       inputs=("x", "like"), promote=(), shape=rules.like)
SUM_TO_LIKE.vjp = lambda g, out, x, like: (broadcast_like(g, x), None)
BROADCAST_LIKE.vjp = lambda g, out, x, like: (sum_to_like(g, x), None)
RESHAPE_LIKE.vjp = lambda g, out, x, like: (reshape_like(g, x), None)


def _static(shape: tuple | None) -> bool:
    return shape is not None and None not in shape


def sum_to_like(g: Tensor, x: Tensor) -> Tensor:
    """Sums a broadcast gradient ``g`` back down to the shape of ``x``."""
    if g.shape == x.shape and _static(x.shape):
        return g
    return bind(SUM_TO_LIKE, g, x)


def broadcast_like(g: Tensor, x: Tensor) -> Tensor:
    """Broadcasts ``g`` up to the shape of ``x``."""
    if g.shape == x.shape and _static(x.shape):
        return g
    return bind(BROADCAST_LIKE, g, x)


def reshape_like(g: Tensor, x: Tensor) -> Tensor:
    """Reshapes ``g`` to the shape of ``x``."""
    if g.shape == x.shape and _static(x.shape):
        return g
    return bind(RESHAPE_LIKE, g, x)


# ---- casting and identity -----------------------------------------------------------------
def _cast_rule(x: Aval, dtype: _dt.DType) -> Aval:
    return Aval(x.shape, dtype)


def _cast_vjp(g, out, x, dtype):
    return (cast(g, x.dtype) if x.dtype.is_floating else None,)


CAST = defprim("Cast", lambda xp, x, dtype: x.astype(dtype.np), vjp=_cast_vjp,
               shape=_cast_rule, promote=())
IDENTITY = defprim("Identity", lambda xp, x: x.copy(), vjp=lambda g, out, x: (g,),
                   shape=rules.same, promote=())
STOP_GRADIENT = defprim("StopGradient", lambda xp, x: x, vjp=None, shape=rules.same,
                        promote=())


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """Converts ``x`` to ``dtype`` (floats to ints truncate toward zero).

    Example:
        >>> lm.cast([1.7, -1.7], lm.int32).numpy()
        array([ 1, -1], dtype=int32)
    """
    dt = _dt.as_dtype(dtype)
    if isinstance(x, Tensor) and x._dtype is dt:
        return x
    return bind(CAST, x, dtype=dt, name=name)


def identity(x: Any, name: str | None = None) -> Tensor:
    """A copy of ``x`` (a distinct node in graph mode)."""
    return bind(IDENTITY, x, name=name)


def stop_gradient(x: Any, name: str | None = None) -> Tensor:
    """``x``, but gradients do not flow back through it.

    Example:
        >>> with lm.GradientTape() as tape:
        ...     tape.watch(x); y = lm.stop_gradient(x) * x
        >>> tape.gradient(y, x)   # == x, not 2x
    """
    return bind(STOP_GRADIENT, x, name=name)


# ---- binary arithmetic --------------------------------------------------------------------
def _binary(name: str, ufunc: str, inputs=("x", "y"), accepts: str = "numeric", vjp=None,
            rule=None):
    """A primitive that is exactly the NumPy/CuPy ufunc ``ufunc`` of two inputs."""
    return defprim(name, lambda xp, x, y: getattr(xp, ufunc)(x, y), vjp=vjp,
                   shape=rule or rules.elementwise(name), inputs=inputs, accepts=accepts,
                   ufunc=ufunc)


ADD = _binary("Add", "add", vjp=lambda g, out, x, y: (sum_to_like(g, x), sum_to_like(g, y)))
SUB = _binary("Sub", "subtract",
              vjp=lambda g, out, x, y: (sum_to_like(g, x), sum_to_like(-g, y)))
MUL = _binary("Mul", "multiply",
              vjp=lambda g, out, x, y: (lambda: sum_to_like(g * y, x),
                                        lambda: sum_to_like(g * x, y)))
DIV = _binary("RealDiv", "true_divide", accepts=FLOAT,
              vjp=lambda g, out, x, y: (lambda: sum_to_like(g / y, x),
                                        lambda: sum_to_like(-g * out / y, y)))


def _pow_vjp(g, out, x, y):
    gx = g * y * x ** (y - 1)
    # d/dy x**y = x**y log x, taken as 0 where x <= 0 (where log is undefined)
    safe = where(x > 0, x, ones_like_scalar(x))
    gy = g * out * where(x > 0, log(safe), 0.0)
    return sum_to_like(gx, x), sum_to_like(gy, y)


def _max_vjp(g, out, x, y):
    take_x = x >= y
    return sum_to_like(where(take_x, g, 0.0), x), sum_to_like(where(take_x, 0.0, g), y)


def _min_vjp(g, out, x, y):
    take_x = x <= y
    return sum_to_like(where(take_x, g, 0.0), x), sum_to_like(where(take_x, 0.0, g), y)


def _mod_vjp(g, out, x, y):
    return sum_to_like(g, x), sum_to_like(-g * floor(x / y), y)


POW = _binary("Pow", "power", vjp=_pow_vjp)
MAXIMUM = _binary("Maximum", "maximum", vjp=_max_vjp)
MINIMUM = _binary("Minimum", "minimum", vjp=_min_vjp)
FLOOR_DIV = _binary("FloorDiv", "floor_divide")
MOD = _binary("FloorMod", "remainder", vjp=_mod_vjp)
EQUAL = _binary("Equal", "equal", rule=rules.comparison("Equal"))
NOT_EQUAL = _binary("NotEqual", "not_equal", rule=rules.comparison("NotEqual"))
LESS = _binary("Less", "less", rule=rules.comparison("Less"))
LESS_EQUAL = _binary("LessEqual", "less_equal", rule=rules.comparison("LessEqual"))
GREATER = _binary("Greater", "greater", rule=rules.comparison("Greater"))
GREATER_EQUAL = _binary("GreaterEqual", "greater_equal", rule=rules.comparison("GreaterEqual"))
LOGICAL_AND = _binary("LogicalAnd", "bitwise_and", accepts=INTEGER)
LOGICAL_OR = _binary("LogicalOr", "bitwise_or", accepts=INTEGER)
LOGICAL_XOR = _binary("LogicalXor", "bitwise_xor", accepts=INTEGER)


def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x + y`` elementwise, with broadcasting.

    Example:
        >>> lm.add(1, 1)
        <lamina.Tensor: shape=(), dtype=int32, numpy=2>
    """
    return apply_binary(ADD, x, y) if name is None else bind(ADD, x, y, name=name)


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x - y`` elementwise."""
    return apply_binary(SUB, x, y) if name is None else bind(SUB, x, y, name=name)


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x * y`` elementwise."""
    return apply_binary(MUL, x, y) if name is None else bind(MUL, x, y, name=name)


def divide(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x / y`` elementwise; integer inputs give float32 (true division)."""
    return apply_binary(DIV, x, y) if name is None else bind(DIV, x, y, name=name)


def floor_divide(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x // y`` elementwise, rounding toward negative infinity."""
    return apply_binary(FLOOR_DIV, x, y) if name is None else bind(FLOOR_DIV, x, y, name=name)


def mod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x % y`` elementwise, with the sign of ``y`` (Python's convention)."""
    return apply_binary(MOD, x, y) if name is None else bind(MOD, x, y, name=name)


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001 (TF's name)
    """``x ** y`` elementwise.

    Example:
        >>> lm.pow(2.0, 3.0).numpy()
        8.0
    """
    return apply_binary(POW, x, y) if name is None else bind(POW, x, y, name=name)


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """The larger of ``x`` and ``y``, elementwise (ties send the gradient to ``x``)."""
    return apply_binary(MAXIMUM, x, y) if name is None else bind(MAXIMUM, x, y, name=name)


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """The smaller of ``x`` and ``y``, elementwise (ties send the gradient to ``x``)."""
    return apply_binary(MINIMUM, x, y) if name is None else bind(MINIMUM, x, y, name=name)


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    return apply_binary(EQUAL, x, y) if name is None else bind(EQUAL, x, y, name=name)


def not_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    return apply_binary(NOT_EQUAL, x, y) if name is None else bind(NOT_EQUAL, x, y, name=name)


def less(x: Any, y: Any, name: str | None = None) -> Tensor:
    return apply_binary(LESS, x, y) if name is None else bind(LESS, x, y, name=name)


def less_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    return apply_binary(LESS_EQUAL, x, y) if name is None else bind(LESS_EQUAL, x, y, name=name)


def greater(x: Any, y: Any, name: str | None = None) -> Tensor:
    return apply_binary(GREATER, x, y) if name is None else bind(GREATER, x, y, name=name)


def greater_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    if name is None:
        return apply_binary(GREATER_EQUAL, x, y)
    return bind(GREATER_EQUAL, x, y, name=name)


def logical_and(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x & y`` for bool tensors (bitwise for integers)."""
    return apply_binary(LOGICAL_AND, x, y) if name is None else bind(LOGICAL_AND, x, y, name=name)


def logical_or(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x | y`` for bool tensors (bitwise for integers)."""
    return apply_binary(LOGICAL_OR, x, y) if name is None else bind(LOGICAL_OR, x, y, name=name)


def logical_xor(x: Any, y: Any, name: str | None = None) -> Tensor:
    return apply_binary(LOGICAL_XOR, x, y) if name is None else bind(LOGICAL_XOR, x, y, name=name)


# ---- unary functions ----------------------------------------------------------------------
def _unary(name: str, forward, vjp=None, accepts: str = FLOAT, ufunc: str | None = None,
           **kwargs):
    """An elementwise primitive of one input (float-only by default, as Keras casts ints)."""
    if ufunc is not None:
        forward = (lambda u: lambda xp, x: getattr(xp, u)(x))(ufunc)
    return defprim(name, forward, vjp=vjp, shape=rules.same, accepts=accepts, ufunc=ufunc,
                   elementwise=True, **kwargs)


def _sigmoid(xp, x):
    """sigmoid(x) = 0.5 + 0.5 * tanh(x / 2): one transcendental, no branch, no overflow.

    Its absolute error is about one unit in the last place of 1 (6e-8 in float32): values
    below ~1e-7 keep little relative precision, which losses never see (they clip
    probabilities at 1e-7). A where() on the sign would keep it, at 3x the time: NumPy's
    select branches on every element.
    """
    half = x.dtype.type(0.5)
    out = xp.empty_like(x)          # an array even for 0-d input, so it can be written in
    xp.multiply(x, half, out=out)
    xp.tanh(out, out=out)
    out *= half
    out += half
    return out


def _softplus(xp, x):
    return (xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype, copy=False)


def _erf(xp, x):
    if xp is np:
        from ..backends.numpy_backend import erf as numpy_erf
        return numpy_erf(x)
    from cupyx.scipy.special import erf as cupy_erf
    return cupy_erf(x)


def _leaky_relu(xp, x, alpha):
    return xp.where(x > 0, x, x * x.dtype.type(alpha))


def _elu(xp, x, alpha):
    return xp.where(x > 0, x, x.dtype.type(alpha) * xp.expm1(xp.minimum(x, 0)))


NEG = _unary("Neg", None, ufunc="negative", accepts="numeric", vjp=lambda g, out, x: (-g,))
ABS = _unary("Abs", None, ufunc="absolute", accepts="numeric",
             vjp=lambda g, out, x: (g * sign(x),))
SIGN = _unary("Sign", None, ufunc="sign", accepts="numeric")
SQRT = _unary("Sqrt", None, ufunc="sqrt", vjp=lambda g, out, x: (g * 0.5 / out,))
RSQRT = _unary("Rsqrt", lambda xp, x: 1 / xp.sqrt(x),
               vjp=lambda g, out, x: (g * -0.5 * out / x,))
SQUARE = _unary("Square", None, ufunc="square", accepts="numeric",
                vjp=lambda g, out, x: (g * 2 * x,))
EXP = _unary("Exp", None, ufunc="exp", vjp=lambda g, out, x: (g * out,))
LOG = _unary("Log", None, ufunc="log", vjp=lambda g, out, x: (g / x,))
LOG1P = _unary("Log1p", None, ufunc="log1p", vjp=lambda g, out, x: (g / (1 + x),))
EXPM1 = _unary("Expm1", None, ufunc="expm1", vjp=lambda g, out, x: (g * (out + 1),))
SIN = _unary("Sin", None, ufunc="sin", vjp=lambda g, out, x: (g * cos(x),))
COS = _unary("Cos", None, ufunc="cos", vjp=lambda g, out, x: (-g * sin(x),))
TANH = _unary("Tanh", None, ufunc="tanh", vjp=lambda g, out, x: (g * (1 - out * out),))
SIGMOID = _unary("Sigmoid", _sigmoid, vjp=lambda g, out, x: (g * out * (1 - out),))
SOFTPLUS = _unary("Softplus", _softplus, vjp=lambda g, out, x: (g * sigmoid(x),))
ERF = _unary("Erf", _erf,
             vjp=lambda g, out, x: (g * (2 / np.sqrt(np.pi)) * exp(-x * x),))
def _relu_grad_forward(xp, g, x):
    return g * (x > 0)


# ReLU's gradient is g * (x > 0), as TensorFlow's ReluGrad (a NaN gradient stays NaN). A
# primitive of its own: as where(x > 0, g, 0) NumPy runs it ~20x slower (a branch per element).
RELU_GRAD = defprim("ReluGrad", _relu_grad_forward,
                    vjp=lambda h, out, g, x: (relu_grad(h, x), None),
                    shape=rules.elementwise("ReluGrad"), inputs=("gradients", "features"),
                    elementwise=True)
# The gradient reads the output (out > 0 exactly where x > 0, NaN included), as TensorFlow's
# does: compiled code then needs no buffer for x, and relu can overwrite it in place.
RELU = _unary("Relu", lambda xp, x: xp.maximum(x, 0), accepts="numeric",
              vjp=lambda g, out, x: (relu_grad(g, out),))


def relu_grad(g: Tensor, x: Tensor) -> Tensor:
    """The gradient of relu at ``x`` for output gradient ``g``: ``g * (x > 0)``."""
    return bind(RELU_GRAD, g, x)
LEAKY_RELU = _unary("LeakyRelu", _leaky_relu,
                    vjp=lambda g, out, x, alpha: (where(x > 0, g, g * alpha),))
ELU = _unary("Elu", _elu, vjp=lambda g, out, x, alpha: (where(x > 0, g, g * (out + alpha)),))
FLOOR = _unary("Floor", None, ufunc="floor")
CEIL = _unary("Ceil", None, ufunc="ceil")
ROUND = _unary("Round", None, ufunc="rint")
LOGICAL_NOT = _unary("LogicalNot", None, ufunc="invert", accepts=INTEGER)
IS_FINITE = defprim("IsFinite", lambda xp, x: xp.isfinite(x),
                    shape=rules.fixed_dtype(_dt.bool_), ufunc="isfinite")
IS_NAN = defprim("IsNan", lambda xp, x: xp.isnan(x), shape=rules.fixed_dtype(_dt.bool_),
                 ufunc="isnan")


def negative(x: Any, name: str | None = None) -> Tensor:
    """``-x`` elementwise."""
    return bind(NEG, x, name=name)


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 (the API's name)
    """``|x|`` elementwise."""
    return bind(ABS, x, name=name)


def sign(x: Any, name: str | None = None) -> Tensor:
    """-1, 0 or 1 by the sign of each element (no gradient)."""
    return bind(SIGN, x, name=name)


def sqrt(x: Any, name: str | None = None) -> Tensor:
    """Square root, elementwise."""
    return bind(SQRT, x, name=name)


def rsqrt(x: Any, name: str | None = None) -> Tensor:
    """``1 / sqrt(x)``, elementwise."""
    return bind(RSQRT, x, name=name)


def square(x: Any, name: str | None = None) -> Tensor:
    """``x * x``, elementwise."""
    return bind(SQUARE, x, name=name)


def exp(x: Any, name: str | None = None) -> Tensor:
    """``e ** x``, elementwise.

    Example:
        >>> lm.exp(0.0).numpy()
        1.0
    """
    return bind(EXP, x, name=name)


def log(x: Any, name: str | None = None) -> Tensor:
    """Natural logarithm, elementwise."""
    return bind(LOG, x, name=name)


def log1p(x: Any, name: str | None = None) -> Tensor:
    """``log(1 + x)``, accurate for small ``x``."""
    return bind(LOG1P, x, name=name)


def expm1(x: Any, name: str | None = None) -> Tensor:
    """``exp(x) - 1``, accurate for small ``x``."""
    return bind(EXPM1, x, name=name)


def sin(x: Any, name: str | None = None) -> Tensor:
    return bind(SIN, x, name=name)


def cos(x: Any, name: str | None = None) -> Tensor:
    return bind(COS, x, name=name)


def tanh(x: Any, name: str | None = None) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return bind(TANH, x, name=name)


def sigmoid(x: Any, name: str | None = None) -> Tensor:
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    Example:
        >>> lm.sigmoid(0.0).numpy()
        0.5
    """
    return bind(SIGMOID, x, name=name)


def relu(x: Any, name: str | None = None) -> Tensor:
    """``max(x, 0)``, elementwise."""
    return bind(RELU, x, name=name)


def leaky_relu(x: Any, alpha: float = 0.01, name: str | None = None) -> Tensor:
    """``x`` where positive, ``alpha * x`` elsewhere.

    Example:
        >>> lm.leaky_relu([-1.0, 2.0]).numpy()
        array([-0.01,  2.  ], dtype=float32)
    """
    return bind(LEAKY_RELU, x, alpha=float(alpha), name=name)


def elu(x: Any, alpha: float = 1.0, name: str | None = None) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return bind(ELU, x, alpha=float(alpha), name=name)


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def selu(x: Any, name: str | None = None) -> Tensor:
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def erf(x: Any, name: str | None = None) -> Tensor:
    """The Gauss error function, elementwise."""
    return bind(ERF, x, name=name)


def gelu(x: Any, approximate: bool = False, name: str | None = None) -> Tensor:
    """Gaussian error linear unit: ``x * P(X <= x)`` for standard normal X.

    ``approximate=True`` uses the tanh approximation.
    """
    x = _as_float(x)
    if approximate:
        inner = np.sqrt(2 / np.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + tanh(inner))
    return 0.5 * x * (1 + erf(x * (1 / np.sqrt(2))))


def softplus(x: Any, name: str | None = None) -> Tensor:
    """``log(1 + exp(x))``, computed without overflow."""
    return bind(SOFTPLUS, x, name=name)


def softsign(x: Any, name: str | None = None) -> Tensor:
    """``x / (1 + |x|)``."""
    x = _as_float(x)
    return x / (1 + abs(x))


def silu(x: Any, name: str | None = None) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    x = _as_float(x)
    return x * sigmoid(x)


swish = silu


def floor(x: Any, name: str | None = None) -> Tensor:
    return bind(FLOOR, x, name=name)


def ceil(x: Any, name: str | None = None) -> Tensor:
    return bind(CEIL, x, name=name)


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """Rounds half to even, elementwise."""
    return bind(ROUND, x, name=name)


def logical_not(x: Any, name: str | None = None) -> Tensor:
    """``~x`` for bool tensors (bitwise for integers)."""
    return bind(LOGICAL_NOT, x, name=name)


def is_finite(x: Any, name: str | None = None) -> Tensor:
    return bind(IS_FINITE, x, name=name)


def is_nan(x: Any, name: str | None = None) -> Tensor:
    return bind(IS_NAN, x, name=name)


def _as_float(x: Any) -> Tensor:
    """``x`` as a float tensor (ints and bools become float32, as Keras does)."""
    from ..tensor import convert
    if STATE.graph is not None and not isinstance(x, Tensor):
        x = STATE.graph.capture(x)
    t = x if isinstance(x, Tensor) else convert(x)
    return t if t._dtype.is_floating else cast(t, _dt.float32)


# ---- selection ----------------------------------------------------------------------------
def _where_rule(c: Aval, x: Aval, y: Aval) -> Aval:
    return Aval(rules.broadcast_shapes(c.shape, x.shape, y.shape, op="Select"), x.dtype)


def _where_vjp(g, out, c, x, y):
    zero = zeros_like_scalar(g)
    return (None, sum_to_like(where(c, g, zero), x), sum_to_like(where(c, zero, g), y))


WHERE = defprim("Select", lambda xp, c, x, y: xp.where(c, x, y), vjp=_where_vjp,
                shape=_where_rule, inputs=("condition", "x", "y"), promote=(1, 2),
                elementwise=True)


def where(condition: Any, x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elements of ``x`` where ``condition`` is true, else of ``y`` (all broadcast).

    Example:
        >>> lm.where([True, False], 1.0, 0.0).numpy()
        array([1., 0.], dtype=float32)
    """
    if not (isinstance(condition, Tensor) and condition._dtype is _dt.bool_):
        condition = cast(condition, _dt.bool_)
    return bind(WHERE, condition, x, y, name=name)


def clip(x: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None) -> Tensor:
    """Limits values to ``[clip_value_min, clip_value_max]`` (gradient 0 outside).

    Example:
        >>> lm.clip([-2.0, 0.5, 3.0], 0.0, 1.0).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """
    return minimum(maximum(x, clip_value_min), clip_value_max)


clip_by_value = clip


def zeros_like_scalar(x: Tensor) -> Tensor:
    """A 0-d zero of ``x``'s dtype (broadcasts where a zeros_like would)."""
    return _scalar(0, x)


def ones_like_scalar(x: Tensor) -> Tensor:
    return _scalar(1, x)


def _scalar(value: float, like: Tensor) -> Tensor:
    if STATE.graph is not None:
        return STATE.graph.capture(np.asarray(value, like._dtype.np), "Const")
    return _wrap(like._device.xp.asarray(value, dtype=like._dtype.np), like._dtype,
                 like._device)


# ---- reductions ---------------------------------------------------------------------------
def _expand_reduced(g: Tensor, x: Tensor, axis: tuple, keepdims: bool) -> Tensor:
    """The gradient of a reduction, broadcast back over the reduced axes of ``x``."""
    from .shape import expand_dims
    if not keepdims:
        for a in axis:
            g = expand_dims(g, a)
    return broadcast_like(g, x)


def _count(out: Tensor, x: Tensor) -> Any:
    """How many elements of ``x`` went into each element of ``out`` (a number if known)."""
    if _static(x.shape) and _static(out.shape):
        return builtins.max(int(np.prod(x.shape)), 1) // builtins.max(int(np.prod(out.shape)), 1)
    from .shape import size
    return cast(size(x), x.dtype) / cast(size(out), x.dtype)


def _sum_vjp(g, out, x, axis, keepdims):
    return (_expand_reduced(g, x, axis, keepdims),)


def _mean_vjp(g, out, x, axis, keepdims):
    return (_expand_reduced(g, x, axis, keepdims) / _count(out, x),)


def _extreme_vjp(g, out, x, axis, keepdims):
    # Ties share the gradient equally (as TensorFlow does).
    hit = cast(equal(x, _expand_reduced(out, x, axis, keepdims)), g.dtype)
    ties = sum(hit, axis, keepdims=True)
    return (_expand_reduced(g, x, axis, keepdims) * hit / ties,)


def _prod_vjp(g, out, x, axis, keepdims):
    # d prod / d x_i = product of the others; exact when the slice holds zeros.
    is_zero = equal(x, 0)
    nonzero = where(is_zero, ones_like_scalar(x), x)
    p = prod(nonzero, axis, keepdims=True)
    zeros = sum(cast(is_zero, x.dtype), axis, keepdims=True)
    others = where(equal(zeros, 0), p / nonzero,
                   where(logical_and(equal(zeros, 1), is_zero), p, zeros_like_scalar(x)))
    return (_expand_reduced(g, x, axis, keepdims) * others,)


def _reducer(name: str, fn: str, vjp=None, dtype=None, accepts="numeric"):
    keep_dtype = fn in ("sum", "prod")  # NumPy would widen small integers to int64

    def forward(xp, x, axis, keepdims):
        if keep_dtype:
            return xp.asarray(getattr(xp, fn)(x, axis=axis, keepdims=keepdims, dtype=x.dtype))
        return xp.asarray(getattr(xp, fn)(x, axis=axis, keepdims=keepdims))
    return defprim(name, forward, vjp=vjp, shape=rules.reduction(name, dtype), accepts=accepts)


def _mean_forward(xp, x, axis, keepdims):
    return xp.asarray(xp.mean(x, axis=axis, keepdims=keepdims, dtype=x.dtype))


SUM = _reducer("Sum", "sum", _sum_vjp)
MEAN = defprim("Mean", _mean_forward, vjp=_mean_vjp, shape=rules.reduction("Mean"),
               accepts=FLOAT)
MAX = _reducer("Max", "max", _extreme_vjp)
MIN = _reducer("Min", "min", _extreme_vjp)
PROD = _reducer("Prod", "prod", _prod_vjp)
ALL = _reducer("All", "all", dtype=_dt.bool_, accepts=INTEGER)
ANY = _reducer("Any", "any", dtype=_dt.bool_, accepts=INTEGER)


def _reduce(prim, x, axis, keepdims, name):
    if STATE.graph is not None and not isinstance(x, Tensor):
        x = STATE.graph.capture(x)
    from ..tensor import convert
    t = x if isinstance(x, Tensor) else convert(x)
    ndim = t.ndim
    axes = rules.normalize_axes(axis, ndim, prim.name)
    if prim.name in ("Sum", "Prod") and t._dtype is _dt.bool_:
        t = cast(t, _dt.int32)
    return bind(prim, t, axis=axes, keepdims=bool(keepdims), name=name)


def sum(x: Any, axis: Any = None, keepdims: bool = False,  # noqa: A001
        name: str | None = None) -> Tensor:
    """Sum over ``axis`` (an int, a tuple of ints, or None for all axes).

    Example:
        >>> lm.sum([[1, 2], [3, 4]], axis=0).numpy()
        array([4, 6], dtype=int32)
    """
    return _reduce(SUM, x, axis, keepdims, name)


def mean(x: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Arithmetic mean over ``axis``; integer inputs give float32 (as Keras does)."""
    return _reduce(MEAN, x, axis, keepdims, name)


def max(x: Any, axis: Any = None, keepdims: bool = False,  # noqa: A001
        name: str | None = None) -> Tensor:
    """Largest element over ``axis``; tied maxima share the gradient."""
    return _reduce(MAX, x, axis, keepdims, name)


def min(x: Any, axis: Any = None, keepdims: bool = False,  # noqa: A001
        name: str | None = None) -> Tensor:
    """Smallest element over ``axis``; tied minima share the gradient."""
    return _reduce(MIN, x, axis, keepdims, name)


def prod(x: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Product over ``axis`` (its gradient is exact even with zeros)."""
    return _reduce(PROD, x, axis, keepdims, name)


def all(x: Any, axis: Any = None, keepdims: bool = False,  # noqa: A001
        name: str | None = None) -> Tensor:
    """True where every element over ``axis`` is true."""
    return _reduce(ALL, x, axis, keepdims, name)


def any(x: Any, axis: Any = None, keepdims: bool = False,  # noqa: A001
        name: str | None = None) -> Tensor:
    """True where some element over ``axis`` is true."""
    return _reduce(ANY, x, axis, keepdims, name)


def var(x: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Population variance over ``axis`` (divides by N)."""
    x = _as_float(x)
    centered = x - mean(x, axis, keepdims=True)
    return mean(centered * centered, axis, keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Population standard deviation over ``axis``."""
    return sqrt(var(x, axis, keepdims))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False,
              name: str | None = None) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, without overflow for large ``x``.

    Example:
        >>> lm.logsumexp([1e4, 1e4]).numpy()   # 1e4 + log 2
        10000.693
    """
    x = _as_float(x)
    top = stop_gradient(max(x, axis, keepdims=True))
    top = where(is_finite(top), top, zeros_like_scalar(top))
    out = log(sum(exp(x - top), axis, keepdims=True)) + top
    if keepdims:
        return out
    from .shape import squeeze
    axes = rules.normalize_axes(axis, x.ndim, "logsumexp")
    return squeeze(out, axes) if axes else out


def _arg_forward(fn):
    def forward(xp, x, axis, output_type):
        return getattr(xp, fn)(x, axis=axis).astype(output_type.np)
    return forward


def _arg_rule(x: Aval, axis: int, output_type: _dt.DType) -> Aval:
    return Aval(tuple(d for i, d in enumerate(x.shape) if i != axis), output_type)


ARGMAX = defprim("ArgMax", _arg_forward("argmax"), shape=_arg_rule)
ARGMIN = defprim("ArgMin", _arg_forward("argmin"), shape=_arg_rule)


def _arg(prim, x, axis, output_type, name):
    from ..tensor import convert
    t = x if isinstance(x, Tensor) else convert(x)
    if t.ndim == 0:
        raise ValueError(f"{prim.name} needs a tensor of rank >= 1, received a scalar.")
    axis = rules.normalize_axis(0 if axis is None else axis, t.ndim, prim.name)
    return bind(prim, t, axis=axis, output_type=_dt.as_dtype(output_type), name=name)


def argmax(x: Any, axis: int | None = None, output_type: Any = "int64",
           name: str | None = None) -> Tensor:
    """Index of the largest element along ``axis`` (default 0, as in TensorFlow)."""
    return _arg(ARGMAX, x, axis, output_type, name)


def argmin(x: Any, axis: int | None = None, output_type: Any = "int64",
           name: str | None = None) -> Tensor:
    """Index of the smallest element along ``axis`` (default 0, as in TensorFlow)."""
    return _arg(ARGMIN, x, axis, output_type, name)
