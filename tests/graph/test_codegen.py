"""NumPy code generation: readable source, buffers written with out=, no steady-state
allocation of intermediate values."""
import tracemalloc

import numpy as np

import lamina as lm


def _mlp_step(batch=64, width=64):
    rng = np.random.default_rng(0)
    w1 = lm.Variable(rng.standard_normal((width, width)).astype(np.float32) * 0.1)
    w2 = lm.Variable(rng.standard_normal((width, 10)).astype(np.float32) * 0.1)
    x = lm.tensor(rng.standard_normal((batch, width)).astype(np.float32))
    y = lm.tensor(rng.standard_normal((batch, 10)).astype(np.float32))

    @lm.function
    def step(x, y):
        with lm.GradientTape() as tape:
            h = lm.tanh(lm.matmul(x, w1))
            loss = lm.mean(lm.square(lm.matmul(h, w2) - y))
        g1, g2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(0.01 * g1)
        w2.assign_sub(0.01 * g2)
        return loss

    return step, x, y


def test_source_writes_into_buffers():
    step, x, y = _mlp_step()
    source = step.get_concrete_function(x, y).source
    assert source.startswith("def run(i0, i1):")
    assert "_matmul(i0, r" in source and "out=b" in source
    # Only the returned loss is allocated on each run.
    assert source.count("_empty(") == 1


def test_no_allocation_in_the_steady_state():
    # Big enough that one intermediate array (128 KiB) dwarfs NumPy's small Python objects.
    step, x, y = _mlp_step(batch=256, width=128)
    for _ in range(3):
        step(x, y)
    one_activation = 256 * 128 * 4
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(20):
            step(x, y)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < one_activation / 4, f"a compiled step allocated {peak} bytes at its peak"


def test_eager_step_allocates_for_comparison():
    # The same measurement catches allocations: eager execution allocates every activation.
    w = lm.Variable(np.ones((64, 64), np.float32))
    x = lm.ones((64, 64))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        lm.tanh(lm.matmul(x, w))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak >= 64 * 64 * 4


def test_tracebacks_point_into_the_generated_source():
    import traceback

    f = lm.function(lambda x: lm.log(x))
    plan = f.get_concrete_function(lm.ones(3)).plan
    assert "_log(" in plan.source
    try:
        plan("not an array")
    except TypeError:
        text = traceback.format_exc()
        assert "lamina-plan" in text


def test_reductions_after_a_sum_keep_their_own_ufunc():
    """Each access to np.add.reduce makes a new bound method; a name looked up by the id of
    a freed one once named np.maximum.reduce "_add_reduce" (a max computed as a sum)."""
    def f(x):
        return lm.sum(x), lm.mean(x, axis=0), lm.max(x, axis=1), lm.min(x, axis=0)

    x = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.0
    compiled = lm.function(f)(x)
    for got, want in zip(compiled, f(lm.tensor(x))):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
