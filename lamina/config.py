"""Process-wide settings (``lm.config``): numerics switches of the backends.

``lm.config.set_tf32(True)`` lets NVIDIA GPUs compute float32 matrix products in
TensorFloat-32 (off by default). TensorFlow's spellings are kept under ``experimental``.
"""
from __future__ import annotations

from types import SimpleNamespace

from .backends.cupy_backend import set_tf32, tf32_enabled

__all__ = ["set_tf32", "tf32_enabled", "experimental"]

# tf.config.experimental.enable_tensor_float_32_execution / ..._enabled, for TensorFlow users.
experimental = SimpleNamespace(enable_tensor_float_32_execution=set_tf32,
                               tensor_float_32_execution_enabled=tf32_enabled)
