"""Stochastic gradient descent, with optional (Nesterov) momentum."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, Variable
from .base import Optimizer, check_number


class SGD(Optimizer):
    """Gradient descent with momentum (Keras 3 ``SGD``).

    Without momentum: ``w -= learning_rate * g``. With momentum:
    ``velocity = momentum * velocity - learning_rate * g`` and ``w += velocity``; with
    ``nesterov=True`` the step is ``w += momentum * velocity - learning_rate * g``.

    Args:
        learning_rate: a float, a LearningRateSchedule or a zero-argument callable.
        momentum: in ``[0, 1]``; 0 is plain gradient descent.
        nesterov: use Nesterov momentum (no effect when ``momentum`` is 0).
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> w = lm.Variable(1.0)
        >>> opt = lm.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> opt.minimize(lambda: w * w / 2.0, [w])
        >>> round(float(w), 4)
        0.9
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "SGD", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.momentum = check_number(momentum, "momentum", "SGD", low=0.0, high=1.0)
        self.nesterov = bool(nesterov)

    def create_slots(self, variable: Variable) -> None:
        if self.momentum != 0:
            self.add_slot(variable, "momentum")

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor):
        step = gradient * learning_rate
        if self.momentum == 0:
            return variable.assign_sub(step)
        velocity = self.get_slot(variable, "momentum")
        velocity = velocity.assign(velocity * self.momentum - step)
        if self.nesterov:
            return variable.assign_add(velocity * self.momentum - step)
        return variable.assign_add(velocity)

    def fused_slots(self) -> list[str]:
        return ["momentum"] if self.momentum != 0 else []

    def fused_kernel(self, xp, state, scalars) -> None:
        """update_step over flat arrays, op for op (see optimizers/fused.py)."""
        (lr,), (t, u) = scalars, state.scratch
        w, g, slots = state.params, state.grad, state.slots
        # Without a velocity slot (made for momentum 0) it is plain SGD, as the per-variable
        # step traced then, even if momentum was set since.
        momentum = bool(slots) and self.momentum != 0
        if state.kernels is not None:
            c = w.dtype.type
            state.kernels["sgd"](w, g, slots[0] if slots else w, c(lr), c(self.momentum),
                                 self.nesterov, momentum)
            return
        xp.multiply(g, lr, out=t)
        if not momentum:
            xp.subtract(w, t, out=w)
            return
        velocity = slots[0]
        momentum = w.dtype.type(self.momentum)
        xp.multiply(velocity, momentum, out=velocity)
        xp.subtract(velocity, t, out=velocity)
        if self.nesterov:
            xp.multiply(velocity, momentum, out=u)
            xp.subtract(u, t, out=u)
            xp.add(w, u, out=w)
        else:
            xp.add(w, velocity, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
