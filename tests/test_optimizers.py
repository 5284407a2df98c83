"""Optimizers and schedules against a float64 NumPy re-implementation of Keras 3's formulas,
plus minimize in eager and graph mode, configuration round trips and argument errors."""
import math
import warnings

import numpy as np
import pytest

import lamina as lm
import lamina.optimizers  # noqa: F401  (makes lm.optimizers available)

opt_mod = lm.optimizers
schedules = lm.optimizers.schedules


# ---- the NumPy reference ---------------------------------------------------------------------
def ref_learning_rate(lr, step):
    """The learning rate of a float or a schedule config at ``step`` (0-based)."""
    if not isinstance(lr, dict):
        return lr
    kind, c = lr["class_name"], lr["config"]
    if kind == "ExponentialDecay":
        p = step / c["decay_steps"]
        p = math.floor(p) if c.get("staircase") else p
        return c["initial_learning_rate"] * c["decay_rate"] ** p
    if kind == "CosineDecay":
        target, warm = c.get("warmup_target"), c.get("warmup_steps", 0)
        decay = c["decay_steps"]
        peak = c["initial_learning_rate"] if target is None else target
        if target is not None and step < warm:
            return (target - c["initial_learning_rate"]) * step / warm + c["initial_learning_rate"]
        s = min(step - (warm if target is not None else 0), decay)
        cosine = 0.5 * (1 + math.cos(math.pi * s / decay))
        return peak * ((1 - c.get("alpha", 0.0)) * cosine + c.get("alpha", 0.0))
    if kind == "PiecewiseConstantDecay":
        for boundary, value in zip(c["boundaries"], c["values"]):
            if step <= boundary:
                return value
        return c["values"][-1]
    raise AssertionError(kind)


def ref_clip(grads, kw):
    if kw.get("clipnorm"):
        c = kw["clipnorm"]
        return [g * c / max(np.sqrt(np.sum(g * g)), c) for g in grads]
    if kw.get("global_clipnorm"):
        c = kw["global_clipnorm"]
        norm = np.sqrt(sum(np.sum(g * g) for g in grads))
        return [g * (c / max(norm, c)) for g in grads]
    if kw.get("clipvalue"):
        return [np.clip(g, -kw["clipvalue"], kw["clipvalue"]) for g in grads]
    return grads


def ref_sgd(g, w, lr, t, s, kw):
    mom = kw.get("momentum", 0.0)
    if mom == 0:
        return w - lr * g
    s["m"] = mom * s.get("m", 0.0) - lr * g
    if kw.get("nesterov"):
        return w + mom * s["m"] - lr * g
    return w + s["m"]


def ref_adam(g, w, lr, t, s, kw):
    b1, b2 = kw.get("beta_1", 0.9), kw.get("beta_2", 0.999)
    eps = kw.get("epsilon", 1e-7)
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
    v = s["v"]
    if kw.get("amsgrad"):
        s["vhat"] = v = np.maximum(s.get("vhat", 0.0), v)
    alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - s["m"] * alpha / (np.sqrt(v) + eps)


def ref_rmsprop(g, w, lr, t, s, kw):
    rho, mom = kw.get("rho", 0.9), kw.get("momentum", 0.0)
    eps = kw.get("epsilon", 1e-7)
    s["vel"] = rho * s.get("vel", 0.0) + (1 - rho) * g * g
    denominator = s["vel"] + eps
    if kw.get("centered"):
        s["avg"] = rho * s.get("avg", 0.0) + (1 - rho) * g
        denominator = s["vel"] - s["avg"] ** 2 + eps
    increment = lr * g / np.sqrt(denominator)
    if mom > 0:
        s["buf"] = mom * s.get("buf", 0.0) + increment
        return w - s["buf"]
    return w - increment


def ref_adagrad(g, w, lr, t, s, kw):
    s["acc"] = s.get("acc", kw.get("initial_accumulator_value", 0.1)) + g * g
    return w - lr * g / np.sqrt(s["acc"] + kw.get("epsilon", 1e-7))


REFERENCE = {"SGD": ref_sgd, "Adam": ref_adam, "AdamW": ref_adam, "RMSprop": ref_rmsprop,
             "Adagrad": ref_adagrad}
DEFAULT_LR = {"SGD": 0.01, "Adam": 0.001, "AdamW": 0.001, "RMSprop": 0.001, "Adagrad": 0.001}


