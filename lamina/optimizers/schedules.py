"""Learning-rate schedules: functions of the optimizer step that give the learning rate.

Pass one as an optimizer's ``learning_rate``; the optimizer calls it with its ``iterations``
counter before every update. Schedules are written in lamina ops, so the same schedule works
eagerly, in a TensorFlow-1 graph and inside a traced ``lm.function``. Names, arguments and
formulas follow ``keras.optimizers.schedules``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from .. import serialization
from ..ops.math import cast, cos, floor, minimum, pow, where
from ..tensor import Tensor, convert

# The kind schedules register under in lamina.serialization (it also names them in errors).
_KIND = "learning rate schedule"

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "CosineDecay",
    "PiecewiseConstantDecay",
    "serialize",
    "deserialize",
]


def _number(value: Any, what: str, owner: str) -> float:
    """``value`` as a Python float, or a TypeError naming the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{owner}: `{what}` must be a number, received {value!r} "
                        f"of type {type(value).__name__}.")
    return float(value)


def _positive_steps(value: Any, what: str, owner: str) -> Any:
    if _number(value, what, owner) <= 0:
        raise ValueError(f"{owner}: argument `{what}` must be > 0. Received: {what}={value}")
    return value


def _step_as_float(step: Any) -> Tensor:
    """The step (a Python int, an int Variable or tensor) as a float32 tensor."""
    if not isinstance(step, Tensor):
        step = convert(step)
    return cast(step, _dt.float32)


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement ``__call__(step)`` (``step`` is the optimizer's int64 ``iterations``
    counter, or any integer) returning the learning rate as a scalar tensor, and
    ``get_config()`` returning the constructor arguments so ``from_config`` can rebuild them.

    Example:
        >>> class InverseTime(lm.optimizers.schedules.LearningRateSchedule):
        ...     def __init__(self, initial):
        ...         self.initial = initial
        ...     def __call__(self, step):
        ...         return self.initial / (lm.cast(step, "float32") + 1.0)
        ...     def get_config(self):
        ...         return {"initial": self.initial}
        >>> opt = lm.optimizers.SGD(learning_rate=InverseTime(0.1))
    """

    def __call__(self, step: Any) -> Tensor:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        """Rebuilds a schedule from the dict ``get_config()`` returned."""
        return cls(**config)


@serialization.register(_KIND)
class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: the number of steps over which the rate is multiplied by
            ``decay_rate`` once (must be > 0).
        decay_rate: the factor applied every ``decay_steps`` steps.
        staircase: decay in whole steps (``step // decay_steps``) instead of smoothly.
        name: a name for the schedule.

    Example:
        >>> sched = lm.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10,
        ...                                                  decay_rate=0.5)
        >>> float(sched(10))
        0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay"):
        owner = type(self).__name__
        _number(initial_learning_rate, "initial_learning_rate", owner)
        _positive_steps(decay_steps, "decay_steps", owner)
        _number(decay_rate, "decay_rate", owner)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        p = _step_as_float(step) / float(self.decay_steps)
        if self.staircase:
            p = floor(p)
        return float(self.initial_learning_rate) * pow(float(self.decay_rate), p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@serialization.register(_KIND)
class CosineDecay(LearningRateSchedule):
    """An optional linear warmup, then a cosine decay to ``alpha`` times the peak rate.

    Without ``warmup_target`` the rate decays from ``initial_learning_rate`` to
    ``initial_learning_rate * alpha`` over ``decay_steps`` steps and then stays there. With
    it, the rate first rises linearly from ``initial_learning_rate`` to ``warmup_target``
    over ``warmup_steps`` steps, then decays from ``warmup_target`` over ``decay_steps``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: the length of the decay phase (must be > 0).
        alpha: the final rate as a fraction of the rate the decay starts from.
        name: a name for the schedule.
        warmup_target: the rate reached at the end of warmup (None: no warmup).
        warmup_steps: the length of the warmup phase.

    Example:
        >>> sched = lm.optimizers.schedules.CosineDecay(0.1, decay_steps=100)
        >>> round(float(sched(50)), 6)
        0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0):
        owner = type(self).__name__
        _number(initial_learning_rate, "initial_learning_rate", owner)
        _positive_steps(decay_steps, "decay_steps", owner)
        _number(alpha, "alpha", owner)
        if warmup_target is not None:
            _number(warmup_target, "warmup_target", owner)
        if _number(warmup_steps, "warmup_steps", owner) < 0:
            raise ValueError(f"{owner}: argument `warmup_steps` must be >= 0. Received: "
                             f"warmup_steps={warmup_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step: Tensor, peak: float) -> Tensor:
        fraction = step / float(self.decay_steps)
        cosine = 0.5 * (1.0 + cos(math.pi * fraction))
        alpha = float(self.alpha)
        return peak * ((1.0 - alpha) * cosine + alpha)

    def __call__(self, step: Any) -> Tensor:
        step = _step_as_float(step)
        initial = float(self.initial_learning_rate)
        if self.warmup_target is None:
            return self._decay(minimum(step, float(self.decay_steps)), initial)
        target = float(self.warmup_target)
        warmup = float(self.warmup_steps)
        step = minimum(step, float(self.decay_steps) + warmup)
        decayed = self._decay(step - warmup, target)
        if warmup == 0:
            return decayed
        warmed = (target - initial) * (step / warmup) + initial
        return where(step < warmup, warmed, decayed)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@serialization.register(_KIND)
class PiecewiseConstantDecay(LearningRateSchedule):
    """A rate that is constant between step boundaries.

    The rate is ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.

    Args:
        boundaries: strictly increasing step numbers.
        values: one more rate than there are boundaries.
        name: a name for the schedule.

    Example:
        >>> sched = lm.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
        >>> [float(sched(s)) for s in (10, 11, 21)]
        [1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries: Sequence[int], values: Sequence[float],
                 name: str = "PiecewiseConstant"):
        owner = type(self).__name__
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"{owner}: the length of boundaries should be 1 less than the length of "
                f"values. Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}.")
        for b in boundaries:
            _number(b, "boundaries", owner)
        for v in values:
            _number(v, "values", owner)
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"{owner}: boundaries must be strictly increasing, received "
                             f"{boundaries}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        step = _step_as_float(step)
        # Walk from the last interval back: each boundary the step has not passed yet
        # selects the value on its left.
        rate = convert(float(self.values[-1]))
        for boundary, value in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            rate = where(step <= float(boundary), float(value), rate)
        return rate

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """A JSON-compatible dict describing a schedule (its class name and config).

    Example:
        >>> lm.optimizers.schedules.serialize(ExponentialDecay(0.1, 100, 0.9))["class_name"]
        'ExponentialDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(f"serialize expects a LearningRateSchedule, received "
                        f"{type(learning_rate_schedule).__name__}.")
    return serialization.serialize(learning_rate_schedule, module="lamina.optimizers.schedules")


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Rebuilds a schedule from :func:`serialize`'s output.

    Args:
        config: a dict with ``"class_name"`` and ``"config"``.
        custom_objects: maps the names of user-defined schedule classes to the classes.

    Example:
        >>> s = lm.optimizers.schedules.deserialize(
        ...     {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1,
        ...                                              "decay_steps": 100}})
    """
    return serialization.deserialize(_KIND, config, custom_objects)
