"""lm.nn and lm linear algebra beyond the op records: exact, finite results at extreme logits,
gradients that stay finite at zero, the max-pool tie rule, graphs whose batch or spatial
dims are unknown, and the errors bad arguments give.
"""
import numpy as np
import pytest

import lamina as lm

BIG = [[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]]


def _value_and_grad(fn, x):
    x = lm.tensor(np.asarray(x, dtype=np.float32))
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        total = lm.sum(y)
    return y.numpy(), tape.gradient(total, x).numpy()


# ---- exact and finite at logits of +-1e4 ---------------------------------------------------
def test_log_softmax_and_softmax_at_extreme_logits():
    value, grad = _value_and_grad(lm.nn.log_softmax, BIG)
    np.testing.assert_array_equal(value, [[0.0, -2e4, -1e4], [-2e4, -2e4, 0.0]])
    # d sum(log_softmax) / dx = 1 - n * softmax(x)
    np.testing.assert_array_equal(grad, [[-2.0, 1.0, 1.0], [1.0, 1.0, -2.0]])
    value, grad = _value_and_grad(lm.nn.softmax, BIG)
    np.testing.assert_array_equal(value, [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert np.all(np.isfinite(grad))


def test_sparse_softmax_cross_entropy_at_extreme_logits():
    labels = lm.tensor([1, 2])
    value, grad = _value_and_grad(
        lambda x: lm.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x), BIG)
    np.testing.assert_array_equal(value, [2e4, 0.0])
    np.testing.assert_array_equal(grad, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])


def test_softmax_cross_entropy_at_extreme_logits():
    labels = lm.tensor([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    value, grad = _value_and_grad(
        lambda x: lm.nn.softmax_cross_entropy_with_logits(labels=labels, logits=x), BIG)
    np.testing.assert_array_equal(value, [1.5e4, 2e4])
    np.testing.assert_array_equal(grad, [[1.0, -0.5, -0.5], [-1.0, 0.0, 1.0]])


def test_sigmoid_cross_entropy_at_extreme_logits():
    logits = [1e4, -1e4, 1e4, -1e4, 0.0]
    labels = lm.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    value, grad = _value_and_grad(
        lambda x: lm.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=x), logits)
    np.testing.assert_allclose(value, [0.0, 0.0, 1e4, 1e4, np.log(2)], rtol=1e-7)
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0, -1.0, -0.5])


def test_second_order_gradients_stay_finite_at_extreme_logits():
    x = lm.tensor(np.asarray(BIG, dtype=np.float32))
    with lm.GradientTape() as outer:
        outer.watch(x)
        with lm.GradientTape() as inner:
            inner.watch(x)
            loss = lm.sum(lm.nn.sparse_softmax_cross_entropy_with_logits(
                labels=lm.tensor([1, 2]), logits=x))
        g = inner.gradient(loss, x)
        target = lm.sum(g * g)
    assert np.all(np.isfinite(outer.gradient(target, x).numpy()))


# ---- gradients at zero ------------------------------------------------------------------------
@pytest.mark.parametrize("ord_", ["euclidean", 1, 2, 3, 0.5, np.inf])
def test_norm_gradient_of_a_zero_vector_is_finite(ord_):
    value, grad = _value_and_grad(lambda x: lm.norm(x, ord=ord_), np.zeros(4))
    assert value == 0.0 and np.all(np.isfinite(grad))


def test_norm_second_order_at_zero_and_l2_normalize_of_zero():
    x = lm.zeros((3,))
    second = lm.grad(lambda v: lm.sum(lm.grad(lambda u: lm.norm(u))(v)))(x)
    assert np.all(np.isfinite(second.numpy()))
    value, grad = _value_and_grad(lm.nn.l2_normalize, np.zeros(3))
    assert np.all(value == 0) and np.all(np.isfinite(grad))


# ---- pooling details ----------------------------------------------------------------------
def test_max_pool_ties_share_the_gradient_and_padding_never_wins():
    value, grad = _value_and_grad(lambda x: lm.nn.max_pool2d(x, 2, 2, "VALID"),
                                  np.ones((1, 2, 2, 1)))
    np.testing.assert_array_equal(grad.reshape(-1), [0.25] * 4)
    value, _ = _value_and_grad(lambda x: lm.nn.max_pool2d(x, 3, 2, "SAME"),
                               -np.ones((1, 3, 3, 1)) - np.arange(9).reshape(1, 3, 3, 1))
    assert np.all(value < 0)   # the zero-free -inf padding is never the maximum


def test_max_pool_gradient_is_differentiable_again():
    x = lm.tensor(np.random.default_rng(0).permutation(16).reshape(1, 4, 4, 1) * 1.0)
    with lm.GradientTape() as outer:
        outer.watch(x)
        with lm.GradientTape() as inner:
            inner.watch(x)
            y = lm.sum(lm.square(lm.nn.max_pool2d(x, 2, 2, "VALID")))
        g = inner.gradient(y, x)
        total = lm.sum(g)
    hess_diag = outer.gradient(total, x).numpy()
    assert set(np.unique(hess_diag)) == {0.0, 2.0}


# ---- graphs with unknown dims ------------------------------------------------------------
def _run_graph(build, feed_shape, *arrays):
    graph = lm.Graph()
    with graph.as_default():
        holder = lm.placeholder(lm.float32, feed_shape)
        out = build(holder)
    with lm.Session(graph=graph) as sess:
        return [sess.run(out, {holder: a}) for a in arrays]


