"""The shared layer-test harness: every layer is checked the same way.

``check_layer(make, input_shape, ...)`` builds a fresh layer with ``make()`` and checks:
  * calling it on random data builds it and gives the expected output shape and dtype;
  * ``compute_output_shape`` (with an unknown batch size) agrees with the real output;
  * the number of weights (and trainable weights) is as expected;
  * its config is JSON and ``from_config`` rebuilds a layer that, given the same weights,
    computes the same outputs;
  * it works in a functional model and in a Sequential model;
  * one training step: gradients reach every trainable weight, are finite, and an optimizer
    step changes the weights;
  * the compiled call (lm.function) equals the eager call, in inference and training mode
    (training mode only for deterministic layers).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Sequence

import numpy as np

import lamina as lm


def random_input(shape: Sequence[int], dtype: str = "float32", seed: int = 0,
                 int_range: int = 10) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return rng.integers(0, int_range, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _outputs(value: Any) -> list:
    return value if isinstance(value, (list, tuple)) else [value]


def check_layer(make: Callable[[], lm.layers.Layer], input_shape: Sequence[int], *,
                expected_output_shape: Any = None, expected_num_weights: int | None = None,
                expected_trainable_weights: int | None = None, input_dtype: str = "float32",
                int_range: int = 10, deterministic: bool = True, trainable: bool = True,
                call_kwargs: dict | None = None, rtol: float = 1e-5) -> lm.layers.Layer:
    """Runs all checks; returns the built layer for further, layer-specific assertions."""
    call_kwargs = call_kwargs or {}
    x = random_input(input_shape, input_dtype, int_range=int_range)
    layer = make()
    assert not layer.built or isinstance(layer, lm.layers.InputLayer)
    y = layer(lm.tensor(x), **call_kwargs)
    outs = _outputs(y)
    assert layer.built, f"{layer.name} is not built after its first call"
    if expected_output_shape is not None:
        want = expected_output_shape if isinstance(expected_output_shape, list) else [
            expected_output_shape]
        assert [tuple(o.shape) for o in outs] == [tuple(s) for s in want], \
            f"{layer.name}: output shapes {[o.shape for o in outs]}, expected {want}"
    for o in outs:
        assert o.dtype.name in ("float32", "int32", "int64", "bool"), \
            f"{layer.name}: output dtype {o.dtype}"
    _check_output_shape(layer, input_shape, outs)
    _check_weight_counts(layer, expected_num_weights, expected_trainable_weights)
    _check_config(layer, make, x, y, call_kwargs, rtol)
    _check_models(layer, x, input_shape, input_dtype, call_kwargs, rtol)
    if trainable and layer.trainable_weights and input_dtype.startswith("float"):
        _check_train_step(make, x, call_kwargs)
    _check_compiled(layer, x, call_kwargs, deterministic, rtol)
    return layer


def _check_output_shape(layer, input_shape, outs) -> None:
    symbolic = (None, *input_shape[1:])
    computed = layer.compute_output_shape(symbolic)
    computed = computed if isinstance(computed, list) else [computed]
    for c, o in zip(computed, outs):
        assert len(c) == o.ndim and all(a is None or a == b for a, b in zip(c, o.shape)), \
            f"{layer.name}: compute_output_shape {c} disagrees with output {o.shape}"


def _check_weight_counts(layer, total, trainable) -> None:
    if total is not None:
        assert len(layer.weights) == total, \
            f"{layer.name}: {len(layer.weights)} weights, expected {total}"
    if trainable is not None:
        assert len(layer.trainable_weights) == trainable, \
            f"{layer.name}: {len(layer.trainable_weights)} trainable, expected {trainable}"
    assert layer.count_params() == sum(int(np.prod(w.shape)) for w in layer.weights)


def _check_config(layer, make, x, y, call_kwargs, rtol) -> None:
    config = layer.get_config()
    json.dumps(config)                                   # plain JSON data
    clone = type(layer).from_config(config)
    clone(lm.tensor(x), **call_kwargs)
    clone.set_weights(layer.get_weights())
    a = _outputs(layer(lm.tensor(x), training=False, **call_kwargs))
    b = _outputs(clone(lm.tensor(x), training=False, **call_kwargs))
    for u, v in zip(a, b):
        np.testing.assert_allclose(v.numpy(), u.numpy(), rtol=rtol, atol=1e-6,
                                   err_msg=f"{layer.name}: from_config clone differs")


def _check_models(layer, x, input_shape, input_dtype, call_kwargs, rtol) -> None:
    expected = [o.numpy() for o in _outputs(layer(lm.tensor(x), training=False,
                                                  **call_kwargs))]
    inp = lm.Input(shape=input_shape[1:], dtype=input_dtype)
    model = lm.Model(inp, layer(inp, **call_kwargs))
    got = _outputs(model.predict(x, batch_size=len(x)))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-6,
                                   err_msg=f"{layer.name}: functional model differs")


def _check_train_step(make, x, call_kwargs) -> None:
    layer = make()
    layer(lm.tensor(x), **call_kwargs)
    before = [w.numpy() for w in layer.trainable_weights]
    with lm.GradientTape() as tape:
        outs = _outputs(layer(lm.tensor(x), training=True, **call_kwargs))
        loss = sum(lm.mean(lm.square(o)) for o in outs if o.dtype.is_floating)
    grads = tape.gradient(loss, layer.trainable_weights)
    for w, g in zip(layer.trainable_weights, grads):
        assert g is not None, f"{layer.name}: no gradient reaches {w.name}"
        assert np.all(np.isfinite(g.numpy())), f"{layer.name}: non-finite gradient for {w.name}"
    lm.optimizers.SGD(0.1).apply_gradients(zip(grads, layer.trainable_weights))
    after = [w.numpy() for w in layer.trainable_weights]
    assert any(not np.array_equal(a, b) for a, b in zip(after, before)), \
        f"{layer.name}: an optimizer step changed no weight"


def _check_compiled(layer, x, call_kwargs, deterministic, rtol) -> None:
    modes = (False, True) if deterministic else (False,)
    for training in modes:
        eager = _outputs(layer(lm.tensor(x), training=training, **call_kwargs))
        compiled = _outputs(lm.function(
            lambda t: layer(t, training=training, **call_kwargs))(lm.tensor(x)))
        for e, c in zip(eager, compiled):
            np.testing.assert_allclose(c.numpy(), e.numpy(), rtol=rtol, atol=1e-6,
                                       err_msg=f"{layer.name}: compiled != eager "
                                               f"(training={training})")
