"""Callbacks that watch training and act on it: :class:`EarlyStopping`,
:class:`ModelCheckpoint`, :class:`ReduceLROnPlateau`, :class:`LearningRateScheduler` and
:class:`TerminateOnNaN`.
"""
from __future__ import annotations

import inspect
import math
import os
import warnings
from typing import Any, Callable

import numpy as np

from .base import Callback, EveryNBatches, check_float, check_int

__all__ = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler",
           "TerminateOnNaN"]


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
        self.min_delta = abs(check_float(owner, "min_delta", min_delta))
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
        self.patience = check_int("EarlyStopping", "patience", patience)
        self.verbose = check_int("EarlyStopping", "verbose", verbose)
        self.baseline = check_float("EarlyStopping", "baseline", baseline, optional=True)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_int("EarlyStopping", "start_from_epoch",
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


MODEL_SUFFIX = ".lamina"
WEIGHTS_SUFFIX = ".safetensors"   # also covers ".weights.safetensors"


class ModelCheckpoint(EveryNBatches):
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
        self.verbose = check_int("ModelCheckpoint", "verbose", verbose)
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        if save_freq != "epoch":
            check_int("ModelCheckpoint", "save_freq", save_freq, 1)
        self.save_freq = save_freq
        self._every = None if save_freq == "epoch" else save_freq
        self.best = check_float("ModelCheckpoint", "initial_value_threshold",
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
        self.factor = check_float(owner, "factor", factor)
        if not 0.0 <= self.factor < 1.0:
            raise ValueError(f"{owner} does not support a factor outside [0, 1): it must shrink "
                             f"the learning rate. Received factor={factor}.")
        self._monitor = _Monitor(owner, monitor, mode, min_delta, default="min")
        self.monitor, self.mode, self.min_delta = monitor, mode, self._monitor.min_delta
        self.patience = check_int(owner, "patience", patience)
        self.verbose = check_int(owner, "verbose", verbose)
        self.cooldown = check_int(owner, "cooldown", cooldown)
        self.min_lr = check_float(owner, "min_lr", min_lr)
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
        self.verbose = check_int("LearningRateScheduler", "verbose", verbose)
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
