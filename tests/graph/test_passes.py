"""Each optimizing pass, alone, on small programs; every pass keeps results identical, or equal
up to float rounding where it reorders sums (batch_matmul, gather_matmul)."""
import numpy as np
import pytest

import lamina as lm
from lamina.graph import passes
from lamina.graph.codegen import numpy_codegen
from lamina.graph.passes import constant_folding, cse, dce, fusion, simplify
from lamina.graph.program import build_program


def program_of(fn, *shapes, variables=()):
    """Traces fn on float32 placeholders of the given shapes into a Program."""
    graph = lm.Graph()
    with graph.as_default():
        holders = [lm.placeholder(lm.float32, s) for s in shapes]
        out = fn(*holders)
    outs = out if isinstance(out, (list, tuple)) else [out]
    feeds = {id(h): np.zeros(s, np.float32) for h, s in zip(holders, shapes)}
    # Every op of the graph, unused ones too, so that the passes have work to do.
    program, _ = build_program(graph.get_operations(), outs, feeds, lambda v: v)
    return program


def run(program, *arrays):
    return numpy_codegen.generate(program).fn(*arrays)


def ops(program):
    return [n.op for n in program.nodes]


def test_dce_drops_unused_nodes_but_keeps_effects():
    v = lm.Variable(np.zeros(2, np.float32))

    def fn(x):
        lm.exp(x)                   # unused
        v.assign_add(x)             # an effect
        return x * 2.0

    program = program_of(fn, (2,))
    assert "Exp" in ops(program)
    assert dce.run(program)
    assert "Exp" not in ops(program) and "Assign" in ops(program)


def test_cse_merges_equal_pure_nodes_only():
    def fn(x):
        a, b = x * 2.0, x * 2.0     # same op, inputs, attrs
        c = lm.sum(x, axis=0)
        d = lm.sum(x, axis=1)       # different attrs
        r1, r2 = lm.random.uniform((2, 2)), lm.random.uniform((2, 2))   # stateful
        return a + b + c + d + r1 + r2

    program = program_of(fn, (2, 2))
    before = ops(program)
    assert cse.run(program)
    after = ops(program)
    assert before.count("Mul") == 2 and after.count("Mul") == 1
    assert after.count("Sum") == 2
    assert after.count("RandomUniform") == 2


def test_constant_folding():
    def fn(x):
        k = lm.exp(lm.constant(1.0)) * lm.constant(2.0)
        return x * k

    program = program_of(fn, (3,))
    assert constant_folding.run(program)
    dce.run(program)
    assert ops(program) == ["Input", "Const", "Mul"]
    np.testing.assert_allclose(run(program, np.ones(3, np.float32))[0], [2 * np.e] * 3,
                               rtol=1e-6)


def test_simplify_removes_neutral_ops_and_keeps_shapes():
    def fn(x, row):
        a = (x + 0.0) * 1.0 - 0.0
        b = lm.reshape(lm.transpose(lm.transpose(a)), (2, 3))
        c = row + 0.0               # broadcasts: (3,) + () keeps shape (3,), removable
        d = lm.zeros((2, 3)) + row  # changes shape: must stay
        return [b / 1.0, lm.cast(c, lm.float32), d]

    program = program_of(fn, (2, 3), (3,))
    assert simplify.run(program)
    dce.run(program)
    assert ops(program).count("Add") == 1           # only the broadcasting one is left
    assert "Transpose" not in ops(program) and "Reshape" not in ops(program)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    row = np.array([1, 2, 3], np.float32)
    b, c, d = run(program, x, row)
    np.testing.assert_array_equal(b, x)
    np.testing.assert_array_equal(d, np.broadcast_to(row, (2, 3)))


def test_simplify_lowers_gradient_helpers_to_static_ops():
    def fn(x, b):
        with lm.GradientTape() as tape:
            tape.watch(b)
            y = lm.sum(x + b)
        return tape.gradient(y, b)

    program = program_of(fn, (4, 3), (3,))
    assert "SumToLike" in ops(program)
    passes.optimize(program)
    assert not {"SumToLike", "BroadcastLike", "ReshapeLike", "FillLike"} & set(ops(program))
    np.testing.assert_array_equal(run(program, np.zeros((4, 3), np.float32),
                                      np.zeros(3, np.float32))[0], [4, 4, 4])


