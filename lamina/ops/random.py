"""Random numbers (``lm.random``): seed, normal, uniform, truncated_normal, bernoulli,
categorical, shuffle, and the Generator they draw from.

Every draw is a stateful primitive: its attributes hold the shape, the dtype and the
:class:`Generator`, so a graph or a compiled function draws new numbers each time it runs and
no pass may fold or merge it. Numbers come from NumPy's PCG64 on the CPU; on a GPU they come
from CuPy's generator, seeded from the PCG64 stream (so they are reproducible too, but differ
from the CPU's).

Seeds follow TensorFlow: ``lm.random.seed(n)`` fixes the global generator, so the same calls
give the same numbers afterwards; a draw given ``seed=s`` uses its own stream, fixed by the
global seed and ``s`` together.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor
from . import rules
from .math import _as_float, cast, less
from .registry import ANY, Aval, bind, defprim
from .shape import _as_tensor

__all__ = [
    "seed",
    "set_seed",
    "normal",
    "uniform",
    "truncated_normal",
    "bernoulli",
    "categorical",
    "shuffle",
    "Generator",
]

# The global seed TensorFlow falls back to when only an op-level seed is given.
_DEFAULT_GLOBAL_SEED = 87654321


class Generator:
    """A stream of random numbers: NumPy's PCG64 on the CPU, CuPy's generator on a GPU.

    Args:
        seed: an int makes the stream reproducible; None seeds it from the OS.

    Example:
        >>> g = lm.random.Generator(42)
        >>> g.normal((2, 3)).shape
        (2, 3)
    """

    def __init__(self, seed: int | None = None):
        self._local = threading.local()      # a thread's stream in place of the CPU one
        self.reset_from_seed(seed)

    @classmethod
    def from_seed(cls, seed: int | None) -> "Generator":
        """A new generator seeded with ``seed`` (TensorFlow's spelling)."""
        return cls(seed)

    def reset_from_seed(self, seed: int | None) -> None:
        """Restarts the stream from ``seed``, in place: graphs holding this generator follow."""
        if seed is not None:
            seed = _check_seed(seed)
        if getattr(self._local, "np", None) is not None:
            # inside _thread_seeded: reseed this thread's stream, as the block promises to
            # leave the generator's own stream (and other threads) alone
            self._local.np = np.random.Generator(np.random.PCG64(seed))
            return
        self.seed = seed
        self._np = np.random.Generator(np.random.PCG64(seed))
        self._gpu: dict[int, Any] = {}

    def __repr__(self) -> str:
        return f"<lamina.random.Generator seed={self.seed}>"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_local"]            # per thread: not part of the stream
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    @contextlib.contextmanager
    def _thread_seeded(self, seed: int) -> Iterator["Generator"]:
        """Runs the block with this generator's CPU draws, in this thread only, coming from a
        fresh stream started from ``seed``; the generator's own stream, and other threads'
        draws, are left as they were. Compiled code holding the generator follows too (the
        estimators' reproducible fits: ``wrappers/_network.seeded_global_stream``)."""
        saved = getattr(self._local, "np", None)
        self._local.np = np.random.Generator(np.random.PCG64(_check_seed(seed)))
        try:
            yield self
        finally:
            self._local.np = saved

    def source(self, xp: Any) -> Any:
        """The backend generator for ``xp``: the PCG64 Generator (this thread's, inside
        :meth:`_thread_seeded`), or a CuPy RandomState for the current GPU, seeded from this stream
        the first time it is needed."""
        if xp is np:
            local = getattr(self._local, "np", None)
            return self._np if local is None else local
        device = xp.cuda.Device().id
        state = self._gpu.get(device)
        if state is None:
            state = xp.random.RandomState(int(self._np.integers(2 ** 63)))
            self._gpu[device] = state
        return state

    # ---- draws: the module-level functions, on this generator -----------------------------
    def normal(self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = "float32",
               name: str | None = None) -> Tensor:
        """Samples of a normal distribution (see :func:`lamina.random.normal`)."""
        dt = _float_dtype(dtype, "normal")
        z = bind(STANDARD_NORMAL, shape=rules.static_shape(shape, "random draw"), dtype=dt, generator=self,
                 name=name)
        return _scale_shift(z, stddev, mean)

    def truncated_normal(self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
                         dtype: Any = "float32", name: str | None = None) -> Tensor:
        """Normal samples re-drawn until within 2 stddev of the mean."""
        dt = _float_dtype(dtype, "truncated_normal")
        z = bind(TRUNCATED_NORMAL, shape=rules.static_shape(shape, "random draw"), dtype=dt, generator=self,
                 name=name)
        return _scale_shift(z, stddev, mean)

    def uniform(self, shape: Any, minval: Any = 0.0, maxval: Any = None,
                dtype: Any = "float32", name: str | None = None) -> Tensor:
        """Uniform samples in ``[minval, maxval)`` (see :func:`lamina.random.uniform`)."""
        dt = _dt.as_dtype(dtype)
        shape = rules.static_shape(shape, "random draw")
        if dt.is_integer:
            low, high = _int_bounds(minval, maxval)
            return bind(UNIFORM_INT, shape=shape, dtype=dt, minval=low, maxval=high,
                        generator=self, name=name)
        if not dt.is_floating:
            raise TypeError(f"uniform: expected a float or integer dtype, received {dt.name}.")
        u = bind(UNIFORM, shape=shape, dtype=dt, generator=self, name=name)
        maxval = 1.0 if maxval is None else maxval
        if _is_number(minval, 0) and _is_number(maxval, 1):
            return u
        return u * (_as_float_like(maxval, dt) - _as_float_like(minval, dt)) + minval

    def bernoulli(self, shape: Any, p: Any = 0.5, dtype: Any = "float32",
                  name: str | None = None) -> Tensor:
        """1 with probability ``p``, else 0."""
        if isinstance(p, (int, float)) and not 0 <= p <= 1:
            raise ValueError(f"bernoulli: p must be in [0, 1], received {p}.")
        u = bind(UNIFORM, shape=rules.static_shape(shape, "random draw"), dtype=_dt.float32, generator=self)
        return cast(less(u, p), _dt.as_dtype(dtype), name=name)

    def categorical(self, logits: Any, num_samples: int, dtype: Any = "int64",
                    name: str | None = None) -> Tensor:
        """Class indices drawn from unnormalized log-probabilities (see
        :func:`lamina.random.categorical`)."""
        t = _as_float(logits)
        if t.ndim != 2:
            raise ValueError(f"categorical: expected logits of shape (batch, classes), "
                             f"received shape {t.shape}.")
        if not isinstance(num_samples, (int, np.integer)) or num_samples < 0:
            raise ValueError(f"categorical: num_samples must be an int >= 0, received "
                             f"{num_samples!r}.")
        dt = _dt.as_dtype(dtype)
        if not dt.is_integer:
            raise TypeError(f"categorical: dtype must be an integer type, received {dt.name}.")
        return bind(CATEGORICAL, t, num_samples=int(num_samples), dtype=dt, generator=self,
                    name=name)

    def shuffle(self, value: Any, name: str | None = None) -> Tensor:
        """``value`` with its first dimension randomly permuted."""
        t = _as_tensor(value)
        if t.ndim == 0:
            raise ValueError("shuffle: expected a tensor of rank >= 1, received a scalar.")
        return bind(SHUFFLE, t, generator=self, name=name)


# ---- the global stream and op-level seeds ----------------------------------------------------
_GLOBAL = Generator()
_GLOBAL_SEED: list[int | None] = [None]
_OP_STREAMS: dict[int, Generator] = {}


def seed(n: int) -> None:
    """Seeds the global generator (and every op-level stream), so that the same calls give
    the same numbers afterwards, in eager code, graphs and compiled functions alike.

    Example:
        >>> lm.random.seed(3); a = lm.random.normal((2,))
        >>> lm.random.seed(3); b = lm.random.normal((2,))   # b equals a
    """
    n = _check_seed(n)
    _GLOBAL_SEED[0] = n
    _GLOBAL.reset_from_seed(n)
    for op_seed, gen in _OP_STREAMS.items():
        gen.reset_from_seed(_mix(n, op_seed))


set_seed = seed


def _mix(global_seed: int | None, op_seed: int) -> int:
    base = _DEFAULT_GLOBAL_SEED if global_seed is None else global_seed
    return int(np.random.SeedSequence([base, op_seed]).generate_state(1, np.uint64)[0])


def generator_for(seed: int | None) -> Generator:
    """The generator a draw uses: the global one, or the stream of op-level seed ``seed``."""
    if seed is None:
        return _GLOBAL
    key = _check_seed(seed)
    gen = _OP_STREAMS.get(key)
    if gen is None:
        gen = Generator(_mix(_GLOBAL_SEED[0], key))
        _OP_STREAMS[key] = gen
    return gen


def _check_seed(n: Any) -> int:
    if isinstance(n, Tensor) and not n.is_symbolic:
        n = n.item()
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"Expected a seed that is a non-negative int, received {n!r}.")
    return int(n)


