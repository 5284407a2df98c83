"""Weight initializers (Keras names and defaults): ``lm.initializers.get("he_normal")``.

An initializer is called as ``init(shape, dtype)`` and returns a NumPy array. Draws come from
lamina's global random stream (``lm.utils.set_random_seed`` makes them reproducible); an
initializer given ``seed=`` returns the same values on every call, as in Keras.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from . import serialization

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
           "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "get",
           "serialize", "deserialize"]


class Initializer:
    """Base class: ``__call__(shape, dtype)`` -> array, plus ``get_config``."""

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


class _Seeded(Initializer):
    def __init__(self, seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an int or None, received {seed!r}.")
        self.seed = seed

    def rng(self) -> np.random.Generator:
        """A fresh stream for a seeded initializer (same values each call), else the
        global one."""
        if self.seed is not None:
            return np.random.default_rng(self.seed)
        from .ops.random import generator_for
        return generator_for(None).source(np)

    def get_config(self) -> dict:
        return {"seed": self.seed}


@serialization.register("initializer")
class Zeros(Initializer):
    def __call__(self, shape, dtype="float32"):
        return np.zeros(tuple(shape), dtype=np.dtype(str(dtype)))


@serialization.register("initializer")
class Ones(Initializer):
    def __call__(self, shape, dtype="float32"):
        return np.ones(tuple(shape), dtype=np.dtype(str(dtype)))


@serialization.register("initializer")
class Constant(Initializer):
    def __init__(self, value: float = 0.0):
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return np.full(tuple(shape), self.value, dtype=np.dtype(str(dtype)))

    def get_config(self) -> dict:
        return {"value": self.value}


@serialization.register("initializer")
class RandomNormal(_Seeded):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return self.rng().normal(self.mean, self.stddev, tuple(shape)).astype(str(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@serialization.register("initializer")
class RandomUniform(_Seeded):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype="float32"):
        return self.rng().uniform(self.minval, self.maxval, tuple(shape)).astype(str(dtype))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def _truncated(rng: np.random.Generator, shape: tuple, stddev: float) -> np.ndarray:
    """Normal draws redrawn until within two standard deviations."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out * stddev


@serialization.register("initializer")
class TruncatedNormal(_Seeded):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return (_truncated(self.rng(), tuple(shape), self.stddev) + self.mean).astype(str(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


def _fans(shape: tuple) -> tuple[float, float]:
    """fan_in and fan_out, counting the receptive field of convolution kernels."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    field = float(np.prod(shape[:-2]))
    return shape[-2] * field, shape[-1] * field


@serialization.register("initializer")
class VarianceScaling(_Seeded):
    """Draws with variance ``scale / n`` (n: fan_in, fan_out or their mean)."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"scale must be positive, received {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', received "
                             f"{mode!r}.")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("distribution must be 'truncated_normal', 'untruncated_normal' or "
                             f"'uniform', received {distribution!r}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype="float32"):
        shape = tuple(shape)
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self.rng()
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a standard normal truncated to [-2, 2].
            values = _truncated(rng, shape, math.sqrt(variance) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(str(dtype))

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


def _variant(name: str, scale: float, mode: str, distribution: str) -> type:
    def __init__(self, seed: int | None = None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}

    cls = type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                          "__doc__": f"VarianceScaling(scale={scale}, "
                                                     f"mode={mode!r}, "
                                                     f"distribution={distribution!r})."})
    return serialization.register("initializer")(cls)


GlorotUniform = _variant("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variant("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _variant("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variant("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _variant("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variant("LecunNormal", 1.0, "fan_in", "truncated_normal")


@serialization.register("initializer")
class Orthogonal(_Seeded):
    """A (scaled) orthogonal matrix, from the QR decomposition of a normal draw."""

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of rank >= 2, received {shape}.")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = self.rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))          # a uniformly distributed orthogonal matrix
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(str(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain, **super().get_config()}


@serialization.register("initializer")
class Identity(Initializer):
    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape, received {shape}.")
        return (self.gain * np.eye(*shape)).astype(str(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


_ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
            "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
            "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
            "orthogonal": Orthogonal, "identity": Identity,
            "uniform": RandomUniform, "normal": RandomNormal}  # Keras's short names


def get(identifier: Any) -> Initializer:
    """An initializer from a name, a config dict, an instance or a callable.

    Example:
        >>> lm.initializers.get("he_normal")
        HeNormal({'seed': None})
    """
    return serialization.get("initializer", identifier, Initializer, _ALIASES,
                             "a name such as 'glorot_uniform', a config dict or an Initializer")


def serialize(initializer: Initializer) -> dict:
    return serialization.serialize(initializer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Initializer:
    return serialization.deserialize("initializer", config, custom_objects)
