"""Activation layers (LeakyReLU, ReLU, Softmax, ELU, PReLU) through the shared harness, against
NumPy, and with bad arguments."""
import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer, random_input

L = lm.layers


def _x(*shape):
    return random_input(shape) * 3.0


@pytest.mark.parametrize("make", [
    lambda: L.LeakyReLU(),
    lambda: L.ReLU(),
    lambda: L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.5),
    lambda: L.Softmax(),
    lambda: L.Softmax(axis=(1, 2)),
    lambda: L.ELU(alpha=0.5),
])
def test_weightless_activation_layers_through_the_harness(make):
    check_layer(make, (2, 3, 4), expected_output_shape=(2, 3, 4), expected_num_weights=0)


def test_prelu_through_the_harness():
    # Slopes start at 0.25, not 0: with zero slopes no gradient reaches them from negative
    # inputs whose outputs are all 0, and the harness's step would change nothing.
    layer = check_layer(lambda: L.PReLU(alpha_initializer=lm.initializers.Constant(0.25),
                                        shared_axes=[1]),
                        (2, 3, 4), expected_output_shape=(2, 3, 4), expected_num_weights=1,
                        expected_trainable_weights=1)
    assert layer.alpha.shape == (1, 4)


def test_leaky_relu_matches_numpy_and_takes_keras_2_alpha():
    x = _x(4, 5)
    np.testing.assert_allclose(L.LeakyReLU()(x).numpy(), np.where(x >= 0, x, 0.3 * x),
                               rtol=1e-6)
    with pytest.warns(DeprecationWarning, match="alpha"):
        layer = L.LeakyReLU(alpha=0.1)
    assert layer.get_config()["negative_slope"] == 0.1
    np.testing.assert_allclose(layer(x).numpy(), np.where(x >= 0, x, 0.1 * x), rtol=1e-6)


def _relu_reference(x, max_value, negative_slope, threshold):
    out = np.where(x > threshold, x, negative_slope * (x - threshold))
    return out if max_value is None else np.minimum(out, max_value)


@pytest.mark.parametrize("max_value, negative_slope, threshold", [
    (None, 0.0, 0.0), (6.0, 0.0, 0.0), (None, 0.2, 0.0), (2.0, 0.1, 0.5), (None, 0.0, 1.0)])
def test_relu_matches_the_keras_formula(max_value, negative_slope, threshold):
    x = _x(6, 7)
    layer = L.ReLU(max_value=max_value, negative_slope=negative_slope, threshold=threshold)
    np.testing.assert_allclose(layer(x).numpy(),
                               _relu_reference(x, max_value, negative_slope, threshold),
                               rtol=1e-6, atol=1e-7)


def test_softmax_matches_numpy_on_one_axis_and_on_several():
    x = _x(2, 3, 4)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(L.Softmax(axis=1)(x).numpy(), e / e.sum(axis=1, keepdims=True),
                               rtol=1e-5)
    e = np.exp(x - x.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(L.Softmax(axis=(1, 2))(x).numpy(),
                               e / e.sum(axis=(1, 2), keepdims=True), rtol=1e-5)


def test_elu_matches_numpy():
    x = _x(3, 4)
    np.testing.assert_allclose(L.ELU(alpha=0.7)(x).numpy(),
                               np.where(x > 0, x, 0.7 * (np.exp(x) - 1)), rtol=1e-5, atol=1e-7)


def test_prelu_matches_numpy_and_learns_its_slope():
    x = _x(2, 3, 4)
    layer = L.PReLU()                           # zeros: starts as a ReLU
    np.testing.assert_allclose(layer(x).numpy(), np.maximum(x, 0), rtol=1e-6)
    alpha = random_input((3, 4), seed=1)
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).numpy(), np.where(x > 0, x, alpha * x), rtol=1e-6)
    with lm.GradientTape() as tape:
        loss = lm.sum(layer(x))
    (grad,) = tape.gradient(loss, [layer.alpha])
    np.testing.assert_allclose(grad.numpy(), np.minimum(x, 0).sum(axis=0), rtol=1e-5)


def test_prelu_checks_its_input_shape():
    layer = L.PReLU(shared_axes=(1, 2), name="pr")
    layer(np.ones((2, 5, 5, 3), np.float32))
    assert layer.alpha.shape == (1, 1, 3)
    layer(np.ones((4, 7, 6, 3), np.float32))     # shared axes may change size
    with pytest.raises(ValueError, match=r"'pr' is incompatible.*axis 3.*value 3"):
        layer(np.ones((2, 5, 5, 4), np.float32))
    with pytest.raises(ValueError, match=r"shared_axes \[3\] must lie in \[1, 3\)"):
        L.PReLU(shared_axes=3)(np.ones((2, 4, 4), np.float32))


@pytest.mark.parametrize("make, message", [
    (lambda: L.LeakyReLU(-0.1), "negative_slope must be a number >= 0"),
    (lambda: L.LeakyReLU(None), "negative_slope must be a number >= 0"),
    (lambda: L.ReLU(max_value=-1.0), "max_value must be a number >= 0"),
    (lambda: L.ReLU(negative_slope=-0.5), "negative_slope must be a number >= 0"),
    (lambda: L.ReLU(threshold=None), "threshold must be a number >= 0"),
    (lambda: L.Softmax(axis="last"), "axis must be an int or a tuple of ints"),
    (lambda: L.Softmax(axis=()), "axis must be an int or a tuple of ints"),
    (lambda: L.ELU(alpha="big"), "alpha must be a number"),
    (lambda: L.PReLU(shared_axes=[0]), "shared_axes must be None, an int or a list"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_softmax_axis_out_of_range_names_the_layer():
    with pytest.raises(ValueError, match=r"Softmax layer 'sm'.*axis 3 is out of range"):
        L.Softmax(axis=(1, 3), name="sm")(_x(2, 3))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        L.Softmax(axis=3)(_x(2, 3))
