"""Callbacks that write training records: :class:`CSVLogger` (one row per epoch) and
:class:`TensorBoard` (event files written without TensorFlow, see ``utils/tensorboard.py``).
"""
from __future__ import annotations

import csv
import os
import time
from typing import Any

import numpy as np

from ..utils import tensorboard as tb
from .base import Callback, EveryNBatches, check_int

__all__ = ["CSVLogger", "TensorBoard"]


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


class TensorBoard(EveryNBatches):
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
        self.histogram_freq = check_int("TensorBoard", "histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq not in ("epoch", "batch"):
            check_int("TensorBoard", "update_freq", update_freq, 1)
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
