"""Callbacks: code that runs at points of training (Keras hook names).

Subclass :class:`Callback` and override any of ``on_train_begin/end``,
``on_epoch_begin/end``, ``on_train_batch_begin/end``, ``on_test_*``, ``on_predict_*``. Each
gets the model as ``self.model`` and a ``logs`` dict (loss and metrics so far).

Built in, with Keras 3 names and defaults: :class:`History` and :class:`ProgbarLogger` (added
by ``fit``), :class:`EarlyStopping`, :class:`ModelCheckpoint`, :class:`ReduceLROnPlateau`,
:class:`LearningRateScheduler`, :class:`CSVLogger`, :class:`TerminateOnNaN`,
:class:`TensorBoard` (event files written without TensorFlow, see ``utils/tensorboard.py``) and
:class:`LambdaCallback`.

The base class and the callbacks fit adds live in base.py, those that act on training in
monitoring.py, those that write records in loggers.py.

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

from .base import *  # noqa: F401,F403
from .base import __all__ as _base_names
from .base import as_list  # noqa: F401  (used by fit)
from .loggers import *  # noqa: F401,F403
from .loggers import __all__ as _logger_names
from .monitoring import *  # noqa: F401,F403
from .monitoring import __all__ as _monitoring_names

__all__ = [*_base_names, *_monitoring_names, *_logger_names]
