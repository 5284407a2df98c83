"""Adagrad: per-parameter step sizes that shrink with the sum of squared gradients."""
from __future__ import annotations

from typing import Any

from ..ops.math import sqrt
from ..tensor import Tensor, Variable
from .base import Optimizer, check_number


class Adagrad(Optimizer):
    """Adagrad (Keras 3 ``Adagrad``).

    ``accumulator += g**2`` (starting from ``initial_accumulator_value``), then
    ``w -= lr * g / sqrt(accumulator + epsilon)``.

    Args:
        learning_rate: a float, a LearningRateSchedule or a zero-argument callable.
        initial_accumulator_value: the starting value of the accumulators (>= 0).
        epsilon: added under the square root for stability.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> w = lm.Variable(1.0)
        >>> lm.optimizers.Adagrad(learning_rate=0.1).minimize(lambda: w * w, [w])
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "adagrad", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.initial_accumulator_value = check_number(
            initial_accumulator_value, "initial_accumulator_value", "Adagrad", low=0.0)
        self.epsilon = check_number(epsilon, "epsilon", "Adagrad", low=0.0)

    def create_slots(self, variable: Variable) -> None:
        self.add_slot(variable, "accumulator", self.initial_accumulator_value)

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor):
        accumulator = self.get_slot(variable, "accumulator")
        accumulator = accumulator.assign_add(gradient * gradient)
        return variable.assign_sub(learning_rate * gradient / sqrt(accumulator + self.epsilon))

    def fused_slots(self) -> list[str]:
        return ["accumulator"]

    def fused_kernel(self, xp, state, scalars) -> None:
        """update_step over flat arrays, op for op (see optimizers/fused.py)."""
        (lr,), (t, u) = scalars, state.scratch
        w, g, slots = state.params, state.grad, state.slots
        accumulator = slots[0]
        xp.multiply(g, g, out=t)
        xp.add(accumulator, t, out=accumulator)
        xp.multiply(lr, g, out=t)
        xp.add(accumulator, w.dtype.type(self.epsilon), out=u)
        xp.sqrt(u, out=u)
        xp.divide(t, u, out=t)
        xp.subtract(w, t, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
