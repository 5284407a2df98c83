"""Callbacks: code that runs at points of training (Keras hook names).

Subclass :class:`Callback` and override any of ``on_train_begin/end``,
``on_epoch_begin/end``, ``on_train_batch_begin/end``, ``on_test_*``, ``on_predict_*``. Each
gets the model as ``self.model`` and a ``logs`` dict (loss and metrics so far).

Built in, with Keras 3 names and defaults: :class:`History` and :class:`ProgbarLogger` (added
by ``fit``), :class:`EarlyStopping`, :class:`ModelCheckpoint`, :class:`ReduceLROnPlateau`,
:class:`LearningRateScheduler`, :class:`CSVLogger`, :class:`TerminateOnNaN`,
:class:`TensorBoard` (event files written without TensorFlow, see ``utils/tensorboard.py``) and
:class:`LambdaCallback`.

Batch logs cost a read of every metric, so they are computed lazily: only for callbacks that
override a batch hook (:meth:`Callback.uses`) and want logs at that batch
(:meth:`Callback.wants_logs`).

Example:
    >>> class Stop(lm.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         if logs["loss"] < 0.1:
    ...             self.model.stop_training = True
"""
from __future__ import annotations

import csv
import inspect
import math
import os
import time
import warnings
from typing import Any, Callable, Iterable

import numpy as np

from . import serialization
from .utils import tensorboard as tb
from .utils.progress import ProgressBar

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "LambdaCallback",
           "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler",
           "CSVLogger", "TerminateOnNaN", "TensorBoard"]

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


# ---- argument checks shared by the callbacks below ---------------------------------------------
def _check_int(owner: str, name: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: `{name}` must be an integer >= {minimum}, received "
                         f"{name}={value!r}.")
    return int(value)


def _check_float(owner: str, name: str, value: Any, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not math.isfinite(value):
        raise ValueError(f"{owner}: `{name}` must be a finite number, received "
                         f"{name}={value!r}.")
    return float(value)


# Names whose direction is clear: losses and errors go down, scores go up.
_UP_HINTS = ("acc", "auc", "precision", "recall", "r2", "f1", "fbeta", "iou", "similarity",
             "score", "true_positives", "true_negatives")
_DOWN_HINTS = ("error", "mse", "mae", "mape", "msle", "crossentropy", "divergence", "hinge",
               "poisson", "logcosh", "false_positives", "false_negatives")


class _Monitor:
    """The quantity a callback watches and which way counts as better (shared by
    EarlyStopping, ModelCheckpoint and ReduceLROnPlateau).

    Args:
        owner: the callback's class name, for messages.
        monitor: the logs key, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name or the metric).
        min_delta: how much better a value must be to count as an improvement.
        default: the direction ``"auto"`` falls back to when the name says nothing (None:
            raise, as Keras's EarlyStopping and ModelCheckpoint do).
    """

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float = 0.0,
                 default: str | None = None):
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{owner}: `monitor` must be the name of a logged quantity such as "
                             f"'val_loss', received monitor={monitor!r}.")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: `mode` must be one of 'auto', 'min', 'max', received "
                             f"mode={mode!r}.")
        self.owner, self.monitor, self.mode = owner, monitor, mode
        self.min_delta = abs(_check_float(owner, "min_delta", min_delta))
        self.default = default
        self.direction = mode if mode != "auto" else None

    def value(self, logs: dict | None, model: Any, consequence: str = "") -> float | None:
        """The monitored value in ``logs``, or None (with a warning) if it is not there."""
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"{self.owner} is conditioned on metric `{self.monitor}`, which is "
                          f"not available. Available metrics are: {', '.join(logs)}."
                          f"{consequence}", stacklevel=3)
            return None
        if self.direction is None:
            self.direction = self._infer(model)
        return float(current)

    def _infer(self, model: Any) -> str:
        name = self.monitor.removeprefix("val_")
        for metric in getattr(model, "metrics", None) or []:
            if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
                return "max" if metric._direction == "up" else "min"
        if "loss" in name:
            return "min"
        if any(hint in name for hint in _UP_HINTS):
            return "max"
        if any(hint in name for hint in _DOWN_HINTS):
            return "min"
        if self.default is not None:
            return self.default
        raise ValueError(f"{self.owner} received monitor={self.monitor!r} but cannot tell "
                         "whether it should be maximized or minimized. Pass mode='max' to "
                         "follow the highest value or mode='min' to follow the lowest.")

    def improved(self, current: float, reference: float | None) -> bool:
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if reference is None:
            return True
        if self.direction == "max":
            return current > reference + self.min_delta
        return current < reference - self.min_delta


