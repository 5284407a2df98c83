"""Model: a layer that trains. Three ways to make one, as in Keras:

* functional: ``lm.Model(inputs, outputs)`` from ``lm.Input`` and layer calls;
* ``lm.Sequential([...])`` (sequential.py);
* subclassing ``lm.Model`` and writing ``call``.

Training, evaluation and prediction are done by the :class:`~lamina.training.Trainer` the model
holds after ``compile`` (composition, not a large base class); saving lives in
``lamina/saving``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from .. import nest, serialization
from .._state import STATE
from ..backends import _device_scope
from ..layers.base import Layer
from . import functional


def _on_compile_device(method: Callable) -> Callable:
    """Runs a training or inference method in the lm.device scope the model was compiled in
    (if any): the data, the variables a step creates (optimizer slots, metric state) and the
    compiled steps go to that device, as Keras models follow the distribution strategy they
    were compiled under."""
    @functools.wraps(method)
    def run(self, *args: Any, **kwargs: Any) -> Any:
        device = getattr(self, "_compiled_on", None)
        if device is None:
            return method(self, *args, **kwargs)
        with _device_scope(device):
            return method(self, *args, **kwargs)
    return run


@serialization.register("layer")
class Model(Layer):
    """A trainable stack or graph of layers.

    ``Model(inputs, outputs, name=None)`` makes a functional model; subclasses define ``call``.

    Example:
        >>> inputs = lm.Input(shape=(4,))
        >>> h = lm.layers.Dense(16, activation="relu")(inputs)
        >>> model = lm.Model(inputs, lm.layers.Dense(3)(h))
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any):
        if args or "inputs" in kwargs:
            raise TypeError("Model(inputs, outputs) makes a functional model; a subclass of "
                            "lm.Model takes no inputs/outputs arguments.")
        super().__init__(**kwargs)
        self._trainer = None
        self.history = None
        self.stop_training = False

    # ---- training (delegated) -----------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, weighted_metrics: Any = None,
                run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile: Any = "auto") -> None:
        """Configures training: the optimizer, the loss(es) and the metrics to report.

        Args:
            optimizer: a name (``"adam"``) or an Optimizer.
            loss: a name (``"mse"``, ``"sparse_categorical_crossentropy"``...), a Loss, a
                function ``(y_true, y_pred)``, or a list/dict of them for several outputs.
            metrics: names or Metric objects (``"accuracy"`` is resolved from the loss and
                the output shape, as Keras does), or a list/dict per output.
            loss_weights: weights of the outputs' losses in the total.
            weighted_metrics: metrics that take ``sample_weight`` / ``class_weight`` into
                account.
            run_eagerly: run the train step op by op instead of compiling it with
                ``lm.function`` (slower; the results are the same).

        Compiled inside ``with lm.device("gpu"):``, the model trains, evaluates and predicts
        on that device, also when these are called outside the block.
        """
        from ..training.trainer import Trainer
        self._compiled_on = STATE.device
        self._trainer = Trainer(self, optimizer=optimizer, loss=loss, metrics=metrics,
                                loss_weights=loss_weights, weighted_metrics=weighted_metrics,
                                run_eagerly=run_eagerly)

    @property
    def compiled(self) -> bool:
        return self._trainer is not None

    def _require_trainer(self, what: str):
        if self._trainer is None:
            raise RuntimeError(f"You must compile the model before {what}: call "
                               "model.compile(optimizer=..., loss=...).")
        return self._trainer

    def _inference_trainer(self):
        if self._trainer is None:
            from ..training.trainer import Trainer
            self._trainer = Trainer(self, optimizer=None, loss=None)
        return self._trainer

    @_on_compile_device
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: Any = None,
            sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1):
        """Trains the model for ``epochs`` passes over the data; returns a History.

        See :meth:`lamina.training.Trainer.fit` for every argument.
        """
        return self._require_trainer("training").fit(
            x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, validation_data=validation_data,
            shuffle=shuffle, class_weight=class_weight, sample_weight=sample_weight,
            initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
            validation_batch_size=validation_batch_size, validation_freq=validation_freq)

    @_on_compile_device
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, callbacks: Any = None,
                 return_dict: bool = False, steps: int | None = None):
        """The loss and metrics on the given data (a scalar, a list, or a dict)."""
        return self._require_trainer("evaluating").evaluate(
            x, y, batch_size=batch_size, verbose=verbose, sample_weight=sample_weight,
            callbacks=callbacks, return_dict=return_dict, steps=steps)

    @_on_compile_device
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                callbacks: Any = None, steps: int | None = None) -> Any:
        """The model's outputs for ``x``, batch by batch, as NumPy arrays."""
        return self._inference_trainer().predict(x, batch_size=batch_size, verbose=verbose,
                                                 callbacks=callbacks, steps=steps)

    @_on_compile_device
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False):
        """One gradient step on one batch; returns the loss (and metrics)."""
        return self._require_trainer("training").train_on_batch(
            x, y, sample_weight=sample_weight, class_weight=class_weight,
            return_dict=return_dict)

    @_on_compile_device
    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False):
        """The loss (and metrics) on one batch, without updating weights."""
        return self._require_trainer("evaluating").test_on_batch(
            x, y, sample_weight=sample_weight, return_dict=return_dict)

    @_on_compile_device
    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs for one batch, as NumPy arrays."""
        return self._inference_trainer().predict_on_batch(x)

    @property
    def optimizer(self):
        return self._trainer.optimizer if self._trainer is not None else None

    @property
    def metrics(self) -> list:
        """The metric objects tracked during training (the loss tracker first)."""
        return self._trainer.metric_objects() if self._trainer is not None else []

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    # ---- inspection -----------------------------------------------------------------------
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Callable[[str], Any] | None = None, expand_nested: bool = False,
                show_trainable: bool = False) -> None:
        """Prints the layers with their output shapes and parameter counts."""
        from .summary import summary_lines
        for line in summary_lines(self, line_length or 80, show_trainable):
            (print_fn or print)(line)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in :attr:`layers`."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Layer index {index} is out of range: model {self.name!r} "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r} in model {self.name!r}; its layers are "
                         f"{[layer.name for layer in self.layers]}.")

    # ---- saving (see lamina/saving) -------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Saves architecture, weights and optimizer state to a ``.lamina`` zip file."""
        from ..saving import save_model
        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Saves the weights to a ``.safetensors`` file."""
        from ..saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False) -> None:
        """Loads weights saved by :meth:`save_weights` (or from a ``.lamina`` file)."""
        from ..saving import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        """Rebuilds a model; ``lm.Model.from_config`` also takes a functional model's config."""
        if cls is Model and "nodes" in config:
            return Functional.from_config(config, custom_objects)
        return super().from_config(config)

    def get_compile_config(self) -> dict | None:
        return self._trainer.get_config() if self._trainer is not None else None

    def compile_from_config(self, config: dict) -> None:
        from ..training.trainer import Trainer
        self._trainer = Trainer.from_config(self, config)

    def __reduce__(self):
        """Pickling goes through lamina's own safe format (used by scikit-learn clones)."""
        from ..saving import model_from_bytes, model_to_bytes
        return (model_from_bytes, (model_to_bytes(self),))


