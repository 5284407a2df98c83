"""Dense through the shared harness, plus its own behaviour and errors."""
import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer


@pytest.mark.parametrize("activation", [None, "relu", "softmax", lm.tanh])
def test_dense_harness(activation):
    check_layer(lambda: lm.layers.Dense(5, activation=activation), (4, 3),
                expected_output_shape=(4, 5), expected_num_weights=2)


def test_dense_on_rank_3_inputs_and_without_bias():
    check_layer(lambda: lm.layers.Dense(2, use_bias=False), (2, 3, 4),
                expected_output_shape=(2, 3, 2), expected_num_weights=1)


def test_dense_matches_numpy():
    layer = lm.layers.Dense(3, activation="relu")
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    y = layer(x).numpy()
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, np.maximum(x @ w + b, 0), rtol=1e-6)


def test_dense_rejects_wrong_feature_count_naming_the_layer():
    layer = lm.layers.Dense(3, name="hidden")
    layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"layer 'hidden' is incompatible.*expected axis -1 "
                                         r"of input shape to have value 4.*\(2, 5\)"):
        layer(np.ones((2, 5), np.float32))


def test_dense_bad_arguments():
    with pytest.raises(ValueError, match="units must be a positive integer, received 0"):
        lm.layers.Dense(0)
    with pytest.raises(ValueError, match="Unknown activation 'relux'"):
        lm.layers.Dense(2, activation="relux")
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        lm.layers.Dense(2, unitz=3)


def test_regularizers_add_losses_and_constraints_apply():
    layer = lm.layers.Dense(2, kernel_regularizer=lm.regularizers.L2(0.5),
                            kernel_constraint=lm.constraints.NonNeg())
    layer(np.ones((1, 3), np.float32))
    (penalty,) = layer.losses
    np.testing.assert_allclose(float(penalty), 0.5 * np.sum(layer.get_weights()[0] ** 2),
                               rtol=1e-6)
    assert layer.kernel.constraint is not None
