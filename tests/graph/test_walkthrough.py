"""The graph / session / eager walkthrough of the lecture lamina grew from, as a test."""
import numpy as np
import pytest

import lamina as lm


def test_add_builds_named_ops_in_the_default_graph():
    lm.disable_eager_execution()
    total = lm.add(1, 1)
    assert repr(total) == "<lamina.Tensor 'Add:0' shape=() dtype=int32>"
    again = lm.add(1, 1)
    assert again.name == "Add_1:0"
    ops = lm.get_default_graph().get_operations()
    assert [repr(op) for op in ops] == [
        "<lamina.Operation 'Add/x' type=Const>",
        "<lamina.Operation 'Add/y' type=Const>",
        "<lamina.Operation 'Add' type=Add>",
        "<lamina.Operation 'Add_1/x' type=Const>",
        "<lamina.Operation 'Add_1/y' type=Const>",
        "<lamina.Operation 'Add_1' type=Add>",
    ]


def test_session_runs_the_node():
    lm.disable_eager_execution()
    total = lm.add(1, 1)
    with lm.Session() as sess:
        value = sess.run(total)
    assert value == 2 and isinstance(value, np.int32)


def test_one_line_switches_the_whole_script():
    def script():
        total = lm.add(1, 1)
        if lm.executing_eagerly():
            return total.numpy()
        with lm.Session() as sess:
            return sess.run(total)

    assert script() == 2                 # eager by default
    lm.disable_eager_execution()
    assert not lm.executing_eagerly()
    assert script() == 2                 # the same code, as a graph
    lm.enable_eager_execution()
    assert lm.executing_eagerly()


def test_eager_result_prints_its_value():
    total = lm.add(1, 1)
    assert repr(total) == "<lamina.Tensor: shape=(), dtype=int32, numpy=2>"
    assert total.numpy() == 2


def test_lookup_by_name_and_scope():
    g = lm.Graph()
    with g.as_default():
        x = lm.placeholder(lm.float32, shape=(None, 4), name="x")
        with lm.name_scope("layer"):
            y = lm.multiply(x, 2.0)
        with lm.name_scope("layer"):
            z = lm.add(y, 1.0)
    assert y.name == "layer/Mul:0"
    assert z.name == "layer_1/Add:0"
    assert g.get_tensor_by_name("layer/Mul:0") is y
    assert g.get_operation_by_name("layer_1/Add/y").type == "Const"
    assert x.shape == (None, 4) and y.shape == (None, 4)
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("nothing:0")
    with pytest.raises(ValueError, match="'<operation>:<index>'"):
        g.get_tensor_by_name("layer/Mul")


def test_placeholders_fed_and_nested_fetches():
    g = lm.Graph()
    with g.as_default():
        a = lm.placeholder(lm.float32, shape=(None,), name="a")
        b = lm.placeholder(lm.float32, shape=(None,), name="b")
        s, p = a + b, a * b
    with lm.Session(graph=g) as sess:
        out = sess.run({"sum": s, "both": [s, (p,)]}, feed_dict={a: [1, 2], b: [3, 4]})
        by_name = sess.run("Add:0", feed_dict={"a:0": [1.0], "b:0": [2.0]})
    np.testing.assert_allclose(out["sum"], [4, 6])
    np.testing.assert_allclose(out["both"][1][0], [3, 8])
    assert isinstance(out["both"], list) and isinstance(out["both"][1], tuple)
    np.testing.assert_allclose(by_name, [3.0])


def test_variables_live_in_the_session():
    lm.disable_eager_execution()
    v = lm.Variable(1.0, name="counter")
    step = v.assign_add(1.0)
    init = lm.global_variables_initializer()
    with lm.Session() as sess:
        with pytest.raises(RuntimeError, match="uninitialized variable counter"):
            sess.run(v)
        sess.run(init)
        sess.run(step)
        assert sess.run(v) == 2.0
    with lm.Session() as fresh:          # a new session starts uninitialized
        fresh.run(init)
        assert fresh.run(v) == 1.0


def test_graph_mode_training_with_gradients():
    lm.disable_eager_execution()
    x = lm.placeholder(lm.float32, shape=(None,), name="x")
    w = lm.Variable(0.0, name="w")
    loss = lm.mean(lm.square(w * x - 3.0 * x))
    (grad,) = lm.gradients(loss, [w])
    train = w.assign_sub(0.1 * grad)
    with lm.Session() as sess:
        sess.run(lm.global_variables_initializer())
        for _ in range(100):
            sess.run(train, feed_dict={x: [1.0, 2.0, -1.0]})
        assert abs(sess.run(w) - 3.0) < 1e-4


def test_graph_mode_training_of_eagerly_built_layers():
    """Layers build their weights eagerly; in a graph they are read through ReadVariable
    nodes, and minimize() must still find their gradients."""
    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((32, 3)).astype(np.float32)
    y_data = x_data @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    lm.disable_eager_execution()
    x = lm.placeholder(lm.float32, (None, 3))
    y = lm.placeholder(lm.float32, (None, 1))
    layer = lm.layers.Dense(1)
    loss = lm.mean(lm.square(layer(x) - y))
    train = lm.optimizers.SGD(0.1).minimize(loss)
    with lm.Session() as sess:
        sess.run(lm.global_variables_initializer())
        for _ in range(200):
            sess.run(train, {x: x_data, y: y_data})
        assert sess.run(loss, {x: x_data, y: y_data}) < 1e-4
