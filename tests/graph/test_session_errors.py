"""Bad feeds and fetches give errors that name the tensor or placeholder."""
import numpy as np
import pytest

import lamina as lm


@pytest.fixture
def graph():
    g = lm.Graph()
    with g.as_default():
        x = lm.placeholder(lm.float32, shape=(None, 3), name="features")
        y = lm.sum(x * 2.0, axis=1)
    return g, x, y


def test_missing_feed_names_the_placeholder(graph):
    g, x, y = graph
    with lm.Session(graph=g) as sess:
        with pytest.raises(ValueError, match="must feed a value for placeholder features:0"):
            sess.run(y)


def test_wrong_shape_names_tensor_and_shapes(graph):
    g, x, y = graph
    with lm.Session(graph=g) as sess:
        with pytest.raises(ValueError, match=r"shape \(2, 4\) to tensor features:0, which has "
                                             r"shape \(None, 3\)"):
            sess.run(y, feed_dict={x: np.ones((2, 4), np.float32)})


def test_wrong_dtype_names_tensor_and_dtypes(graph):
    g, x, y = graph
    with lm.Session(graph=g) as sess:
        with pytest.raises(TypeError, match="dtype bool to tensor features:0, which has dtype "
                                            "float32"):
            sess.run(y, feed_dict={x: np.ones((2, 3), bool)})


def test_compatible_data_converts_to_the_placeholder_dtype(graph):
    g, x, y = graph
    with lm.Session(graph=g) as sess:
        np.testing.assert_allclose(sess.run(y, feed_dict={x: [[1, 2, 3]]}), [12.0])
        np.testing.assert_allclose(sess.run(y, feed_dict={x: np.ones((1, 3))}), [6.0])


def test_refuses_lossy_integer_feeds():
    g = lm.Graph()
    with g.as_default():
        n = lm.placeholder(lm.int32, shape=(), name="n")
        m = n + 1
    with lm.Session(graph=g) as sess:
        assert sess.run(m, {n: 2}) == 3
        with pytest.raises(TypeError, match="dtype float64 to tensor n:0"):
            sess.run(m, {n: 2.5})
        with pytest.raises(TypeError, match="dtype int64 to tensor n:0"):
            sess.run(m, {n: 2 ** 40})


def test_fetching_a_tensor_of_another_graph(graph):
    g, x, y = graph
    other = lm.Graph()
    with other.as_default():
        foreign = lm.add(1, 2)
    with lm.Session(graph=g) as sess:
        with pytest.raises(ValueError, match="Add:0 is not an element of this Session's graph"):
            sess.run(foreign)


def test_mixing_tensors_of_two_graphs(graph):
    g, x, y = graph
    other = lm.Graph()
    with other.as_default():
        with pytest.raises(ValueError, match="features:0 belongs to another graph"):
            lm.add(x, 1.0)


def test_graph_tensor_in_eager_code(graph):
    g, x, y = graph
    with pytest.raises(TypeError, match="symbolic tensor features:0"):
        lm.exp(x)
    with pytest.raises(TypeError, match="features:0 is symbolic"):
        x.numpy()
    with pytest.raises(TypeError, match="features:0 as a Python bool"):
        bool(x)


def test_closed_session():
    g = lm.Graph()
    with g.as_default():
        t = lm.add(1, 1)
    sess = lm.Session(graph=g)
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(t)


def test_bad_fetch_type(graph):
    g, x, y = graph
    eager = lm.tensor(1.0)
    with lm.Session(graph=g) as sess:
        with pytest.raises(TypeError, match="cannot fetch int"):
            sess.run(3)
        with pytest.raises(TypeError, match="eager tensor"):
            sess.run(eager)


def test_interpreter_and_compiled_plans_agree(graph):
    g, x, y = graph
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    with lm.Session(graph=g) as compiled, lm.Session(graph=g, compile=False) as interpreted:
        np.testing.assert_array_equal(compiled.run(y, {x: data}), interpreted.run(y, {x: data}))