def ref_run(kind, kw, init, grad_steps):
    weights = [w.copy() for w in init]
    states = [{} for _ in init]
    wd = kw.get("weight_decay", 0.004 if kind == "AdamW" else None)
    for step, grads in enumerate(grad_steps):
        lr = ref_learning_rate(kw.get("learning_rate", DEFAULT_LR[kind]), step)
        grads = ref_clip(grads, kw)
        if wd is not None:
            weights = [w - w * wd * lr for w in weights]
        weights = [REFERENCE[kind](g, w, lr, step + 1, s, kw)
                   for g, w, s in zip(grads, weights, states)]
    return weights


def lamina_run(kind, kw, init, grad_steps, dtype="float64"):
    config = dict(kw)
    if isinstance(config.get("learning_rate"), dict):
        config["learning_rate"] = schedules.deserialize(config["learning_rate"])
    opt = getattr(opt_mod, kind)(**config)
    variables = [lm.Variable(w.astype(dtype)) for w in init]
    for grads in grad_steps:
        opt.apply([lm.tensor(g.astype(dtype)) for g in grads], variables)
    return opt, variables


def random_problem(steps=6, seed=0):
    rng = np.random.RandomState(seed)
    shapes = [(3, 2), (2,)]
    init = [rng.randn(*s) for s in shapes]
    grads = [[rng.randn(*s) * rng.uniform(0.2, 3.0) for s in shapes] for _ in range(steps)]
    return init, grads


EXPO = {"class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}}
EXPO_STAIR = {"class_name": "ExponentialDecay",
              "config": {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5,
                         "staircase": True}}
COSINE = {"class_name": "CosineDecay",
          "config": {"initial_learning_rate": 0.0, "decay_steps": 3, "alpha": 0.1,
                     "warmup_target": 0.2, "warmup_steps": 2}}
PIECEWISE = {"class_name": "PiecewiseConstantDecay",
             "config": {"boundaries": [1, 3], "values": [0.3, 0.1, 0.02]}}

CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.05}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.3}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.7}),
    ("SGD", {"learning_rate": EXPO}),
    ("SGD", {"learning_rate": EXPO_STAIR, "momentum": 0.3}),
    ("SGD", {"learning_rate": COSINE}),
    ("SGD", {"learning_rate": PIECEWISE}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}),
    ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.05, "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": COSINE, "clipnorm": 1.0}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5,
                 "clipvalue": 1.0}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-4,
                 "weight_decay": 0.01}),
]


@pytest.mark.parametrize("kind,kw", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_matches_numpy_reference(kind, kw):
    init, grad_steps = random_problem()
    expected = ref_run(kind, kw, init, grad_steps)
    opt, variables = lamina_run(kind, kw, init, grad_steps)
    for var, want in zip(variables, expected):
        assert var.dtype == lm.float64
        # The learning rate is a float32 variable, as in Keras: allow its rounding.
        np.testing.assert_allclose(var.numpy(), want, rtol=2e-6, atol=1e-9)
    assert int(opt.iterations.numpy()) == len(grad_steps)


@pytest.mark.parametrize("kind", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_float32_stays_float32(kind):
    init, grad_steps = random_problem(steps=3)
    kw = {"learning_rate": 0.05} if kind != "SGD" else {"learning_rate": 0.05, "momentum": 0.9}
    opt, variables = lamina_run(kind, kw, init, grad_steps, dtype="float32")
    expected = ref_run(kind, kw, init, grad_steps)
    for var, want in zip(variables, expected):
        assert var.dtype == lm.float32 and var.numpy().dtype == np.float32
        np.testing.assert_allclose(var.numpy(), want, rtol=1e-4, atol=1e-5)
    for slot in opt.variables[2:]:
        assert slot.dtype == lm.float32


# ---- schedules ------------------------------------------------------------------------------
@pytest.mark.parametrize("config", [EXPO, EXPO_STAIR, COSINE, PIECEWISE,
                                    {"class_name": "CosineDecay",
                                     "config": {"initial_learning_rate": 0.5,
                                                "decay_steps": 4}}],
                         ids=["expo", "stair", "cosine-warmup", "piecewise", "cosine"])
def test_schedule_values_and_round_trip(config):
    sched = schedules.deserialize(config)
    for step in range(9):
        value = sched(step)
        assert value.dtype == lm.float32
        np.testing.assert_allclose(float(value), ref_learning_rate(config, step), rtol=1e-6,
                                   atol=1e-7)
    again = type(sched).from_config(sched.get_config())
    assert again.get_config() == sched.get_config()
    assert schedules.serialize(sched)["class_name"] == config["class_name"]
    assert float(sched(lm.Variable(np.int64(5), trainable=False))) == float(sched(5))


def test_schedule_in_optimizer_config_round_trip():
    opt = opt_mod.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"
    again = opt_mod.Adam.from_config(config)
    assert isinstance(again._learning_rate, schedules.ExponentialDecay)
    assert again.get_config() == config


def test_schedule_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.CosineDecay(0.1, -3)
    with pytest.raises(ValueError, match="length of boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="increasing"):
        schedules.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(TypeError, match="initial_learning_rate"):
        schedules.ExponentialDecay("fast", 10, 0.5)
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)


def test_custom_schedule_subclass():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.4 / (lm.cast(step, "float32") + 1.0)

    w = lm.Variable(np.array([1.0]))
    opt = opt_mod.SGD(learning_rate=Halving())
    for _ in range(3):
        opt.apply([lm.tensor(np.array([1.0]))], [w])
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.4 - 0.2 - 0.4 / 3], rtol=1e-6)