@pytest.mark.parametrize("feed_shape", [(None, 5, 5, 2), (None, None, None, 2)])
def test_conv_and_pool_in_graphs_with_unknown_dims(feed_shape):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 3, 2, 3)).astype(np.float32)

    def build(x):
        y = lm.nn.conv2d(x, w, 2, "SAME")
        return lm.nn.avg_pool2d(y, 2, 1, "SAME") + lm.nn.max_pool2d(y, 2, 1, "SAME")

    a = rng.normal(size=(2, 5, 5, 2)).astype(np.float32)
    b = rng.normal(size=(3, 5, 5, 2)).astype(np.float32)
    got_a, got_b = _run_graph(build, feed_shape, a, b)
    np.testing.assert_allclose(got_a, build(lm.tensor(a)).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, build(lm.tensor(b)).numpy(), rtol=1e-5, atol=1e-6)


def test_conv_gradient_in_a_graph_with_unknown_batch():
    w = np.ones((3, 3, 1, 2), np.float32)
    graph = lm.Graph()
    with graph.as_default():
        x = lm.placeholder(lm.float32, (None, 4, 4, 1))
        loss = lm.sum(lm.nn.conv2d(x, w, 1, "VALID"))
        (gx,) = lm.gradients(loss, [x])
    with lm.Session(graph=graph) as sess:
        got = sess.run(gx, {x: np.zeros((2, 4, 4, 1))})
    # each input cell is counted once per window that covers it, times 2 output channels
    cover = np.array([1, 2, 2, 1])
    np.testing.assert_array_equal(got[0, :, :, 0], 2 * np.outer(cover, cover))


# ---- errors ----------------------------------------------------------------------------------
def test_sparse_cross_entropy_rejects_bad_labels():
    logits = lm.zeros((2, 3))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\).*label 3"):
        lm.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 3], logits=logits)
    with pytest.raises(ValueError, match="label -1"):
        lm.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, -1], logits=logits)
    with pytest.raises(TypeError, match="integer class indices"):
        lm.nn.sparse_softmax_cross_entropy_with_logits(labels=[0.0, 1.0], logits=logits)
    with pytest.raises(ValueError, match=r"received labels of shape \(3,\)"):
        lm.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 2], logits=logits)
    with pytest.raises(ValueError, match="logits is required"):
        lm.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1])


def test_cross_entropies_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape|shape of logits"):
        lm.nn.softmax_cross_entropy_with_logits(labels=lm.zeros((2, 3)), logits=lm.zeros((2, 4)))
    with pytest.raises(ValueError, match="shape of logits"):
        lm.nn.sigmoid_cross_entropy_with_logits(labels=lm.zeros((3,)), logits=lm.zeros((2,)))


def test_conv_rejects_bad_arguments():
    x, w = lm.ones((1, 5, 5, 3)), lm.ones((3, 3, 3, 4))
    with pytest.raises(ValueError, match="2 channels but the filters"):
        lm.nn.conv2d(lm.ones((1, 5, 5, 2)), w, 1, "SAME")
    with pytest.raises(ValueError, match="padding must be"):
        lm.nn.conv2d(x, w, 1, "FULL")
    with pytest.raises(ValueError, match="strides must be"):
        lm.nn.conv2d(x, w, [1, 2, 3], "SAME")
    with pytest.raises(ValueError, match="batch and channel"):
        lm.nn.conv2d(x, w, [2, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="rank 4"):
        lm.nn.conv2d(lm.ones((5, 5, 3)), w, 1, "SAME")
    with pytest.raises(ValueError, match="does not fit"):
        lm.nn.conv2d(lm.ones((1, 2, 2, 3)), w, 1, "VALID")
    with pytest.raises(ValueError, match="data_format"):
        lm.nn.conv2d(x, w, 1, "SAME", data_format="NWHC")


def test_pool_rejects_bad_arguments():
    with pytest.raises(ValueError, match="padding must be 'VALID' or 'SAME'"):
        lm.nn.avg_pool2d(lm.ones((1, 4, 4, 1)), 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="rank 3"):
        lm.nn.max_pool(lm.ones((4, 4)), 2, 2, "VALID")
    with pytest.raises(ValueError, match="ksize must be"):
        lm.nn.max_pool2d(lm.ones((1, 4, 4, 1)), 0, 2, "VALID")


def test_einsum_and_tensordot_reject_bad_arguments():
    a, b = lm.ones((2, 3)), lm.ones((4, 5))
    with pytest.raises(ValueError, match="sizes 3 and 4"):
        lm.einsum("ij,jk->ik", a, b)
    with pytest.raises(ValueError, match="names 2 operand"):
        lm.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="rank 2"):
        lm.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="not an input subscript"):
        lm.einsum("ij->k", a)
    with pytest.raises(ValueError, match="invalid equation"):
        lm.einsum("ij->i->j", a)
    with pytest.raises(ValueError, match="contracted dimensions must match"):
        lm.tensordot(a, b, 1)
    with pytest.raises(ValueError, match="norm"):
        lm.norm(a, ord=2, axis=(0, 1))
    with pytest.raises(ValueError, match="norm"):
        lm.norm(a, ord=-1)


def test_matmul_of_vectors_and_its_gradient():
    a, b = lm.tensor([1.0, 2.0]), lm.tensor([3.0, 4.0])
    with lm.GradientTape() as tape:
        tape.watch([a, b])
        y = lm.matmul(a, b)
    ga, gb = tape.gradient(y, [a, b])
    assert float(y) == 11.0
    np.testing.assert_array_equal(ga.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gb.numpy(), [1.0, 2.0])
