"""The fused LSTM step (lamina/ops/rnn.py): its NumPy sequence and numba kernels agree bit for
bit, the LSTM layer trains to the same weights with and without it, and bad shapes are named."""
import numpy as np
import pytest

import lamina as lm
from lamina.backends import numba_kernels
from lamina.layers import recurrent_cells
from lamina.ops import rnn


def _arrays(dtype, batch=5, units=7, seed=0):
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((batch, 4 * units)) * 2).astype(dtype)
    c = rng.standard_normal((batch, units)).astype(dtype)
    g_hc = rng.standard_normal((2, batch, units)).astype(dtype)
    return z, c, g_hc


def _step(z, c, g_hc):
    """forward_into then backward_into, as the compiled code calls them."""
    hc = np.empty((2,) + c.shape, z.dtype)
    s, tc = np.empty_like(z), np.empty_like(c)
    rnn.forward_into(np, z, c, hc, s, tc)
    grads = np.empty(c.shape[:-1] + (5 * c.shape[-1],), z.dtype)
    rnn.backward_into(np, s, c, tc, g_hc, grads)
    return hc, grads


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_kernels_match_the_numpy_sequence_bit_for_bit(dtype, monkeypatch):
    z, c, g_hc = _arrays(dtype)
    with_kernels = _step(z, c, g_hc)
    monkeypatch.setattr(numba_kernels, "for_arrays", lambda xp, name, *arrays: None)
    without = _step(z, c, g_hc)
    for a, b in zip(with_kernels, without):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_plans_call_the_kernels_directly_with_the_same_numbers(dtype, monkeypatch):
    """Compiled code calls forward_step with the kernel chosen at compile time, and the
    backward kernel itself; the numbers are those of the NumPy sequence, bit for bit."""
    z, c, g_hc = _arrays(dtype)

    def step(z, c, g_hc):
        with lm.GradientTape() as tape:
            tape.watch([z, c])
            hc = rnn.lstm_gates(z, c)
        return [hc, *tape.gradient(hc, [z, c], output_gradients=g_hc)]

    fn = lm.function(step)
    got = [t.numpy() for t in fn(z, c, g_hc)]
    source = fn.get_concrete_function(z, c, g_hc).source
    assert "_lstm_forward_step(" in source and "_lstm_forward_kernel)" in source
    assert "_lstm_backward_kernel(" in source and "_lstm_forward(" not in source
    monkeypatch.setattr(numba_kernels, "for_arrays", lambda xp, name, *arrays: None)
    hc, grads = _step(z, c, g_hc)
    np.testing.assert_array_equal(got[0], hc)
    np.testing.assert_array_equal(np.concatenate(got[1:], -1), grads)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_step_matches_the_float64_reference(dtype):
    z, c, g_hc = _arrays(dtype)
    hc, grads = _step(z, c, g_hc)
    zz, cc = lm.tensor(z.astype(np.float64)), lm.tensor(c.astype(np.float64))
    with lm.GradientTape() as tape:
        tape.watch([zz, cc])
        ref = rnn.composite(zz, cc)
    dz, dc = tape.gradient(ref, [zz, cc], output_gradients=lm.tensor(g_hc.astype(np.float64)))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(hc, ref.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(grads, np.concatenate([dz.numpy(), dc.numpy()], -1),
                               rtol=tol, atol=tol)


def _train_lstm(fused: bool, run_eagerly: bool, monkeypatch):
    monkeypatch.setattr(rnn, "fused_pays", lambda: fused)
    lm.utils.set_random_seed(3)
    model = lm.Sequential([lm.layers.Input((6, 3)), lm.layers.LSTM(5), lm.layers.Dense(2)])
    model.compile(lm.optimizers.SGD(0.1), "mse", run_eagerly=run_eagerly)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 6, 3)).astype(np.float32)
    y = rng.standard_normal((8, 2)).astype(np.float32)
    for _ in range(3):
        model.train_on_batch(x, y)
    return model.get_weights()


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_layer_trains_the_same_with_and_without_the_fused_step(run_eagerly, monkeypatch):
    fused = _train_lstm(True, run_eagerly, monkeypatch)
    composite = _train_lstm(False, run_eagerly, monkeypatch)
    for a, b in zip(fused, composite):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_layer_uses_the_fused_step_only_for_the_default_activations(monkeypatch):
    calls = []
    monkeypatch.setattr(rnn, "fused_pays", lambda: True)
    monkeypatch.setattr(recurrent_cells.rnn_ops, "lstm_gates",
                        lambda z, c: calls.append(1) or rnn.composite(z, c))
    x = np.zeros((2, 3, 4), np.float32)
    lm.layers.LSTM(3)(x)
    assert calls
    calls.clear()
    lm.layers.LSTM(3, activation="relu")(x)
    assert not calls


@pytest.mark.parametrize("z_shape, c_shape", [((3, 8), (3, 3)), ((3, 8), (2, 2)),
                                              ((8,), (2,)), ((3, 8), (3, 2, 1))])
def test_bad_shapes_name_expected_and_received(z_shape, c_shape):
    with pytest.raises(ValueError, match=r"expects z of shape \(batch, 4 \* units\).*received z"):
        rnn.lstm_gates(np.zeros(z_shape, np.float32), np.zeros(c_shape, np.float32))


def test_integer_inputs_are_promoted_like_other_float_ops():
    out = rnn.lstm_gates(np.zeros((2, 8), np.int32), np.ones((2, 2), np.int32))
    assert out.dtype == lm.float32
    np.testing.assert_allclose(out.numpy()[1], 0.5)      # c' = sigmoid(0) * 1 + 0.5 * tanh(0)
