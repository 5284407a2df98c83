"""The callback machinery: the :class:`Callback` base class, :class:`CallbackList` (which calls
the hooks, computing batch logs only when some callback wants them), and the callbacks
``fit`` adds itself (:class:`History`, :class:`ProgbarLogger`), plus :class:`LambdaCallback`
and what the other callback modules share (argument checks, ``EveryNBatches``).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np

from .. import serialization
from ..utils.progress import ProgressBar

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "LambdaCallback"]

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
         "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
         "on_predict_batch_begin", "on_predict_batch_end")
BATCH_HOOKS = tuple(h for h in HOOKS if "batch" in h)


class Callback:
    """Base class: every hook does nothing until overridden."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_begin(self, logs: dict | None = None) -> None: ...
    def on_test_end(self, logs: dict | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_begin(self, logs: dict | None = None) -> None: ...
    def on_predict_end(self, logs: dict | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def uses(self, hook: str) -> bool:
        """Whether this callback overrides ``hook`` (batch logs are computed only if needed)."""
        return getattr(type(self), hook) is not getattr(Callback, hook)

    def wants_logs(self, hook: str, index: int) -> bool:
        """Whether this batch's hook needs logs now (a progress bar redraws only so often)."""
        return True


def as_list(callbacks: Any) -> list:
    """``callbacks`` as a flat list: None, one callback, or (nested) lists of them."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in as_list(item)]
    raise TypeError("callbacks must be a list of lm.callbacks.Callback instances, received "
                    f"{type(callbacks).__name__}.")


class CallbackList:
    """Calls a hook on every callback in order. Batch logs are made lazily: ``logs()`` is
    called only when some callback overrides that batch hook."""

    def __init__(self, callbacks: Iterable[Callback] | Callback | None, model: Any,
                 params: dict):
        self.callbacks = as_list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def call(self, hook: str, *args: Any, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs  # as in Keras: hooks always get a dict
        for cb in self.callbacks:
            getattr(cb, hook)(*args, logs=logs)

    def wants(self, hook: str) -> bool:
        return any(cb.uses(hook) for cb in self.callbacks)

    def batch(self, hook: str, index: int, logs: Callable[[], dict]) -> None:
        users = [cb for cb in self.callbacks if cb.uses(hook) and cb.wants_logs(hook, index)]
        if users:
            values = logs()
            for cb in users:
                getattr(cb, hook)(index, logs=values)


@serialization.register("callback")
class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is a list per epoch."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints training progress: a bar per epoch (verbose=1) or one line per epoch
    (verbose=2)."""

    def __init__(self, verbose: int = 1):
        super().__init__()
        self.verbose = verbose
        self.bar: ProgressBar | None = None
        self._seen = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}")
        self.bar = ProgressBar(self.params.get("steps"), verbose=self.verbose)
        self._seen = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.update(batch + 1, **(logs or {}))

    def wants_logs(self, hook: str, index: int) -> bool:
        """Only when the bar would redraw: computing logs costs time on every batch.

        Asked once per batch, so it also counts the batches: the epoch's last line needs the
        count even when no batch asked for logs (verbose=2, or a stop in mid-epoch)."""
        self._seen = index + 1
        return self.bar is not None and self.bar.due(index + 1)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            if self.verbose != 1 or self._seen != self.params.get("steps"):
                self.bar.update(self._seen)   # a full bar (verbose=1) is already drawn
            self.bar.close(**(logs or {}))
            self.bar = None


@serialization.register("callback")
class LambdaCallback(Callback):
    """A callback made of plain functions: ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``.

    Accepts on_epoch_begin/end(epoch, logs), on_train_batch_begin/end(batch, logs) (also as
    on_batch_begin/end), on_train_begin/end(logs).
    """

    def __init__(self, on_epoch_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None, on_batch_begin: Callable | None = None,
                 on_batch_end: Callable | None = None, on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None, **kwargs: Callable):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_batch_begin=on_batch_begin, on_train_batch_end=on_batch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end)
        for hook, fn in kwargs.items():
            if hook not in HOOKS:
                raise TypeError(f"LambdaCallback got an unknown hook {hook!r}; hooks are "
                                f"{HOOKS}.")
            given[hook] = fn
        self._fns = {k: v for k, v in given.items() if v is not None}
        for hook, fn in self._fns.items():
            object.__setattr__(self, hook, self._adapter(hook, fn))

    @staticmethod
    def _adapter(hook: str, fn: Callable) -> Callable:
        if hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                    "on_predict_begin", "on_predict_end"):
            return lambda logs=None: fn(logs)
        return lambda index, logs=None: fn(index, logs)

    def uses(self, hook: str) -> bool:
        return hook in self._fns


# ---- shared by the callback modules ----------------------------------------------------------
def check_int(owner: str, name: str, value: Any, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: `{name}` must be an integer >= {minimum}, received "
                         f"{name}={value!r}.")
    return int(value)


def check_float(owner: str, name: str, value: Any, optional: bool = False) -> float | None:
    """``value`` as a finite float (None passes when ``optional``), or a ValueError."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not math.isfinite(value):
        raise ValueError(f"{owner}: `{name}` must be a finite number, received "
                         f"{name}={value!r}.")
    return float(value)


class EveryNBatches(Callback):
    """Counts training batches for a callback that acts every ``_every`` batches (None: only
    at epoch ends), so that batch logs are computed only for the batches it acts on."""

    _every: int | None = None
    _batches_seen = 0

    def uses(self, hook: str) -> bool:
        if hook in ("on_train_batch_begin", "on_train_batch_end"):
            return self._every is not None
        return super().uses(hook)

    def wants_logs(self, hook: str, index: int) -> bool:
        return hook != "on_train_batch_end" or self._batch_due()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._batches_seen += 1

    def _batch_due(self) -> bool:
        return self._every is not None and self._batches_seen % self._every == 0
