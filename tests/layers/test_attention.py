"""MultiHeadAttention: the shared harness (through a self-attention wrapper, since the harness
calls layers on one input), a NumPy reference of Keras's formulas with the same weights (masks
and the causal mask included), gradients, and errors."""
import numpy as np
import pytest

import lamina as lm
from tests.layers.harness import check_layer, random_input

L = lm.layers


class SelfAttention(L.Layer):
    """``mha(x, x)``: lets the one-input harness drive MultiHeadAttention."""

    def __init__(self, mha_config, **kwargs):
        super().__init__(**kwargs)
        self.mha_config = mha_config
        self.mha = L.MultiHeadAttention.from_config(mha_config)

    def call(self, x, training=None, **kwargs):
        return self.mha(x, x, training=training, **kwargs)

    def get_config(self):
        return {**super().get_config(), "mha_config": self.mha_config}


def self_attention(**mha_args):
    return lambda: SelfAttention(L.MultiHeadAttention(**mha_args).get_config())


# ---- NumPy reference ----------------------------------------------------------------------------
def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ref_mha(query, value, key, weights, key_dim, mask=None):
    """Keras's formulas; ``weights`` in the layer's order (query, key, value, output; each
    kernel then bias)."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    q = np.einsum("btd,dnh->btnh", query, wq) + bq
    k = np.einsum("bsd,dnh->bsnh", key, wk) + bk
    v = np.einsum("bsd,dnh->bsnh", value, wv) + bv
    scores = np.einsum("bsnh,btnh->bnts", k, q / np.sqrt(key_dim))
    if mask is not None:  # Keras's Softmax(mask=...), in float32 as Keras computes it
        scores = (scores.astype(np.float32) + (1 - mask).astype(np.float32) * np.float32(-1e9))
    probs = softmax(scores)
    context = np.einsum("bnts,bsnh->btnh", probs, v)
    out = np.tensordot(context, wo, axes=([2, 3], [0, 1])) + bo
    return out, probs


def randomized(mha, *inputs, seed=1):
    mha(*inputs)
    rng = np.random.default_rng(seed)
    weights = [(0.5 * rng.standard_normal(w.shape)).astype(np.float32) for w in mha.weights]
    mha.set_weights(weights)
    return weights


# ---- harness ------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [dict(num_heads=2, key_dim=3),
                                  dict(num_heads=3, key_dim=2, value_dim=4, output_shape=5),
                                  dict(num_heads=1, key_dim=4, use_bias=False)])
def test_harness(args):
    out_dim = args.get("output_shape", 6)
    weights = 8 if args.get("use_bias", True) else 4
    check_layer(self_attention(**args), (2, 4, 6), expected_output_shape=(2, 4, out_dim),
                expected_num_weights=weights)


def test_harness_with_causal_mask_and_scores():
    check_layer(self_attention(num_heads=2, key_dim=3), (2, 4, 6),
                call_kwargs={"use_causal_mask": True, "return_attention_scores": True},
                expected_output_shape=[(2, 4, 6), (2, 2, 4, 4)])


def test_harness_with_dropout():
    check_layer(self_attention(num_heads=2, key_dim=3, dropout=0.5, seed=2), (2, 4, 6),
                expected_output_shape=(2, 4, 6), deterministic=False)


# ---- numbers ------------------------------------------------------------------------------------
def test_cross_attention_matches_numpy_with_keras_weight_shapes():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    query, value, key = random_input((2, 5, 6)), random_input((2, 7, 3), seed=1), \
        random_input((2, 7, 2), seed=2)
    weights = randomized(mha, query, value, key)
    assert [w.shape for w in weights] == [(6, 2, 3), (2, 3), (2, 2, 3), (2, 3), (3, 2, 4), (2, 4),
                                          (2, 4, 6), (6,)]
    out, scores = mha(query, value, key, return_attention_scores=True)
    want_out, want_scores = ref_mha(query, value, key, weights, 3)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), want_scores, rtol=1e-5, atol=1e-6)


def test_key_defaults_to_value_and_output_shape_tuple():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=2, output_shape=(3, 2))
    query, value = random_input((2, 4, 5)), random_input((2, 6, 5), seed=3)
    weights = randomized(mha, query, value)
    assert weights[6].shape == (2, 2, 3, 2) and weights[7].shape == (3, 2)
    out = mha(query, value).numpy()
    wo, bo = weights[6], weights[7]
    flat = weights[:6] + [wo.reshape(2, 2, 6), bo.reshape(6)]
    want, _ = ref_mha(query, value, value, flat, 2)
    np.testing.assert_allclose(out, want.reshape(2, 4, 3, 2), rtol=1e-5, atol=1e-5)


def test_attention_mask_matches_numpy():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    query, value = random_input((2, 4, 6)), random_input((2, 5, 6), seed=1)
    weights = randomized(mha, query, value)
    mask = np.random.default_rng(5).random((2, 4, 5)) > 0.4
    mask[0, 1] = False                        # a fully masked row attends uniformly
    out, scores = mha(query, value, attention_mask=mask, return_attention_scores=True)
    want_out, want_scores = ref_mha(query, value, value, weights, 3,
                                    mask[:, None].astype(np.float32))
    np.testing.assert_allclose(scores.numpy(), want_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy()[0, :, 1], np.full((2, 5), 0.2), rtol=1e-6)
    masked = ~mask[:, None].repeat(2, axis=1)
    masked[0, :, 1] = False
    assert np.all(scores.numpy()[masked] == 0)
    # the same mask as numbers (nonzero attends), and as (T, S) for every batch entry
    np.testing.assert_allclose(mha(query, value, attention_mask=mask.astype(np.int32)).numpy(),
                               out.numpy(), rtol=1e-6)
    shared = mha(query, value, attention_mask=mask[1]).numpy()
    want_shared, _ = ref_mha(query, value, value, weights, 3,
                             mask[1][None, None].astype(np.float32))
    np.testing.assert_allclose(shared, want_shared, rtol=1e-5, atol=1e-5)


def test_causal_mask_alone_and_combined_with_attention_mask():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    x = random_input((2, 4, 6))
    weights = randomized(mha, x, x)
    causal = np.tril(np.ones((4, 4), np.float32))
    out, scores = mha(x, x, use_causal_mask=True, return_attention_scores=True)
    want_out, want_scores = ref_mha(x, x, x, weights, 3, causal[None, None])
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-5, atol=1e-5)
    assert np.all(np.triu(scores.numpy(), k=1) == 0)
    padding = np.ones((2, 4, 4), bool)
    padding[:, :, 3] = False
    combined = mha(x, x, attention_mask=padding, use_causal_mask=True).numpy()
    want, _ = ref_mha(x, x, x, weights, 3, (causal * padding)[:, None])
    np.testing.assert_allclose(combined, want, rtol=1e-5, atol=1e-5)


def test_dropout_only_while_training_and_scores_are_before_dropout():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=1)
    x = random_input((2, 4, 6))
    eval_out, eval_scores = mha(x, x, return_attention_scores=True)
    train_out, train_scores = mha(x, x, return_attention_scores=True, training=True)
    assert not np.allclose(train_out.numpy(), eval_out.numpy())
    np.testing.assert_allclose(train_scores.numpy(), eval_scores.numpy(), rtol=1e-6)
    np.testing.assert_allclose(mha(x, x).numpy(), eval_out.numpy(), rtol=1e-6)


def test_gradients_match_finite_differences():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=2, dtype="float64")
    x = random_input((1, 3, 4), dtype="float64")
    mha(x, x)
    target = random_input((1, 3, 4), dtype="float64", seed=3)
    xt = lm.tensor(x)
    with lm.GradientTape() as tape:
        tape.watch(xt)
        loss = lm.sum(mha(xt, xt, use_causal_mask=True) * target)
    grad_x, grad_wq = tape.gradient(loss, [xt, mha.query_kernel])

    def value(x_value):
        return float(np.sum(mha(x_value, x_value, use_causal_mask=True).numpy() * target))

    eps = 1e-6
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (value(up) - value(down)) / (2 * eps)
    np.testing.assert_allclose(grad_x.numpy(), numeric, rtol=1e-6, atol=1e-8)
    base = mha.query_kernel.numpy()
    shifted = base.copy()
    shifted[1, 0, 1] += eps
    mha.query_kernel.assign(shifted)
    up = value(x)
    mha.query_kernel.assign(base)
    np.testing.assert_allclose(grad_wq.numpy()[1, 0, 1], (up - value(x)) / eps, rtol=1e-4)


def test_functional_cross_attention_model_and_config_round_trip():
    query, value = lm.Input((4, 6)), lm.Input((5, 3))
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, name="cross")
    model = lm.Model([query, value], mha(query, value))
    q, v = random_input((2, 4, 6)), random_input((2, 5, 3), seed=1)
    np.testing.assert_allclose(model.predict([q, v]), mha(q, v).numpy(), rtol=1e-5, atol=1e-6)
    clone = type(model).from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict([q, v]), model.predict([q, v]), rtol=1e-6)
    config = mha.get_config()
    assert config["value_dim"] == 3 and config["output_shape"] is None
    assert mha.compute_output_shape((None, 4, 6), (None, 5, 3)) == (None, 4, 6)


# ---- errors -------------------------------------------------------------------------------------
def test_bad_arguments():
    with pytest.raises(ValueError, match="num_heads must be a positive integer, received 0"):
        L.MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match="key_dim must be a positive integer"):
        L.MultiHeadAttention(2, 2.5)
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\), received 1"):
        L.MultiHeadAttention(2, 2, dropout=1)
    with pytest.raises(ValueError, match="only attention over the sequence axis"):
        L.MultiHeadAttention(2, 2, attention_axes=(1, 2))
    with pytest.raises(ValueError, match="output_shape must be a positive int or a tuple"):
        L.MultiHeadAttention(2, 2, output_shape=(3, 0))
    assert L.MultiHeadAttention(2, 2, attention_axes=1).attention_axes == (1,)


def test_bad_inputs():
    mha = L.MultiHeadAttention(2, 2, name="att")
    with pytest.raises(ValueError, match=r"'att': query must have shape \(batch, sequence, "
                                         r"features\).*received \(2, 6\)"):
        mha(np.ones((2, 6), np.float32), np.ones((2, 3, 6), np.float32))
    with pytest.raises(ValueError, match="value and key must have the same sequence length"):
        mha(np.ones((2, 4, 6), np.float32), np.ones((2, 3, 6), np.float32),
            np.ones((2, 5, 6), np.float32))
    x = np.ones((2, 4, 6), np.float32)
    mha(x, x)
    with pytest.raises(ValueError, match=r"expected value of shape \(batch, sequence, 6\), "
                                         r"received \(2, 4, 5\)"):
        mha(x, np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"attention_mask must broadcast to \(batch, heads, T, "
                                         r"S\) = \(2, 2, 4, 4\).*received shape \(2, 4, 3\)"):
        mha(x, x, attention_mask=np.ones((2, 4, 3), bool))
    with pytest.raises(ValueError, match="use_causal_mask=True needs the query and value "
                                         "lengths to be known"):
        inp = lm.Input((None, 6))
        L.MultiHeadAttention(2, 2)(inp, inp, use_causal_mask=True)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        mha(x, x, query_mask=np.ones((2, 4), bool))
