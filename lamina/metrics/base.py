"""The metric base class and the reductions every metric builds on: ``Metric``, ``Sum``,
``Mean``, ``MeanMetricWrapper`` (the mean of a per-sample function), and the helpers the
metric modules share (``metric_class`` defines a registered MeanMetricWrapper subclass).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import losses as _losses
from .. import serialization
from ..losses import divide_no_nan, squeeze_or_expand
from ..ops import math as m
from ..ops.creation import zeros_like
from ..ops.shape import _as_tensor, size
from ..tensor import Tensor, Variable, _fmt_shape

EPSILON = _losses.EPSILON


class Metric:
    """Base class. Subclasses create state with :meth:`add_variable` (in ``__init__``, or on
    the first update once shapes are known) and implement ``update_state`` and ``result``.

    Example:
        >>> class Count(lm.metrics.Metric):
        ...     def __init__(self, name="count", dtype="float32"):
        ...         super().__init__(name, dtype)
        ...         self.n = self.add_variable("n")
        ...     def update_state(self, values):
        ...         self.n.assign_add(lm.cast(lm.size(values), self.dtype))
        ...     def result(self):
        ...         return lm.identity(self.n)
        >>> float(Count()([1, 2, 3]))
        3.0
    """

    def __init__(self, name: str | None = None, dtype: Any = "float32"):
        from ..layers.base import snake_case
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self._variables: list[Variable] = []
        self._initializers: list[float] = []

    def add_variable(self, name: str, shape: tuple = (), initializer: float = 0.0,
                     dtype: Any = None) -> Variable:
        """A non-trainable state Variable filled with ``initializer``."""
        value = np.full(tuple(shape), initializer, dtype=str(dtype or self.dtype))
        var = Variable(value, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(var)
        self._initializers.append(initializer)
        return var

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement update_state.")

    def result(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement result.")

    def reset_state(self) -> None:
        """Sets every state variable back to its initial value."""
        for var, initial in zip(self._variables, self._initializers):
            var.assign(np.full(var.shape, initial, dtype=var.dtype.np))

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<lamina.metrics.{type(self).__name__} name={self.name!r}>"


# ---- reductions -------------------------------------------------------------------------------
def _samplewise(values: Any, sample_weight: Any, reduce_fn: Callable,
                dtype: Any) -> tuple[Tensor, Tensor | None]:
    """Keras's reduction to one value per sample: values are reduced (by ``reduce_fn``) down to
    the weights' rank, weighted, then reduced to rank 1; the weights to one per sample."""
    values = m.cast(_as_tensor(values), dtype)
    w = None
    if sample_weight is not None:
        w = m.cast(_as_tensor(sample_weight), dtype)
        values, w = squeeze_or_expand(values, w)
        w_ndim = w.ndim
        if values.ndim > w_ndim:
            values = reduce_fn(values, axis=tuple(range(w_ndim, values.ndim)))
        if w_ndim > values.ndim or not _losses._broadcastable(w.shape, values.shape):
            raise ValueError(f"sample_weight of shape {_fmt_shape(w.shape)} does not match the "
                             f"values it weights, of shape {_fmt_shape(values.shape)}.")
        w = w + zeros_like(values)
        values = values * w
        if w_ndim > 1:
            w = reduce_fn(w, axis=tuple(range(1, w_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, w


@serialization.register("metric")
class Sum(Metric):
    """The (weighted) sum of all values seen.

    Example:
        >>> float(lm.metrics.Sum()([1.0, 3.0, 5.0], sample_weight=[1, 1, 0]))
        4.0
    """

    def __init__(self, name: str = "sum", dtype: Any = "float32"):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = _samplewise(values, sample_weight, m.sum, self.dtype)
        self.total.assign_add(m.sum(values))

    def result(self) -> Tensor:
        return m.identity(self.total)


@serialization.register("metric")
class Mean(Metric):
    """The (weighted) mean of all values seen (rows of values are first averaged per sample).

    Example:
        >>> float(lm.metrics.Mean()([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0]))
        2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = "float32"):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")
        self.count = self.add_variable("count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, w = _samplewise(values, sample_weight, m.mean, self.dtype)
        self.total.assign_add(m.sum(values))
        if w is not None:
            count = m.sum(w)
        else:
            count = m.cast(size(values), self.dtype)
        self.count.assign_add(count)

    def result(self) -> Tensor:
        return divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **fn_kwargs)`` over all samples seen.

    Example:
        >>> metric = lm.metrics.MeanMetricWrapper(lm.losses.huber, delta=2.0)
        >>> float(metric([[0.0]], [[3.0]]))
        4.0
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = "float32",
                 **fn_kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.fn_kwargs}


def metric_class(cls_name: str, fn: Callable, default_name: str, doc: str,
                 order: tuple | None = None, check: Callable | None = None,
                 **defaults: Any) -> type:
    """A registered MeanMetricWrapper subclass taking ``order`` (by default ``name, dtype``
    and then ``defaults``) positionally or by keyword; ``check`` validates the arguments."""
    order = order or ("name", "dtype", *defaults)

    def __init__(self, *args: Any, **kwargs: Any):
        params = _losses._bind_arguments(cls_name, order, {
            "name": default_name, "dtype": "float32", **defaults}, args, kwargs)
        if check is not None:
            check(cls_name, params)
        MeanMetricWrapper.__init__(self, fn, **params)

    # A class is found again (pickle, copy) by its module and name: the package exports it.
    cls = type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc,
                                                "__module__": "lamina.metrics"})
    return serialization.register("metric")(cls)


def example_doc(call: str, value: str) -> str:
    """A docstring's example section: ``float(lm.metrics.<call>)`` gives ``value``."""
    return f"\n\n    Example:\n        >>> float(lm.metrics.{call})\n        {value}\n"


def shape_error(name: str, y_true: Tensor, y_pred: Tensor, expected: str) -> ValueError:
    """The error for labels and predictions of the wrong shapes, naming both."""
    return ValueError(f"{name} expects {expected}, received y_true of shape "
                      f"{_fmt_shape(y_true.shape)} and y_pred of shape "
                      f"{_fmt_shape(y_pred.shape)}.")



def check_two_d(name: str, y_true: Tensor, y_pred: Tensor) -> None:
    """Labels and predictions of the same 2-D shape ``(batch_size, output_dim)``."""
    if y_true.ndim != 2 or y_pred.ndim != 2 or y_pred.shape[-1] is None:
        raise shape_error(name, y_true, y_pred, "2-D inputs of shape (batch_size, "
                          "output_dim) with a known output_dim")
    if not _losses._same_shape(y_true.shape, y_pred.shape):
        raise shape_error(name, y_true, y_pred, "y_true and y_pred of the same shape")
