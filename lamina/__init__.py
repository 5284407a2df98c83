"""lamina: a small, fast deep-learning stack on NumPy (CPU) and CuPy (NVIDIA GPU).

``import lamina as lm``. This module re-exports the public API (see docs/design.md for the
map of the package).
"""
from __future__ import annotations

__version__ = "0.1.0"

from ._blas import prefer_avx512_kernels as _prefer_avx512_kernels

_prefer_avx512_kernels()   # before NumPy loads OpenBLAS (see _blas.py)

from .dtypes import (DType, bool_, float16, float32, float64, int8, int16, int32, int64,
                     uint8, as_dtype)
from .tensor import Tensor, Variable, tensor, constant
from .backends import Device, device, list_devices
from . import config  # noqa: F401  (lm.config.set_tf32)
from . import ops
from .ops.math import *  # noqa: F401,F403  (each ops module lists its API in __all__)
from .ops.shape import *  # noqa: F401,F403
from .ops.creation import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops import nn, random  # noqa: F401  (lm.nn.*, lm.random.*)
from .autodiff import GradientTape, grad, value_and_grad, no_grad, gradients
from .graph.ir import (Graph, Operation, get_default_graph, reset_default_graph,
                       disable_eager_execution, enable_eager_execution, executing_eagerly,
                       name_scope, placeholder, group, global_variables_initializer,
                       variables_initializer)

from .graph.session import Session
from .graph.function import function
from . import optimizers, datasets  # noqa: F401  (lm.optimizers.*, lm.datasets.*)
from . import (activations, callbacks, constraints, initializers, layers, losses, metrics,
               models, regularizers, saving, utils, wrappers)  # noqa: F401
from .models import Input, Model, Sequential  # noqa: F401

bool = bool_  # noqa: A001  (lm.bool, as in the API)
