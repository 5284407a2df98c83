"""Padding, cropping and upsampling layers through the shared harness, against NumPy, and with
bad arguments and inputs."""
import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer, random_input

L = lm.layers


@pytest.mark.parametrize("make, input_shape, output_shape", [
    (lambda: L.ZeroPadding1D(), (2, 3, 4), (2, 5, 4)),
    (lambda: L.ZeroPadding1D((1, 2), data_format="channels_first"), (2, 3, 4), (2, 3, 7)),
    (lambda: L.ZeroPadding2D(), (2, 3, 4, 2), (2, 5, 6, 2)),
    (lambda: L.ZeroPadding2D(((1, 0), (2, 3))), (2, 3, 4, 2), (2, 4, 9, 2)),
    (lambda: L.ZeroPadding2D(1, data_format="channels_first"), (2, 3, 4, 2), (2, 3, 6, 4)),
    (lambda: L.Cropping1D(), (2, 5, 4), (2, 3, 4)),
    (lambda: L.Cropping1D((0, 2)), (2, 5, 4), (2, 3, 4)),
    (lambda: L.Cropping2D(), (2, 3, 4, 2), (2, 3, 4, 2)),
    (lambda: L.Cropping2D(((1, 0), (2, 1))), (2, 4, 6, 3), (2, 3, 3, 3)),
    (lambda: L.Cropping2D(1, data_format="channels_first"), (2, 3, 4, 5), (2, 3, 2, 3)),
    (lambda: L.UpSampling1D(), (2, 3, 4), (2, 6, 4)),
    (lambda: L.UpSampling2D(), (2, 3, 4, 2), (2, 6, 8, 2)),
    (lambda: L.UpSampling2D((1, 3), data_format="channels_first"), (2, 3, 4, 2), (2, 3, 4, 6)),
])
def test_layers_through_the_harness(make, input_shape, output_shape):
    check_layer(make, input_shape, expected_output_shape=output_shape, expected_num_weights=0)


def test_zero_padding_matches_numpy():
    x = random_input((2, 3, 4))
    np.testing.assert_array_equal(L.ZeroPadding1D((2, 1))(x).numpy(),
                                  np.pad(x, ((0, 0), (2, 1), (0, 0))))
    img = random_input((2, 3, 4, 2))
    np.testing.assert_array_equal(L.ZeroPadding2D((1, 2))(img).numpy(),
                                  np.pad(img, ((0, 0), (1, 1), (2, 2), (0, 0))))
    np.testing.assert_array_equal(
        L.ZeroPadding2D(((0, 1), (3, 0)), data_format="channels_first")(img).numpy(),
        np.pad(img, ((0, 0), (0, 0), (0, 1), (3, 0))))


def test_cropping_matches_numpy():
    x = random_input((2, 6, 3))
    np.testing.assert_array_equal(L.Cropping1D((1, 2))(x).numpy(), x[:, 1:4])
    img = random_input((2, 5, 6, 3))
    np.testing.assert_array_equal(L.Cropping2D(((1, 2), (0, 3)))(img).numpy(),
                                  img[:, 1:3, 0:3])
    img = random_input((2, 3, 5, 6))
    np.testing.assert_array_equal(L.Cropping2D((1, 2), data_format="channels_first")(img)
                                  .numpy(), img[:, :, 1:4, 2:4])


def test_upsampling_matches_numpy_nearest():
    x = random_input((2, 3, 4))
    np.testing.assert_array_equal(L.UpSampling1D(3)(x).numpy(), np.repeat(x, 3, axis=1))
    img = random_input((2, 3, 4, 2))
    np.testing.assert_array_equal(L.UpSampling2D((2, 3))(img).numpy(),
                                  np.repeat(np.repeat(img, 2, axis=1), 3, axis=2))


def test_upsampling_gradient_sums_over_the_copies():
    x = lm.tensor(random_input((1, 2, 2, 1)))
    layer = L.UpSampling2D((2, 3))
    with lm.GradientTape() as tape:
        tape.watch(x)
        loss = lm.sum(layer(x))
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), np.full((1, 2, 2, 1), 6.0))


def test_sequences_of_unknown_length_in_a_functional_model():
    inp = lm.Input((None, 3))
    out = L.Cropping1D(1)(L.ZeroPadding1D(2)(L.UpSampling1D(2)(inp)))
    assert out.shape == (None, None, 3)
    model = lm.Model(inp, out)
    x = random_input((2, 5, 3))
    want = np.pad(np.repeat(x, 2, axis=1), ((0, 0), (2, 2), (0, 0)))[:, 1:-1]
    np.testing.assert_array_equal(model.predict(x), want)


@pytest.mark.parametrize("make, message", [
    (lambda: L.ZeroPadding1D(-1), "padding must be an int >= 0 or a pair"),
    (lambda: L.ZeroPadding1D((1, 2, 3)), "padding must be an int >= 0 or a pair"),
    (lambda: L.ZeroPadding2D((1, 2, 3)), "padding must be an int >= 0, a pair of ints"),
    (lambda: L.ZeroPadding2D(((1, 2), 3)), "padding must be an int >= 0, a pair of ints"),
    (lambda: L.ZeroPadding2D(data_format="NCHW"), "data_format must be 'channels_last'"),
    (lambda: L.Cropping1D(1.5), "cropping must be an int >= 0 or a pair"),
    (lambda: L.Cropping2D(((1, -1), (0, 0))), r"cropping must be an int >= 0 or a pair"),
    (lambda: L.UpSampling1D(0), "size must be a positive integer, received 0"),
    (lambda: L.UpSampling2D((2, 2, 2)), "size must be an int or a pair of ints"),
    (lambda: L.UpSampling2D((2, True)), "size must be a positive integer"),
    (lambda: L.UpSampling2D(interpolation="bilinear"), "interpolation must be 'nearest'"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match=r"'crop'.*cropping \(2, 3\) would remove all 5 "
                                         r"entries of axis 1 of input shape \(1, 5, 2\)"):
        L.Cropping1D((2, 3), name="crop")(np.ones((1, 5, 2), np.float32))
    with pytest.raises(ValueError, match=r"cropping \(2, 2\) would remove all 4 entries of "
                                         r"axis 2"):
        L.Cropping2D((0, 2))(lm.Input((6, 4, 1)))
    with pytest.raises(ValueError, match=r"'pad' is incompatible.*expected ndim=4, received "
                                         r"ndim=3"):
        L.ZeroPadding2D(name="pad")(np.ones((1, 5, 2), np.float32))
    with pytest.raises(ValueError, match="expected ndim=3, received ndim=2"):
        L.UpSampling1D()(np.ones((1, 5), np.float32))
