"""The Trainer: what ``model.compile`` creates and ``fit``/``evaluate``/``predict`` run.

One training step is: forward pass, loss, gradients, optimizer update, metric updates. The
Trainer compiles that whole step with ``lm.function`` (unless ``run_eagerly=True``), so each
batch runs one generated function. Metrics keep their state in variables updated inside the
step; their values are read only when something looks at them (the progress bar, callbacks,
the end of an epoch).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import callbacks as cb_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import nest
from ..autodiff import GradientTape
from ..graph.function import Function
from ..ops import math as m
from ..tensor import Tensor, Variable
from . import data as D

DEFAULT_BATCH_SIZE = 32


class Trainer:
    """Trains, evaluates and runs one model (created by ``Model.compile``)."""

    def __init__(self, model: Any, optimizer: Any = "rmsprop", loss: Any = None,
                 metrics: Any = None, loss_weights: Any = None, weighted_metrics: Any = None,
                 run_eagerly: bool = False):
        from .. import optimizers
        self.model = model
        self.optimizer = optimizers.get(optimizer) if optimizer is not None else None
        self.loss = loss
        self.metrics = metrics
        self.loss_weights = loss_weights
        self.weighted_metrics = weighted_metrics
        self.run_eagerly = bool(run_eagerly)
        self.loss_tracker = metrics_module.Mean("loss")
        self._output_names: list[str] | None = None
        self._losses: list | None = None          # per output: a callable or None
        self._weights: list[float] | None = None
        self._output_trackers: list = []         # per-output loss means (several outputs)
        self._metrics: list[list] | None = None   # per output: metric objects
        self._weighted: list[list] | None = None
        self._functions: dict[str, Callable] = {}
        # (shape, the model's input tensor) of the last plain array _check_input_shapes passed
        # for a one-input model: the same again needs no check.
        self._checked_input: tuple | None = None

    # ---- configuration --------------------------------------------------------------------
    def get_config(self) -> dict:
        from .. import optimizers
        return {"optimizer": optimizers.serialize(self.optimizer) if self.optimizer else None,
                "loss": _serialize_nested(self.loss, losses_module.serialize),
                "metrics": _serialize_nested(self.metrics, _metric_spec),
                "loss_weights": self.loss_weights,
                "weighted_metrics": _serialize_nested(self.weighted_metrics, _metric_spec),
                "run_eagerly": self.run_eagerly}

    @classmethod
    def from_config(cls, model: Any, config: dict, custom_objects: dict | None = None
                    ) -> "Trainer":
        from .. import optimizers
        opt = config.get("optimizer")
        return cls(model, optimizer=optimizers.deserialize(opt, custom_objects) if opt else None,
                   loss=_deserialize_nested(config.get("loss"),
                                            lambda s: losses_module.deserialize(s,
                                                                                custom_objects)),
                   metrics=_deserialize_nested(config.get("metrics"), _metric_from_spec),
                   loss_weights=config.get("loss_weights"),
                   weighted_metrics=_deserialize_nested(config.get("weighted_metrics"),
                                                        _metric_from_spec),
                   run_eagerly=config.get("run_eagerly", False))

    def _outputs(self) -> list[str]:
        if self._output_names is None:
            outs = getattr(self.model, "outputs", None) or []
            self._output_names = [t.name for t in outs] if len(outs) > 1 else ["output"]
        return self._output_names

    def _per_output(self, spec: Any, what: str) -> list:
        names = self._outputs()
        if isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(f"{what} names unknown output(s) {sorted(unknown)}; the "
                                 f"model's outputs are {names}.")
            return [spec.get(n) for n in names]
        if isinstance(spec, (list, tuple)) and len(names) > 1 and what != "metrics":
            if len(spec) != len(names):
                raise ValueError(f"{what} has {len(spec)} entries for a model with "
                                 f"{len(names)} outputs ({names}).")
            return list(spec)
        if what == "metrics" and len(names) > 1 and isinstance(spec, (list, tuple)) and \
                spec and isinstance(spec[0], (list, tuple, dict)):
            return list(spec)
        return [spec] * len(names)

    def _resolve(self, y_true: list, y_pred: list) -> None:
        """Losses and metrics per output, once the shapes of labels and outputs are known."""
        if self._losses is not None:
            return
        names = self._outputs()
        self._losses = [losses_module.get(s) for s in self._per_output(self.loss, "loss")]
        weights = self.loss_weights
        self._weights = [1.0 if w is None else float(w)
                         for w in self._per_output(weights, "loss_weights")] \
            if weights is not None else [1.0] * len(names)
        self._metrics = [self._metric_objects(spec, loss, yt, yp, name)
                         for spec, loss, yt, yp, name in
                         zip(self._per_output(self.metrics, "metrics"), self._losses, y_true,
                             y_pred, names)]
        self._weighted = [self._metric_objects(spec, loss, yt, yp, name, "weighted_")
                          for spec, loss, yt, yp, name in
                          zip(self._per_output(self.weighted_metrics, "metrics"), self._losses,
                              y_true, y_pred, names)]
        if len(names) > 1:
            self._output_trackers = [metrics_module.Mean(f"{n}_loss") for n in names]

    def _metric_objects(self, spec: Any, loss: Any, y_true: Any, y_pred: Any, output: str,
                        prefix: str = "") -> list:
        out = []
        several = len(self._outputs()) > 1
        for item in nest.flatten(spec) if spec is not None else []:
            if isinstance(item, str) and item.lower() in ("accuracy", "acc"):
                metric = metrics_module.accuracy_for(item, tuple(y_true.shape),
                                                     tuple(y_pred.shape))
            else:
                metric = metrics_module.get(item)
                if isinstance(item, str):  # Keras reports a metric under the name given
                    metric.name = item
            if several:
                metric.name = f"{output}_{metric.name}"
            if prefix:
                metric.name = prefix + metric.name
            out.append(metric)
        return out

    def metric_objects(self) -> list:
        objs = [self.loss_tracker, *self._output_trackers]
        for group in (self._metrics or []) + (self._weighted or []):
            objs.extend(group)
        return objs

    def reset_metrics(self) -> None:
        for metric in self.metric_objects():
            metric.reset_state()

    def logs(self) -> dict[str, Any]:
        """The current value of the loss and every metric: a float, or a NumPy array for a
        vector-valued metric (``F1Score()``, ``Precision(thresholds=[...])``), as in Keras."""
        return {metric.name: _log_value(metric.result()) for metric in self.metric_objects()}

    # ---- one step ---------------------------------------------------------------------------
    def compute_loss(self, y: Any, y_pred: Any, sample_weight: Any) -> tuple[Tensor, list]:
        y_true = self._targets(y)
        preds = nest.flatten(y_pred)
        self._resolve(y_true, preds)
        total = None
        parts = []
        for name, fn, weight, yt, yp in zip(self._outputs(), self._losses, self._weights,
                                            y_true, preds):
            if fn is None:
                parts.append(None)
                continue
            try:
                if isinstance(fn, losses_module.Loss):
                    value = fn(yt, yp, sample_weight)
                else:
                    value = losses_module.reduce_weighted(fn(yt, yp), sample_weight,
                                                          "sum_over_batch_size")
            except ValueError as exc:
                raise ValueError(f"Output {name!r} of model {self.model.name!r}: {exc}") \
                    from None
            parts.append(value)
            total = value * weight if total is None else total + value * weight
        if total is None:
            raise ValueError("The model was compiled without a loss: pass loss=... to "
                             "compile() before training or evaluating.")
        for extra in self.model.losses:
            total = total + extra
        return total, parts

    def _targets(self, y: Any) -> list:
        names = self._outputs()
        if isinstance(y, dict):
            return [y.get(n) for n in names]
        flat = nest.flatten(y) if len(names) > 1 else [y]
        if len(flat) != len(names):
            raise ValueError(f"Model {self.model.name!r} has {len(names)} outputs "
                             f"({names}), received {len(flat)} target array(s).")
        return flat

    def update_metrics(self, y: Any, y_pred: Any, sample_weight: Any, loss: Tensor,
                       parts: list) -> None:
        batch = m.cast(_batch_size(y_pred), "float32")
        self.loss_tracker.update_state(loss, sample_weight=batch)
        for tracker, part in zip(self._output_trackers, parts):
            if part is not None:
                tracker.update_state(part, sample_weight=batch)
        for yt, yp, group, weighted in zip(self._targets(y), nest.flatten(y_pred),
                                           self._metrics, self._weighted):
            for metric in group:
                metric.update_state(yt, yp)
            for metric in weighted:
                metric.update_state(yt, yp, sample_weight=sample_weight)

    def train_step(self, x: Any, y: Any, sample_weight: Any = None) -> Tensor:
        with GradientTape() as tape:
            y_pred = self.model(x, training=True)
            loss, parts = self.compute_loss(y, y_pred, sample_weight)
        variables = self.model.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        self.update_metrics(y, y_pred, sample_weight, loss, parts)
        return loss

    def test_step(self, x: Any, y: Any, sample_weight: Any = None) -> Tensor:
        y_pred = self.model(x, training=False)
        loss, parts = self.compute_loss(y, y_pred, sample_weight)
        self.update_metrics(y, y_pred, sample_weight, loss, parts)
        return loss

    def predict_step(self, x: Any) -> Any:
        return self.model(x, training=False)

    def _function(self, kind: str) -> Callable:
        """The step function for ``kind``, compiled with lm.function unless run eagerly."""
        fn = self._functions.get(kind)
        if fn is None:
            step = getattr(self, f"{kind}_step")
            fn = step if self.run_eagerly else Function(step, name=f"{kind}_step")
            self._functions[kind] = fn
        return fn

    # ---- compiled steps shared by models built alike ------------------------------------------
    def state_objects(self) -> list:
        """What the compiled steps act on, in an order that models built alike share: the
        optimizer, its step count and learning-rate variable, each trainable variable followed
        by its slots (by slot name), the other weights, then the metrics' variables (those
        made so far: metrics are made by the first trace)."""
        opt = self.optimizer
        objects = [opt, opt.iterations]
        if isinstance(opt._learning_rate, Variable):
            objects.append(opt._learning_rate)
        for var in self.model.trainable_variables:
            objects.append(var)
            slots = opt._slots.get(id(var), {})
            objects.extend(slots[name] for name in sorted(slots))
        objects.extend(self.model.non_trainable_variables)
        for metric in self.metric_objects():
            objects.extend(metric.variables)
        return objects

    def export_plans(self) -> dict | None:
        """The compiled steps, detached from this model's state (``graph/rebind.py``), for
        :meth:`import_plans` on a model built alike; None if some step cannot be."""
        if self.run_eagerly or self.optimizer is None or not self._functions:
            return None
        objects = self.state_objects()
        templates = {}
        for kind, fn in self._functions.items():
            template = fn.export_plans(objects)
            if template is None:
                return None
            templates[kind] = template
        return templates

    def import_plans(self, templates: dict) -> bool:
        """Takes compiled steps that :meth:`export_plans` gave for another model built alike
        (the caller vouches for that: same layers, loss and optimizer settings), so this
        model's first steps need no tracing. The optimizer's slots are made first, as a trace
        would. False where the state does not match (no step is taken). Metrics and the
        per-output losses of several outputs are made by the first trace: a model with them
        never matches before it has traced."""
        if (self.run_eagerly or self.optimizer is None
                or not self.model.trainable_variables):
            return False
        self.optimizer.build(self.model.trainable_variables)
        objects = self.state_objects()
        if not all(Function.can_import(t, objects) for t in templates.values()):
            return False
        for kind, template in templates.items():
            self._function(kind).import_plans(template, objects)
        return True

    # ---- fit --------------------------------------------------------------------------------
    def fit(self, x: Any, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: Any = None,
            sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1):
        """Trains for ``epochs`` passes over ``(x, y)``; returns the History callback.

        Args:
            x, y: inputs and targets (arrays, tensors, or lists/dicts for several inputs or
                outputs).
            batch_size: samples per gradient step (default 32).
            epochs: the index of the last epoch (training starts at ``initial_epoch``).
            verbose: 0 silent, 1 (or "auto") a progress bar, 2 one line per epoch.
            callbacks: a list of :class:`lamina.callbacks.Callback`.
            validation_split: the fraction of the data (the last samples) held out to
                validate on after each epoch.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``.
            shuffle: reshuffle the training samples every epoch.
            class_weight: ``{class index: weight}``, scaling each sample's loss.
            sample_weight: one weight per sample.
            initial_epoch: the epoch to start from (to resume training).
            steps_per_epoch: stop each epoch after this many batches.
            validation_batch_size: batch size for validation (default: batch_size).
            validation_freq: validate every this many epochs.
        """
        self._check_ready("fit")
        _check_int(epochs, "epochs", 0)
        _check_int(initial_epoch, "initial_epoch", 0)
        batch_size = _batch_size_arg(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y, sample_weight = self._prepare(x, y, sample_weight, "fit")
        n = D.num_samples(("x", x), ("y", y), ("sample_weight", sample_weight))
        val = None
        if validation_data is not None:
            val = self._validation_tuple(validation_data)
        elif validation_split:
            (x, y, sample_weight), held = D.split_validation([x, y, sample_weight],
                                                             validation_split, n)
            val = tuple(held)
            n = D.num_samples(("x", x))
        # After the split: as in Keras, class weights apply to training, not validation.
        sample_weight = _with_class_weight(y, class_weight, sample_weight)
        steps = -(-n // batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, _check_int(steps_per_epoch, "steps_per_epoch", 1))
        history = cb_module.History()
        user_callbacks = cb_module.as_list(callbacks)
        progress = [cb_module.ProgbarLogger(verbose)] if verbose else []
        # Keras's order: the user's callbacks first, so what they add to the epoch logs
        # (learning_rate) reaches History and the progress bar.
        cbs = cb_module.CallbackList([*user_callbacks, history, *progress], self.model,
                                     {"epochs": epochs, "steps": steps, "verbose": verbose,
                                      "samples": n})
        train = self._function("train")
        rng = np.random.default_rng(_shuffle_seed())
        batch_hooks = cbs.wants("on_train_batch_begin") or cbs.wants("on_train_batch_end")
        self.model.stop_training = False
        cbs.call("on_train_begin")
        epoch_logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.call("on_epoch_begin", epoch)
            for step, (xb, yb, wb) in enumerate(D.epoch_batches(
                    [x, y, sample_weight], n, batch_size, shuffle, rng, steps)):
                if batch_hooks:
                    cbs.batch("on_train_batch_begin", step, dict)
                train(xb, yb, wb)
                if batch_hooks:
                    cbs.batch("on_train_batch_end", step, self.logs)
                if self.model.stop_training:
                    break
            epoch_logs = self.logs()
            if val is not None and (epoch + 1 - initial_epoch) % validation_freq == 0:
                val_logs = self.evaluate(val[0], val[1], sample_weight=val[2],
                                         batch_size=validation_batch_size or batch_size,
                                         verbose=0, return_dict=True, callbacks=cbs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.call("on_epoch_end", epoch, logs=epoch_logs)
            if self.model.stop_training:
                break
        cbs.call("on_train_end", logs=epoch_logs)
        self.model.history = history
        return history

    def _validation_tuple(self, data: Any) -> tuple:
        if not isinstance(data, (list, tuple)) or len(data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                             f"sample_weight), received {type(data).__name__} of length "
                             f"{len(data) if hasattr(data, '__len__') else '?'}.")
        x, y, sw = (*data, None)[:3]
        x, y, sw = self._prepare(x, y, sw, "validation_data")
        D.num_samples(("x_val", x), ("y_val", y), ("val_sample_weight", sw))
        return x, y, sw

    def _prepare(self, x: Any, y: Any, sample_weight: Any, what: str) -> tuple:
        if x is None:
            raise ValueError(f"{what} needs input data x.")
        x = D.to_arrays(x, "x")
        y = D.to_arrays(y, "y")
        if y is None and not what.startswith("predict"):
            raise ValueError(f"{what} needs targets y (the labels to learn).")
        sample_weight = D.to_arrays(sample_weight, "sample_weight")
        D.check_finite(x, "x")
        if y is not None:
            D.check_finite(y, "y")
        if sample_weight is not None:
            D.check_finite(sample_weight, "sample_weight")
            if np.any(nest.flatten(sample_weight)[0] < 0):
                raise ValueError("sample_weight must not be negative.")
        self._check_input_shapes(x)
        if y is not None:
            self._check_class_labels(y)
        return x, y, sample_weight

    def _check_class_labels(self, y: Any) -> None:
        """Labels for a sparse cross-entropy must index the output's classes: out of range
        they fail deep inside a step or, if negative, silently pick a class from the end."""
        outputs = getattr(self.model, "outputs", None) or []
        if len(outputs) != len(self._outputs()):
            return
        losses = self._losses or [losses_module.get(s)
                                  for s in self._per_output(self.loss, "loss")]
        for name, loss, labels, out in zip(self._outputs(), losses, self._targets(y), outputs):
            ignore = _sparse_ignore_class(loss)
            units = out.shape[-1] if out.shape else None
            if ignore is False or labels is None or not units:
                continue
            valid = labels if ignore is None else labels[labels != ignore]
            if valid.size and (valid.min() < 0 or valid.max() >= units):
                raise ValueError(
                    f"Output {name!r} of model {self.model.name!r} has {units} classes, so "
                    f"sparse_categorical_crossentropy expects labels in [0, {units - 1}], "
                    f"received labels from {valid.min()} to {valid.max()}.")

    def _check_input_shapes(self, x: Any) -> None:
        """Data must fit the model's declared inputs (when it has them): a clear error now,
        rather than one from deep inside the first step.

        A plain array given to a one-input model is matched to that input whatever the
        structure, and checked by its shape alone: one of the shape last passed, for the same
        input tensor, passes again without the structure walk (predict_on_batch serving one
        sample at a time). Anything else, other arrays included, is checked in full.
        """
        inputs = getattr(self.model, "inputs", None)
        if not inputs:
            return
        plain = type(x) is np.ndarray and len(inputs) == 1
        checked = self._checked_input
        if plain and checked is not None and checked[1] is inputs[0] and checked[0] == x.shape:
            return
        from ..models import functional
        struct = self.model._inputs if hasattr(self.model, "_inputs") else inputs[0]
        values = functional.match_inputs(struct, x, self.model.name)
        for t in inputs:
            functional.check_shape(t, values[id(t)], self.model.name)
        if plain:
            self._checked_input = (x.shape, inputs[0])

    def _check_ready(self, what: str) -> None:
        if self.optimizer is None:
            raise RuntimeError(f"You must compile the model with an optimizer before {what}.")

    # ---- evaluate / predict ------------------------------------------------------------------
    def evaluate(self, x: Any, y: Any = None, batch_size: int | None = None,
                 verbose: Any = 0, sample_weight: Any = None, callbacks: Any = None,
                 return_dict: bool = False, steps: int | None = None):
        """The loss and metrics over the data (a scalar, a list, or a dict)."""
        batch_size = _batch_size_arg(batch_size)
        verbose = 0 if verbose == "auto" else int(verbose)
        x, y, sample_weight = self._prepare(x, y, sample_weight, "evaluate")
        n = D.num_samples(("x", x), ("y", y), ("sample_weight", sample_weight))
        total = -(-n // batch_size) if steps is None else min(steps, -(-n // batch_size))
        if isinstance(callbacks, cb_module.CallbackList):  # validation inside fit
            cbs = callbacks
        else:
            cbs = cb_module.CallbackList(callbacks, self.model, {"steps": total,
                                                                 "verbose": verbose})
        bar = _bar(total, verbose)
        test = self._function("test")
        self.reset_metrics()
        cbs.call("on_test_begin")
        for step, index in enumerate(D.batches(n, batch_size, total)):
            cbs.batch("on_test_batch_begin", step, dict)
            test(D.take(x, index), D.take(y, index), D.take(sample_weight, index))
            cbs.batch("on_test_batch_end", step, self.logs)
            if bar is not None and bar.due(step + 1):
                bar.update(step + 1, **self.logs())
        logs = self.logs()
        if bar is not None:
            bar.close(**logs)
        cbs.call("on_test_end", logs=logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = 0,
                callbacks: Any = None, steps: int | None = None) -> Any:
        """The model's outputs, batch by batch, joined as NumPy arrays."""
        batch_size = _batch_size_arg(batch_size)
        verbose = 0 if verbose == "auto" else int(verbose)
        x, _, _ = self._prepare(x, None, None, "predict")
        n = D.num_samples(("x", x))
        total = -(-n // batch_size) if steps is None else min(steps, -(-n // batch_size))
        cbs = cb_module.CallbackList(callbacks, self.model, {"steps": total,
                                                             "verbose": verbose})
        bar = _bar(total, verbose)
        run = self._function("predict")
        chunks = []
        cbs.call("on_predict_begin")
        for step, index in enumerate(D.batches(n, batch_size, total)):
            cbs.batch("on_predict_batch_begin", step, dict)
            out = run(D.take(x, index))
            chunks.append(nest.map_structure(lambda t: t.numpy(), out))
            cbs.batch("on_predict_batch_end", step, lambda: {"outputs": chunks[-1]})
            if bar is not None:
                bar.update(step + 1)
        if bar is not None:
            bar.close()
        cbs.call("on_predict_end")
        return D.concat_outputs(chunks)

    # ---- single batches ---------------------------------------------------------------------
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False):
        self._check_ready("training")
        x, y, sample_weight = self._prepare(x, y, sample_weight, "train_on_batch")
        D.num_samples(("x", x), ("y", y), ("sample_weight", sample_weight))
        sample_weight = _with_class_weight(y, class_weight, sample_weight)
        self.reset_metrics()
        self._function("train")(x, y, sample_weight)
        return _result(self.logs(), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False):
        x, y, sample_weight = self._prepare(x, y, sample_weight, "test_on_batch")
        D.num_samples(("x", x), ("y", y), ("sample_weight", sample_weight))
        self.reset_metrics()
        self._function("test")(x, y, sample_weight)
        return _result(self.logs(), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        if type(x) is np.ndarray and x.dtype == np.float32 and x.ndim and x.shape[0]:
            # What _prepare and num_samples would check of an array that is already float32
            # and has samples, without their structure walks (serving one sample at a time).
            D.check_finite(x, "x")
            self._check_input_shapes(x)
        else:
            x, _, _ = self._prepare(x, None, None, "predict_on_batch")
            D.num_samples(("x", x))
        out = self._function("predict")(x)
        if isinstance(out, Tensor):
            return out.numpy()
        return nest.map_structure(lambda t: t.numpy(), out)


# ---- helpers ----------------------------------------------------------------------------------
def _batch_size(y_pred: Any) -> Any:
    from ..ops.shape import shape
    first = nest.flatten(y_pred)[0]
    if first.shape is not None and first.shape[0] is not None:
        return first.shape[0]
    return shape(first)[0]


def _log_value(value: Any) -> Any:
    array = np.asarray(value)
    return float(array) if array.ndim == 0 else array


def _sparse_ignore_class(loss: Any) -> Any:
    """False if ``loss`` is not a sparse cross-entropy, else its ignore_class (or None)."""
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        return loss.fn_kwargs.get("ignore_class")
    return None if loss is losses_module.sparse_categorical_crossentropy else False


def _with_class_weight(y: Any, class_weight: Any, sample_weight: Any) -> Any:
    """``sample_weight`` times each sample's class weight (shaped like ``sample_weight``, so a
    ``(n, 1)`` weight does not broadcast to ``(n, n)``)."""
    if class_weight is None:
        return sample_weight
    cw = D.class_weights(y, class_weight)
    if sample_weight is None:
        return cw
    return sample_weight * cw.reshape((-1,) + (1,) * (sample_weight.ndim - 1))


def _batch_size_arg(batch_size: Any) -> int:
    if batch_size is None:
        return DEFAULT_BATCH_SIZE
    return _check_int(batch_size, "batch_size", 1)


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, received {value!r}.")
    return int(value)


def _shuffle_seed() -> int:
    """Shuffling follows lamina's global seed (lm.utils.set_random_seed)."""
    from ..ops.random import generator_for
    return int(generator_for(None).source(np).integers(0, 2 ** 31 - 1))


def _bar(total: int, verbose: int):
    from ..utils.progress import ProgressBar
    return ProgressBar(total, verbose=verbose) if verbose else None


def _result(logs: dict, return_dict: bool) -> Any:
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _metric_spec(metric: Any) -> Any:
    if isinstance(metric, str):
        return metric
    return metrics_module.serialize(metric)


def _metric_from_spec(spec: Any) -> Any:
    return spec if isinstance(spec, str) else metrics_module.deserialize(spec)


def _serialize_nested(value: Any, fn: Callable) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _serialize_nested(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_nested(v, fn) for v in value]
    return fn(value)


def _deserialize_nested(value: Any, fn: Callable) -> Any:
    if value is None:
        return None
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _deserialize_nested(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_nested(v, fn) for v in value]
    return fn(value)


