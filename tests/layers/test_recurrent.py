"""SimpleRNN, LSTM, GRU, their cells, RNN and Bidirectional: the shared harness, NumPy
references of Keras's formulas with the same weights, gradients through time, errors, and a
short training run."""
import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer, random_input

L = lm.layers


# ---- NumPy references (Keras 3's formulas) ------------------------------------------------------
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_simple_rnn(x, kernel, recurrent, bias, states):
    (h,) = states
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + bias + h @ recurrent)
        outputs.append(h)
    return np.stack(outputs, 1), [h]


def ref_lstm(x, kernel, recurrent, bias, states):
    h, c = states
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1), [h, c]


def ref_gru(x, kernel, recurrent, bias, states, reset_after=True):
    (h,) = states
    units = h.shape[-1]
    outputs = []
    for t in range(x.shape[1]):
        if reset_after:
            x_z, x_r, x_h = np.split(x[:, t] @ kernel + bias[0], 3, axis=-1)
            h_z, h_r, h_h = np.split(h @ recurrent + bias[1], 3, axis=-1)
            z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
            candidate = np.tanh(x_h + r * h_h)
        else:
            x_z, x_r, x_h = np.split(x[:, t] @ kernel + bias, 3, axis=-1)
            h_z, h_r = np.split(h @ recurrent[:, :2 * units], 2, axis=-1)
            z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
            candidate = np.tanh(x_h + (r * h) @ recurrent[:, 2 * units:])
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, 1), [h]


REFERENCES = {"SimpleRNN": (ref_simple_rnn, 1), "LSTM": (ref_lstm, 2), "GRU": (ref_gru, 1)}


def randomize(layer, seed=1, scale=0.5):
    """Random weights (biases included), so every term of the formulas matters."""
    rng = np.random.default_rng(seed)
    weights = [(scale * rng.standard_normal(w.shape)).astype(w.dtype.np) for w in layer.weights]
    layer.set_weights(weights)
    return weights


def zeros_states(n, batch, units):
    return [np.zeros((batch, units), np.float32) for _ in range(n)]