# ---- argument checks -------------------------------------------------------------------------
def _float_dtype(dtype: Any, op: str) -> _dt.DType:
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"{op}: expected a float dtype, received {dt.name}.")
    return dt


def _int_bounds(minval: Any, maxval: Any) -> tuple[int, int]:
    if maxval is None:
        raise ValueError("uniform: an integer dtype needs maxval (draws are in "
                         "[minval, maxval)).")
    low, high = (_known_scalar(v) for v in (minval, maxval))
    if not all(float(v).is_integer() for v in (low, high)):
        raise ValueError(f"uniform: integer draws need integer bounds, received "
                         f"minval={minval!r}, maxval={maxval!r}.")
    if low >= high:
        raise ValueError(f"uniform: expected minval < maxval, received minval={low}, "
                         f"maxval={high}.")
    return int(low), int(high)


def _known_scalar(v: Any) -> float:
    if isinstance(v, Tensor):
        v = rules.known_value(v, "random draw")
    return np.asarray(v).item()


def _is_number(v: Any, target: float) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == target


def _as_float_like(v: Any, dt: _dt.DType) -> Any:
    return v if isinstance(v, (int, float)) else cast(_as_tensor(v), dt)


def _scale_shift(z: Tensor, stddev: Any, mean: Any) -> Tensor:
    if not _is_number(stddev, 1):
        z = z * stddev
    if not _is_number(mean, 0):
        z = z + mean
    return z