def _optimizer(model: Any, owner: str) -> Any:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{owner} needs a model compiled with an optimizer that has a "
                         f"`learning_rate`, received optimizer={optimizer!r}.")
    return optimizer


class EarlyStopping(Callback):
    """Stops training when a monitored quantity has stopped improving.

    Args:
        monitor: the quantity to watch (``"val_loss"``, ``"accuracy"``...).
        min_delta: a change smaller than this does not count as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping or restoring weights.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name).
        baseline: training stops if the monitored value does not beat this within
            ``patience`` epochs.
        restore_best_weights: at the end of training, restore the weights of the best epoch.
        start_from_epoch: epochs to wait before monitoring starts (warm-up).

    Example:
        >>> stop = lm.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> history = model.fit(x, y, epochs=100, callbacks=[stop], verbose=0)
        >>> len(history.history["loss"]) < 100
        True
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__()
        self._monitor = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.mode, self.min_delta = monitor, mode, self._monitor.min_delta
        self.patience = _check_int("EarlyStopping", "patience", patience)
        self.verbose = _check_int("EarlyStopping", "verbose", verbose)
        self.baseline = _check_float("EarlyStopping", "baseline", baseline, optional=True)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _check_int("EarlyStopping", "start_from_epoch",
                                           start_from_epoch)
        self.on_train_begin()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_weights: list | None = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self._monitor.value(logs, self.model)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._monitor.improved(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The wait restarts only once the baseline, too, is beaten.
            if self.baseline is None or self._monitor.improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class _EveryNBatches(Callback):
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


MODEL_SUFFIX = ".lamina"
WEIGHTS_SUFFIX = ".safetensors"   # also covers ".weights.safetensors"


class ModelCheckpoint(_EveryNBatches):
    """Saves the model (``.lamina``) or its weights (``.safetensors``) during training.

    Args:
        filepath: where to save; may hold format fields filled from ``epoch`` (1-based),
            ``batch`` and the logs, e.g. ``"ckpt/model-{epoch:02d}-{val_loss:.2f}.lamina"``.
            A ``.lamina`` path is written by ``model.save``, a ``.safetensors`` (or
            ``.weights.safetensors``) path by ``model.save_weights``.
        monitor: the quantity that decides what is "best".
        verbose: 1 prints a message at each save.
        save_best_only: save only when ``monitor`` improves on the best value so far.
        save_weights_only: save weights only (the path must end in ``.safetensors``).
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_freq: ``"epoch"`` (after every epoch) or an integer (every that many batches).
        initial_value_threshold: the "best" value to beat at first (with save_best_only).

    Example:
        >>> ckpt = lm.callbacks.ModelCheckpoint("best.lamina", save_best_only=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=5, callbacks=[ckpt])
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss",
                 verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError("ModelCheckpoint: `filepath` must be a string or path, received "
                            f"{type(filepath).__name__}.")
        self.filepath = os.fspath(filepath)
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode)
        self.monitor, self.mode = monitor, mode
        self.verbose = _check_int("ModelCheckpoint", "verbose", verbose)
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        if save_freq != "epoch":
            _check_int("ModelCheckpoint", "save_freq", save_freq, 1)
        self.save_freq = save_freq
        self._every = None if save_freq == "epoch" else save_freq
        self.best = _check_float("ModelCheckpoint", "initial_value_threshold",
                                 initial_value_threshold, optional=True)
        self._check_suffix()
        self._current_epoch = 0

    def _check_suffix(self) -> None:
        if self.filepath.endswith(WEIGHTS_SUFFIX):
            return
        if self.save_weights_only:
            raise ValueError("ModelCheckpoint: with save_weights_only=True the filepath must end "
                             f"in '.weights.safetensors' (or '.safetensors'), received "
                             f"filepath={self.filepath!r}.")
        if not self.filepath.endswith(MODEL_SUFFIX):
            raise ValueError("ModelCheckpoint: the filepath must end in '.lamina' (the whole "
                             "model) or '.safetensors' (weights only), received "
                             f"filepath={self.filepath!r}.")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._batch_due():
            self._save(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _save(self, epoch: int, batch: int | None, logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = self._monitor.value(logs, self.model, " Saving the model anyway.")
            if current is not None:
                best = "None" if self.best is None else f"{self.best:.5f}"
                if not self._monitor.improved(current, self.best):
                    if self.verbose:
                        print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
                    return
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                          f"{current:.5f}, saving model to {path}")
                self.best = current
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        self._write(path)

    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields.setdefault("batch", batch + 1)
        try:
            return self.filepath.format(**fields)
        except KeyError as exc:
            raise KeyError(f"ModelCheckpoint: failed to format the filepath "
                           f"{self.filepath!r}: field {exc} is not in the logs (available: "
                           f"{', '.join(fields)}).") from None

    def _write(self, path: str) -> None:
        if os.path.isdir(path):
            raise IsADirectoryError("ModelCheckpoint: the filepath must name a file, but "
                                    f"{path!r} is an existing directory.")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only or path.endswith(WEIGHTS_SUFFIX):
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when a quantity stops improving.

    The new rate is assigned to ``model.optimizer.learning_rate`` (a variable the compiled
    train step reads), so it applies from the next batch. ``logs["learning_rate"]`` records the
    rate each epoch trained with.

    Args:
        monitor: the quantity to watch.
        factor: the multiplier, in [0, 1).
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints a message at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        min_delta: a change smaller than this does not count as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate never goes below this.

    Example:
        >>> reduce = lm.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
        >>> model.fit(x, y, epochs=20, callbacks=[reduce])
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0):
        super().__init__()
        owner = "ReduceLROnPlateau"
        self.factor = _check_float(owner, "factor", factor)
        if not 0.0 <= self.factor < 1.0:
            raise ValueError(f"{owner} does not support a factor outside [0, 1): it must shrink "
                             f"the learning rate. Received factor={factor}.")
        self._monitor = _Monitor(owner, monitor, mode, min_delta, default="min")
        self.monitor, self.mode, self.min_delta = monitor, mode, self._monitor.min_delta
        self.patience = _check_int(owner, "patience", patience)
        self.verbose = _check_int(owner, "verbose", verbose)
        self.cooldown = _check_int(owner, "cooldown", cooldown)
        self.min_lr = _check_float(owner, "min_lr", min_lr)
        if self.min_lr < 0:
            raise ValueError(f"{owner}: `min_lr` must be >= 0, received min_lr={min_lr}.")
        self.on_train_begin()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best: float | None = None
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        optimizer = _optimizer(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._monitor.value(logs, self.model)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._monitor.improved(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(optimizer, epoch)

    def _reduce(self, optimizer: Any, epoch: int) -> None:
        old = float(optimizer.learning_rate)
        if old > np.float32(self.min_lr):  # the rate is stored as float32
            new = max(old * self.factor, self.min_lr)
            optimizer.learning_rate = new
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from ``schedule(epoch, lr)``.

    Args:
        schedule: a function of the epoch index (0-based) and the current rate returning the
            new rate (a function of the epoch alone is accepted too).
        verbose: 1 prints the rate set at each epoch.

    Example:
        >>> halve = lm.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
        >>> model.fit(x, y, epochs=3, callbacks=[halve])
    """

    def __init__(self, schedule: Callable, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError("LearningRateScheduler: `schedule` must be a function "
                            f"(epoch, lr) -> lr, received {schedule!r}.")
        self.schedule = schedule
        self.verbose = _check_int("LearningRateScheduler", "verbose", verbose)
        self._takes_lr = _accepts_two_args(schedule)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = _optimizer(self.model, "LearningRateScheduler")
        if self._takes_lr:
            rate = self.schedule(epoch, float(optimizer.learning_rate))
        else:
            rate = self.schedule(epoch)
        if hasattr(rate, "numpy") and np.ndim(rate) == 0:
            rate = float(rate.numpy())
        if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.number)):
            raise ValueError("The output of the `schedule` function should be a float, "
                             f"received {rate!r} at epoch {epoch}.")
        optimizer.learning_rate = float(rate)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(rate)}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(_optimizer(self.model, "LearningRateScheduler")
                                          .learning_rate)


def _accepts_two_args(fn: Callable) -> bool:
    """Whether ``fn`` can be called as ``fn(epoch, lr)`` (the older API is ``fn(epoch)``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume the current API
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


class CSVLogger(Callback):
    """Writes one CSV row per epoch: the epoch index and every value in the logs.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: append to an existing file (its header is kept) instead of overwriting it.

    Example:
        >>> model.fit(x, y, epochs=5, callbacks=[lm.callbacks.CSVLogger("training.csv")])
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",",
                 append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError("CSVLogger: `filename` must be a string or path, received "
                            f"{type(filename).__name__}.")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError("CSVLogger: `separator` must be a single character, received "
                             f"separator={separator!r}.")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file = None
        self._writer = None
        self._write_header = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._close()
        mode = "w"
        self._write_header = True
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as existing:
                    self._write_header = not existing.readline()
        self._file = open(self.filename, mode, newline="")
        self._writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._file is None:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            # With validation_freq > 1 the first epoch has no val_ values: make room for them.
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self._writer is None:
            self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")
            if self._write_header:
                self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow([epoch, *(_csv_value(logs.get(k, "NA")) for k in self.keys)])
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()

    def _close(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
        self._file = None
        self._writer = None


def _csv_value(value: Any) -> Any:
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return "[" + ", ".join(str(v) for v in np.ravel(value)) + "]"


class TerminateOnNaN(Callback):
    """Stops training as soon as the loss becomes NaN or infinite.

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[lm.callbacks.TerminateOnNaN()])
    """

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class TensorBoard(_EveryNBatches):
    """Writes losses, metrics (and optionally weight histograms) for TensorBoard.

    The event files are written directly (no TensorFlow needed): epoch values go to
    ``log_dir/train`` and, without their ``val_`` prefix, to ``log_dir/validation`` as
    ``epoch_<name>`` scalars, with the learning rate as ``epoch_learning_rate``. View them with
    ``tensorboard --logdir logs``.

    Args:
        log_dir: the folder for this run's event files.
        histogram_freq: every this many epochs, write a histogram of every weight (0: never).
        write_graph: write the model's layer graph (Functional and Sequential models).
        write_images: with histograms, also write every weight as a grayscale image.
        write_steps_per_second: also write the training speed.
        update_freq: ``"epoch"``; ``"batch"`` or an integer N writes ``batch_<name>`` scalars
            every N batches too.
        profile_batch: must be 0 (lamina has no profiler to start).

    Example:
        >>> board = lm.callbacks.TensorBoard(log_dir="logs/run1")
        >>> model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[board])
    """

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq: str | int = "epoch",
                 profile_batch: int = 0):
        super().__init__()
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError("TensorBoard: `log_dir` must be a string or path, received "
                            f"{type(log_dir).__name__}.")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_int("TensorBoard", "histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq not in ("epoch", "batch"):
            _check_int("TensorBoard", "update_freq", update_freq, 1)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._every = None if update_freq == "epoch" else self.update_freq
        if profile_batch:
            raise ValueError("TensorBoard: profiling is not available in lamina; "
                             f"profile_batch must be 0, received {profile_batch!r}.")
        self._writers: dict[str, tb.EventFileWriter] = {}
        self._training = False
        self._batch_start = self._epoch_start = 0.0
        self._epoch_start_step = 0

    def _writer(self, run: str) -> tb.EventFileWriter:
        if run not in self._writers:  # created lazily: no empty event files
            self._writers[run] = tb.EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._training = True
        self._batches_seen = 0  # batch steps count from 1 in every fit, as in Keras
        graph = tb.model_graph_json(self.model) if self.write_graph else None
        if graph is not None:
            # b"1": the version of the graph plugin's Keras-model format
            self._writer("train").add_text_tensor("keras", graph, "graph_keras_model",
                                                  plugin_content=b"1")

    def on_train_end(self, logs: dict | None = None) -> None:
        self._training = False
        self._close_writers()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        super().on_train_batch_begin(batch, logs)
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._batch_due():
            return
        step = self._batches_seen
        values = {f"batch_{k}": v for k, v in (logs or {}).items()}
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start
            values["batch_steps_per_second"] = 1.0 / max(elapsed, 1e-9)
        self._writer("train").add_scalars(values, step)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = time.perf_counter()
        self._epoch_start_step = self._iterations()

    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        return int(optimizer.iterations.numpy()) if optimizer is not None else 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        train = {f"epoch_{k}": v for k, v in logs.items() if not k.startswith("val_")}
        val = {f"epoch_{k[4:]}": v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            train["epoch_learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._epoch_start, 1e-9)
            train["epoch_steps_per_second"] = (self._iterations() - self._epoch_start_step) / \
                elapsed
        if train:
            self._writer("train").add_scalars(train, epoch)
        if val:
            self._writer("validation").add_scalars(val, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._writer("train").add_weights(self.model.layers, epoch, self.write_images)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs: dict | None = None) -> None:
        """Evaluation results against the optimizer's step count, as Keras writes them."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not logs:
            return
        values = {f"evaluation_{k}_vs_iterations": v for k, v in logs.items()}
        self._writer("validation").add_scalars(values, self._iterations())
        if not self._training:
            self._close_writers()