# ---- the shared harness -------------------------------------------------------------------------
@pytest.mark.parametrize("cls, weights", [(L.SimpleRNN, 3), (L.LSTM, 3), (L.GRU, 3)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_harness(cls, weights, return_sequences):
    out = (2, 4, 5) if return_sequences else (2, 5)
    check_layer(lambda: cls(5, return_sequences=return_sequences), (2, 4, 3),
                expected_output_shape=out, expected_num_weights=weights)


@pytest.mark.parametrize("cls, states", [(L.SimpleRNN, 1), (L.LSTM, 2), (L.GRU, 1)])
def test_harness_return_state_and_go_backwards(cls, states):
    check_layer(lambda: cls(3, return_sequences=True, return_state=True, go_backwards=True),
                (2, 4, 2), expected_output_shape=[(2, 4, 3)] + [(2, 3)] * states)


def test_harness_variants():
    check_layer(lambda: L.GRU(4, reset_after=False, use_bias=False), (2, 3, 2),
                expected_output_shape=(2, 4), expected_num_weights=2)
    check_layer(lambda: L.RNN(L.LSTMCell(4), return_state=True), (2, 3, 2),
                expected_output_shape=[(2, 4), (2, 4), (2, 4)], expected_num_weights=3)
    check_layer(lambda: L.LSTM(4, dropout=0.3, recurrent_dropout=0.3, seed=3), (2, 3, 2),
                expected_output_shape=(2, 4), deterministic=False)


@pytest.mark.parametrize("merge_mode, out", [("concat", (2, 4, 6)), ("sum", (2, 4, 3)),
                                             ("ave", (2, 4, 3)), ("mul", (2, 4, 3)),
                                             (None, [(2, 4, 3), (2, 4, 3)])])
def test_bidirectional_harness(merge_mode, out):
    check_layer(lambda: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode),
                (2, 4, 2), expected_output_shape=out, expected_num_weights=6)


# ---- numbers against the references -------------------------------------------------------------
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_whole_sequence_matches_numpy(name):
    reference, n_states = REFERENCES[name]
    layer = getattr(L, name)(4, return_sequences=True, return_state=True)
    x = random_input((3, 5, 2))
    layer(x)
    weights = randomize(layer)
    seq, *states = layer(x)
    want_seq, want_states = reference(x, *weights, zeros_states(n_states, 3, 4))
    np.testing.assert_allclose(seq.numpy(), want_seq, rtol=1e-5, atol=1e-6)
    for got, want in zip(states, want_states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_gru_reset_before_matches_numpy():
    layer = L.GRU(3, reset_after=False)
    x = random_input((2, 4, 3))
    layer(x)
    weights = randomize(layer)
    assert weights[2].shape == (9,)
    _, (want,) = ref_gru(x, *weights, zeros_states(1, 2, 3), reset_after=False)
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_cell_one_step_matches_numpy(name):
    reference, n_states = REFERENCES[name]
    cell = getattr(L, name + "Cell")(4)
    x = random_input((3, 2))
    states = [random_input((3, 4), seed=s + 5) for s in range(n_states)]
    cell(x, states)
    weights = randomize(cell)
    out, new_states = cell(x, states)
    want_seq, want_states = reference(x[:, None], *weights, states)
    np.testing.assert_allclose(out.numpy(), want_seq[:, 0], rtol=1e-5, atol=1e-6)
    for got, want in zip(new_states, want_states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_single_state_cells_accept_a_bare_tensor_state():
    cell = L.GRUCell(2)
    out, state = cell(np.ones((1, 3), np.float32), np.zeros((1, 2), np.float32))
    assert isinstance(state, lm.Tensor) and np.array_equal(out.numpy(), state.numpy())
    _, states = cell(np.ones((1, 3), np.float32), [np.zeros((1, 2), np.float32)])
    assert isinstance(states, list) and len(states) == 1


def test_initial_state_is_used():
    layer = L.LSTM(3, return_state=True)
    x = random_input((2, 4, 2))
    layer(x)
    weights = randomize(layer)
    h0, c0 = random_input((2, 3), seed=7), random_input((2, 3), seed=8)
    out, h, c = layer(x, initial_state=[h0, c0])
    _, (want_h, want_c) = ref_lstm(x, *weights, [h0, c0])
    np.testing.assert_allclose(out.numpy(), want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), want_c, rtol=1e-5, atol=1e-6)


def test_go_backwards_runs_reversed_and_returns_processing_order():
    layer = L.SimpleRNN(3, return_sequences=True, go_backwards=True)
    x = random_input((2, 5, 2))
    layer(x)
    weights = randomize(layer)
    want, _ = ref_simple_rnn(x[:, ::-1], *weights, zeros_states(1, 2, 3))
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-5, atol=1e-6)


def test_bidirectional_matches_two_references():
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=None)
    x = random_input((2, 4, 2))
    layer(x)
    weights = randomize(layer)
    forward, backward = layer(x)
    want_f, _ = ref_lstm(x, *weights[:3], zeros_states(2, 2, 3))
    want_b, _ = ref_lstm(x[:, ::-1], *weights[3:], zeros_states(2, 2, 3))
    np.testing.assert_allclose(forward.numpy(), want_f, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backward.numpy(), want_b[:, ::-1], rtol=1e-5, atol=1e-6)
    assert layer.forward_layer.name.startswith("forward_")
    assert layer.backward_layer.go_backwards


def test_bidirectional_return_state_and_initial_state():
    layer = L.Bidirectional(L.GRU(3, return_state=True))
    x = random_input((2, 4, 2))
    out, h_forward, h_backward = layer(x)
    assert out.shape == (2, 6)
    np.testing.assert_allclose(out.numpy(), np.concatenate(
        [h_forward.numpy(), h_backward.numpy()], -1), rtol=1e-6)
    zero = np.zeros((2, 3), np.float32)
    np.testing.assert_allclose(layer(x, initial_state=[zero, zero])[0].numpy(), out.numpy(),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="expects 2 initial state tensors"):
        layer(x, initial_state=[zero])