def test_fusion_groups_linear_elementwise_chains():
    def fn(x, y):
        return lm.tanh(lm.exp(x - y) * 2.0) + y

    program = program_of(fn, (3, 4), (3, 4))
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    y = np.ones((3, 4), np.float32)
    expected = run(program, x, y)[0]
    assert fusion.run(program)
    dce.run(program)
    assert ops(program) == ["Input", "Input", "Const", fusion.FUSED]
    assert [step[0] for step in program.nodes[-1].attrs["body"]] == ["Sub", "Exp", "Mul",
                                                                     "Tanh", "Add"]
    np.testing.assert_array_equal(run(program, x, y)[0], expected)


def test_memory_plan_reuses_buffers_in_place():
    def fn(x, w):
        h = lm.relu(lm.matmul(x, w) + 1.0)
        return lm.sum(lm.exp(h - 1.0) * 2.0)

    program = program_of(fn, (8, 4), (4, 5))
    passes.optimize(program)
    plan = numpy_codegen.plan_memory(program)
    kinds = [plan.storage[id(n)].kind for n in program.nodes]
    assert kinds.count("buffer") >= 5 and len(plan.buffers) <= 2
    assert kinds[-1] == "alloc"                        # the output is a fresh array


def test_memory_plan_copies_reads_that_outlive_an_assign():
    v = lm.Variable(np.ones(3, np.float32))

    def fn(x):
        old = lm.identity(v)                         # a read of v ...
        v.assign_add(x)                              # ... then v changes in place ...
        return old + 0.5                             # ... and the old value is used after

    program = program_of(fn, (3,))
    passes.optimize(program)
    plan = numpy_codegen.plan_memory(program)
    reads = [n for n in program.nodes if n.op == "ReadVariable"]
    assert plan.storage[id(reads[0])].kind == "copy-read"
    out = run(program, np.full(3, 10, np.float32))[0]
    np.testing.assert_array_equal(out, [1.5, 1.5, 1.5])
    np.testing.assert_array_equal(v.numpy(), [11, 11, 11])


def test_assemble_merges_slice_gradients_into_one_node():
    from lamina.graph.passes import assemble

    def fn(x):
        with lm.GradientTape() as tape:
            tape.watch(x)
            total = sum(lm.sum(lm.tanh(x[:, t])) for t in range(4))
        return tape.gradient(total, x)

    program = program_of(fn, (3, 4))
    passes.optimize(program)
    kinds = ops(program)
    assert kinds.count(assemble.ASSEMBLE) == 1 and "ScatterAdd" not in kinds
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    expected = 1 - np.tanh(x) ** 2
    np.testing.assert_allclose(run(program, x)[0], expected, rtol=1e-6)


def test_assemble_adds_overlapping_slices():
    def fn(x):
        with lm.GradientTape() as tape:
            tape.watch(x)
            total = lm.sum(x[0:2] * 2.0) + lm.sum(x[1:3] * 3.0)
        return tape.gradient(total, x)

    program = program_of(fn, (4,))
    passes.optimize(program)
    np.testing.assert_array_equal(run(program, np.zeros(4, np.float32))[0], [2, 5, 3, 0])


def test_static_basic_indexing_is_a_view_in_generated_code():
    program = program_of(lambda x: lm.exp(x[1:, 0]), (3, 2))
    passes.optimize(program)
    source = numpy_codegen.generate(program).source
    assert "[ix0]" in source and "F_GetItem" not in source
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(run(program, x)[0], np.exp(x[1:, 0]), rtol=1e-6)


def test_batch_matmul_merges_a_sum_of_small_products():
    from lamina.graph.passes import batch_matmul

    def fn(*xs):
        w = xs[-1]
        total = None
        for h in xs[:-1]:
            term = lm.matmul(lm.transpose(h), w)
            total = term if total is None else total + term
        return total

    shapes = [(8, 3)] * 5 + [(8, 4)]
    program = program_of(fn, *shapes)
    passes.optimize(program)
    assert ops(program).count(batch_matmul.MATMUL_SUM) == 1 and "MatMul" not in ops(program)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    expected = sum(h.T @ arrays[-1] for h in arrays[:-1])
    np.testing.assert_allclose(run(program, *arrays)[0], expected, rtol=1e-5, atol=1e-5)