# ---- primitives --------------------------------------------------------------------------------
def _draw_rule(shape: tuple, dtype: _dt.DType, generator: Generator, **attrs: Any) -> Aval:
    return Aval(shape, dtype)


def _standard_uniform(xp: Any, gen: Generator, shape: tuple, npdtype: np.dtype) -> Any:
    """Uniform floats in [0, 1), drawn in float32 or float64 and cast for other floats."""
    draw_dtype = npdtype if npdtype in (np.float32, np.float64) else np.dtype(np.float32)
    src = gen.source(xp)
    if xp is np:
        out = src.random(shape, dtype=draw_dtype)
    else:
        out = src.random_sample(shape, dtype=draw_dtype)
    return out.astype(npdtype, copy=False)


def _standard_normal(xp: Any, gen: Generator, shape: tuple, npdtype: np.dtype) -> Any:
    draw_dtype = npdtype if npdtype in (np.float32, np.float64) else np.dtype(np.float32)
    out = gen.source(xp).standard_normal(shape, dtype=draw_dtype)
    return out.astype(npdtype, copy=False)


def _uniform_forward(xp, shape, dtype, generator):
    return _standard_uniform(xp, generator, shape, dtype.np)


def _normal_forward(xp, shape, dtype, generator):
    return _standard_normal(xp, generator, shape, dtype.np)


def _truncated_forward(xp, shape, dtype, generator):
    # As TensorFlow: values beyond two standard deviations are drawn again.
    out = _standard_normal(xp, generator, shape, dtype.np)
    bad = xp.abs(out) > 2
    while bool(bad.any()):
        count = int(bad.sum())
        out[bad] = _standard_normal(xp, generator, (count,), dtype.np)
        bad = xp.abs(out) > 2
    return out


def _uniform_int_forward(xp, shape, dtype, minval, maxval, generator):
    src = generator.source(xp)
    if xp is np:
        return src.integers(minval, maxval, size=shape, dtype=dtype.np)
    return src.randint(minval, maxval, size=shape, dtype=dtype.np)


def _uniform_like_forward(xp, x, dtype, generator):
    return _standard_uniform(xp, generator, x.shape, dtype.np)


def _categorical_forward(xp, logits, num_samples, dtype, generator):
    # The Gumbel-max trick: argmax(logits + Gumbel noise) is a draw from softmax(logits).
    batch, classes = logits.shape
    u = _standard_uniform(xp, generator, (batch, num_samples, classes), np.dtype(np.float64))
    gumbel = -xp.log(-xp.log(xp.maximum(u, np.finfo(np.float64).tiny)))
    scores = logits[:, None, :].astype(np.float64) + gumbel
    return xp.argmax(scores, axis=-1).astype(dtype.np)


def _shuffle_forward(xp, x, generator):
    return x[generator.source(xp).permutation(x.shape[0])]


