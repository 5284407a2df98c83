"""lm.function: tracing per signature, retrace reasons, captured variables, equality with eager."""
import numpy as np
import pytest

import lamina as lm


def test_result_equals_eager_and_traces_once_per_signature():
    calls = []

    @lm.function
    def f(x, y):
        calls.append(1)                       # Python side effects run only while tracing
        return x ** 2 + y

    a, b = lm.tensor([2, 3]), lm.tensor([3, -2])
    assert f(a, b).numpy().tolist() == [7, 7]
    assert f(lm.tensor([1, 1]), b).numpy().tolist() == [4, -1]
    assert f.experimental_get_tracing_count() == 1 and len(calls) == 1
    f(lm.tensor([1.0, 2.0]), lm.tensor([0.0, 0.0]))
    assert f.experimental_get_tracing_count() == 2


def test_retrace_reasons_name_the_argument_and_the_change():
    @lm.function
    def f(x, scale):
        return x * scale

    f(lm.ones((2, 3)), 2.0)
    f(lm.ones((4, 3)), 2.0)
    f(lm.ones((4, 3)), 3.0)
    f(np.ones((4, 3), np.float64), 3.0)
    assert f.retrace_reasons == [
        "argument 'x': shape (2, 3) -> (4, 3)",
        "argument 'scale': the Python value 2.0 -> the Python value 3.0",
        "argument 'x': dtype float32 -> float64",
    ]


def test_nested_arguments_and_outputs():
    @lm.function
    def f(batch, flags):
        out = batch["a"] + batch["b"][0]
        return {"sum": out, "twice": out * 2, "note": flags}

    result = f({"a": lm.ones(2), "b": [lm.ones(2)]}, flags="keep")
    assert result["note"] == "keep"
    np.testing.assert_allclose(result["twice"].numpy(), [4, 4])


def test_concrete_function_graph_and_source():
    @lm.function
    def f(x):
        return lm.relu(x) + 1.0

    concrete = f.get_concrete_function(lm.ones((2,)))
    types = [op.type for op in concrete.graph.get_operations()]
    assert types == ["Placeholder", "Relu", "Const", "Add"]
    assert "def run(i0)" in concrete.source
    assert "Relu" in str(concrete.optimized)
    np.testing.assert_allclose(concrete(lm.tensor([-1.0, 2.0])).numpy(), [1.0, 3.0])


def test_variables_are_captured_and_updated_in_place():
    v = lm.Variable([1.0, 2.0])

    @lm.function
    def bump(delta):
        v.assign_add(delta)
        return lm.sum(v)

    assert float(bump(lm.ones(2))) == 5.0
    assert float(bump(lm.ones(2))) == 7.0
    np.testing.assert_allclose(v.numpy(), [3.0, 4.0])
    v.assign([0.0, 0.0])                       # eager changes are seen by the compiled plan
    assert float(bump(lm.ones(2))) == 2.0


def test_variables_may_be_created_on_the_first_trace_only():
    made = []

    @lm.function
    def f(x):
        if not made:
            made.append(lm.Variable(2.0))
        return x * made[0]

    assert float(f(lm.tensor(3.0))) == 6.0

    @lm.function
    def g(x):
        return x * lm.Variable(2.0)

    g(lm.tensor(1.0))
    with pytest.raises(ValueError, match="created variables on a call other than its first"):
        g(lm.ones(2))


def test_train_step_matches_eager():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    y = rng.standard_normal((8, 1)).astype(np.float32)

    def make():
        return lm.Variable(rng.standard_normal((3, 1)).astype(np.float32)), lm.Variable([0.0])

    w1, b1 = make()
    w2, b2 = lm.Variable(w1.numpy()), lm.Variable(b1.numpy())

    def step(w, b, x, y):
        with lm.GradientTape() as tape:
            loss = lm.mean(lm.square(lm.matmul(x, w) + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        return loss

    compiled = lm.function(step)
    for _ in range(20):
        le = step(w1, b1, lm.tensor(x), lm.tensor(y))
        lc = compiled(w2, b2, lm.tensor(x), lm.tensor(y))
        np.testing.assert_allclose(lc.numpy(), le.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w2.numpy(), w1.numpy(), rtol=1e-6)
    assert compiled.experimental_get_tracing_count() == 1


def test_called_under_a_tape_runs_inline_and_is_differentiable():
    f = lm.function(lambda x: lm.sin(x) * x)
    x = lm.tensor(0.5)
    with lm.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    expected = np.cos(0.5) * 0.5 + np.sin(0.5)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), expected, rtol=1e-6)


