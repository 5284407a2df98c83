"""lamina: a small, fast deep-learning stack on NumPy (CPU) and CuPy (NVIDIA GPU).

``import lamina as lm``. This module re-exports the public API (see docs/design.md for the
map of the package).
"""
from __future__ import annotations

__version__ = "0.1.0"

from .dtypes import (DType, bool_, float16, float32, float64, int8, int16, int32, int64,
                     uint8, as_dtype)
from .tensor import Tensor, Variable, tensor, constant
from .backends import Device, device, list_devices
from . import ops
from .ops.math import (add, subtract, multiply, divide, floor_divide, mod, pow, negative, abs,
                       sign, sqrt, rsqrt, square, exp, log, log1p, expm1, sin, cos, tanh,
                       sigmoid, relu, leaky_relu, elu, selu, gelu, softplus, softsign, silu,
                       swish, erf, maximum, minimum, clip, clip_by_value, where, cast, identity,
                       stop_gradient, equal, not_equal, less, less_equal, greater,
                       greater_equal, logical_and, logical_or, logical_xor, logical_not,
                       floor, ceil, round, is_finite, is_nan, sum, mean, max, min, prod, var,
                       std, logsumexp, argmax, argmin, all, any)
from .ops.shape import reshape, transpose, expand_dims, squeeze, size, shape
from .ops.linalg import matmul
from .ops.creation import (zeros, ones, full, zeros_like, ones_like, full_like, arange,
                           linspace, eye)
from .autodiff import GradientTape, grad, value_and_grad, no_grad, gradients
from .graph.ir import (Graph, Operation, get_default_graph, reset_default_graph,
                       disable_eager_execution, enable_eager_execution, executing_eagerly,
                       name_scope, placeholder, group, global_variables_initializer,
                       variables_initializer)

from .graph.session import Session

bool = bool_  # noqa: A001  (lm.bool, as in the API)
