"""Keras-style layers: ``lm.layers.Dense``, ``Conv2D``, ``LSTM``, ...

Each follows the lifecycle ``__init__`` (configuration) -> ``build`` (weights) -> ``call`` ->
``get_config``; see base.py. Each module lists its layers in ``__all__``.
"""
from .base import InputSpec, Layer
from .input_layer import Input, InputLayer
from .core import *  # noqa: F401,F403
from .activation_layers import *  # noqa: F401,F403
from .merging import *  # noqa: F401,F403
from .reshaping import *  # noqa: F401,F403
from .convolutional import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