def test_nested_functions_inline():
    inner = lm.function(lambda x: x * 2)
    outer = lm.function(lambda x: inner(x) + 1)
    assert float(outer(lm.tensor(3.0))) == 7.0
    assert inner.experimental_get_tracing_count() == 0


def test_methods_get_one_function_per_instance():
    class Scaler:
        def __init__(self, k):
            self.k = k

        @lm.function
        def __call__(self, x):
            return x * self.k

    a, b = Scaler(2.0), Scaler(3.0)
    assert float(a(lm.tensor(1.0))) == 2.0
    assert float(b(lm.tensor(1.0))) == 3.0


def test_python_control_flow_on_a_tensor_is_a_clear_error():
    @lm.function
    def f(x):
        if lm.sum(x) > 0:
            return x
        return -x

    with pytest.raises(TypeError, match="as a Python bool is not allowed"):
        f(lm.ones(3))


def test_fused_plans_equal_unfused():
    def f(x, y):
        return lm.exp(-lm.square(x - y)) * 3.0 + y

    x, y = lm.tensor(np.linspace(-1, 1, 12).reshape(3, 4)), lm.tensor(np.ones((3, 4)))
    plain = lm.function(f)(x, y).numpy()
    fused_fn = lm.function(f, fuse=True)
    fused = fused_fn(x, y).numpy()
    np.testing.assert_array_equal(plain, fused)
    assert "Fused" in str(fused_fn.get_concrete_function(x, y).optimized)


def test_wrong_arguments():
    f = lm.function(lambda x: x + 1)
    with pytest.raises(TypeError, match="missing a required argument"):
        f()
    with pytest.raises(TypeError, match="expects a callable"):
        lm.function(3)
    with pytest.raises(TypeError, match=r"fuse must be True, False or None .*received 'yes'"):
        lm.function(lambda x: x, fuse="yes")
    with pytest.raises(TypeError, match=r"fuse must be True, False or None .*received 1\."):
        lm.function(lambda x: x, fuse=1)


def test_iris_training_loop_compiled_matches_eager():
    """Forward, backward and the Adam update traced into one graph give the eager weights."""
    (x_train, y_train), _ = lm.datasets.iris.load_data()
    x_train = (x_train - x_train.mean(0)) / x_train.std(0)
    rng = np.random.default_rng(0)
    init = [rng.uniform(-0.5, 0.5, (4, 16)), np.zeros(16), rng.uniform(-0.5, 0.5, (16, 3)),
            np.zeros(3)]

    def make():
        params = [lm.Variable(w.astype(np.float32)) for w in init]
        opt = lm.optimizers.Adam(learning_rate=0.01)

        def step(x, y):
            with lm.GradientTape() as tape:
                h = lm.relu(lm.matmul(x, params[0]) + params[1])
                logits = lm.matmul(h, params[2]) + params[3]
                loss = lm.mean(lm.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=y, logits=logits))
            opt.apply_gradients(zip(tape.gradient(loss, params), params))
            return loss

        return params, step

    eager_params, eager_step = make()
    compiled_params, step = make()
    compiled_step = lm.function(step)
    for epoch in range(5):
        for start in range(0, 120, 20):
            x, y = lm.tensor(x_train[start:start + 20]), lm.tensor(y_train[start:start + 20])
            le, lc = eager_step(x, y), compiled_step(x, y)
            np.testing.assert_allclose(lc.numpy(), le.numpy(), rtol=1e-5, atol=1e-6)
    for pe, pc in zip(eager_params, compiled_params):
        np.testing.assert_allclose(pc.numpy(), pe.numpy(), rtol=1e-5, atol=1e-6)
    assert compiled_step.experimental_get_tracing_count() == 1
