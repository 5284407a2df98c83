"""RMSprop: divide each gradient by a running root mean square of its recent values."""
from __future__ import annotations

from typing import Any

from ..ops.math import sqrt, square
from ..tensor import Tensor, Variable
from .base import Optimizer, check_number


class RMSprop(Optimizer):
    """RMSprop (Keras 3 ``RMSprop``), optionally centered and with plain momentum.

    ``velocity = rho * velocity + (1 - rho) * g**2``; the step is
    ``lr * g / sqrt(velocity + epsilon)``. Centered: also track
    ``average = rho * average + (1 - rho) * g`` and divide by
    ``sqrt(velocity - average**2 + epsilon)``. With momentum the steps accumulate in
    ``buffer = momentum * buffer + step`` and ``w -= buffer``.

    Args:
        learning_rate: a float, a LearningRateSchedule or a zero-argument callable.
        rho: discounting factor of the running averages, in ``[0, 1]``.
        momentum: in ``[0, 1]``; 0 disables momentum.
        epsilon: added under the square root for stability.
        centered: normalize by the estimated variance instead of the second moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> w = lm.Variable(10.0)
        >>> lm.optimizers.RMSprop(learning_rate=0.1).minimize(lambda: w * w / 2.0, [w])
        >>> round(float(w), 4)
        9.6838
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "rmsprop", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = check_number(rho, "rho", "RMSprop", low=0.0, high=1.0)
        self.momentum = check_number(momentum, "momentum", "RMSprop", low=0.0, high=1.0)
        self.epsilon = check_number(epsilon, "epsilon", "RMSprop", low=0.0)
        self.centered = bool(centered)

    def create_slots(self, variable: Variable) -> None:
        self.add_slot(variable, "velocity")
        if self.momentum > 0:
            self.add_slot(variable, "momentum")
        if self.centered:
            self.add_slot(variable, "average_gradient")

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor):
        rho = self.rho
        velocity = self.get_slot(variable, "velocity")
        velocity = velocity.assign(rho * velocity + (1.0 - rho) * square(gradient))
        if self.centered:
            average = self.get_slot(variable, "average_gradient")
            average = average.assign(rho * average + (1.0 - rho) * gradient)
            denominator = velocity - square(average) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = learning_rate * gradient / sqrt(denominator)
        if self.momentum > 0:
            buffer = self.get_slot(variable, "momentum")
            buffer = buffer.assign(self.momentum * buffer + increment)
            return variable.assign_sub(buffer)
        return variable.assign_sub(increment)

    def fused_slots(self) -> list[str]:
        names = ["velocity"]
        if self.momentum > 0:
            names.append("momentum")
        if self.centered:
            names.append("average_gradient")
        return names

    def fused_kernel(self, xp, state, scalars) -> None:
        """update_step over flat arrays, op for op (see optimizers/fused.py)."""
        (lr,), (t, u) = scalars, state.scratch
        w, g, slots = state.params, state.grad, state.slots
        c = w.dtype.type
        velocity = slots[0]
        xp.multiply(velocity, c(self.rho), out=velocity)
        xp.square(g, out=t)
        xp.multiply(t, c(1.0 - self.rho), out=t)
        xp.add(velocity, t, out=velocity)
        if self.centered:
            average = slots[-1]
            xp.multiply(average, c(self.rho), out=average)
            xp.multiply(g, c(1.0 - self.rho), out=t)
            xp.add(average, t, out=average)
            xp.square(average, out=u)
            xp.subtract(velocity, u, out=u)
            xp.add(u, c(self.epsilon), out=u)
        else:
            xp.add(velocity, c(self.epsilon), out=u)
        xp.multiply(g, lr, out=t)
        xp.sqrt(u, out=u)
        xp.divide(t, u, out=t)
        if self.momentum > 0:
            buffer = slots[1]
            xp.multiply(buffer, c(self.momentum), out=buffer)
            xp.add(buffer, t, out=buffer)
            t = buffer
        xp.subtract(w, t, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
