"""The fused optimizer step (lamina/optimizers/fused.py) equals the per-variable update_step
bit for bit, eagerly and compiled, and survives variables being replaced eagerly."""
import numpy as np
import pytest

import lamina as lm

CONFIGS = [
    lambda: lm.optimizers.SGD(0.1),
    lambda: lm.optimizers.SGD(0.1, momentum=0.9),
    lambda: lm.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: lm.optimizers.Adam(0.01),
    lambda: lm.optimizers.Adam(0.01, amsgrad=True),
    lambda: lm.optimizers.AdamW(0.01, weight_decay=0.1),
    lambda: lm.optimizers.RMSprop(0.01),
    lambda: lm.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: lm.optimizers.Adagrad(0.1),
    lambda: lm.optimizers.Adam(lm.optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)),
]


def _run(make_opt, *, fuse=None, compiled=True, steps: int = 4, penalty=False, fold=True,
         monkeypatch=None, assign_inside=False, transposed=False):
    """A two-layer network trained ``steps`` steps, eagerly or with lm.function; ``fuse``
    sets the optimizer's (None: its default). ``penalty``: a wider relu network with L2
    penalties on its weights, the penalty gradients folded into the fused step (``fold``) or
    computed as they stand (``monkeypatch`` turns the pass off); ``assign_inside`` halves the
    second weight in the step, ``transposed`` uses it transposed. Returns the weights and the
    compiled step's FusedOptimizerStep nodes (none eagerly)."""
    if not fold:
        from lamina.graph.passes import fused_decay
        monkeypatch.setattr(fused_decay, "run", lambda program: False)
    rng = np.random.default_rng(4 if penalty else 0)
    n, i, u, o = (7, 6, 5, 3) if penalty else (5, 3, 4, 2)
    params = [lm.Variable(rng.standard_normal(s).astype(np.float32))
              for s in [(i, u), (u,), (o, u) if transposed else (u, o), (o,)]]
    x = lm.tensor(rng.standard_normal((n, i)).astype(np.float32))
    opt = make_opt()
    if fuse is not None:
        opt.fuse = fuse

    def step(x):
        if assign_inside:
            params[2].assign(params[2] * 0.5)
        with lm.GradientTape() as tape:
            h = (lm.relu if penalty else lm.tanh)(lm.matmul(x, params[0]) + params[1])
            w2 = lm.transpose(params[2]) if transposed else params[2]
            out = lm.matmul(h, w2) + params[3]
            if penalty:
                loss = (lm.mean(lm.square(out)) + 3e-3 * lm.sum(lm.square(params[0]))
                        + lm.sum(lm.square(params[2])) * 0.25)
            else:
                loss = lm.sum(lm.square(out))
        opt.apply_gradients(zip(tape.gradient(loss, params), params))
        return loss

    fn = lm.function(step) if compiled else step
    for _ in range(steps):
        fn(x)
    fused = [node for node in fn.get_concrete_function(x).optimized.nodes
             if node.op == "FusedOptimizerStep"] if compiled else []
    return [p.numpy() for p in params], fused


@pytest.mark.parametrize("make_opt", CONFIGS)
@pytest.mark.parametrize("compiled", [False, True])
def test_fused_equals_per_variable(make_opt, compiled):
    reference, _ = _run(make_opt, fuse=False, compiled=compiled)
    fused, _ = _run(make_opt, fuse=True, compiled=compiled)
    for r, f in zip(reference, fused):
        np.testing.assert_array_equal(f, r)


def test_fused_step_is_one_node_in_the_compiled_step():
    rng = np.random.default_rng(0)
    w = [lm.Variable(rng.standard_normal((2, 2)).astype(np.float32)) for _ in range(3)]
    opt = lm.optimizers.Adam()

    @lm.function
    def step():
        with lm.GradientTape() as tape:
            loss = lm.sum(w[0] * w[1] * w[2])
        opt.apply_gradients(zip(tape.gradient(loss, w), w))

    step()
    types = [n.op for n in step.get_concrete_function().optimized.nodes]
    assert types.count("FusedOptimizerStep") == 1
    assert types.count("Assign") == 1          # only the step counter: no per-variable updates


