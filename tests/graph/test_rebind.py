"""graph/rebind.py and Trainer.export_plans / import_plans: a model's compiled training step
moved onto another model built alike runs on that model's variables, with the numbers the
other model's own trace gives, and refuses what it cannot move."""
import numpy as np
import pytest

import lamina as lm
from lamina.graph import rebind

RNG = np.random.default_rng(0)
X = RNG.standard_normal((50, 6)).astype(np.float32)
Y = RNG.integers(0, 3, 50).astype(np.int32)


def make_model(seed=1, units=8, dropout=False, metrics=None):
    lm.utils.set_random_seed(seed)
    layers = [lm.Input(shape=(6,)), lm.layers.Dense(units, activation="relu",
                                                    kernel_regularizer="l2")]
    if dropout:
        layers.append(lm.layers.Dropout(0.5))
    layers.append(lm.layers.Dense(3))
    model = lm.Sequential(layers)
    model.compile(optimizer=lm.optimizers.Adam(0.01),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=metrics)
    return model


def fit(model, epochs=3):
    return model.fit(X, Y, batch_size=16, epochs=epochs, shuffle=False, verbose=0)


def test_a_moved_step_trains_the_other_model_as_its_own_trace_does():
    source = make_model(seed=5)
    fit(source, epochs=1)                 # batches of 16 and a last one of 2: two plans
    templates = source._trainer.export_plans()
    assert set(templates) == {"train"} and len(templates["train"].programs) == 2
    before = source.get_weights()

    moved, traced = make_model(), make_model()
    assert moved._trainer.import_plans(templates)
    history = fit(moved)
    reference = fit(traced)

    train = moved._trainer._functions["train"]
    assert train.experimental_get_tracing_count() == 0
    assert len(train._cache) == 2
    for got, want in zip(moved.get_weights(), traced.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert history.history["loss"] == reference.history["loss"]
    # the source model's variables and optimizer state are untouched by the moved steps
    for got, want in zip(source.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    assert int(source.optimizer.iterations.numpy()) == 4
    assert int(moved.optimizer.iterations.numpy()) == 12


def test_import_refuses_a_model_of_another_make():
    source = make_model()
    fit(source, epochs=1)
    templates = source._trainer.export_plans()
    wider = make_model(units=9)
    assert not wider._trainer.import_plans(templates)
    assert wider._trainer._functions == {}
    fit(wider, epochs=1)                  # traces its own step
    assert wider._trainer._functions["train"].experimental_get_tracing_count() == 2


def test_export_refuses_programs_naming_objects_it_cannot_replace():
    """Dropout draws from a random generator, an object no list names: not exported."""
    source = make_model(dropout=True)
    fit(source, epochs=1)
    assert source._trainer.export_plans() is None
    plain = make_model()
    fit(plain, epochs=1)
    objects = plain._trainer.state_objects()
    train = plain._trainer._functions["train"]
    assert train.export_plans(objects) is not None
    assert train.export_plans(objects[:-1]) is None        # a variable left out
    assert train.export_plans([]) is None


def test_state_objects_pair_each_variable_with_its_slots_by_name():
    model = make_model(metrics=["accuracy"])
    fit(model, epochs=1)
    objects = model._trainer.state_objects()
    opt = model.optimizer
    kernel = model.layers[0].kernel
    at = next(i for i, o in enumerate(objects) if o is kernel)
    assert objects[:3] == [opt, opt.iterations, opt._learning_rate]
    assert objects[at + 1:at + 3] == [opt.get_slot(kernel, "m"), opt.get_slot(kernel, "v")]
    metric_vars = [v for m in model._trainer.metric_objects() for v in m.variables]
    assert objects[-len(metric_vars):] == metric_vars


def test_attach_checks_count_types_shapes_and_placement():
    model = make_model()
    fit(model, epochs=1)
    objects = model._trainer.state_objects()
    template = model._trainer._functions["train"].export_plans(objects)
    assert rebind.attach_matches(template, objects)
    assert not rebind.attach_matches(template, objects[:-1])
    swapped = [objects[1], objects[0], *objects[2:]]
    assert not rebind.attach_matches(template, swapped)
    reshaped = [lm.Variable(np.zeros((1,) + tuple(o.shape), o.dtype.np))
                if isinstance(o, lm.Variable) else o for o in objects]
    assert not rebind.attach_matches(template, reshaped)
    assert rebind.attach(template, reshaped) is None


def test_detached_constants_are_copies():
    model = make_model()
    fit(model, epochs=1)
    objects = model._trainer.state_objects()
    train = model._trainer._functions["train"]
    template = train.export_plans(objects)
    for key, program in template.programs.items():
        source = train._cache[key].plan.program
        for old, new in zip(source.nodes, program.nodes):
            if old.op == "Const":
                assert new.attrs["value"] is not old.attrs["value"]
                np.testing.assert_array_equal(new.attrs["value"], old.attrs["value"])


def test_plans_optimized_with_numba_kernels_are_not_taken_without_them(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setenv("LAMINA_NUMBA", "1")
    source = make_model()
    fit(source, epochs=1)
    templates = source._trainer.export_plans()
    monkeypatch.setenv("LAMINA_NUMBA", "0")
    target = make_model()
    assert not target._trainer.import_plans(templates)
    monkeypatch.setenv("LAMINA_NUMBA", "1")
    assert target._trainer.import_plans(templates)


def test_plain_values_and_what_is_not():
    rng = np.random.default_rng(0)
    for value in [1, 2.5, "SAME", None, np.float32(1), np.dtype("float32"), lm.float32,
                  np.add, len, np.empty, slice(1, None, 2)]:
        assert rebind.plain(value), value
    for value in [rng.random, [].append, lambda: 0, slice(0, rng), lm.tensor(1.0),
                  lm.Variable(1.0), object()]:
        assert not rebind.plain(value), value


def test_the_same_object_in_two_places_must_be_the_same_in_the_target():
    model = make_model()
    fit(model, epochs=1)
    objects = model._trainer.state_objects()
    template = model._trainer._functions["train"].export_plans(objects + [objects[3]])
    assert template is not None
    twin = make_model()
    twin._trainer.optimizer.build(twin.trainable_variables)
    others = twin._trainer.state_objects()
    assert rebind.attach_matches(template, others + [others[3]])
    look_alike = lm.Variable(others[3].numpy())          # same make, another object
    assert not rebind.attach_matches(template, others + [look_alike])


def test_imported_steps_compile_on_first_use():
    source = make_model()
    fit(source, epochs=1)
    target = make_model()
    assert target._trainer.import_plans(source._trainer.export_plans())
    concretes = list(target._trainer._functions["train"]._cache.values())
    assert all(c._plan is None for c in concretes)
    target.fit(X[:48], Y[:48], batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert [c._plan is not None for c in concretes] == [True, False]   # the 16-row one ran
    assert "def run(" in concretes[0].source
    # exported again, the never-compiled one goes along as its program
    assert len(target._trainer.export_plans()["train"].programs) == 2
