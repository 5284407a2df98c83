"""Models: Sequential, functional and subclassed (``lm.Model``), and loading saved ones."""
from .functional import Input, InputLayer, KerasTensor
from .model import Functional, Model
from .sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True):
    """Loads a model saved with ``model.save`` (a ``.lamina`` file)."""
    from ..saving import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile)


__all__ = ["Input", "InputLayer", "KerasTensor", "Model", "Functional", "Sequential",
           "load_model"]