# ---- minimize -----------------------------------------------------------------------------
TARGET = np.array([1.5, -2.0, 0.25])
SCALES = np.array([1.0, 3.0, 0.5])
MINIMIZERS = [
    ("SGD", {"learning_rate": 0.2}, 150),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, 200),
    ("Adam", {"learning_rate": 0.1}, 400),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}, 600),
    ("Adagrad", {"learning_rate": 0.5}, 400),
]


def quadratic(w):
    return lm.sum(SCALES * lm.square(w - TARGET))


@pytest.mark.parametrize("kind,kw,steps", MINIMIZERS, ids=[m[0] for m in MINIMIZERS])
def test_minimize_eager_reaches_minimum(kind, kw, steps):
    w = lm.Variable(np.zeros(3))
    opt = getattr(opt_mod, kind)(**kw)
    for _ in range(steps):
        opt.minimize(lambda: quadratic(w), [w])
    np.testing.assert_allclose(w.numpy(), TARGET, atol=2e-2)
    assert int(opt.iterations.numpy()) == steps


@pytest.mark.parametrize("kind,kw,steps", MINIMIZERS, ids=[m[0] for m in MINIMIZERS])
def test_minimize_graph_mode_reaches_minimum(kind, kw, steps):
    lm.disable_eager_execution()
    w = lm.Variable(np.zeros(3), name="w")
    loss = quadratic(w)
    opt = getattr(opt_mod, kind)(**kw)
    train_op = opt.minimize(loss)
    assert isinstance(train_op, lm.Operation)
    init = lm.global_variables_initializer()
    with lm.Session() as sess:
        sess.run(init)
        first = sess.run(loss)
        for _ in range(steps):
            sess.run(train_op)
        np.testing.assert_allclose(sess.run(w), TARGET, atol=2e-2)
        assert sess.run(loss) < first
        assert int(sess.run(opt.iterations)) == steps
    with lm.Session() as sess:   # a new Session starts from the initial values again
        sess.run(init)
        np.testing.assert_array_equal(sess.run(w), np.zeros(3))
        assert int(sess.run(opt.iterations)) == 0


def test_graph_mode_matches_eager_steps():
    init, grad_steps = random_problem(steps=1)
    kw = {"learning_rate": 0.05, "amsgrad": True, "weight_decay": 0.1}
    w0 = np.array([0.5, -1.0, 2.0])
    eager_w = lm.Variable(w0.copy())
    eager = opt_mod.Adam(**kw)
    for _ in range(4):
        eager.minimize(lambda: quadratic(eager_w), [eager_w])
    lm.disable_eager_execution()
    w = lm.Variable(w0.copy())
    train_op = opt_mod.Adam(**kw).minimize(quadratic(w), [w])
    with lm.Session() as sess:
        sess.run(lm.global_variables_initializer())
        for _ in range(4):
            sess.run(train_op)
        np.testing.assert_allclose(sess.run(w), eager_w.numpy(), rtol=1e-12)


def test_minimize_with_tape_and_tensor_loss():
    w = lm.Variable(np.array([3.0]))
    opt = opt_mod.SGD(0.25)
    with lm.GradientTape() as tape:
        loss = lm.sum(w * w)
    opt.minimize(loss, [w], tape=tape)
    np.testing.assert_allclose(w.numpy(), [1.5])
    with pytest.raises(ValueError, match="`tape` is required"):
        opt.minimize(lm.sum(w * w), [w])