def test_batch_matmul_leaves_few_or_large_products_alone():
    program = program_of(lambda a, b, c, d: lm.matmul(a, b) + lm.matmul(c, d),
                         (4, 8), (8, 4), (4, 8), (8, 4))
    passes.optimize(program)
    assert ops(program).count("MatMul") == 2


def test_batch_matmul_reads_gate_gradients_already_stacked():
    """A recurrent layer stacks its per-step pre-activation gradients for the input projection;
    the recurrent kernel's gradient (sum of h_t^T @ dz_t) then reads that stack in place."""
    lm.utils.set_random_seed(0)
    layer = lm.layers.SimpleRNN(4)
    x = np.random.default_rng(1).standard_normal((3, 6, 2)).astype(np.float32)
    layer(x)

    def grads(x):
        with lm.GradientTape() as tape:
            loss = lm.sum(lm.square(layer(x)))
        return tape.gradient(loss, layer.trainable_weights)

    fn = lm.function(grads)
    compiled = fn(x)
    program = fn.get_concrete_function(x).optimized
    merged = [n for n in program.nodes if n.op == "MatMulSum"]
    assert merged and merged[0].attrs.get("stacked_b")
    for got, want in zip(compiled, grads(lm.tensor(x))):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def test_pool_relu_folds_the_relu_mask_into_the_pooling_gradient():
    from lamina.graph.passes import pool_relu

    rng = np.random.default_rng(4)
    k = lm.Variable(rng.standard_normal((3, 3, 2, 3)).astype(np.float32))
    x = rng.standard_normal((2, 8, 8, 2)).astype(np.float32)

    def grads(x):
        with lm.GradientTape() as tape:
            tape.watch(x)
            y = lm.nn.max_pool2d(lm.nn.relu(lm.nn.conv2d(x, k, 1, "VALID")), 2, 2, "VALID")
            loss = lm.sum(y * np.arange(3, dtype=np.float32))
        return tape.gradient(loss, [x, k])

    fn = lm.function(grads)
    got = fn(x)
    program = fn.get_concrete_function(x).optimized
    kinds = ops(program)
    assert "ReluGrad" not in kinds
    assert [n.attrs.get("relu") for n in program.nodes if n.op == "MaxPoolGrad"] == [True]
    for g, w in zip(got, grads(lm.tensor(x))):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)

    def relu_after_pool(x):   # the mask comes before the routing: nothing to fold
        with lm.GradientTape() as tape:
            tape.watch(x)
            loss = lm.sum(lm.nn.relu(lm.nn.max_pool2d(x, 2, 2, "VALID")))
        return tape.gradient(loss, x)

    other = program_of(relu_after_pool, (1, 4, 4, 1))
    passes.optimize(other)
    assert "ReluGrad" in ops(other) and not pool_relu.run(other)


def test_bias_relu_merges_a_bias_addition_and_its_relu():
    from lamina.graph.passes import bias_relu

    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((5, 4))
    w, b = w.astype(np.float32), rng.standard_normal(4).astype(np.float32)
    program = program_of(lambda x, w, b: lm.nn.relu(lm.matmul(x, w) + b), (6, 5), (5, 4), (4,))
    passes.optimize(program)
    assert bias_relu.BIAS_RELU in ops(program) and "Relu" not in ops(program)
    np.testing.assert_array_equal(run(program, x, w, b)[0], np.maximum(x @ w + b, 0))
    # kept apart: the pre-activation is used elsewhere, or fusion does it (GPU)
    both = program_of(lambda x, b: [lm.nn.relu(x + b), x + b], (6, 4), (4,))
    passes.optimize(both)
    assert bias_relu.BIAS_RELU not in ops(both)
    fused = program_of(lambda x, b: lm.nn.relu(x + b), (6, 4), (4,))
    passes.optimize(fused, fuse=True)
    assert bias_relu.BIAS_RELU not in ops(fused)