def test_generic_rnn_runs_a_custom_cell():
    class MinimalCell(L.Layer):
        state_size = 2

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], 2))

        def call(self, inputs, states):
            out = lm.matmul(inputs, self.kernel) + states[0]
            return out, [out]

    layer = L.RNN(MinimalCell(), return_sequences=True)
    x = random_input((2, 3, 4))
    out = layer(x).numpy()
    kernel = layer.weights[0].numpy()
    np.testing.assert_allclose(out, np.cumsum(x @ kernel, axis=1), rtol=1e-5, atol=1e-6)


def test_unit_forget_bias_and_layouts():
    layer = L.LSTM(3)
    layer(np.ones((1, 2, 5), np.float32))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (5, 12) and recurrent.shape == (3, 12)
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    # orthogonal recurrent kernel by default
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)
    no_forget = L.LSTM(3, unit_forget_bias=False)
    no_forget(np.ones((1, 2, 5), np.float32))
    assert not no_forget.get_weights()[2].any()
    assert layer.units == 3 and layer.recurrent_activation is lm.sigmoid


def test_config_round_trip_keeps_keras_arguments():
    layer = L.GRU(4, reset_after=False, dropout=0.25, return_sequences=True, go_backwards=True)
    config = layer.get_config()
    assert config["reset_after"] is False and config["dropout"] == 0.25
    assert config["go_backwards"] is True and "cell" not in config
    clone = L.GRU.from_config(config)
    assert clone.reset_after is False and clone.return_sequences and clone.go_backwards
    rnn = L.RNN(L.SimpleRNNCell(2, activation="relu"))
    clone = L.RNN.from_config(rnn.get_config())
    assert isinstance(clone.cell, L.SimpleRNNCell) and clone.cell.activation is lm.relu


