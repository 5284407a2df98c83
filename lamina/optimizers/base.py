"""The Optimizer base class: everything an optimizer does except its own update formula.

``apply(grads, variables)`` checks the gradients, clips them, applies weight decay, calls the
subclass's ``update_step(gradient, variable, learning_rate)`` once per variable, applies the
variables' constraints and counts the step in ``iterations``. All of it is written in lamina
ops and ``Variable.assign*``, so one code path serves eager execution, TensorFlow-1 graphs
(where ``minimize`` returns the update Operation) and train steps traced by ``lm.function``.

Graph mode reads a graph variable once, when its value enters a run. An update step therefore
uses what ``assign`` returns (the new value, in every mode) rather than reading a variable it
has just assigned.
"""
from __future__ import annotations

import contextlib
import re
import warnings
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import dtypes as _dt
from .._state import STATE
from ..autodiff import GradientTape, gradients, no_grad
from ..backends import device as device_scope
from ..graph.ir import get_default_graph, group, name_scope
from ..ops.math import cast, maximum, sqrt, square, sum as reduce_sum
from ..tensor import Tensor, Variable, _fmt_shape, constant
from . import fused
from . import schedules as _schedules
from .schedules import LearningRateSchedule


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def check_number(value: Any, what: str, owner: str, low: float | None = None,
                 high: float | None = None, high_open: bool = False) -> float:
    """``value`` as a float after checking it is a number in ``[low, high]`` (or ``high)``).

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: it lies outside the range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{owner}: `{what}` must be a float, received {value!r} of type "
                        f"{type(value).__name__}.")
    value = float(value)
    too_high = high is not None and (value >= high if high_open else value > high)
    if (low is not None and value < low) or too_high or value != value:
        bound = ")" if high_open else "]"
        where = f"[{low}, {high}{bound}" if high is not None else f">= {low}"
        raise ValueError(f"{owner}: `{what}` must be {'in ' if high is not None else ''}"
                         f"{where}, received {what}={value}.")
    return value


def _optional_non_negative(value: Any, what: str, owner: str) -> float | None:
    return None if value is None else check_number(value, what, owner, low=0.0)


def _graph_trainable_variables(graph: Any) -> list[Variable]:
    """The graph's own trainable variables, then the eager ones it reads (layer weights,
    which layers create eagerly), each once."""
    found: list[Variable] = [v for v in graph.variables if v.trainable]
    for op in graph.get_operations():
        var = op.attrs.get("var") if op.type == "ReadVariable" else None
        if var is not None and var.trainable and not any(var is v for v in found):
            found.append(var)
    return found


class Optimizer:
    """Base class of optimizers (Keras 3 names and behaviour).

    Subclasses implement ``create_slots(variable)`` (make per-variable state with
    :meth:`add_slot`), ``update_step(gradient, variable, learning_rate)`` and ``get_config``.

    Args:
        learning_rate: a float, a :class:`~lamina.optimizers.schedules.LearningRateSchedule`
            (called with ``iterations``), or a zero-argument callable returning the rate.
        weight_decay: if set, every step first shrinks each variable by
            ``variable * weight_decay * learning_rate`` (decoupled weight decay).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: the name of the optimizer (and the prefix of its variables' names).

    Example:
        >>> opt = lm.optimizers.SGD(learning_rate=0.1)
        >>> w = lm.Variable(1.0)
        >>> opt.minimize(lambda: w * w, [w])
        >>> round(float(w), 4)
        0.8
    """

    def __init__(self, learning_rate: Any, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None,
                 **kwargs: Any):
        owner = type(self).__name__
        if kwargs:
            raise ValueError(f"{owner}: argument(s) not recognized: {kwargs}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{owner}: `name` must be a string, received {name!r}.")
        self.name = name or _snake_case(owner)
        self.weight_decay = _optional_non_negative(weight_decay, "weight_decay", owner)
        self.clipnorm = _optional_non_negative(clipnorm, "clipnorm", owner)
        self.clipvalue = _optional_non_negative(clipvalue, "clipvalue", owner)
        self.global_clipnorm = _optional_non_negative(global_clipnorm, "global_clipnorm", owner)
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{owner}: only one of `clipnorm`, `clipvalue` and "
                             f"`global_clipnorm` can be set. Received: clipnorm={clipnorm}, "
                             f"clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._slots: dict[int, dict[str, Variable]] = {}
        self._slot_owners: dict[int, Variable] = {}   # keeps ids of slotted variables unique
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern | None = None
        self._step_cache: dict = {}
        self.iterations = self._add_variable(np.int64(0), "iteration")
        self._learning_rate = self._build_learning_rate(learning_rate)

    # ---- variables ----------------------------------------------------------------------
    def _add_variable(self, initial: np.ndarray | np.generic, name: str) -> Variable:
        var = Variable(initial, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(var)
        return var

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state: ``iterations``, the learning rate variable, then slots."""
        return list(self._variables)

    def add_slot(self, variable: Variable, slot_name: str, initial_value: float = 0.0
                 ) -> Variable:
        """Creates the per-variable state ``slot_name`` for ``variable``, filled with
        ``initial_value``, where ``variable`` lives (its graph or its device)."""
        if variable.shape is None or None in variable.shape:
            raise ValueError(f"{type(self).__name__} needs variables of fully known shape to "
                             f"create its slots; {variable.name} has shape {variable.shape}.")
        initial = np.full(variable.shape, initial_value, dtype=variable.dtype.np)
        base = variable._name.replace("/", "_").replace(":", "_")
        if variable.graph is not None:
            scope = variable.graph.as_default()
        else:
            scope = device_scope(variable.device)
        with scope:
            slot = Variable(initial, trainable=False, name=f"{self.name}/{base}_{slot_name}")
        self._slots[id(variable)][slot_name] = slot
        self._variables.append(slot)
        return slot

    def get_slot(self, variable: Variable, slot_name: str) -> Variable:
        """The slot ``slot_name`` of ``variable`` (e.g. Adam's ``"m"``)."""
        try:
            return self._slots[id(variable)][slot_name]
        except KeyError:
            raise KeyError(f"{type(self).__name__} has no slot {slot_name!r} for variable "
                           f"{variable.name}; its slots are {self.get_slot_names()}.") from None

    def get_slot_names(self) -> list[str]:
        """The names of the slots this optimizer has created so far."""
        return sorted({n for slots in self._slots.values() for n in slots})

    def create_slots(self, variable: Variable) -> None:
        """Creates ``variable``'s slots with :meth:`add_slot` (none by default)."""

    def build(self, var_list: Sequence[Variable]) -> None:
        """Creates the slots of every variable in ``var_list`` now rather than at first use.

        Example:
            >>> opt = lm.optimizers.Adam()
            >>> opt.build([w])
            >>> len(opt.variables)   # iteration, learning_rate, m, v
            4
        """
        var_list = [self._check_variable(v, i) for i, v in enumerate(var_list)]
        for var in var_list:
            self._ensure_slots(var)
        if not self.built:
            self._trainable_variables = var_list
            self.built = True

    def _ensure_slots(self, variable: Variable) -> None:
        if id(variable) not in self._slots:
            self._slots[id(variable)] = {}
            self._slot_owners[id(variable)] = variable
            self.create_slots(variable)

    # ---- learning rate --------------------------------------------------------------------
    def _build_learning_rate(self, learning_rate: Any) -> Any:
        if isinstance(learning_rate, LearningRateSchedule):
            return learning_rate
        if callable(learning_rate) and not isinstance(learning_rate, Tensor):
            return learning_rate
        value = self._check_learning_rate(learning_rate)
        self._lr_float = value
        return self._add_variable(np.float32(value), "learning_rate")

    def _check_learning_rate(self, value: Any) -> float:
        if isinstance(value, Tensor) and value._value is not None and value.ndim == 0:
            value = value.item()
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float,
                                                                           np.number)):
            raise TypeError(f"{type(self).__name__}: `learning_rate` should be a float, a "
                            "LearningRateSchedule, or a callable returning the rate. "
                            f"Received: learning_rate={value!r}")
        return check_number(value, "learning_rate", type(self).__name__, low=0.0)

    @property
    def learning_rate(self) -> Tensor:
        """The current learning rate: the rate variable, or the schedule's value now.

        Assign a float to change it (``opt.learning_rate = 0.01``) or a schedule to replace it.
        """
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        if isinstance(lr, LearningRateSchedule):
            return lr(self.iterations)
        return lr()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        old = self._learning_rate
        if isinstance(value, LearningRateSchedule) or (
                callable(value) and not isinstance(value, Tensor)):
            self._learning_rate = value
            if isinstance(old, Variable):
                self._variables = [v for v in self._variables if v is not old]
            return
        if isinstance(old, LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, "
                            "you should instantiate the optimizer with a float "
                            "`learning_rate` argument.")
        if not isinstance(old, Variable):
            self._learning_rate = self._build_learning_rate(value)
            return
        rate = self._check_learning_rate(value)
        if old._value is None or STATE.graph is not None:
            raise RuntimeError(
                "Setting `learning_rate` while building a graph would only add an assign "
                "operation that nothing runs. In graph mode run "
                "`sess.run(optimizer.learning_rate.assign(value))` instead.")
        old.assign(rate)
        self._lr_float = rate

    def _read_learning_rate(self) -> Tensor:
        """The learning rate for the step being applied (read once per step)."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr.value()
        value = lr(self.iterations) if isinstance(lr, LearningRateSchedule) else lr()
        if not isinstance(value, Tensor):
            value = constant(self._check_learning_rate(value), dtype=_dt.float32)
        return value

    def _step_shared(self, key: str, make: Callable[[], Tensor]) -> Tensor:
        """A value the whole step shares (``make()``), made once per step."""
        value = self._step_cache.get(key)
        if value is None:
            value = self._step_cache[key] = make()
        return value

    def step_constant(self, key: str, variable: Variable, make: Callable[[], Tensor]
                      ) -> Tensor:
        """A scalar that every variable of ``variable``'s dtype and device shares in this step
        (``make()``, e.g. Adam's bias correction), made once per step.

        Example:
            >>> alpha = self.step_constant("alpha", variable, lambda: lr * 0.5)
        """
        cache_key = (key, variable._dtype, variable._device)
        out = self._step_cache.get(cache_key)
        if out is None:
            out = self._step_cache[cache_key] = make()
        return out

    @staticmethod
    def _like_variable(value: Tensor, variable: Variable) -> Tensor:
        """``value`` cast to ``variable``'s dtype and, eagerly, moved to its device."""
        out = cast(value, variable._dtype)
        if out._value is not None and out._device is not variable._device:
            out = out.to(variable._device)
        return out

    def _learning_rate_for(self, variable: Variable) -> Tensor:
        """The step's learning rate in ``variable``'s dtype and device."""
        def make() -> Tensor:
            lr = self._step_shared("lr", self._read_learning_rate)
            return self._like_variable(lr, variable)
        return self.step_constant("lr", variable, make)

    def local_step(self, variable: Variable) -> Tensor:
        """The 1-based number of the step being applied, in ``variable``'s dtype and device."""
        def make() -> Tensor:
            step = self._step_shared("step", lambda: self.iterations.value() + 1)
            return self._like_variable(step, variable)
        return self.step_constant("step", variable, make)

    # ---- weight decay ---------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list: Sequence[Variable] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Keeps weight decay off some variables (call before the optimizer is built).

        Args:
            var_list: variables to exclude.
            var_names: substrings (regular expressions); a variable whose name contains one
                is excluded, e.g. ``["bias"]``.
        """
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_ids = {id(v) for v in (var_list or ())}
        names = list(var_names or ())
        self._exclude_pattern = re.compile("|".join(names)) if names else None

    def _use_weight_decay(self, variable: Variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or pattern.search(variable.name) is None

    def _apply_weight_decay(self, variables: Sequence[Variable]) -> None:
        if self.weight_decay is None:
            return
        for var in variables:
            if self._use_weight_decay(var):
                lr = self._learning_rate_for(var)
                var.assign(var - var * self.weight_decay * lr)

    # ---- gradients in, updates out ----------------------------------------------------------
    def _check_variable(self, var: Any, index: int) -> Variable:
        if not isinstance(var, Variable):
            raise TypeError(f"{type(self).__name__} updates lm.Variable objects; item {index} "
                            f"of the variable list is a {type(var).__name__}.")
        if not var.dtype.is_floating:
            raise TypeError(f"{type(self).__name__} can only update floating-point variables; "
                            f"{var.name} has dtype {var.dtype.name}.")
        return var

    def _check_gradient(self, grad: Any, var: Variable) -> Tensor:
        if not isinstance(grad, Tensor):
            grad = constant(np.asarray(grad), dtype=var.dtype)
        got, want = grad.shape, var.shape
        if got is not None and want is not None and (
                len(got) != len(want)
                or any(a is not None and b is not None and a != b for a, b in zip(got, want))):
            raise ValueError(f"Gradient for variable {var.name} has shape {_fmt_shape(got)}, "
                             f"but the variable has shape {_fmt_shape(want)}: expected a "
                             f"gradient of shape {_fmt_shape(want)}.")
        return cast(grad, var.dtype)

    def _pair_up(self, grads: Sequence[Any], variables: Sequence[Any] | None
                 ) -> tuple[list[Tensor], list[Variable]]:
        """Checks gradients against variables and drops the None gradients."""
        grads = list(grads)
        if variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            variables = self._trainable_variables
        variables = [self._check_variable(v, i) for i, v in enumerate(variables)]
        if len(grads) != len(variables):
            raise ValueError(f"Expected one gradient per variable: received {len(grads)} "
                             f"gradients for {len(variables)} variables.")
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if len(pairs) < len(variables):
            missing = [v.name for g, v in zip(grads, variables) if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss.", stacklevel=3)
        return [self._check_gradient(g, v) for g, v in pairs], [v for _, v in pairs]

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None):
        """Updates ``trainable_variables`` with ``grads`` (one gradient per variable; None
        gradients are skipped).

        Returns:
            None when executing eagerly; while building a graph, the Operation that runs the
            update (pass it to ``Session.run``).

        Example:
            >>> w = lm.Variable([1.0, 2.0])
            >>> lm.optimizers.SGD(0.5).apply([lm.tensor([1.0, 1.0])], [w])
            >>> w.numpy()
            array([0.5, 1.5], dtype=float32)
        """
        if isinstance(grads, Tensor):
            raise TypeError("apply expects a list of gradients (one per variable), received a "
                            "single tensor.")
        grads = list(grads)
        if trainable_variables is not None:
            trainable_variables = list(trainable_variables)
        graph = STATE.graph
        start = len(graph.get_operations()) if graph is not None else 0
        if grads:   # an empty list is a no-op, as in Keras
            if trainable_variables is not None and not self.built:
                self.build(trainable_variables)
            grads, variables = self._pair_up(grads, trainable_variables)
            for var in variables:
                self._ensure_slots(var)
            with no_grad(), name_scope(self.name), self._one_step():
                self._apply_updates(grads, variables)
        return self._update_op(graph, start)

    @contextlib.contextmanager
    def _one_step(self):
        self._step_cache = {}
        try:
            yield
        finally:
            self._step_cache = {}

    # Optimizers that define fused_kernel update all variables in one fused step (fused.py)
    # unless ``fuse`` is set to False; update_step stays the per-variable reference.
    fused_kernel = None
    fuse = True

    def fused_constant(self, value: float, dtype: Any, xp: Any = np) -> Any:
        """``value`` as a 0-d array of ``dtype``, made once: NumPy ufuncs take 0-d arrays
        faster than Python or NumPy scalars, and rounding to ``dtype`` matches the graph.
        For another array module (CuPy), a NumPy scalar: CuPy refuses host arrays and passes
        scalars to its kernels by value."""
        if xp is not np:
            return np.dtype(dtype).type(value)
        cache = self.__dict__.setdefault("_fused_constants", {})
        key = (value, np.dtype(dtype).str)
        found = cache.get(key)
        if found is None:
            found = cache[key] = np.asarray(value, dtype=dtype)
        return found

    def fused_slots(self) -> list[str]:
        """Slot names, in the order fused_kernel receives the slots' flat arrays."""
        return []

    def fused_scalars(self, variable: Variable) -> list[Tensor]:
        """The per-step scalars fused_kernel receives (default: the learning rate)."""
        return [self._learning_rate_for(variable)]

    def _apply_updates(self, grads: list[Tensor], variables: list[Variable]) -> None:
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables)
        if fused.fusable(self, variables):
            fused.apply_fused(self, grads, variables)
            self.iterations.assign_add(1)
            return
        for grad, var in zip(grads, variables):
            new_value = self.update_step(grad, var, self._learning_rate_for(var))
            if var.constraint is not None:
                # In graph mode reading `var` again would see the value from before the step.
                var.assign(var.constraint(var if new_value is None else new_value))
        self.iterations.assign_add(1)

    def _update_op(self, graph: Any, start: int):
        """While building a graph: one Operation that runs every assign the step added."""
        if graph is None:
            return None
        updates = [op for op in graph.get_operations()[start:]
                   if (op.type == "Assign" and op.attrs["var"].initializer is not op)
                   or (op.prim is not None and op.prim.effect)]
        return group(*updates, name=f"{self.name}/update")

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]):
        """Applies ``(gradient, variable)`` pairs (TensorFlow's form of :meth:`apply`).

        Returns:
            ``iterations`` when executing eagerly (as Keras does); while building a graph the
            update Operation.

        Example:
            >>> opt.apply_gradients(zip(grads, model.trainable_variables))
        """
        pairs = list(grads_and_vars)
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"apply_gradients expects (gradient, variable) pairs; item {i} "
                                f"is {pair!r}.")
        grads = [g for g, _ in pairs]
        variables = [v for _, v in pairs]
        op = self.apply(grads, variables if pairs else None)
        return self.iterations if op is None else op

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor):
        """Updates one variable; returns its new value (what its last ``assign`` returned).

        Args:
            gradient: the (clipped) gradient, in the variable's dtype.
            variable: the variable to update.
            learning_rate: the step's learning rate in the variable's dtype and device.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update_step("
                                  "gradient, variable, learning_rate).")

    # ---- clipping -------------------------------------------------------------------------
    def _clip_gradients(self, grads: list[Tensor]) -> list[Tensor]:
        if self.clipnorm:
            return [self._clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm:
            norm = sqrt(_sum_all([reduce_sum(square(g)) for g in grads]))
            scale = self.global_clipnorm / maximum(norm, self.global_clipnorm)
            return [g * cast(scale, g.dtype) for g in grads]
        if self.clipvalue:
            from ..ops.math import clip
            return [clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    @staticmethod
    def _clip_by_norm(grad: Tensor, clip_norm: float) -> Tensor:
        norm = sqrt(reduce_sum(square(grad)))
        return grad * clip_norm / maximum(norm, clip_norm)

    # ---- minimize -------------------------------------------------------------------------
    def compute_gradients(self, loss: Any, var_list: Any = None,
                          tape: GradientTape | None = None) -> list[tuple[Any, Variable]]:
        """``(gradient, variable)`` pairs of ``loss`` (see :meth:`minimize` for the arguments)."""
        graph = STATE.graph
        if tape is None and graph is not None and not graph.lifts_variables:
            return self._graph_gradients(loss, var_list)
        if isinstance(loss, Tensor):
            if tape is None:
                raise ValueError(f"`tape` is required when a `Tensor` loss is passed. "
                                 f"Received: loss={loss!r}, tape=None.")
        elif callable(loss):
            tape = tape if tape is not None else GradientTape()
            with tape:
                if var_list is not None and not callable(var_list):
                    tape.watch(list(var_list))
                loss = loss()
        else:
            raise TypeError(f"`loss` must be a zero-argument callable (or a tensor together "
                            f"with `tape`), received {type(loss).__name__}.")
        if callable(var_list):
            var_list = var_list()
        if var_list is None:
            var_list = [v for v in tape.watched_variables() if v.trainable]
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        return list(zip(grads, var_list))

    def _graph_gradients(self, loss: Any, var_list: Any) -> list[tuple[Any, Variable]]:
        """TensorFlow 1: symbolic gradients of a loss tensor of the graph being built."""
        if callable(loss) and not isinstance(loss, Tensor):
            loss = loss()
        if not isinstance(loss, Tensor) or loss._op is None:
            raise TypeError(f"In graph mode `loss` must be a tensor of the graph being built "
                            f"(or a callable returning one), received {loss!r}.")
        if callable(var_list):
            var_list = var_list()
        if var_list is None:
            var_list = _graph_trainable_variables(get_default_graph())
            if not var_list:
                raise ValueError("minimize found no trainable variables in the graph: create "
                                 "lm.Variable objects in it or pass var_list.")
        var_list = list(var_list)
        return list(zip(gradients(loss, var_list), var_list))

    def minimize(self, loss: Any, var_list: Any = None, tape: GradientTape | None = None):
        """Computes the gradients of ``loss`` and applies them.

        Args:
            loss: eagerly, a zero-argument callable returning the loss (or the loss tensor
                together with the ``tape`` that recorded it). In a TensorFlow-1 graph, the loss
                tensor (or a callable building it).
            var_list: the variables to update, or a callable returning them. Defaults to the
                trainable variables the tape watched (eager) or the graph's trainable
                variables (graph mode).
            tape: the GradientTape that recorded ``loss``.

        Returns:
            ``iterations`` when executing eagerly; in graph mode the update Operation.

        Example:
            >>> lm.disable_eager_execution()
            >>> w = lm.Variable(5.0)
            >>> train_op = lm.optimizers.SGD(0.1).minimize(lm.square(w))
            >>> with lm.Session() as sess:
            ...     sess.run(lm.global_variables_initializer())
            ...     sess.run(train_op)
        """
        return self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    # ---- configuration --------------------------------------------------------------------
    def _learning_rate_config(self) -> Any:
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return _schedules.serialize(lr)
        if isinstance(lr, Variable):
            if lr._value is None:   # a graph variable: its value lives in each Session
                return self._lr_float
            value = lr.numpy()
            # Report the float the user gave, not its float32 rounding, while they agree.
            return self._lr_float if value == np.float32(self._lr_float) else float(value)
        raise TypeError(f"{type(self).__name__}.get_config cannot serialize a callable "
                        "learning rate; use a LearningRateSchedule (with get_config) instead.")

    def get_config(self) -> dict:
        """The constructor arguments, JSON-compatible (``from_config`` rebuilds the optimizer
        without its state)."""
        return {
            "name": self.name,
            "learning_rate": self._learning_rate_config(),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        """Creates an optimizer from :meth:`get_config`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<lamina.optimizers.{type(self).__name__} name={self.name!r}>"


def _sum_all(values: list[Tensor]) -> Tensor:
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total
