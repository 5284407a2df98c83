"""NumPy code generation: readable source, buffers written with out=, no steady-state
allocation of intermediate values."""
import re
import tracemalloc

import numpy as np
import pytest

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


def test_sums_over_leading_axes_are_one_matrix_vector_product():
    """Bias gradients (sums over all but the last axes) compile to ``ones @ x``; the result
    is the float64 reference's within float32 rounding, for contiguous and transposed input,
    keepdims or not, and for the mean."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5, 4, 3)).astype(np.float32)

    def f(x):
        t = lm.transpose(x, (1, 0, 2, 3))          # a view: reshape copies, still right
        return (lm.sum(x, axis=(0, 1, 2), keepdims=True), lm.sum(x, axis=0),
                lm.mean(x, axis=(0, 1)), lm.sum(t, axis=(0, 1)))

    fn = lm.function(f)
    got = fn(x)
    assert "_matmul(c" in fn.get_concrete_function(x).source
    x64 = x.astype(np.float64)
    want = (x64.sum((0, 1, 2), keepdims=True), x64.sum(0), x64.mean((0, 1)),
            x64.transpose(1, 0, 2, 3).sum((0, 1)))
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == lm.float32
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=1e-5)


def test_patches_and_pooling_write_into_planned_buffers():
    """Primitives whose forward takes ``into=`` (im2col, col2im, pooling and its gradient)
    fill the plan's buffers; the compiled gradient equals the eager one."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
    k = lm.Variable(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))

    def f(x):
        with lm.GradientTape() as tape:
            tape.watch(x)
            y = lm.nn.max_pool2d(lm.nn.relu(lm.nn.conv2d(x, k, 1, "SAME")), 2, 2, "VALID")
            loss = lm.sum(y * y)
        return tape.gradient(loss, [x, k])

    fn = lm.function(f)
    got = fn(x)
    source = fn.get_concrete_function(x).source
    for op in ("ExtractPatches", "CombinePatches", "MaxPool", "MaxPoolGrad"):
        call = source.split(f"F_{op}_0(_np, ")[1].split(")")[0]
        assert "into=" in call, call          # a buffer, or a fresh array for an output
    for g, w in zip(got, f(lm.tensor(x))):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("numba_on", ["1", "0"])