# ---- training-time behaviour --------------------------------------------------------------------
def test_input_dropout_mask_is_shared_by_all_time_steps():
    layer = L.SimpleRNN(6, activation=None, dropout=0.5, return_sequences=True, seed=1)
    x = np.ones((4, 5, 6), np.float32)
    layer(x)
    layer.set_weights([np.eye(6, dtype=np.float32), np.zeros((6, 6), np.float32),
                       np.zeros(6, np.float32)])
    out = layer(x, training=True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < out.mean() < 2
    for t in range(1, 5):
        np.testing.assert_array_equal(out[:, t], out[:, 0])
    np.testing.assert_array_equal(layer(x).numpy(), x)       # inference: no dropout


def test_gradients_through_time_match_finite_differences():
    layer = L.LSTM(2, return_sequences=True, dtype="float64")
    x = random_input((2, 3, 2), dtype="float64")
    layer(x)
    randomize(layer)
    target = random_input((2, 3, 2), dtype="float64", seed=4)
    xt = lm.tensor(x)

    def loss():
        return lm.sum(layer(xt) * target)

    with lm.GradientTape() as tape:
        tape.watch(xt)
        value = loss()
    grads = tape.gradient(value, [xt, *layer.weights])
    eps = 1e-6
    for var, grad in zip(layer.weights, grads[1:]):
        base = var.numpy()
        numeric = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            shifted = base.copy()
            shifted[index] += eps
            var.assign(shifted)
            up = loss().numpy()
            shifted[index] -= 2 * eps
            var.assign(shifted)
            numeric[index] = (up - loss().numpy()) / (2 * eps)
            var.assign(base)
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=var.name)
    # the input gradient: check one time step against finite differences as well
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (np.sum(layer(up).numpy() * target)
                          - np.sum(layer(down).numpy() * target)) / (2 * eps)
    np.testing.assert_allclose(grads[0].numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_float32_stays_float32():
    out, h, c = L.LSTM(3, return_state=True)(random_input((2, 4, 2)),
                                              initial_state=[np.zeros((2, 3))] * 2)
    assert out.dtype == lm.float32 and c.dtype == lm.float32


def test_functional_model_with_initial_states_from_inputs():
    seq, h_in, c_in = lm.Input((4, 2)), lm.Input((3,)), lm.Input((3,))
    out = L.LSTM(3)(seq, initial_state=[h_in, c_in])
    model = lm.Model([seq, h_in, c_in], out)
    x, h0, c0 = random_input((2, 4, 2)), random_input((2, 3), seed=1), random_input((2, 3))
    got = model.predict([x, h0, c0])
    layer = model.layers[-1]
    _, (want, _) = ref_lstm(x, *layer.get_weights(), [h0, c0])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    clone = type(model).from_config(model.get_config())
    assert clone.predict([x, h0, c0]).shape == (2, 3)


def test_lstm_learns_to_remember_the_first_token():
    """Copy task: the label is the sign of the first of 8 random +-1 inputs, so the model must
    carry it through 7 distracting steps. Reaches >= 95% accuracy in well under a second
    (100% after ~5 epochs)."""
    lm.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=(512, 8, 1)).astype(np.float32)
    y = (x[:, 0, 0] > 0).astype(np.float32)
    model = lm.Sequential([lm.Input((8, 1)), L.LSTM(8), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=lm.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=15, verbose=0)
    _, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy >= 0.95


# ---- errors -------------------------------------------------------------------------------------
def test_bad_arguments():
    with pytest.raises(ValueError, match="units must be a positive integer, received 0"):
        L.LSTM(0)
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\), received 1.5"):
        L.GRU(2, dropout=1.5)
    with pytest.raises(ValueError, match="recurrent_dropout must be a number"):
        L.SimpleRNN(2, recurrent_dropout=-0.1)
    with pytest.raises(ValueError, match="stateful=True is not supported"):
        L.LSTM(2, stateful=True)
    with pytest.raises(ValueError, match="Unknown activation 'tanhh'"):
        L.SimpleRNN(2, activation="tanhh")
    with pytest.raises(TypeError, match="return_sequences must be True or False"):
        L.LSTM(2, return_sequences="yes")
    with pytest.raises(ValueError, match="stacked cells are not supported"):
        L.RNN([L.LSTMCell(2), L.LSTMCell(2)])
    with pytest.raises(TypeError, match="cell must be a Layer"):
        L.RNN(object())
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="layer must be an RNN layer"):
        L.Bidirectional(L.Dense(2))
    with pytest.raises(ValueError, match="backward_layer must have go_backwards=True"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2))
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        L.LSTM(2, mask=True)


def test_bad_inputs_name_the_layer_and_the_shapes():
    layer = L.LSTM(2, name="enc")
    with pytest.raises(ValueError, match=r"layer 'enc' is incompatible.*expected ndim=3, "
                                         r"received ndim=2"):
        layer(np.ones((2, 3), np.float32))
    layer(np.ones((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        layer(np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="needs the number of time steps to be known"):
        L.GRU(2)(lm.Input((None, 3)))
    with pytest.raises(ValueError, match="needs at least one time step"):
        L.GRU(2)(np.ones((2, 0, 3), np.float32))
    with pytest.raises(TypeError, match="unexpected keyword argument 'mask'"):  # no masking
        layer(np.ones((2, 4, 3), np.float32), mask=np.ones((2, 4), bool))


def test_bad_initial_states():
    layer = L.LSTM(3, name="dec")
    x = np.ones((2, 4, 2), np.float32)
    with pytest.raises(ValueError, match=r"'dec' expects 2 initial state tensor\(s\).*"
                                         r"received 1"):
        layer(x, initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"state 1 must have shape \(batch, 3\), received "
                                         r"shape \(2, 4\)"):
        layer(x, initial_state=[np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="initial state 0 has batch size 5, but the input has "
                                         "batch size 2"):
        layer(x, initial_state=[np.zeros((5, 3)), np.zeros((5, 3))])
    with pytest.raises(ValueError, match=r"LSTMCell .* expects 2 state tensor\(s\), received 1"):
        L.LSTMCell(3)(np.ones((2, 2), np.float32), [np.zeros((2, 3))])
