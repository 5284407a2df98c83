"""The op library: the registry (registry.py), primitives grouped by theme, and composites.

Importing this package registers every primitive and attaches the Python operators to Tensor.
"""
from . import registry, rules, math, shape, creation, linalg, nn, pooling, random, indexing  # noqa
from . import rnn  # noqa
from . import operators

operators.install()
