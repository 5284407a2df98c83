"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot).

The shared harness feeds one tensor, so ``check_merge_layer`` below runs its checks on a list
of inputs: shapes, compute_output_shape, config round trip, a functional model with several
inputs, gradients to every input, and compiled == eager.
"""
import functools
import json

import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import random_input

L = lm.layers


def check_merge_layer(make, input_shapes, expected_output_shape):
    xs = [random_input(s, seed=i) for i, s in enumerate(input_shapes)]
    layer = make()
    y = layer([lm.tensor(x) for x in xs])
    assert tuple(y.shape) == tuple(expected_output_shape)
    assert y.dtype.name == "float32"
    symbolic = [(None, *s[1:]) for s in input_shapes]
    assert layer.compute_output_shape(symbolic) == (None, *expected_output_shape[1:])
    assert layer.count_params() == 0
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    np.testing.assert_allclose(clone(xs).numpy(), y.numpy(), rtol=1e-6)
    inputs = [lm.Input(s[1:]) for s in input_shapes]
    model = lm.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict(xs, batch_size=len(xs[0])), y.numpy(), rtol=1e-6)
    tensors = [lm.tensor(x) for x in xs]
    with lm.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        loss = lm.sum(lm.square(layer(tensors)))
    for t, g in zip(tensors, tape.gradient(loss, tensors)):
        assert g is not None and g.shape == t.shape and np.all(np.isfinite(g.numpy()))
    compiled = lm.function(lambda *ts: layer(list(ts)))(*tensors)
    np.testing.assert_allclose(compiled.numpy(), y.numpy(), rtol=1e-6)
    return layer


ELEMENTWISE = {
    L.Add: lambda xs: functools.reduce(np.add, xs),
    L.Multiply: lambda xs: functools.reduce(np.multiply, xs),
    L.Average: lambda xs: functools.reduce(np.add, xs) / len(xs),
    L.Maximum: lambda xs: functools.reduce(np.maximum, xs),
    L.Minimum: lambda xs: functools.reduce(np.minimum, xs),
}


@pytest.mark.parametrize("cls", list(ELEMENTWISE) + [L.Subtract])
def test_elementwise_layers_through_the_checks(cls):
    check_merge_layer(cls, [(2, 3, 4), (2, 3, 4)], (2, 3, 4))


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_elementwise_layers_match_numpy_on_three_inputs(cls):
    xs = [random_input((4, 5), seed=i) for i in range(3)]
    np.testing.assert_allclose(cls()(xs).numpy(), ELEMENTWISE[cls](xs), rtol=1e-6)


def test_subtract_matches_numpy():
    a, b = random_input((3, 2), seed=0), random_input((3, 2), seed=1)
    np.testing.assert_allclose(L.Subtract()([a, b]).numpy(), a - b, rtol=1e-6)


def test_elementwise_broadcasting_follows_keras():
    # Size-1 axes broadcast; a lower-rank input gains axes right after the batch axis.
    a, b = random_input((2, 1, 3), seed=0), random_input((2, 4, 3), seed=1)
    np.testing.assert_allclose(L.Add()([a, b]).numpy(), a + b, rtol=1e-6)
    c = random_input((2, 3), seed=2)
    np.testing.assert_allclose(L.Multiply()([c, b]).numpy(), c[:, None, :] * b, rtol=1e-6)
    check_merge_layer(L.Maximum, [(2, 3), (2, 4, 3)], (2, 4, 3))


def test_concatenate_through_the_checks_and_against_numpy():
    check_merge_layer(L.Concatenate, [(2, 3, 4), (2, 3, 2)], (2, 3, 6))
    check_merge_layer(lambda: L.Concatenate(axis=1), [(2, 3, 4), (2, 1, 4), (2, 2, 4)],
                      (2, 6, 4))
    a, b = random_input((2, 3, 4), seed=0), random_input((2, 5, 4), seed=1)
    np.testing.assert_array_equal(L.Concatenate(axis=-2)([a, b]).numpy(),
                                  np.concatenate([a, b], axis=1))


def test_dot_through_the_checks():
    check_merge_layer(lambda: L.Dot(axes=2), [(2, 3, 4), (2, 5, 4)], (2, 3, 5))
    check_merge_layer(lambda: L.Dot(axes=1), [(2, 4), (2, 4)], (2, 1))
    check_merge_layer(lambda: L.Dot(axes=(1, 2), normalize=True), [(2, 4, 3), (2, 5, 4)],
                      (2, 3, 5))


def test_dot_matches_numpy():
    x, y = random_input((2, 3, 4), seed=0), random_input((2, 5, 4), seed=1)
    np.testing.assert_allclose(L.Dot(axes=(2, 2))([x, y]).numpy(),
                               np.einsum("bik,bjk->bij", x, y), rtol=1e-5)
    np.testing.assert_allclose(L.Dot(axes=-1)([x, y]).numpy(),
                               np.einsum("bik,bjk->bij", x, y), rtol=1e-5)
    u, v = random_input((3, 4), seed=2), random_input((3, 4), seed=3)
    cosine = (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    np.testing.assert_allclose(L.Dot(axes=1, normalize=True)([u, v]).numpy(),
                               cosine[:, None], rtol=1e-5)


def test_functional_shortcuts_and_model_config_round_trip():
    a, b = lm.Input((3,)), lm.Input((3,))
    merged = L.concatenate([L.add([a, b]), L.subtract([a, b]), L.multiply([a, b]),
                            L.average([a, b]), L.maximum([a, b]), L.minimum([a, b]),
                            L.dot([a, b], axes=1)])
    assert merged.shape == (None, 19)
    model = lm.Model([a, b], merged)
    clone = type(model).from_config(json.loads(json.dumps(model.get_config())))
    xs = [random_input((4, 3), seed=0), random_input((4, 3), seed=1)]
    np.testing.assert_allclose(clone.predict(xs), model.predict(xs), rtol=1e-6)


def test_model_fit_through_a_merge():
    a, b = lm.Input((3,)), lm.Input((3,))
    out = L.Dense(1)(L.Concatenate()([L.Dense(4)(a), L.Dense(4)(b)]))
    model = lm.Model([a, b], out)
    model.compile(optimizer=lm.optimizers.SGD(0.05), loss="mse")
    xs = [random_input((16, 3), seed=0), random_input((16, 3), seed=1)]
    y = (xs[0].sum(1, keepdims=True) - xs[1][:, :1]).astype(np.float32)
    history = model.fit(xs, y, batch_size=8, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", list(ELEMENTWISE) + [L.Subtract, L.Concatenate])
def test_a_single_input_is_rejected(cls):
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"expects a list of tensors, received a single input "
                                         r"\(\(2, 3\)\)"):
        cls(name="m")(x)
    with pytest.raises(ValueError, match=r"'m_1' expects a list of (at least|exactly) 2 "
                                         r"inputs, received 1 \(shapes: \(2, 3\)\)"):
        cls(name="m_1")([x])
    with pytest.raises(ValueError, match="expects a list of tensors"):
        cls()(lm.Input((3,)))


def test_mismatched_shapes_name_the_layer_and_the_shapes():
    a, b = np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)
    with pytest.raises(ValueError, match=r"Add layer 'sum' received inputs with incompatible "
                                         r"shapes \(2, 3\), \(2, 4\)"):
        L.Add(name="sum")([a, b])
    with pytest.raises(ValueError, match=r"incompatible shapes \(None, 3\), \(None, 4\)"):
        L.Multiply()([lm.Input((3,)), lm.Input((4,))])
    with pytest.raises(ValueError, match=r"different batch sizes.*\(2, 3\), \(5, 3\)"):
        L.Maximum()([a, np.ones((5, 3), np.float32)])
    with pytest.raises(ValueError, match=r"exactly 2 inputs, received 3"):
        L.Subtract()([a, a, a])


def test_concatenate_errors():
    with pytest.raises(ValueError, match=r"Concatenate layer 'cat' needs inputs whose shapes "
                                         r"match except on the concatenation axis \(-1\); "
                                         r"received shapes \(2, 3, 4\), \(2, 5, 4\)"):
        L.Concatenate(name="cat")([np.ones((2, 3, 4), np.float32),
                                   np.ones((2, 5, 4), np.float32)])
    with pytest.raises(ValueError, match=r"inputs of one rank, received shapes \(2, 3\), "
                                         r"\(2, 3, 1\)"):
        L.Concatenate()([np.ones((2, 3), np.float32), np.ones((2, 3, 1), np.float32)])
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        L.Concatenate(axis=2)([np.ones((2, 3), np.float32)] * 2)
    with pytest.raises(ValueError, match="axis must be an int"):
        L.Concatenate(axis="last")


def test_dot_errors():
    a = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"Dot layer 'd': the sizes along axes \(1, 1\) differ "
                                         r"\(3 != 4\); received shapes \(2, 3\), \(2, 4\)"):
        L.Dot(1, name="d")([a, np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match="name the batch axis 0"):
        L.Dot(0)([a, a])
    with pytest.raises(ValueError, match="exactly 2 inputs, received 3"):
        L.Dot(1)([a, a, a])
    with pytest.raises(ValueError, match=r"rank 2 to 12, received an input of shape \(2,\)"):
        L.Dot(-1)([np.ones(2, np.float32)] * 2)
    for axes in [(1, 2, 3), "1", (1.0, 1), None]:
        with pytest.raises(ValueError, match="axes must be an int or a pair of ints"):
            L.Dot(axes)