def test_bias_relu_pool_merges_the_block_and_its_gradient(monkeypatch):
    """conv -> bias + ReLU -> max pool (tiled windows) becomes BiasReluPool, and the pooling
    gradient PoolMaskGrad, its bias gradient PoolMaskSum; the activation is never written and
    the numbers are the same, bit for bit, as the unmerged program's (the bias gradient, a sum
    in another order, within rounding; all within rounding of eager execution)."""
    from lamina.backends import numba_kernels
    from lamina.graph.passes import bias_relu_pool

    if not numba_kernels.available():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(8)
    k = lm.Variable(rng.standard_normal((3, 3, 2, 16)).astype(np.float64))
    b = lm.Variable(rng.standard_normal(16).astype(np.float64))
    x = np.round(rng.standard_normal((4, 11, 10, 2)) * 2) / 2       # ties in the windows

    def grads(x):
        with lm.GradientTape() as tape:
            tape.watch(x)
            z = lm.nn.relu(lm.nn.conv2d(x, k, 1, "VALID") + b)        # 9 x 8
            pooled = lm.nn.max_pool2d(z, (2, 3), (2, 3), "VALID")      # 4 x 2: rows, cols over
            loss = lm.sum(pooled * np.arange(16.0))
        return [pooled, *tape.gradient(loss, [x, k, b])]

    fn = lm.function(grads)
    got = fn(x)
    kinds = ops(fn.get_concrete_function(x).optimized)
    for kind in (bias_relu_pool.BIAS_RELU_POOL, bias_relu_pool.POOL_MASK_GRAD,
                 bias_relu_pool.POOL_MASK_SUM):
        assert kind in kinds
    assert not {"MaxPool", "MaxPoolGrad", "BiasRelu"} & set(kinds)
    monkeypatch.setattr(bias_relu_pool, "run", lambda program: False)
    plain = lm.function(grads)
    unmerged = plain(x)
    assert bias_relu_pool.BIAS_RELU_POOL not in ops(plain.get_concrete_function(x).optimized)
    monkeypatch.undo()
    eager = grads(lm.tensor(x))
    for position, (g, u, e) in enumerate(zip(got, unmerged, eager)):
        if position < 3:        # pooled, d/dx, d/dkernel: bit for bit
            np.testing.assert_array_equal(g.numpy(), u.numpy())
        else:                   # d/dbias: summed in another order
            np.testing.assert_allclose(g.numpy(), u.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)


def test_bias_relu_pool_leaves_other_blocks_alone():
    from lamina.graph.passes import bias_relu_pool

    def block(pool_strides, padding="VALID", also=False, shape=(4, 16, 16, 16)):
        def fn(x, b):
            act = lm.nn.relu(x + b)
            pooled = lm.nn.max_pool2d(act, 2, pool_strides, padding)
            return [pooled, act] if also else pooled
        program = program_of(fn, shape, shape[-1:])
        passes.optimize(program, kernels=True)
        return ops(program)

    assert bias_relu_pool.BIAS_RELU_POOL in block(2)
    assert bias_relu_pool.BIAS_RELU_POOL not in block(2, shape=(1, 6, 6, 3))   # too small
    assert bias_relu_pool.BIAS_RELU_POOL not in block(1)                  # overlapping windows
    assert bias_relu_pool.BIAS_RELU_POOL not in block(2, "SAME")          # padded windows
    assert bias_relu_pool.BIAS_RELU_POOL not in block(2, also=True)       # activation wanted
    plain = program_of(lambda x, b: lm.nn.max_pool2d(lm.nn.relu(x + b), 2, 2, "VALID"),
                       (4, 16, 16, 16), (16,))
    passes.optimize(plain)                                               # no numba kernels
    assert bias_relu_pool.BIAS_RELU_POOL not in ops(plain)