def test_minimize_default_var_list_and_callable_var_list():
    a = lm.Variable(np.array([1.0]))
    frozen = lm.Variable(np.array([1.0]), trainable=False)
    opt = opt_mod.SGD(0.5)
    opt.minimize(lambda: lm.sum(a * a * frozen))           # watched trainable variables
    np.testing.assert_allclose(a.numpy(), [0.0])
    np.testing.assert_allclose(frozen.numpy(), [1.0])
    opt.minimize(lambda: lm.sum(frozen * frozen), [frozen])   # listed: watched explicitly
    np.testing.assert_allclose(frozen.numpy(), [0.0])
    b = lm.Variable(np.array([2.0]))
    opt.minimize(lambda: lm.sum(b * b), lambda: [b])          # a callable var_list
    np.testing.assert_allclose(b.numpy(), [0.0])


def test_graph_mode_constraint_sees_updated_value():
    lm.disable_eager_execution()
    w = lm.Variable(np.array([0.5, 0.5]), constraint=lambda x: lm.clip(x, 0.0, 0.6))
    train_op = opt_mod.SGD(1.0).minimize(lm.sum(w * np.array([1.0, -1.0])))
    with lm.Session() as sess:
        sess.run(lm.global_variables_initializer())
        sess.run(train_op)
        np.testing.assert_allclose(sess.run(w), [0.0, 0.6])


# ---- behaviour ------------------------------------------------------------------------------
def test_constraint_applied_after_update():
    w = lm.Variable(np.array([0.5, 0.5]), constraint=lambda x: lm.clip(x, 0.0, 0.6))
    opt_mod.SGD(1.0).apply([lm.tensor(np.array([1.0, -1.0]))], [w])
    np.testing.assert_allclose(w.numpy(), [0.0, 0.6])


def test_none_gradients_are_skipped_with_warning():
    a, b = lm.Variable(np.array([1.0])), lm.Variable(np.array([1.0]))
    opt = opt_mod.SGD(0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(lm.tensor(np.array([1.0])), a), (None, b)])
    np.testing.assert_allclose(a.numpy(), [0.5])
    np.testing.assert_allclose(b.numpy(), [1.0])
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients([(None, a)])


def test_mismatched_gradient_shape_names_variable_and_shapes():
    w = lm.Variable(np.zeros((2, 3)), name="kernel")
    with pytest.raises(ValueError, match=r"kernel.*\(3, 2\).*\(2, 3\)"):
        opt_mod.Adam().apply([lm.tensor(np.zeros((3, 2)))], [w])
    lm.disable_eager_execution()
    v = lm.Variable(np.zeros((2, 3)), name="kernel2")
    with pytest.raises(ValueError, match=r"kernel2.*\(4,\).*\(2, 3\)"):
        opt_mod.SGD().apply([lm.constant(np.zeros(4))], [v])


def test_iterations_variables_and_lazy_slots():
    opt = opt_mod.Adam()
    assert opt.iterations.dtype == lm.int64 and int(opt.iterations.numpy()) == 0
    assert len(opt.variables) == 2                 # iteration, learning_rate
    w = lm.Variable(np.ones(2), name="w")
    opt.apply([lm.tensor(np.ones(2))], [w])
    assert len(opt.variables) == 4                 # + m, v for w
    assert opt.get_slot_names() == ["m", "v"]
    assert opt.get_slot(w, "m").shape == (2,)
    u = lm.Variable(np.ones(3))
    opt.apply([lm.tensor(np.ones(3))], [u])        # a new variable gets its slots lazily
    assert len(opt.variables) == 6
    assert int(opt.iterations.numpy()) == 2
    sgd = opt_mod.SGD()
    sgd.apply([lm.tensor(np.ones(2))], [w])
    assert len(sgd.variables) == 2                 # no momentum, no slot
    with pytest.raises(KeyError, match="no slot"):
        sgd.get_slot(w, "momentum")


def test_apply_without_variables_uses_built_list():
    w = lm.Variable(np.ones(2))
    opt = opt_mod.SGD(0.5)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([lm.tensor(np.ones(2))])
    opt.build([w])
    opt.apply([lm.tensor(np.ones(2))])
    np.testing.assert_allclose(w.numpy(), [0.5, 0.5])


