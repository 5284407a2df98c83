"""Callbacks: code that runs at points of training (Keras hook names).

Subclass :class:`Callback` and override any of ``on_train_begin/end``,
``on_epoch_begin/end``, ``on_train_batch_begin/end``, ``on_test_*``, ``on_predict_*``. Each
gets the model as ``self.model`` and a ``logs`` dict (loss and metrics so far).

Example:
    >>> class Stop(lm.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         if logs["loss"] < 0.1:
    ...             self.model.stop_training = True
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from . import serialization
from .utils.progress import ProgressBar

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


class CallbackList:
    """Calls a hook on every callback in order. Batch logs are made lazily: ``logs()`` is
    called only when some callback overrides that batch hook."""

    def __init__(self, callbacks: Iterable[Callback] | None, model: Any, params: dict):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be lm.callbacks.Callback instances, received "
                                f"{type(cb).__name__}.")
            cb.set_model(model)
            cb.set_params(params)

    def call(self, hook: str, *args: Any, logs: dict | None = None) -> None:
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

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}")
        self.bar = ProgressBar(self.params.get("steps"), verbose=self.verbose)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.update(batch + 1, **(logs or {}))

    def wants_logs(self, hook: str, index: int) -> bool:
        """Only when the bar would redraw: computing logs costs time on every batch."""
        return self.bar is not None and self.bar.due(index + 1)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
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
