"""Adam and AdamW: adaptive moment estimation, and its decoupled-weight-decay variant."""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..ops.math import maximum, pow, sqrt, square
from ..tensor import Tensor, Variable
from .base import Optimizer, check_number


_BIAS_BLOCK = 512      # steps per table of Adam's bias corrections


class _BiasTable(NamedTuple):
    key: tuple                  # (dtype, beta_1, beta_2) it was computed for
    start: int                  # its first step
    root: list                  # sqrt(1 - beta_2^t), NumPy scalars
    denominator: list           # 1 - beta_1^t


class Adam(Optimizer):
    """Adam (Keras 3 ``Adam``; AMSGrad optional).

    Each step ``t`` (counting from 1): ``m += (g - m) * (1 - beta_1)``,
    ``v += (g**2 - v) * (1 - beta_2)``, and
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``, where
    AMSGrad uses the running maximum of ``v`` in place of ``v``.

    Args:
        learning_rate: a float, a LearningRateSchedule or a zero-argument callable.
        beta_1: decay rate of the first-moment estimate, in ``[0, 1)``.
        beta_2: decay rate of the second-moment estimate, in ``[0, 1)``.
        epsilon: added to the denominator for stability ("epsilon hat" of the paper).
        amsgrad: use the AMSGrad variant (Reddi et al., 2018).
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> w = lm.Variable([1.0, -1.0])
        >>> opt = lm.optimizers.Adam(learning_rate=0.1)
        >>> opt.minimize(lambda: lm.sum(w * w), [w])
        >>> w.numpy().round(4)   # the first step moves each weight by about learning_rate
        array([ 0.9, -0.9], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "adam", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_number(beta_1, "beta_1", owner, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_number(beta_2, "beta_2", owner, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number(epsilon, "epsilon", owner, low=0.0)
        self.amsgrad = bool(amsgrad)

    def create_slots(self, variable: Variable) -> None:
        self.add_slot(variable, "m")
        self.add_slot(variable, "v")
        if self.amsgrad:
            self.add_slot(variable, "vhat")

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor):
        alpha = self.step_constant("alpha", variable,
                                   lambda: self._step_size(learning_rate, variable))
        m = self.get_slot(variable, "m")
        v = self.get_slot(variable, "v")
        m = m.assign_add((gradient - m) * (1.0 - self.beta_1))
        v = v.assign_add((square(gradient) - v) * (1.0 - self.beta_2))
        if self.amsgrad:
            v_hat = self.get_slot(variable, "vhat")
            v = v_hat.assign(maximum(v_hat, v))
        return variable.assign_sub((m * alpha) / (sqrt(v) + self.epsilon))

    def fused_slots(self) -> list[str]:
        return ["m", "v", "vhat"] if self.amsgrad else ["m", "v"]

    def fused_scalars(self, variable: Variable) -> list[Tensor]:
        return [self._learning_rate_for(variable), self.local_step(variable)]

    def fused_kernel(self, xp, state, scalars) -> None:
        """update_step over flat arrays, op for op (see optimizers/fused.py)."""
        (learning_rate, step), (t, u) = scalars, state.scratch
        w, g, slots = state.params, state.grad, state.slots
        c = w.dtype.type
        # Without a vhat slot (made without AMSGrad) it is plain Adam, as the per-variable
        # step traced then, even if amsgrad was set since.
        amsgrad = self.amsgrad and len(slots) > 2
        alpha = self._fused_step_size(xp, learning_rate, step, c)
        if state.kernels is not None:
            one_minus_beta_1, one_minus_beta_2, epsilon = self._kernel_constants(c)
            # slots[-1] is vhat with AMSGrad, else v (which the kernel then leaves alone)
            state.kernels["adam"](w, g, slots[0], slots[1], slots[-1], alpha,
                                  one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad)
            return
        m, v = slots[0], slots[1]
        alpha = xp.asarray(alpha)
        xp.subtract(g, m, out=t)
        xp.multiply(t, self.fused_constant(1.0 - self.beta_1, w.dtype, xp), out=t)
        xp.add(m, t, out=m)
        xp.square(g, out=t)
        xp.subtract(t, v, out=t)
        xp.multiply(t, self.fused_constant(1.0 - self.beta_2, w.dtype, xp), out=t)
        xp.add(v, t, out=v)
        if amsgrad:
            xp.maximum(slots[2], v, out=slots[2])
            v = slots[2]
        xp.multiply(m, alpha, out=t)
        xp.sqrt(v, out=u)
        xp.add(u, self.fused_constant(self.epsilon, w.dtype, xp), out=u)
        xp.divide(t, u, out=t)
        xp.subtract(w, t, out=w)

    def _kernel_constants(self, c) -> tuple:
        """``1 - beta_1``, ``1 - beta_2`` and ``epsilon`` as scalars of type ``c``, for numba's
        kernel (remade when a hyperparameter changes)."""
        key = (c, self.beta_1, self.beta_2, self.epsilon)
        found = self.__dict__.get("_kernel_scalars")
        if found is None or found[0] != key:
            found = self._kernel_scalars = (key, (c(1.0 - self.beta_1), c(1.0 - self.beta_2),
                                                  c(self.epsilon)))
        return found[1]

    def _fused_step_size(self, xp, learning_rate, step, c):
        """_step_size on NumPy scalars, rounding as the graph's float ops do: ``np.power``
        (a NumPy scalar's ``**`` rounds differently) and a correctly rounded square root."""
        if xp is not np:
            return learning_rate * xp.sqrt(c(1.0) - xp.power(c(self.beta_2), step)) / (
                c(1.0) - xp.power(c(self.beta_1), step))
        root, denominator = self._bias_corrections(c, step)
        return c(learning_rate) * root / denominator

    def _bias_corrections(self, c, step) -> tuple:
        """sqrt(1 - beta_2^t) and 1 - beta_1^t for step t, in dtype ``c``: read from a table
        of a block of steps, whose elements equal the scalar expression (NumPy's power gives
        an array's elements the scalar's value; float sqrt is correctly rounded), two array
        calls per block instead of a dozen scalar ones per step (~2 us, a tenth of a small
        network's step)."""
        s = float(step)
        k = int(s) if math.isfinite(s) else -1
        if k != s or k < 0:             # not a step count: computed for it alone
            one = c(1.0)
            with np.errstate(invalid="ignore", over="ignore"):   # a negative step: NaN
                return (np.sqrt(one - np.power(c(self.beta_2), c(step))),
                        one - np.power(c(self.beta_1), c(step)))
        table = self.__dict__.get("_bias_table")
        if (table is None or not table.start <= k < table.start + _BIAS_BLOCK
                or table.key != (c, self.beta_1, self.beta_2)):
            one, start = c(1.0), k - k % _BIAS_BLOCK
            steps = np.arange(start, start + _BIAS_BLOCK).astype(c)
            # lists of NumPy scalars: indexing one is a tenth of indexing an array
            table = self._bias_table = _BiasTable(
                (c, self.beta_1, self.beta_2), start,
                list(np.sqrt(one - np.power(c(self.beta_2), steps))),
                list(one - np.power(c(self.beta_1), steps)))
        return table.root[k - table.start], table.denominator[k - table.start]

    def _step_size(self, learning_rate: Tensor, variable: Variable) -> Tensor:
        """The learning rate with both bias corrections of step t folded in."""
        t = self.local_step(variable)
        return learning_rate * sqrt(1.0 - pow(self.beta_2, t)) / (1.0 - pow(self.beta_1, t))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras 3 ``AdamW``).

    Before each Adam step every variable shrinks by ``variable * weight_decay *
    learning_rate`` (Loshchilov & Hutter, 2019); exclude some with
    :meth:`~lamina.optimizers.Optimizer.exclude_from_weight_decay`.

    Args:
        learning_rate: a float, a LearningRateSchedule or a zero-argument callable.
        weight_decay: the decay rate (required, >= 0).
        beta_1, beta_2, epsilon, amsgrad: as for :class:`Adam`.
        clipnorm, clipvalue, global_clipnorm, name: see :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> opt = lm.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.01)
        >>> opt.exclude_from_weight_decay(var_names=["bias"])
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "adamw", **kwargs: Any):
        if weight_decay is None:
            raise ValueError("AdamW: argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