def test_eager_replacement_of_a_variable_is_seen_by_the_next_fused_step():
    v = lm.Variable([1.0, 2.0])
    opt = lm.optimizers.SGD(0.5)
    opt.apply_gradients([(lm.tensor([1.0, 1.0]), v)])
    v.assign([10.0, 10.0])                   # replaces v's array: the flat link breaks
    opt.apply_gradients([(lm.tensor([1.0, 1.0]), v)])
    np.testing.assert_array_equal(v.numpy(), [9.5, 9.5])
    v.assign_add([1.0, 1.0])
    opt.apply_gradients([(lm.tensor([2.0, 2.0]), v)])
    np.testing.assert_array_equal(v.numpy(), [9.5, 9.5])


def test_constrained_variables_take_the_per_variable_path():
    v = lm.Variable([-1.0, 2.0], constraint=lm.constraints.NonNeg())
    lm.optimizers.SGD(0.1).apply_gradients([(lm.tensor([1.0, 1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [0.0, 1.9])


@pytest.mark.parametrize("make_opt", [
    lambda: lm.optimizers.Adam(0.01), lambda: lm.optimizers.Adam(0.01, amsgrad=True),
    lambda: lm.optimizers.SGD(0.1), lambda: lm.optimizers.SGD(0.1, momentum=0.9),
    lambda: lm.optimizers.SGD(0.1, momentum=0.9, nesterov=True)])
def test_numba_kernels_equal_numpy_kernels(make_opt, monkeypatch):
    """With numba installed its kernels run; they must give the NumPy kernels' numbers
    exactly (and the per-variable reference's), at any size."""
    pytest.importorskip("numba")

    def run(numba_on: str, fuse: bool):
        monkeypatch.setenv("LAMINA_NUMBA", numba_on)
        rng = np.random.default_rng(1)
        w = lm.Variable(rng.standard_normal(70007).astype(np.float32))
        opt = make_opt()
        opt.fuse = fuse
        for step in range(3):
            g = rng.standard_normal(w.shape).astype(np.float32)
            opt.apply_gradients([(lm.tensor(g), w)])
        return w.numpy()

    reference = run("0", fuse=False)
    np.testing.assert_array_equal(run("0", fuse=True), reference)
    np.testing.assert_array_equal(run("1", fuse=True), reference)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_step_size_table_equals_the_scalar_expression(dtype):
    """The fused Adam's step size comes from a table of bias corrections per block of steps;
    it equals the expression computed per step, across block edges, for a changed beta and
    for a step that is not whole (which skips the table)."""
    opt = lm.optimizers.Adam(3e-3)
    c, lr = dtype, np.asarray(3e-3, dtype)

    def scalar(step):
        one = c(1.0)
        return c(lr) * c(np.sqrt(float(one - np.power(c(opt.beta_2), c(step))))) / (
            one - np.power(c(opt.beta_1), c(step)))

    steps = [1, 2, 3, 511, 512, 513, 1023, 1024, 4097, 70000, 5, 2.5]
    for beta_2 in (0.999, 0.98):
        opt.beta_2 = beta_2
        for step in steps:
            got = opt._fused_step_size(np, lr, np.asarray(step, dtype), c)
            assert got.dtype == dtype and got == scalar(step), (beta_2, step)


def test_gradient_of_a_transposed_weight_updates_it_in_its_own_order():
    """A weight used transposed (tied weights: x @ w.T) gets its gradient as a transpose
    view of a product's buffer; that buffer must not stand in for the weight's slice of the
    flat gradient array (its elements are in the other order): fused equals per-variable."""
    def run(fuse):
        w = lm.Variable(np.arange(15, dtype=np.float32).reshape(3, 5) / 10)
        b = lm.Variable(np.zeros(3, np.float32))
        x = lm.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(4, 5))
        opt = lm.optimizers.Adam(0.1)
        opt.fuse = fuse

        @lm.function
        def step(x):
            with lm.GradientTape() as tape:
                loss = lm.sum(lm.square(lm.matmul(x, lm.transpose(w)) + b))
            opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))

        for _ in range(3):
            step(x)
        return w.numpy(), b.numpy()

    for got, want in zip(run(True), run(False)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("make_opt", CONFIGS)
@pytest.mark.parametrize("numba_on", ["1", "0"])
def test_penalty_gradients_folded_into_the_fused_step_give_the_same_numbers(
        make_opt, numba_on, monkeypatch):
    """graph/passes/fused_decay: g + k * w feeding a fused step becomes the step's ``decay``
    (k * w added in its flat gradient, by numba's kernel or NumPy): weights bit-equal to the
    unfolded program's. AdamW's decay assigns the weights before the step: nothing folds."""
    pytest.importorskip("numba")
    monkeypatch.setenv("LAMINA_NUMBA", numba_on)
    with monkeypatch.context() as unfolded:
        reference, steps = _run(make_opt, penalty=True, fold=False, monkeypatch=unfolded)
    assert not steps[0].attrs.get("decay")
    got, steps = _run(make_opt, penalty=True)
    decay = steps[0].attrs.get("decay", ())
    if numba_on == "1" and not isinstance(make_opt(), lm.optimizers.AdamW):
        assert [i for i, _ in decay] == [0, 2]    # the pass runs where numba kernels do
        assert decay[0][1].dtype == np.float32
    else:
        assert decay == ()
    for r, g in zip(reference, got):
        np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize("variant, folded", [({"assign_inside": True}, [0]),
                                             ({"transposed": True}, [0, 2])])
def test_penalty_fold_where_the_step_could_see_other_values(variant, folded, monkeypatch):
    """A weight assigned in the step: the step would see the new value, the penalty read the
    old one, so that penalty stays. A weight used transposed: its gradient is a transpose
    view of a product's buffer; it folds, and the view is copied into the flat gradient (the
    step adds into the copy, not into the buffer). Same weights as unfolded."""
    pytest.importorskip("numba")
    monkeypatch.setenv("LAMINA_NUMBA", "1")
    make = lambda: lm.optimizers.Adam(0.01)    # noqa: E731
    with monkeypatch.context() as unfolded:
        reference, _ = _run(make, penalty=True, fold=False, monkeypatch=unfolded, **variant)
    got, steps = _run(make, penalty=True, **variant)
    assert [i for i, _ in steps[0].attrs["decay"]] == folded
    for r, g in zip(reference, got):
        np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize("numba_on", ["1", "0"])
def test_decay_table_adds_k_times_the_weight_to_each_listed_range(numba_on, monkeypatch):
    """FusedState.decay_table(...).add() with numba's kernel and with NumPy (two ufunc calls
    per range): k * w added to the listed variables' ranges of the flat gradient, the others untouched,
    bit for bit as NumPy computes it."""
    pytest.importorskip("numba")
    from lamina.optimizers import fused
    monkeypatch.setenv("LAMINA_NUMBA", numba_on)
    holders = [lm.Variable(np.linspace(-2, 2, int(np.prod(s)), dtype=np.float32).reshape(s))
               for s in [(40, 3), (7,), (33,)]]
    state = fused.FusedState(np, holders, 1)
    state.grad[...] = np.arange(state.grad.size, dtype=np.float32) / 7
    decay = ((0, np.float32(1e-3)), (2, np.float32(-0.3)))
    state.decay_table(decay).add()
    assert (state._decay_tables[decay].kernel is not None) == (numba_on == "1")
    expected = np.arange(state.grad.size, dtype=np.float32) / 7
    expected[:120] += np.float32(1e-3) * state.params[:120]
    expected[127:] += np.float32(-0.3) * state.params[127:]
    np.testing.assert_array_equal(state.grad, expected)


@pytest.mark.parametrize("numba_on", ["1", "0"])
@pytest.mark.parametrize("make_opt, change", [
    (lambda: lm.optimizers.SGD(0.1), {"momentum": 0.9}),
    (lambda: lm.optimizers.Adam(0.01), {"amsgrad": True})])
def test_a_slot_setting_changed_after_compiling_keeps_the_traced_update(
        make_opt, change, numba_on, monkeypatch):
    """SGD compiled without momentum (no velocity slot) and Adam without AMSGrad (no vhat
    slot) keep their plain update when the setting changes afterwards, as the per-variable
    step traced then does; numba's kernel must not use the weights as the missing slot."""
    monkeypatch.setenv("LAMINA_NUMBA", numba_on)

    def run(fuse):
        rng = np.random.default_rng(0)
        w = lm.Variable(rng.standard_normal(40).astype(np.float32))
        opt = make_opt()
        opt.fuse = fuse
        x = lm.tensor(rng.standard_normal(40).astype(np.float32))

        @lm.function
        def step():
            with lm.GradientTape() as tape:
                loss = lm.sum(lm.square(w * x - 1.0))
            opt.apply_gradients([(tape.gradient(loss, w), w)])

        step()
        for name, value in change.items():
            setattr(opt, name, value)
        for _ in range(3):
            step()
        return w.numpy()

    np.testing.assert_array_equal(run(True), run(False))


@pytest.mark.parametrize("make_opt", [lambda: lm.optimizers.Adam(0.01),
                                      lambda: lm.optimizers.SGD(0.1, momentum=0.9)])
def test_float16_variables_take_the_numpy_update_with_numba_installed(make_opt, monkeypatch):
    """The kernels are written for float32 and float64: float16 gets the NumPy code."""
    pytest.importorskip("numba")
    monkeypatch.setenv("LAMINA_NUMBA", "1")
    from lamina.optimizers import fused
    got = []
    for fuse in (True, False):
        w = lm.Variable(np.linspace(-1, 1, 9, dtype=np.float16))
        opt = make_opt()
        opt.fuse = fuse
        for _ in range(3):
            opt.apply_gradients([(lm.tensor(np.full(9, 0.5, np.float16)), w)])
        got.append(w.numpy())
        states = [s for s in opt.__dict__.get("_fused_states", {}).values()
                  if isinstance(s, fused.FusedState)]
        assert [s.kernels for s in states] == ([None] if fuse else [])
    np.testing.assert_array_equal(got[0], got[1])


def test_kernels_are_looked_up_only_by_optimizers_that_use_them(monkeypatch):
    """RMSprop and Adagrad have no numba kernel: their fused state never loads numba's
    table; Adam's does, once, and not under LAMINA_NUMBA=0."""
    pytest.importorskip("numba")
    from lamina.optimizers import fused

    def state_after_a_step(opt):
        w = lm.Variable(np.ones(5, np.float32))
        opt.apply_gradients([(lm.tensor(np.full(5, 0.5, np.float32)), w)])
        return next(s for s in opt._fused_states.values() if isinstance(s, fused.FusedState))

    monkeypatch.setenv("LAMINA_NUMBA", "1")
    for opt in (lm.optimizers.RMSprop(0.01), lm.optimizers.Adagrad(0.1)):
        assert "kernels" not in vars(state_after_a_step(opt))
    assert state_after_a_step(lm.optimizers.Adam(0.01)).kernels is not None
    monkeypatch.setenv("LAMINA_NUMBA", "0")
    assert state_after_a_step(lm.optimizers.Adam(0.01)).kernels is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_bias_corrections_equal_the_scalar_expression(dtype):
    """From the table for step counts (0-d arrays of any dtype, NumPy and Python numbers),
    computed on their own otherwise; a negative step gives NaN (as the graph) rather than an
    error."""
    opt, c = lm.optimizers.Adam(), dtype
    for step in [1, 2, np.int64(513), np.asarray(7.0, np.float32), np.asarray(9, np.int64),
                 2.5, 2 ** 24 + 2, 1e30]:
        root, denominator = opt._bias_corrections(c, step)
        t = c(step)
        assert root == c(np.sqrt(c(1) - np.power(c(opt.beta_2), t)))
        assert denominator == c(1) - np.power(c(opt.beta_1), t)
    with np.errstate(over="ignore"):
        root, _ = opt._bias_corrections(c, -1.0)
    assert np.isnan(root)