def _embedding_dense_case(vocab, ids, wrap=False, index=None):
    """A loss through E[ids] (time-major, flattened) @ W + b, its gradients compiled and the
    same in float64 NumPy; ``index(E, ids)``, when given, reads the rows."""
    rng = np.random.default_rng(3)
    e0 = rng.standard_normal((vocab, 3))
    w0, b0 = rng.standard_normal((3, 5)), rng.standard_normal(5)
    r = rng.standard_normal((ids.size, 5))
    E, W, b = (lm.Variable(v.astype(np.float32)) for v in (e0, w0, b0))

    def step(ids):
        with lm.GradientTape() as tape:
            rows = index(E, ids) if index else E[ids] if wrap else lm.gather(E, ids)
            x = lm.reshape(lm.transpose(rows, (1, 0, 2)), (-1, 3))
            loss = lm.sum(lm.tanh(lm.matmul(x, W) + b) * r.astype(np.float32))
        return [loss, *tape.gradient(loss, [E, W, b])]

    fn = lm.function(step)
    got = [t.numpy() for t in fn(ids)]
    x = e0[ids].transpose(1, 0, 2).reshape(-1, 3)
    t = np.tanh(x @ w0 + b0)
    dz = (1 - t * t) * r
    de = np.zeros_like(e0)
    np.add.at(de, ids.T.reshape(-1), dz @ w0.T)
    want = [np.sum(t * r), de, x.T @ dz, dz.sum(0)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)
    return fn.get_concrete_function(ids).optimized


def test_gather_matmul_multiplies_the_table_before_gathering_its_rows():
    """24 gathered rows of a 5-row table: every product runs on the table's 5 rows (forward,
    weight gradient, table gradient); the bias is added to the table product too."""
    ids = np.random.default_rng(0).integers(0, 5, (4, 6)).astype(np.int32)
    program = _embedding_dense_case(5, ids)
    products = [n for n in program.nodes if n.op == "MatMul"]
    assert len(products) == 3 and all(24 not in n.shape for n in products)
    assert any(n.op == "ScatterAdd" and n.shape == (5, 5) for n in program.nodes)
    gathers = [n for n in program.nodes if n.op == "GetItem" and n.shape == (24, 5)]
    assert len(gathers) == 1 and gathers[0].inputs[0].op == "Add"


def test_gather_matmul_keeps_negative_ids_and_leaves_large_tables_alone():
    ids = np.random.default_rng(1).integers(-5, 5, (4, 6)).astype(np.int32)
    program = _embedding_dense_case(5, ids, wrap=True)
    assert all(24 not in n.shape for n in program.nodes if n.op == "MatMul")
    big = np.random.default_rng(2).integers(0, 40, (4, 6)).astype(np.int32)
    program = _embedding_dense_case(40, big)      # 24 rows of 40: gathering first is cheaper
    assert any(n.op == "MatMul" and n.shape == (24, 5) for n in program.nodes)


def test_gather_matmul_still_rejects_ids_out_of_range():
    ids = np.full((4, 6), 5, np.int32)
    with pytest.raises(IndexError, match=r"index 5 is out of range for axis 0 with size 5"):
        _embedding_dense_case(5, ids)


def test_gather_matmul_takes_whole_rows_as_indexing_defines_them_written_as_one_item():
    """The spec test is indexing's _rows_only with a single item: E[ids] and gather qualify;
    E[ids, :] (the same rows, a trailing full slice) is computed as written."""
    from lamina.graph.passes import gather_matmul
    from lamina.ops.indexing import FULL

    assert gather_matmul._row_mode((("array", 0, "wrap"),)) == "wrap"
    assert gather_matmul._row_mode((("array", 0, "strict"),)) == "strict"
    for spec in [(("array", 0, "wrap"), FULL), (FULL, ("array", 0, "strict")), (("int", 0),),
                 (("mask", 0),), (("array", 0, "wrap"), ("ellipsis",))]:
        assert gather_matmul._row_mode(spec) is None
    ids = np.random.default_rng(0).integers(0, 5, (4, 6)).astype(np.int32)
    program = _embedding_dense_case(5, ids, index=lambda E, ids: E[ids, :])
    assert any(n.op == "MatMul" and n.shape == (24, 5) for n in program.nodes)
    assert not any(n.op == "ScatterAdd" and n.shape == (5, 5) for n in program.nodes)


