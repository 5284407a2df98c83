"""lm.random and lm.nn.dropout: seeds and reproducibility, the distributions' ranges and
statistics, Generator objects, and fresh numbers on every eager call, graph run and compiled
call. Sample sizes are small but enough for loose statistical bounds.
"""
import numpy as np
import pytest

import lamina as lm


# ---- seeds ----------------------------------------------------------------------------------
def test_seed_makes_the_same_calls_give_the_same_numbers():
    lm.random.seed(3)
    first = [lm.random.normal((4,)).numpy(), lm.random.uniform((2, 2)).numpy()]
    lm.random.seed(3)
    second = [lm.random.normal((4,)).numpy(), lm.random.uniform((2, 2)).numpy()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_successive_draws_differ():
    a, b = lm.random.normal((8,)), lm.random.normal((8,))
    assert not np.array_equal(a.numpy(), b.numpy())


def test_op_seed_streams_are_reproducible_after_a_global_seed():
    lm.random.seed(1)
    a1, a2 = lm.random.uniform((5,), seed=7).numpy(), lm.random.uniform((5,), seed=7).numpy()
    lm.random.seed(1)
    b1, b2 = lm.random.uniform((5,), seed=7).numpy(), lm.random.uniform((5,), seed=7).numpy()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # one stream: the second call continues it
    lm.random.seed(2)
    assert not np.array_equal(lm.random.uniform((5,), seed=7).numpy(), a1)


def test_set_seed_alias_and_bad_seeds():
    lm.random.set_seed(5)
    a = lm.random.normal((3,)).numpy()
    lm.random.seed(5)
    np.testing.assert_array_equal(a, lm.random.normal((3,)).numpy())
    for bad in (-1, 1.5, "3"):
        with pytest.raises(ValueError, match="seed"):
            lm.random.seed(bad)


# ---- distributions ----------------------------------------------------------------------------
def test_normal_statistics_dtype_and_parameters():
    x = lm.random.normal((4000,), mean=2.0, stddev=0.5, seed=1)
    assert x.dtype == lm.float32 and x.shape == (4000,)
    assert abs(float(lm.mean(x)) - 2.0) < 0.05
    assert abs(float(lm.std(x)) - 0.5) < 0.05
    assert lm.random.normal((2, 3), dtype="float64").dtype == lm.float64


def test_uniform_float_and_int_ranges():
    u = lm.random.uniform((2000,), -2.0, 3.0).numpy()
    assert u.dtype == np.float32 and u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.2
    k = lm.random.uniform((2000,), 3, 7, dtype="int32").numpy()
    assert k.dtype == np.int32 and set(np.unique(k)) == {3, 4, 5, 6}
    with pytest.raises(ValueError, match="maxval"):
        lm.random.uniform((3,), dtype="int32")
    with pytest.raises(ValueError, match="minval < maxval"):
        lm.random.uniform((3,), 5, 5, dtype="int64")


def test_truncated_normal_stays_within_two_stddev():
    t = lm.random.truncated_normal((5000,), mean=1.0, stddev=3.0).numpy()
    assert np.all(np.abs(t - 1.0) <= 6.0)
    assert 2.0 < t.std() < 3.0   # narrower than the untruncated 3


def test_bernoulli_fraction_and_dtype():
    b = lm.random.bernoulli((4000,), p=0.3, dtype="int32").numpy()
    assert b.dtype == np.int32 and set(np.unique(b)) <= {0, 1}
    assert abs(b.mean() - 0.3) < 0.04
    with pytest.raises(ValueError, match="p must be in"):
        lm.random.bernoulli((3,), p=1.5)


def test_categorical_follows_softmax():
    logits = np.log([[0.2, 0.8], [0.9, 0.1]])
    draws = lm.random.categorical(logits, 2000).numpy()
    assert draws.shape == (2, 2000) and draws.dtype == np.int64
    np.testing.assert_allclose(draws.mean(axis=1), [0.8, 0.1], atol=0.04)
    with pytest.raises(ValueError, match="batch, classes"):
        lm.random.categorical([0.0, 1.0], 3)


def test_shuffle_permutes_the_first_axis():
    x = np.arange(12).reshape(6, 2)
    s = lm.random.shuffle(x).numpy()
    assert sorted(map(tuple, s)) == sorted(map(tuple, x))
    with pytest.raises(ValueError, match="rank >= 1"):
        lm.random.shuffle(3.0)


def test_shapes_as_lists_ints_and_tensors():
    assert lm.random.normal([2, 3]).shape == (2, 3)
    assert lm.random.normal(4).shape == (4,)
    assert lm.random.uniform(lm.tensor([3, 1])).shape == (3, 1)
    with pytest.raises(TypeError, match="shape"):
        lm.random.normal((2, -1))
    with pytest.raises(TypeError, match="float dtype"):
        lm.random.normal((2,), dtype="int32")


def test_draws_land_on_the_current_device():
    with lm.device("cpu") as dev:
        assert lm.random.normal((2,)).device is dev


# ---- Generator ----------------------------------------------------------------------------------
def test_generator_is_reproducible_and_independent_of_the_global_stream():
    g1, g2 = lm.random.Generator(42), lm.random.Generator.from_seed(42)
    a = g1.normal((5,)).numpy()
    lm.random.normal((5,))   # the global stream does not disturb a generator
    np.testing.assert_array_equal(a, g2.normal((5,)).numpy())
    assert g1.uniform((3,), 0, 10, dtype="int32").dtype == lm.int32
    assert g1.truncated_normal((3,)).shape == (3,)
    assert g1.bernoulli((3,)).shape == (3,)
    g1.reset_from_seed(42)
    np.testing.assert_array_equal(a, g1.normal((5,)).numpy())


# ---- graphs and compiled functions draw on every run -------------------------------------------
def test_graph_draws_new_numbers_each_run_and_follows_the_seed():
    graph = lm.Graph()
    with graph.as_default():
        draw = lm.random.normal((4,))
    with lm.Session(graph=graph) as sess:
        lm.random.seed(9)
        a, b = sess.run(draw), sess.run(draw)
        lm.random.seed(9)
        c = sess.run(draw)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_compiled_function_draws_new_numbers_each_call():
    f = lm.function(lambda x: x + lm.random.uniform((3,)))
    a, b = f(lm.zeros((3,))).numpy(), f(lm.zeros((3,))).numpy()
    assert not np.array_equal(a, b)


# ---- dropout ----------------------------------------------------------------------------------
def test_dropout_keeps_about_one_minus_rate_and_scales_the_kept():
    x = lm.ones((100, 50))
    y = lm.nn.dropout(x, rate=0.25).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.03
    np.testing.assert_array_equal(y[kept], np.float32(1 / 0.75))
    assert y.dtype == np.float32


def test_dropout_gradient_is_the_scaled_mask():
    x = lm.tensor(np.random.default_rng(0).normal(size=(20, 10)))
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = lm.nn.dropout(x, 0.5)
    g = tape.gradient(y, x).numpy()
    np.testing.assert_array_equal(g, np.where(y.numpy() != 0, 2.0, 0.0))


def test_dropout_noise_shape_broadcasts_the_mask():
    y = lm.nn.dropout(lm.ones((40, 6)), 0.5, noise_shape=[40, 1]).numpy()
    assert np.all((y == y[:, :1]))   # whole rows are kept or dropped
    with pytest.raises(ValueError, match="noise_shape"):
        lm.nn.dropout(lm.ones((4, 6)), 0.5, noise_shape=[4, 3])


def test_dropout_follows_the_global_seed_and_op_seed():
    x = lm.ones((10, 10))
    lm.random.seed(4)
    a = lm.nn.dropout(x, 0.5).numpy()
    b = lm.nn.dropout(x, 0.5).numpy()
    lm.random.seed(4)
    np.testing.assert_array_equal(a, lm.nn.dropout(x, 0.5).numpy())
    assert not np.array_equal(a, b)
    lm.random.seed(4)
    c = lm.nn.dropout(x, 0.5, seed=11).numpy()
    lm.random.seed(4)
    np.testing.assert_array_equal(c, lm.nn.dropout(x, 0.5, seed=11).numpy())


def test_dropout_draws_a_new_mask_per_graph_run_with_unknown_batch():
    graph = lm.Graph()
    with graph.as_default():
        x = lm.placeholder(lm.float32, (None, 8))
        y = lm.nn.dropout(x, 0.5)
    with lm.Session(graph=graph) as sess:
        a = sess.run(y, {x: np.ones((6, 8))})
        b = sess.run(y, {x: np.ones((6, 8))})
        c = sess.run(y, {x: np.ones((3, 8))})
    assert a.shape == (6, 8) and c.shape == (3, 8)
    assert not np.array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}


def test_dropout_draws_a_new_mask_per_compiled_call():
    f = lm.function(lambda x: lm.nn.dropout(x, 0.5))
    a, b = f(lm.ones((8, 8))).numpy(), f(lm.ones((8, 8))).numpy()
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_rejects_rates_outside_0_1(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        lm.nn.dropout(lm.ones((2,)), rate)


def test_dropout_rejects_non_numbers():
    with pytest.raises(TypeError, match="rate"):
        lm.nn.dropout(lm.ones((2,)), "0.5")


def test_dropout_rate_zero_is_the_identity():
    x = lm.tensor([1.0, 2.0])
    np.testing.assert_array_equal(lm.nn.dropout(x, 0.0).numpy(), [1.0, 2.0])