def test_compiled_relu_gradient_is_exactly_g_times_the_mask(numba_on, monkeypatch):
    """With or without the numba kernel, d relu = g * (x > 0), bit for bit (signed zeros
    and NaN gradients included)."""
    from lamina.backends import numba_kernels
    monkeypatch.setenv("LAMINA_NUMBA", numba_on)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 32, 40)).astype(np.float32)   # large enough for the kernel
    x[0, 0, :2] = 0.0
    g = rng.standard_normal(x.shape).astype(np.float32)
    g[1, 1, 1] = np.nan

    def f(x, g):
        with lm.GradientTape() as tape:
            tape.watch(x)
            y = lm.nn.relu(x)
        return tape.gradient(y, x, output_gradients=g)

    fn = lm.function(f)
    got = fn(x, g).numpy()
    kernel = "_relu_grad" in fn.get_concrete_function(x, g).source
    assert kernel == (numba_on == "1" and numba_kernels.available())
    want = g * (x > 0)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_compiled_relu_network_step_against_float64(monkeypatch):
    """A two-layer ReLU network's loss and gradients, compiled with and without the numba
    kernels (in-place bias + ReLU and ReLU gradient, the two-pass cross-entropy of larger
    batches), equal a float64 NumPy reference."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 64)).astype(np.float32)
    labels = rng.integers(0, 10, 200).astype(np.int32)
    w1 = (rng.standard_normal((64, 100)) * 0.2).astype(np.float32)
    b1 = (rng.standard_normal(100) * 0.2).astype(np.float32)
    w2 = (rng.standard_normal((100, 10)) * 0.2).astype(np.float32)

    # the float64 reference
    x64, v1, c1, v2 = (a.astype(np.float64) for a in (x, w1, b1, w2))
    pre = x64 @ v1 + c1
    h = np.maximum(pre, 0)
    z = h @ v2
    z = z - z.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    want_loss = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(200), labels])
    dz = p.copy()
    dz[np.arange(200), labels] -= 1
    dz /= 200
    dh = (dz @ v2.T) * (pre > 0)
    want = (x64.T @ dh, dh.sum(0), h.T @ dz)

    def run(numba_setting):
        monkeypatch.setenv("LAMINA_NUMBA", numba_setting)
        variables = [lm.Variable(a) for a in (w1, b1, w2)]

        @lm.function
        def step(x, labels):
            with lm.GradientTape() as tape:
                hidden = lm.nn.relu(lm.matmul(x, variables[0]) + variables[1])
                loss = lm.mean(lm.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=labels, logits=lm.matmul(hidden, variables[2])))
            return loss, tape.gradient(loss, variables)

        loss, grads = step(x, labels)
        return loss.numpy(), [g.numpy() for g in grads], step.get_concrete_function(
            x, labels).source

    from lamina.backends import numba_kernels
    for setting in ("1", "0"):
        loss, grads, source = run(setting)
        np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
        for got, w in zip(grads, want):
            np.testing.assert_allclose(got, w, rtol=1e-4, atol=1e-6)
        for kernel in ("_bias_relu_into_x(", "_relu_grad_into_", "_xent_shift("):
            if setting == "0":
                assert kernel not in source, source
            elif numba_kernels.available():
                assert kernel in source, source


def test_zero_d_float_arithmetic_runs_on_numpy_scalars():
    """Binary float ops on 0-d values (a loss, a metric's total) and assign_add on a 0-d
    variable are written as scalar arithmetic; the numbers are those of eager execution, bit
    for bit, and other dtypes or shapes keep their ufunc calls."""
    total = lm.Variable(np.float32(1.5))
    count = lm.Variable(np.int64(3))
    rng = np.random.default_rng(4)
    x = rng.standard_normal(7).astype(np.float32)

    def f(x):
        loss = lm.sum(x) / 7.0 * 3.0 - 0.25
        total.assign_add(loss + lm.sum(x * x))
        count.assign_add(2)
        return loss, x * 2.0

    fn = lm.function(f)
    source = fn.get_concrete_function(x).source
    # the float scalar ops (/, *, -, +, the assign_add) as scalar arithmetic; the int64
    # counter keeps its ufunc
    assert source.count("[()] = ") >= 5 and "_add(r" in source
    assert "_true_divide(" not in source and "_subtract(" not in source
    assert "_multiply(i0" in source                               # x * 2.0 keeps its ufunc
    eager_loss, _ = f(lm.tensor(x))
    before = total.numpy()
    loss, doubled = fn(x)
    assert loss.numpy().tobytes() == eager_loss.numpy().tobytes()
    np.testing.assert_array_equal(doubled.numpy(), x * 2)
    np.testing.assert_allclose(total.numpy(), before + loss.numpy() + np.sum(x * x), rtol=1e-6)
    assert total.dtype == lm.float32 and count.numpy() == 7


def test_plans_of_the_same_source_share_its_code_not_their_state():
    """A model built again generates the same source: Python compiles it once, and each plan
    binds its own variables and buffers (training one leaves the other as it was)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 3)).astype(np.float32)

    def make(seed):
        v = lm.Variable(np.full((3, 2), seed, np.float32))

        @lm.function
        def step(x):
            with lm.GradientTape() as tape:
                loss = lm.sum(lm.square(lm.matmul(x, v)))
            v.assign_sub(0.01 * tape.gradient(loss, v))
            return loss

        return v, step

    (v1, f1), (v2, f2) = make(1.0), make(2.0)
    p1, p2 = f1.get_concrete_function(x).plan, f2.get_concrete_function(x).plan
    assert p1.source == p2.source and p1._fn.__code__ is p2._fn.__code__
    loss = f1(x).numpy()
    np.testing.assert_array_equal(v2.numpy(), np.full((3, 2), 2.0, np.float32))
    want = np.full((3, 2), 1.0) - 0.01 * 2 * x.astype(np.float64).T @ (x @ np.full((3, 2), 1.0))
    np.testing.assert_allclose(v1.numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(loss, np.sum((x.astype(np.float64) @ np.ones((3, 2))) ** 2),
                               rtol=1e-5)
    np.testing.assert_allclose(f2(x).numpy(), 4 * loss, rtol=1e-6)   # v2 = 2 v1 before


def test_row_gathers_and_their_gradients_fill_planned_buffers():
    """x[ids] and gather(x, ids) on axis 0 (an embedding) are one take into a planned buffer,
    their gradients a row sum into one; the numbers are float64's, negative ids wrap where
    NumPy indexing allows them, and ids out of range raise the same errors as eagerly."""
    rng = np.random.default_rng(6)
    table = lm.Variable(rng.standard_normal((7, 4)).astype(np.float32))
    r = rng.standard_normal((3, 5, 4)).astype(np.float32)

    def f(ids, wrap):
        with lm.GradientTape() as tape:
            rows = table[ids] if wrap else lm.gather(table, ids)
            loss = lm.sum(rows * r)
        return rows, tape.gradient(loss, table)

    for wrap, low in ((True, -7), (False, 0)):
        ids = rng.integers(low, 7, (3, 5)).astype(np.int32)
        fn = lm.function(lambda ids: f(ids, wrap))
        rows, grad = fn(ids)
        source = fn.get_concrete_function(ids).source
        assert "_take(" in source and "_add_rows(" in source and "F_GetItem" not in source
        np.testing.assert_array_equal(rows.numpy(), table.numpy()[ids])
        want = np.zeros((7, 4))
        np.add.at(want, ids.ravel(), r.reshape(-1, 4).astype(np.float64))
        np.testing.assert_allclose(grad.numpy(), want, rtol=1e-6, atol=1e-6)
        bad = ids.copy()
        bad[1, 2] = 7 if wrap else -1
        valid = "[-7, 7)" if wrap else "[0, 7)"
        for run in (fn, lambda ids: f(lm.tensor(ids), wrap)):
            with pytest.raises(IndexError, match=re.escape(valid)):
                run(bad)