def _categorical_rule(logits: Aval, num_samples: int, dtype: _dt.DType, generator) -> Aval:
    return Aval((logits.shape[0], num_samples), dtype)


def _uniform_like_rule(x: Aval, dtype: _dt.DType, generator) -> Aval:
    return Aval(x.shape, dtype)


UNIFORM = defprim("RandomUniform", _uniform_forward, shape=_draw_rule, inputs=(),
                  stateful=True)
STANDARD_NORMAL = defprim("RandomStandardNormal", _normal_forward, shape=_draw_rule,
                          inputs=(), stateful=True)
TRUNCATED_NORMAL = defprim("TruncatedNormal", _truncated_forward, shape=_draw_rule,
                           inputs=(), stateful=True)
UNIFORM_INT = defprim("RandomUniformInt", _uniform_int_forward, shape=_draw_rule, inputs=(),
                      stateful=True)
# Draws shaped like a tensor known only at run time (dropout masks in graphs).
UNIFORM_LIKE = defprim("RandomUniformLike", _uniform_like_forward, shape=_uniform_like_rule,
                       promote=(), accepts=ANY, stateful=True)
CATEGORICAL = defprim("Multinomial", _categorical_forward, shape=_categorical_rule,
                      inputs=("logits",), stateful=True)
SHUFFLE = defprim("RandomShuffle", _shuffle_forward,
                  shape=lambda x, generator: Aval(x.shape, x.dtype), inputs=("value",),
                  promote=(), accepts=ANY, stateful=True)


def uniform_like(x: Tensor, dtype: _dt.DType, generator: Generator) -> Tensor:
    """Uniform [0, 1) samples of ``x``'s shape, taken when the op runs (for dropout)."""
    return bind(UNIFORM_LIKE, x, dtype=dtype, generator=generator)


# ---- the module-level API ----------------------------------------------------------------------
def normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = "float32",
           seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of a normal distribution.

    Args:
        shape: the output shape (ints in a tuple or list, or a 1-D int tensor).
        mean, stddev: the distribution's parameters (numbers or tensors that broadcast).
        dtype: a float dtype.
        seed: an op-level seed (see the module docstring).

    Example:
        >>> lm.random.normal((2, 3), stddev=0.1).shape
        (2, 3)
    """
    return generator_for(seed).normal(shape, mean, stddev, dtype, name)


def uniform(shape: Any, minval: Any = 0.0, maxval: Any = None, dtype: Any = "float32",
            seed: int | None = None, name: str | None = None) -> Tensor:
    """Uniform samples in ``[minval, maxval)`` (``maxval`` defaults to 1 for floats; integer
    dtypes need it and give integers).

    Example:
        >>> lm.random.uniform((4,), 0, 10, dtype="int32").dtype
        int32
    """
    return generator_for(seed).uniform(shape, minval, maxval, dtype, name)


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = "float32",
                     seed: int | None = None, name: str | None = None) -> Tensor:
    """Normal samples, re-drawn where they fall beyond two standard deviations (as
    TensorFlow's ``tf.random.truncated_normal``).

    Example:
        >>> bool(lm.all(lm.abs(lm.random.truncated_normal((100,))) <= 2))
        True
    """
    return generator_for(seed).truncated_normal(shape, mean, stddev, dtype, name)


def bernoulli(shape: Any, p: Any = 0.5, dtype: Any = "float32", seed: int | None = None,
              name: str | None = None) -> Tensor:
    """Ones with probability ``p``, zeros otherwise.

    Example:
        >>> lm.random.bernoulli((3,), p=1.0).numpy()
        array([1., 1., 1.], dtype=float32)
    """
    return generator_for(seed).bernoulli(shape, p, dtype, name)


def categorical(logits: Any, num_samples: int, dtype: Any = "int64", seed: int | None = None,
                name: str | None = None) -> Tensor:
    """For each row of ``logits`` (shape (batch, classes)), ``num_samples`` class indices
    drawn with probabilities ``softmax(row)``; the result has shape (batch, num_samples).

    Example:
        >>> lm.random.categorical([[0.0, -1e9]], 3).numpy()
        array([[0, 0, 0]])
    """
    return generator_for(seed).categorical(logits, num_samples, dtype, name)


def shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """``value`` with its first dimension randomly permuted (no gradient).

    Example:
        >>> sorted(lm.random.shuffle(lm.arange(4)).numpy().tolist())
        [0, 1, 2, 3]
    """
    return generator_for(seed).shuffle(value, name)
