"""The recurrent cells: ``SimpleRNNCell``, ``LSTMCell`` and ``GRUCell``. A cell computes one
time step, ``cell(x_t, states) -> (output, new_states)``; the layers in recurrent.py run it over a
sequence.

Weight layouts, gate orders and formulas are Keras 3's, so weights carry over unchanged:

* SimpleRNN: ``h = activation(x @ kernel + bias + h @ recurrent_kernel)``.
* LSTM: ``kernel (features, 4 * units)``, ``recurrent_kernel (units, 4 * units)``, ``bias
  (4 * units,)``, gates in the order i, f, c, o: ``z = x @ kernel + h @ recurrent_kernel +
  bias``; ``c = f * c + i * activation(z_c)``; ``h = o * activation(c)`` with i, f, o the
  recurrent activation of their parts of ``z``.
* GRU: gates in the order z (update), r (reset), h (candidate). With ``reset_after=True`` (the
  default) the bias is ``(2, 3 * units)``, input bias then recurrent bias, and the candidate is
  ``activation(x_h + r * (h @ recurrent_kernel_h + recurrent_bias_h))``; with
  ``reset_after=False`` it is ``activation(x_h + (r * h) @ recurrent_kernel_h)`` and the bias is
  ``(3 * units,)``. The new state is ``z * h + (1 - z) * candidate``.

Dropout masks (``dropout`` on the inputs, ``recurrent_dropout`` on the state fed to the
recurrent kernel) are shared by all gates (Keras's ``implementation=2``); an RNN layer draws
them once per call and shares them by all time steps.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations, serialization
from ..ops import creation, linalg, nn
from ..ops import rnn as rnn_ops
from ..ops import shape as shape_ops
from ..ops.math import cast
from ..tensor import Tensor, _fmt_shape, convert
from ._arguments import (add_weight_with_options, call_arguments, flag, fraction, positive_int,
                         seed_or_none, set_weight_options, weight_options_config)
from .base import InputSpec, Layer

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell"]


class _Cell(Layer):
    """What SimpleRNNCell, LSTMCell and GRUCell share: configuration, weights, dropout masks
    and the one-step ``call``. Subclasses compute a step in ``_step``."""

    gates = 1            # blocks of ``units`` columns in the kernels
    state_count = 1      # h, or h and c

    def __init__(self, units: int, activation: Any, use_bias: bool, kernel_initializer: Any,
                 recurrent_initializer: Any, bias_initializer: Any, kernel_regularizer: Any,
                 recurrent_regularizer: Any, bias_regularizer: Any, kernel_constraint: Any,
                 recurrent_constraint: Any, bias_constraint: Any, dropout: float,
                 recurrent_dropout: float, seed: int | None, **kwargs: Any):
        super().__init__(**kwargs)
        layer = type(self).__name__
        self.units = positive_int(units, "units", layer)
        self.activation = activations.get(activation)
        self.use_bias = flag(use_bias, "use_bias", layer)
        set_weight_options(self, "kernel", kernel_initializer, kernel_regularizer,
                           kernel_constraint)
        set_weight_options(self, "recurrent", recurrent_initializer, recurrent_regularizer,
                           recurrent_constraint)
        set_weight_options(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.dropout = fraction(dropout, "dropout", layer)
        self.recurrent_dropout = fraction(recurrent_dropout, "recurrent_dropout", layer)
        self.seed = seed_or_none(seed, layer)
        self.input_spec = InputSpec(ndim=2)

    @property
    def state_size(self) -> Any:
        """The size of each state: ``units``, or ``[units, units]`` for the LSTM."""
        return self.units if self.state_count == 1 else [self.units] * self.state_count

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, input_shape: tuple) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} needs the feature dimension "
                             f"of its input to be known, received input shape "
                             f"{_fmt_shape(tuple(input_shape))}.")
        width = self.gates * self.units
        self.kernel = add_weight_with_options(self, "kernel", (features, width))
        self.recurrent_kernel = add_weight_with_options(self, "recurrent_kernel",
                                                        (self.units, width), "recurrent")
        self.bias = add_weight_with_options(
            self, "bias", self._bias_shape(),
            initializer=self._bias_initializer()) if self.use_bias else None
        self.input_spec = InputSpec(ndim=2, axes={-1: features})

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def call(self, inputs: Any, states: Any, training: bool | None = None) -> tuple:
        """One time step.

        Args:
            inputs: ``(batch, features)``.
            states: the previous state(s), each ``(batch, units)``: a list (or, for cells with
                one state, a single tensor).
            training: apply dropout (masks are drawn afresh on every call of a lone cell).

        Returns:
            ``(output, new_states)``; ``new_states`` is a list when ``states`` was one (always
            for the LSTM), else a tensor.
        """
        nested = isinstance(states, (list, tuple))
        given = list(states) if nested else [states]
        if len(given) != self.state_count:
            raise ValueError(f"{type(self).__name__} {self.name!r} expects {self.state_count} "
                             f"state tensor(s), received {len(given)}.")
        given = [_as_state(s, self.units, self.dtype, self.name, i) for i, s in enumerate(given)]
        input_mask, recurrent_mask = self._dropout_masks(inputs, given[0], training)
        if input_mask is not None:
            inputs = inputs * input_mask
        constants = self._constants()
        output, new_states = self._step(self._project_one(inputs, constants), given,
                                        recurrent_mask, constants)
        return output, (new_states if nested or self.state_count > 1 else new_states[0])

    def _dropout_masks(self, x: Tensor, h: Tensor, training: Any) -> tuple:
        """Masks for the inputs and for the state (None where dropout is off): dropout applied
        to ones shaped like ``x`` and ``h``, so they work whatever the batch size."""
        input_mask = recurrent_mask = None
        if training and self.dropout > 0:
            input_mask = nn.dropout(creation.ones_like(x), self.dropout, seed=self.seed)
        if training and self.recurrent_dropout > 0:
            recurrent_mask = nn.dropout(creation.ones_like(h), self.recurrent_dropout,
                                        seed=self.seed)
        return input_mask, recurrent_mask

    def _constants(self) -> tuple:
        """Views of the weights that every step uses, made once per sequence."""
        return ()

    def _input_bias(self, constants: tuple) -> Tensor | None:
        """The bias added to the input projection (None: none)."""
        return self.bias

    def _project_one(self, x: Tensor, constants: tuple) -> Tensor:
        """One step's input projection ``x @ kernel (+ bias)``: (batch, gates * units)."""
        z = linalg.matmul(x, self.kernel)
        bias = self._input_bias(constants)
        return z if bias is None else z + bias

    def _project(self, sequences: Tensor, constants: tuple) -> Tensor:
        """Every step's input projection at once, time-major: (time, batch, gates * units).

        One large product instead of one per step; time-major so each step's slice is
        contiguous (a view in compiled code), and the gradient of the kernel is again one
        product, ``X^T @ G``, with the steps' gradients assembled into G.
        """
        steps, features = sequences.shape[1], sequences.shape[2]
        flat = shape_ops.reshape(shape_ops.transpose(sequences, (1, 0, 2)), (-1, features))
        z = self._project_one(flat, constants)
        return shape_ops.reshape(z, (steps, -1, self.gates * self.units))

    def _step(self, projected: Tensor, states: list, recurrent_mask: Tensor | None,
              constants: tuple) -> tuple[Tensor, list]:
        """One step from its input projection (dropout already applied to the input):
        ``(output, new_states)``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _step().")

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                **weight_options_config(self, "kernel", "recurrent", "bias"),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


def _as_state(value: Any, size: int, dtype: str, layer: str, index: int) -> Tensor:
    """A state as a ``(batch, size)`` tensor of the layer's dtype, or a clear error."""
    t = value if isinstance(value, Tensor) else convert(np.asarray(value))
    if t.dtype.name != dtype:
        t = cast(t, dtype)
    if t.shape is not None and (len(t.shape) != 2 or t.shape[-1] not in (None, size)):
        raise ValueError(f"Layer {layer!r}: state {index} must have shape (batch, {size}), "
                         f"received shape {_fmt_shape(tuple(t.shape))}.")
    return t


