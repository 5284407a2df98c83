"""Keras-style layers: ``lm.layers.Dense``, ``Conv2D``, ``LSTM``, ...

Each follows the lifecycle ``__init__`` (configuration) -> ``build`` (weights) -> ``call`` ->
``get_config``. See base.py for the Layer class.
"""
from .base import InputSpec, Layer
from .core import Dense
from .input_layer import Input, InputLayer

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense"]