def test_learning_rate_property_and_setter():
    opt = opt_mod.SGD(learning_rate=0.1)
    assert isinstance(opt.learning_rate, lm.Variable)
    np.testing.assert_allclose(float(opt.learning_rate), 0.1, rtol=1e-7)
    opt.learning_rate = 0.5
    w = lm.Variable(np.array([1.0]))
    opt.apply([lm.tensor(np.array([1.0]))], [w])
    np.testing.assert_allclose(w.numpy(), [0.5])
    assert opt.get_config()["learning_rate"] == 0.5
    opt.learning_rate = schedules.ExponentialDecay(0.2, 1, 0.5)
    np.testing.assert_allclose(float(opt.learning_rate), 0.1, rtol=1e-6)  # step 1 now
    assert len(opt.variables) == 1                 # the rate variable is no longer tracked
    with pytest.raises(TypeError, match="not settable"):
        opt_mod.SGD(schedules.ExponentialDecay(0.2, 1, 0.5)).learning_rate = 0.1
    with pytest.raises(ValueError, match="learning_rate"):
        opt_mod.SGD().learning_rate = -1.0


def test_callable_learning_rate():
    rate = [0.5]
    opt = opt_mod.SGD(learning_rate=lambda: rate[0])
    w = lm.Variable(np.array([1.0]))
    opt.apply([lm.tensor(np.array([1.0]))], [w])
    rate[0] = 0.25
    opt.apply([lm.tensor(np.array([1.0]))], [w])
    np.testing.assert_allclose(w.numpy(), [0.25])
    with pytest.raises(TypeError, match="callable learning rate"):
        opt.get_config()


def test_learning_rate_setter_in_graph_mode_explains():
    lm.disable_eager_execution()
    opt = opt_mod.SGD(0.1)
    with pytest.raises(RuntimeError, match="assign"):
        opt.learning_rate = 0.2
    w = lm.Variable(np.array([1.0]))
    train_op = opt.minimize(lm.sum(w), [w])
    set_rate = opt.learning_rate.assign(0.5)
    with lm.Session() as sess:
        sess.run(lm.global_variables_initializer())
        sess.run(set_rate)
        sess.run(train_op)
        np.testing.assert_allclose(sess.run(w), [0.5])


def test_weight_decay_exclusion():
    kernel = lm.Variable(np.ones(2), name="kernel")
    bias = lm.Variable(np.ones(2), name="bias")
    opt = opt_mod.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    zero = lm.tensor(np.zeros(2))
    opt.apply([zero, zero], [kernel, bias])
    np.testing.assert_allclose(kernel.numpy(), 1 - 0.5 * 0.1, rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["x"])


# ---- configuration ----------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kw", [
    (opt_mod.SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "clipnorm": 1.0}),
    (opt_mod.Adam, {"beta_1": 0.8, "amsgrad": True, "global_clipnorm": 2.0}),
    (opt_mod.AdamW, {"weight_decay": 0.01, "clipvalue": 0.5}),
    (opt_mod.RMSprop, {"rho": 0.8, "momentum": 0.1, "centered": True}),
    (opt_mod.Adagrad, {"initial_accumulator_value": 0.2, "name": "ada"}),
])
def test_config_round_trip_and_get(cls, kw):
    opt = cls(**kw)
    config = opt.get_config()
    for key, value in kw.items():
        assert config[key] == value
    again = cls.from_config(config)
    assert type(again) is cls and again.get_config() == config
    data = opt_mod.serialize(opt)
    assert data["class_name"] == cls.__name__
    assert opt_mod.deserialize(data).get_config() == config
    assert type(opt_mod.get(cls.__name__.lower())) is cls
    assert type(opt_mod.get(data)) is cls
    assert opt_mod.get(opt) is opt


def test_keras_defaults():
    assert opt_mod.SGD().get_config()["learning_rate"] == 0.01
    adam = opt_mod.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert adam.get_config()["learning_rate"] == 0.001
    assert opt_mod.AdamW().weight_decay == 0.004
    rms = opt_mod.RMSprop()
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.9, 0.0, 1e-7, False)
    ada = opt_mod.Adagrad()
    assert (ada.initial_accumulator_value, ada.epsilon) == (0.1, 1e-7)
    assert [opt_mod.get(n).name for n in ("sgd", "adam", "adamw", "rmsprop", "adagrad")] == \
        ["SGD", "adam", "adamw", "rmsprop", "adagrad"]


