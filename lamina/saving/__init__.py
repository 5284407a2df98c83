"""Saving and loading models and weights, in lamina's own safe formats (never pickle).

* ``model.save("m.lamina")`` / ``lm.models.load_model("m.lamina")``: architecture, weights,
  compile config and optimizer state in one zip archive (model_io.py);
* ``model.save_weights("w.safetensors")`` / ``model.load_weights(...)``: weights only, in the
  safetensors format (safetensors.py; keys in weights.py);
* ``model_to_bytes`` / ``model_from_bytes``: the same archive in memory, which is how models
  pickle and ``copy.deepcopy`` (``Model.__reduce__``).

Every file is validated before use, and loading looks classes up only in lamina's registry.
"""
from .model_io import (load_model, load_weights, model_from_bytes, model_to_bytes, save_model,
                       save_weights)
from .safetensors import FileFormatError

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_to_bytes",
           "model_from_bytes", "FileFormatError"]