@serialization.register("layer")
class Functional(Model):
    """A model made of a graph of layer calls (``lm.Model(inputs, outputs)``)."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None,
                 trainable: bool = True, **kwargs: Any):
        Layer.__init__(self, name=name or _default_name(type(self)), trainable=trainable,
                       **kwargs)
        self._trainer = None
        self.history = None
        self.stop_training = False
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        flat_in = functional.check_inputs(inputs)
        flat_out = nest.flatten(outputs)
        for t in flat_out:
            if not isinstance(t, functional.KerasTensor):
                raise ValueError(f"Model outputs must be results of layers called on lm.Input "
                                 f"tensors, received {t!r}.")
        self._inputs = inputs
        self._outputs = outputs
        self._nodes = functional.order_nodes(flat_in, flat_out)
        layers = [t.node.layer for t in flat_in]
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        object.__setattr__(self, "_layers", layers)
        self.built = True

    @property
    def inputs(self) -> list:
        return nest.flatten(self._inputs)

    @property
    def outputs(self) -> list:
        return nest.flatten(self._outputs)

    @property
    def input(self) -> Any:
        return self._inputs

    @property
    def output(self) -> Any:
        return self._outputs

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        values = functional.match_inputs(self._inputs, inputs, self.name)
        for t in nest.flatten(self._inputs):
            functional.check_shape(t, values[id(t)], self.name)
        for node in self._nodes:
            args = nest.map_structure(lambda a: values.get(id(a), a), list(node.args))
            kwargs = nest.map_structure(lambda a: values.get(id(a), a), node.kwargs)
            out = node.layer(*args, **kwargs)
            for kt, value in zip(nest.flatten(node.outputs), nest.flatten(out)):
                values[id(kt)] = value
        return nest.map_structure(lambda t: values[id(t)], self._outputs)

    def maybe_build(self, inputs: Any) -> None:
        pass  # built from its graph

    def _check_inputs(self, inputs: Any) -> None:
        pass  # checked against the Input shapes in call()

    def get_config(self) -> dict:
        from .config import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Functional":
        from .config import functional_from_config
        return functional_from_config(cls, config, custom_objects)


def _default_name(cls: type) -> str:
    from ..layers.base import unique_name
    return unique_name("functional" if cls is Functional else "model")