def test_gather_matmul_applies_to_a_dense_layer_on_embedded_sequences():
    """Embedding -> Dense on (batch, steps) ids: the 3-D product becomes one on the table."""
    lm.utils.set_random_seed(0)
    model = lm.Sequential([lm.Input(shape=(12,), dtype="int32"), lm.layers.Embedding(7, 4),
                           lm.layers.Dense(5)])
    ids = np.random.default_rng(0).integers(0, 7, (6, 12)).astype(np.int32)
    fn = lm.function(lambda x: model(x))
    table, kernel, bias = (w.numpy().astype(np.float64) for w in model.weights)
    np.testing.assert_allclose(fn(ids).numpy(), table[ids] @ kernel + bias, rtol=1e-5,
                               atol=1e-6)
    program = fn.get_concrete_function(ids).optimized
    assert [n.shape for n in program.nodes if n.op == "MatMul"] == [(7, 5)]


def test_sum_squares_becomes_one_dot_product():
    """sum(square(w)) over every axis (an L2 penalty) becomes SumSquares, a dot product of
    the flattened array with itself: value and gradients as float64's; partial sums, and
    squares used elsewhere too, stay as they are."""
    from lamina.graph.passes import sum_squares

    rng = np.random.default_rng(12)
    w = rng.standard_normal((64, 100)).astype(np.float32)
    x = rng.standard_normal((5, 64)).astype(np.float32)

    def f(w, x):
        with lm.GradientTape() as tape:
            tape.watch(w)
            penalty = (0.5 * lm.sum(lm.square(w))
                       + lm.sum(lm.square(w + 1.0), keepdims=True)[0, 0])
            loss = lm.mean(lm.matmul(x, w)) + penalty
        return penalty, tape.gradient(loss, w)

    fn = lm.function(f)
    penalty, grad = fn(w, x)
    kinds = ops(fn.get_concrete_function(w, x).optimized)
    assert kinds.count(sum_squares.SUM_SQUARES) == 2 and "Square" not in kinds
    w64, x64 = w.astype(np.float64), x.astype(np.float64)
    np.testing.assert_allclose(penalty.numpy(),
                               0.5 * np.sum(w64 ** 2) + np.sum((w64 + 1) ** 2), rtol=1e-6)
    want = x64.sum(0)[:, None] / (5 * 100) + w64 + 2 * (w64 + 1)
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-5, atol=1e-6)

    partial = program_of(lambda w: lm.sum(lm.square(w), axis=0), (4, 3))
    shared = program_of(lambda w: [lm.sum(lm.square(w)), lm.square(w)], (4, 3))
    for program in (partial, shared):
        passes.optimize(program)
        assert sum_squares.SUM_SQUARES not in ops(program) and "Square" in ops(program)


def test_batch_matmul_reads_a_stack_only_if_it_holds_each_operand_once():
    """A stack (AssembleSlices) of [B0, B0, B2, B3] has as many slices as the sum has terms,
    but B1 is not in it: the merged product must not read that stack (A1 @ B1 would be
    lost)."""
    from lamina.graph import program as P
    from lamina.graph.passes import assemble, batch_matmul

    def fn(*xs):
        a, b = xs[:4], xs[4:]
        total = lm.matmul(lm.transpose(a[0]), b[0])
        for k in range(1, 4):
            total = total + lm.matmul(lm.transpose(a[k]), b[k])
        return total

    shapes = [(8, 3)] * 4 + [(8, 4)] * 4
    program = program_of(fn, *shapes)
    b = [n for n in program.nodes if n.op == P.INPUT][4:]
    stack = P.Node(assemble.ASSEMBLE, None, [b[0], b[0], b[2], b[3]],
                   {"specs": [(("int", k),) for k in range(4)]}, (4, 8, 4), b[0].dtype)
    program.nodes.insert(program.nodes.index(b[-1]) + 1, stack)
    program.outputs.append(stack)
    batch_matmul.run(program)
    merged = [n for n in program.nodes if n.op == batch_matmul.MATMUL_SUM]
    assert len(merged) == 1 and not merged[0].attrs.get("stacked_b")
    assert stack not in merged[0].inputs
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    expected = sum(a.T @ b for a, b in zip(arrays[:4], arrays[4:]))
    np.testing.assert_allclose(run(program, *arrays)[0], expected, rtol=1e-5, atol=1e-5)