def test_nesterov_without_momentum_is_plain_sgd():
    # Keras accepts nesterov=True with momentum 0; it then does plain gradient descent.
    w = lm.Variable(np.array([1.0]))
    opt_mod.SGD(0.5, nesterov=True).apply([lm.tensor(np.array([1.0]))], [w])
    np.testing.assert_allclose(w.numpy(), [0.5])


# ---- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make,error,match", [
    (lambda: opt_mod.SGD(learning_rate=-0.1), ValueError, "learning_rate"),
    (lambda: opt_mod.SGD(learning_rate="fast"), TypeError, "learning_rate"),
    (lambda: opt_mod.SGD(momentum=1.5), ValueError, "momentum"),
    (lambda: opt_mod.SGD(momentum=-0.1), ValueError, "momentum"),
    (lambda: opt_mod.Adam(beta_1=1.0), ValueError, "beta_1"),
    (lambda: opt_mod.Adam(beta_2=-0.5), ValueError, "beta_2"),
    (lambda: opt_mod.Adam(epsilon=-1.0), ValueError, "epsilon"),
    (lambda: opt_mod.RMSprop(rho=2.0), ValueError, "rho"),
    (lambda: opt_mod.Adagrad(initial_accumulator_value=-1.0), ValueError, "initial_acc"),
    (lambda: opt_mod.AdamW(weight_decay=None), ValueError, "weight_decay"),
    (lambda: opt_mod.SGD(clipnorm=1.0, clipvalue=1.0), ValueError, "Only one|only one"),
    (lambda: opt_mod.SGD(clipnorm=-1.0), ValueError, "clipnorm"),
    (lambda: opt_mod.SGD(lr=0.1), ValueError, "not recognized"),
    (lambda: opt_mod.get("nadam_typo"), ValueError, "Unknown optimizer"),
    (lambda: opt_mod.get(3), ValueError, "Could not interpret"),
])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_apply_inputs():
    opt = opt_mod.SGD()
    w = lm.Variable(np.ones(2))
    with pytest.raises(TypeError, match="lm.Variable"):
        opt.apply([lm.tensor(np.ones(2))], [lm.tensor(np.ones(2))])
    with pytest.raises(TypeError, match="floating-point"):
        opt.apply([lm.tensor(np.ones(2))], [lm.Variable(np.ones(2, dtype=np.int32))])
    with pytest.raises(ValueError, match="one gradient per variable"):
        opt.apply([lm.tensor(np.ones(2)), lm.tensor(np.ones(2))], [w])
    with pytest.raises(TypeError, match="pairs"):
        opt.apply_gradients([lm.tensor(np.ones(2))])
    with pytest.raises(TypeError, match="callable"):
        opt.minimize(3.0, [w])


def test_no_warnings_on_the_happy_path():
    w = lm.Variable(np.ones(3, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = opt_mod.Adam(global_clipnorm=1.0)
        for _ in range(3):
            opt.minimize(lambda: lm.sum(lm.square(w)), [w])


# ---- a whole train step traced by lm.function ------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: opt_mod.Adam(0.1, amsgrad=True, weight_decay=0.01, clipnorm=1.0),
    lambda: opt_mod.SGD(0.1, momentum=0.9, nesterov=True, global_clipnorm=0.5),
    lambda: opt_mod.RMSprop(0.1, centered=True, momentum=0.3),
    lambda: opt_mod.Adagrad(0.1, clipvalue=0.2),
    lambda: opt_mod.SGD(schedules.CosineDecay(0.1, 3, warmup_target=0.3, warmup_steps=2)),
], ids=["adam", "sgd", "rmsprop", "adagrad", "schedule"])
def test_traced_train_step_matches_eager(make):
    rng = np.random.RandomState(0)
    x, y = lm.tensor(rng.randn(8, 3)), lm.tensor(rng.randn(8, 2))

    def run(compiled):
        variables = [lm.Variable(np.full((3, 2), 0.1)), lm.Variable(np.zeros(2))]
        opt = make()

        def step(x, y):
            with lm.GradientTape() as tape:
                loss = lm.mean(lm.square(x @ variables[0] + variables[1] - y))
            opt.apply(tape.gradient(loss, variables), variables)
            return loss

        fn = lm.function(step) if compiled else step
        for _ in range(5):
            fn(x, y)
        return [v.numpy() for v in variables], int(opt.iterations.numpy())

    (eager, eager_steps), (traced, traced_steps) = run(False), run(True)
    assert eager_steps == traced_steps == 5
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(b, a, rtol=1e-10)