def _masked(h: Tensor, mask: Tensor | None) -> Tensor:
    return h if mask is None else h * mask


@serialization.register("layer")
class SimpleRNNCell(_Cell):
    """The cell of :class:`SimpleRNN`: ``h = activation(x @ kernel + bias + h @
    recurrent_kernel)``.

    Args:
        units: the size of the state (and output).
        activation: default ``"tanh"``.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint: as Keras.
        dropout: fraction of the inputs dropped while training.
        recurrent_dropout: fraction of the state dropped (before the recurrent kernel).
        seed: makes the dropout masks reproducible.

    Example:
        >>> cell = lm.layers.SimpleRNNCell(4)
        >>> out, state = cell(lm.ones((2, 3)), [lm.zeros((2, 4))])
        >>> out.shape
        (2, 4)
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any):
        super().__init__(**call_arguments(locals()), **kwargs)

    def _step(self, projected, states, recurrent_mask, constants):
        h = self.activation(projected + linalg.matmul(_masked(states[0], recurrent_mask),
                                                      self.recurrent_kernel))
        return h, [h]


class _GatedCell(_Cell):
    """A cell whose gates apply ``recurrent_activation`` (LSTMCell, GRUCell)."""

    def __init__(self, recurrent_activation: Any, **arguments: Any):
        super().__init__(**arguments)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation)}


@serialization.register("layer")
class LSTMCell(_GatedCell):
    """The cell of :class:`LSTM` (Keras's gate order i, f, c, o).

    Args:
        units: the size of the states h and c (and of the output).
        activation: for the candidate and the output (default ``"tanh"``).
        recurrent_activation: for the gates (default ``"sigmoid"``).
        unit_forget_bias: start the forget gate's bias at 1 (the rest from
            ``bias_initializer``).
        Other arguments: as :class:`SimpleRNNCell`.

    Example:
        >>> cell = lm.layers.LSTMCell(4)
        >>> h, (h_again, c) = cell(lm.ones((2, 3)), [lm.zeros((2, 4)), lm.zeros((2, 4))])
        >>> c.shape
        (2, 4)
    """

    gates = 4
    state_count = 2

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, **kwargs: Any):
        arguments = call_arguments(locals())
        del arguments["unit_forget_bias"]
        super().__init__(**arguments, **kwargs)
        self.unit_forget_bias = flag(unit_forget_bias, "unit_forget_bias", "LSTMCell")

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        base = self.bias_initializer

        def forget_gate_ones(shape: tuple, dtype: Any = "float32") -> np.ndarray:
            units = shape[0] // 4
            parts = [base((units,), dtype=dtype), np.ones((units,), dtype=str(dtype)),
                     base((2 * units,), dtype=dtype)]
            return np.concatenate([np.asarray(p) for p in parts]).astype(str(dtype))
        return forget_gate_ones

    def _step(self, projected, states, recurrent_mask, constants):
        h, c = states
        z = projected + linalg.matmul(_masked(h, recurrent_mask), self.recurrent_kernel)
        if (self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid
                and rnn_ops.fused_pays()):
            hc = rnn_ops.lstm_gates(z, c)   # the default activations: one fused primitive
            h = hc[0]
            return h, [h, hc[1]]
        z_i, z_f, z_c, z_o = shape_ops.split(z, 4, axis=-1)
        gate = self.recurrent_activation
        c = gate(z_f) * c + gate(z_i) * self.activation(z_c)
        h = gate(z_o) * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@serialization.register("layer")
class GRUCell(_GatedCell):
    """The cell of :class:`GRU` (Keras's gate order z, r, h).

    Args:
        units: the size of the state (and output).
        activation: for the candidate state (default ``"tanh"``).
        recurrent_activation: for the update and reset gates (default ``"sigmoid"``).
        reset_after: apply the reset gate after the recurrent matmul (Keras 3's default, with a
            ``(2, 3 * units)`` bias: input bias, then recurrent bias) or before it (a
            ``(3 * units,)`` bias).
        Other arguments: as :class:`SimpleRNNCell`.

    Example:
        >>> cell = lm.layers.GRUCell(4)
        >>> out, state = cell(lm.ones((2, 3)), lm.zeros((2, 4)))
        >>> state.shape
        (2, 4)
    """

    gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 reset_after: bool = True, **kwargs: Any):
        arguments = call_arguments(locals())
        del arguments["reset_after"]
        super().__init__(**arguments, **kwargs)
        self.reset_after = flag(reset_after, "reset_after", "GRUCell")

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _constants(self) -> tuple:
        """(input bias, recurrent bias, recurrent kernel of z and r, of the candidate)."""
        input_bias = recurrent_bias = None
        if self.bias is not None and self.reset_after:
            input_bias, recurrent_bias = self.bias[0], self.bias[1]
        elif self.bias is not None:
            input_bias = self.bias
        if self.reset_after:
            return input_bias, recurrent_bias, None, None
        gates_kernel, candidate_kernel = shape_ops.split(self.recurrent_kernel,
                                                         [2 * self.units, self.units], axis=-1)
        return input_bias, None, gates_kernel, candidate_kernel

    def _input_bias(self, constants: tuple) -> Tensor | None:
        return constants[0]

    def _step(self, projected, states, recurrent_mask, constants):
        _, recurrent_bias, gates_kernel, candidate_kernel = constants
        h = states[0]
        h_in = _masked(h, recurrent_mask)
        x_z, x_r, x_h = shape_ops.split(projected, 3, axis=-1)
        if self.reset_after:
            h_proj = linalg.matmul(h_in, self.recurrent_kernel)
            if recurrent_bias is not None:
                h_proj = h_proj + recurrent_bias
            h_z, h_r, h_h = shape_ops.split(h_proj, 3, axis=-1)
        else:
            h_z, h_r = shape_ops.split(linalg.matmul(h_in, gates_kernel), 2, axis=-1)
        z = self.recurrent_activation(x_z + h_z)
        r = self.recurrent_activation(x_r + h_r)
        if self.reset_after:
            candidate = self.activation(x_h + r * h_h)
        else:
            candidate = self.activation(x_h + linalg.matmul(r * h_in, candidate_kernel))
        h = z * h + (1.0 - z) * candidate
        return h, [h]

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}
