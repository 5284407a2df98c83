"""Model.fit / evaluate / predict behave as Keras users expect, checked on tiny models: what
History holds, how data is split, shuffled and weighted, what is printed, what the *_on_batch
methods return, the order of callback hooks, and the errors bad input gets."""
import re

import numpy as np
import pytest

import lamina as lm


# ---- helpers ------------------------------------------------------------------------------------
def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int32")


def classifier(lr=0.1, metrics=("accuracy",), optimizer=None, run_eagerly=False, seed=1):
    lm.utils.set_random_seed(seed)
    model = lm.Sequential([lm.Input((4,), name="features"),
                           lm.layers.Dense(8, activation="tanh"), lm.layers.Dense(2)],
                          name="clf")
    model.compile(optimizer=optimizer or lm.optimizers.SGD(lr),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=list(metrics), run_eagerly=run_eagerly)
    return model


def regressor(lr=0.05, seed=1):
    lm.utils.set_random_seed(seed)
    model = lm.Sequential([lm.Input((4,)), lm.layers.Dense(1)], name="reg")
    model.compile(optimizer=lm.optimizers.SGD(lr), loss="mse")
    return model


def two_outputs():
    inputs = lm.Input((4,), name="x")
    hidden = lm.layers.Dense(5, activation="relu", name="hidden")(inputs)
    a = lm.layers.Dense(2, name="a")(hidden)
    b = lm.layers.Dense(1, name="b")(hidden)
    model = lm.Model(inputs, [a, b], name="two")
    model.compile("sgd", loss=[lm.losses.SparseCategoricalCrossentropy(from_logits=True),
                               "mse"], metrics=[["accuracy"], []])
    return model


def same_weights(a, b, **tol):
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, **tol)


# ---- History ----------------------------------------------------------------------------------
def test_history_holds_loss_metrics_and_val_prefixed_values():
    x, y = data()
    model = classifier()
    history = model.fit(x, y, epochs=3, verbose=0, validation_data=(x[:10], y[:10]))
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 3 for v in history.history.values())
    assert all(isinstance(v, float) for vs in history.history.values() for v in vs)
    assert history.epoch == [0, 1, 2] and model.history is history
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_history_without_metrics_or_validation_has_only_loss():
    x, y = data()
    history = classifier(metrics=()).fit(x, y, epochs=2, verbose=0)
    assert list(history.history) == ["loss"]


def test_validation_split_holds_out_the_last_samples():
    x, _ = data(40)
    y = x.sum(axis=1, keepdims=True)
    y[30:] = 1000.0  # if the held-out tail leaked into training, the loss would explode
    model = regressor()
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
    assert max(history.history["loss"]) < 100 < min(history.history["val_loss"])
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x[30:], y[30:]),
                                                            rel=1e-6)


def test_validation_data_with_sample_weights():
    x, y = data()
    model = classifier()
    weights = np.where(y[:20] == 1, 2.0, 0.0).astype("float32")
    history = model.fit(x, y, epochs=1, verbose=0,
                        validation_data=(x[:20], y[:20], weights))
    expected = model.evaluate(x[:20], y[:20], sample_weight=weights, return_dict=True)
    assert history.history["val_loss"][0] == pytest.approx(expected["loss"], rel=1e-6)


def test_bad_validation_arguments():
    x, y = data()
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        classifier().fit(x, y, verbose=0, validation_data=x)
    with pytest.raises(ValueError, match="validation_split must be in"):
        classifier().fit(x, y, verbose=0, validation_split=1.5)


# ---- shuffling, weighting, epochs and steps -----------------------------------------------------
class Spy(lm.Model):
    """Records the first feature of every training batch (it runs eagerly)."""

    def __init__(self):
        super().__init__(name="spy")
        self.dense = lm.layers.Dense(1)
        self.seen = []

    def call(self, x, training=None):
        if training:
            self.seen.append(x.numpy()[:, 0].tolist())
        return self.dense(x)


def batch_order(shuffle):
    x = np.arange(12, dtype="float32").reshape(12, 1) * np.ones((1, 4), "float32")
    model = Spy()
    model.compile("sgd", "mse", run_eagerly=True)
    model.fit(x, np.zeros((12, 1), "float32"), batch_size=5, epochs=2, verbose=0,
              shuffle=shuffle)
    return model.seen


def test_without_shuffle_batches_follow_the_data_order():
    assert batch_order(False) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]] * 2


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    seen = batch_order(True)
    first, second = sum(seen[:3], []), sum(seen[3:], [])
    assert sorted(first) == sorted(second) == list(range(12))
    assert first != list(range(12)) and first != second


@pytest.mark.parametrize("gather_bytes", [1, 300, 1 << 22])
@pytest.mark.parametrize("limit", [None, 2])
def test_epoch_batches_give_the_rows_of_the_shuffled_indices(gather_bytes, limit, monkeypatch):
    """training.data.epoch_batches gathers shuffled rows a chunk of batches at a time (one
    batch, two (the last chunk short), or the whole epoch per chunk here): the same rows, in
    the same order and from the same draws of the generator, as indexing every batch on its
    own (``take`` gathers with np.take); structures and None parts too."""
    from lamina.training import data as D
    monkeypatch.setattr(D, "GATHER_BYTES", gather_bytes)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((23, 3)).astype(np.float32)
    parts = [x, {"a": np.arange(23), "b": x[:, :1] * 2}, None]
    for shuffle in (True, False):
        reference = np.random.default_rng(9)
        order = reference.permutation(23) if shuffle else np.arange(23)
        indices = [order[i:i + 5] for i in range(0, 23, 5)][:limit]
        expected = [(x[ix], {"a": parts[1]["a"][ix], "b": parts[1]["b"][ix]}, None)
                    for ix in indices]             # plain NumPy indexing
        rng = np.random.default_rng(9)
        got = list(D.epoch_batches(parts, 23, 5, shuffle, rng, limit))
        assert len(got) == len(expected) == (limit or 5)
        for (gx, gd, gn), (ex, ed, en) in zip(got, expected):
            np.testing.assert_array_equal(gx, ex)
            np.testing.assert_array_equal(gd["a"], ed["a"])
            np.testing.assert_array_equal(gd["b"], ed["b"])
            assert gn is None and en is None and gx.flags.c_contiguous
        assert rng.random() == reference.random()      # the same draws from the generator


def test_class_weight_scales_each_sample_like_sample_weight():
    x, y = data()
    plain = classifier(lr=0.0).fit(x, y, verbose=0, shuffle=False).history["loss"][0]
    doubled = classifier(lr=0.0).fit(x, y, verbose=0, shuffle=False,
                                     class_weight={0: 2.0, 1: 2.0}).history["loss"][0]
    assert doubled == pytest.approx(2 * plain, rel=1e-6)
    by_class = classifier(lr=0.0).fit(x, y, verbose=0, shuffle=False,
                                      class_weight={0: 1.0, 1: 0.0}).history["loss"]
    by_sample = classifier(lr=0.0).fit(x, y, verbose=0, shuffle=False,
                                       sample_weight=(y == 0).astype("float32")
                                       ).history["loss"]
    assert by_class == pytest.approx(by_sample, rel=1e-6)
    assert 0 < by_class[0] < plain


def test_class_weight_applies_to_training_not_to_the_validation_split():
    x, y = data()
    model = classifier(lr=0.0)
    history = model.fit(x, y, verbose=0, validation_split=0.25, class_weight={0: 1.0, 1: 0.0})
    unweighted = model.evaluate(x[30:], y[30:], return_dict=True)["loss"]
    assert history.history["val_loss"][0] == pytest.approx(unweighted, rel=1e-6)


def test_class_weight_combines_with_column_sample_weights():
    x, y = data()
    both = classifier(lr=0.0).fit(x, y, verbose=0, shuffle=False, class_weight={0: 1, 1: 0},
                                  sample_weight=np.full((40, 1), 2.0, "float32"))
    alone = classifier(lr=0.0).fit(x, y, verbose=0, shuffle=False,
                                   sample_weight=2.0 * (y == 0).astype("float32"))
    assert both.history["loss"] == pytest.approx(alone.history["loss"], rel=1e-6)


def test_python_lists_of_samples_are_accepted():
    x, y = data()
    model = classifier(lr=0.0)
    expected = model.evaluate(x, y)
    assert model.evaluate(x.tolist(), y.tolist()) == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(model.predict(x.tolist()), model.predict(x), rtol=1e-6)
    model.fit(x.tolist(), y.tolist(), verbose=0)


def test_zero_sample_weights_leave_the_weights_unchanged():
    x, y = data()
    model = classifier(lr=0.5)
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0, sample_weight=np.zeros(40, "float32"))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_class_weight_must_cover_every_class():
    x, y = data()
    with pytest.raises(ValueError, match=r"no weight for class\(es\) \[1\]"):
        classifier().fit(x, y, verbose=0, class_weight={0: 1.0})


def test_initial_epoch_resumes_the_epoch_count(capsys):
    x, y = data()
    history = classifier().fit(x, y, epochs=5, initial_epoch=3, verbose=2)
    assert history.epoch == [3, 4] and len(history.history["loss"]) == 2
    out = capsys.readouterr().out
    assert "Epoch 4/5" in out and "Epoch 5/5" in out and "Epoch 3/5" not in out


def test_steps_per_epoch_limits_the_batches():
    x, y = data(40)
    model = classifier()
    model.fit(x, y, batch_size=10, epochs=3, steps_per_epoch=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 6


# ---- printed output ------------------------------------------------------------------------------
def test_verbose_0_prints_nothing(capsys):
    x, y = data()
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_1_draws_a_progress_bar(capsys):
    x, y = data(40)
    classifier().fit(x, y, batch_size=10, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 2
    assert re.search(r"4/4 \[=+\] - .* - loss: \d\.\d{4} - accuracy: \d\.\d{4}", out)
    assert "\r" in out


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = data(40)
    classifier().fit(x, y, batch_size=10, epochs=3, verbose=2, validation_split=0.5)
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines[::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    for line in lines[1::2]:
        assert re.match(r"2/2 - \S+ - loss: .* - accuracy: .* - val_loss: .* - val_accuracy: ",
                        line)
        assert "[" not in line and "\r" not in line


def test_evaluate_verbose_1_prints_a_bar(capsys):
    x, y = data(40)
    classifier().evaluate(x, y, batch_size=10, verbose=1)
    assert re.search(r"4/4 \[=+\] - .* - loss: ", capsys.readouterr().out)


# ---- eager and compiled training agree ----------------------------------------------------------
def test_run_eagerly_gives_the_same_weights_as_the_compiled_step():
    x, y = data(48)
    models = []
    for eager in (False, True):
        model = classifier(optimizer=lm.optimizers.Adam(0.01), run_eagerly=eager)
        lm.utils.set_random_seed(7)  # the same shuffling for both
        model.fit(x, y, batch_size=16, epochs=4, verbose=0)
        models.append(model)
    same_weights(*models, rtol=1e-5, atol=1e-6)
    assert models[0]._trainer._functions["train"] is not models[0]._trainer.train_step
    assert models[1]._trainer._functions["train"] == models[1]._trainer.train_step


# ---- return formats -----------------------------------------------------------------------------
def test_on_batch_return_formats():
    x, y = data(8)
    model = classifier()
    loss, acc = model.train_on_batch(x, y)
    assert isinstance(loss, float) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] and logs["loss"] < loss
    assert isinstance(classifier(metrics=()).train_on_batch(x, y), float)
    assert isinstance(classifier(metrics=()).test_on_batch(x, y), float)
    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray) and out.shape == (8, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out, model.predict(x), rtol=1e-6)


def test_predict_on_batch_checks_every_call_one_sample_at_a_time():
    """Calls with an array of the shape last checked skip the structure checks, not the
    finiteness check; another shape or dtype is checked again in full."""
    x, _ = data(8)
    model = classifier()
    x = x.astype(np.float32)
    first = model.predict_on_batch(x[:1])
    for row in x[:3]:
        np.testing.assert_allclose(model.predict_on_batch(row[None]), model.predict(row[None]),
                                   rtol=1e-6)
    np.testing.assert_array_equal(model.predict_on_batch(x[:1]), first)
    bad = x[:1].copy()
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match=r"x contains NaN or infinite values \(the first at "
                                         r"index \(0, 1\)"):
        model.predict_on_batch(bad)
    with pytest.raises(ValueError, match="expected shape"):
        model.predict_on_batch(x[:1, :-1])
    np.testing.assert_allclose(model.predict_on_batch(x[:1].astype(np.float64)), first,
                               rtol=1e-6)


def test_input_shape_check_passed_once_never_hides_a_mismatch():
    """_check_input_shapes passes again a plain array of the shape it last passed for the same
    input (any dtype: it reads the shape alone); anything else is checked again, from
    predict_on_batch as from fit, evaluate and predict."""
    x, y = data(8)
    model = classifier()
    model.predict_on_batch(x[:1])
    trainer = model._trainer
    assert trainer._checked_input == ((1, 4), model.inputs[0])
    trainer._check_input_shapes(np.zeros((1, 4), np.int32))
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\), received data of shape "
                                         r"\(1, 3\)"):
        model.predict(x[:1, :-1])
    with pytest.raises(ValueError, match=r"received data of shape \(8, 3\)"):
        model.evaluate(x[:, :-1], y)
    with pytest.raises(ValueError, match=r"received data of shape \(2, 1, 4\)"):
        model.predict_on_batch([x[:1], x[:1]])
    with pytest.raises(ValueError, match=r"received data of shape \(4,\)"):
        model.predict_on_batch(x[0])
    with pytest.raises(ValueError, match="Expected at least one sample"):
        model.predict_on_batch(x[:0])
    with pytest.raises(ValueError, match="Expected at least one sample"):
        model.predict_on_batch(x[:0])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert trainer._checked_input == ((8, 4), model.inputs[0])
    model.predict_on_batch(x[:1])
    assert trainer._checked_input == ((1, 4), model.inputs[0])
    other = classifier()
    other._trainer._checked_input = ((1, 5), model.inputs[0])   # another model's input
    with pytest.raises(ValueError, match=r"received data of shape \(1, 5\)"):
        other._trainer._check_input_shapes(np.zeros((1, 5), np.float32))


def test_train_on_batch_reports_the_loss_before_the_update():
    x, y = data(8)
    model = classifier()
    before = model.test_on_batch(x, y)[0]
    assert model.train_on_batch(x, y)[0] == pytest.approx(before, rel=1e-6)


def test_evaluate_return_formats():
    x, y = data()
    model = classifier()
    loss, acc = model.evaluate(x, y)
    assert model.evaluate(x, y, return_dict=True) == {"loss": loss, "accuracy": acc}
    assert isinstance(classifier(metrics=()).evaluate(x, y), float)
    # batches are weighted by their size: the result does not depend on batch_size
    assert model.evaluate(x, y, batch_size=7)[0] == pytest.approx(loss, rel=1e-5)


def test_several_outputs_predict_and_evaluate():
    x, y = data(10)
    model = two_outputs()
    a, b = model.predict(x, batch_size=3)
    assert a.shape == (10, 2) and b.shape == (10, 1)
    np.testing.assert_allclose(a, model.predict_on_batch(x)[0], rtol=1e-6)
    target = x[:, :1]
    logs = model.evaluate(x, [y, target], return_dict=True)
    assert list(logs) == ["loss", "a_loss", "b_loss", "a_accuracy"]
    assert logs["loss"] == pytest.approx(logs["a_loss"] + logs["b_loss"], rel=1e-5)
    history = model.fit(x, [y, target], epochs=1, verbose=0, validation_split=0.2)
    assert "val_b_loss" in history.history


def test_predict_returns_float32_numpy_without_compile():
    lm.utils.set_random_seed(0)
    model = lm.Sequential([lm.Input((4,)), lm.layers.Dense(3)])
    out = model.predict(data(5)[0])
    assert isinstance(out, np.ndarray) and out.shape == (5, 3) and out.dtype == np.float32


# ---- callbacks: hook order and stop_training ----------------------------------------------------
class HookRecorder(lm.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name.startswith("on_"):
            def record(*args, logs=None):
                self.events.append((name, *args))
                return attr(*args, logs=logs)
            return record
        return attr

    def uses(self, hook):
        return True


def test_callback_hooks_run_in_keras_order():
    x, y = data(20)
    rec = HookRecorder()
    classifier().fit(x, y, batch_size=10, epochs=2, verbose=0, validation_split=0.5,
                     callbacks=[rec])
    epoch = [("on_train_batch_begin", 0), ("on_train_batch_end", 0),
             ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
             ("on_test_end",)]
    assert rec.events == [("on_train_begin",),
                          ("on_epoch_begin", 0), *epoch, ("on_epoch_end", 0),
                          ("on_epoch_begin", 1), *epoch, ("on_epoch_end", 1),
                          ("on_train_end",)]
    assert rec.params["epochs"] == 2 and rec.params["steps"] == 1


def test_evaluate_and_predict_call_their_hooks():
    x, y = data(20)
    model = classifier()
    rec = HookRecorder()
    model.evaluate(x, y, batch_size=10, callbacks=[rec])
    model.predict(x, batch_size=10, callbacks=[rec])
    assert [e[0] for e in rec.events] == [
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_batch_begin",
        "on_test_batch_end", "on_test_end", "on_predict_begin", "on_predict_batch_begin",
        "on_predict_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
        "on_predict_end"]


def test_a_single_callback_need_not_be_in_a_list():
    x, y = data()
    rec = HookRecorder()
    classifier().fit(x, y, epochs=1, verbose=0, callbacks=rec)
    assert rec.events[0] == ("on_train_begin",)
    with pytest.raises(TypeError, match="list of lm.callbacks.Callback instances, received "
                                        "function"):
        classifier().fit(x, y, verbose=0, callbacks=[lambda logs: None])


def test_epoch_end_logs_reach_history_after_user_callbacks_add_to_them():
    x, y = data()
    tag = lm.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: logs.update(extra=e * 1.0))
    history = classifier().fit(x, y, epochs=2, verbose=0, callbacks=[tag])
    assert history.history["extra"] == [0.0, 1.0]


def test_stop_training_in_a_batch_ends_the_epoch_and_the_training():
    x, y = data(40)
    batches = []

    def stop(batch, logs):
        batches.append(batch)
        if batch == 1:
            model.stop_training = True

    model = classifier()
    history = model.fit(x, y, batch_size=10, epochs=5, verbose=0,
                        callbacks=[lm.callbacks.LambdaCallback(on_batch_end=stop)])
    assert batches == [0, 1] and len(history.history["loss"]) == 1
    assert int(model.optimizer.iterations.numpy()) == 2


def test_stop_training_at_an_epoch_end():
    x, y = data()
    model = classifier()

    def stop(epoch, logs):
        model.stop_training = epoch == 1

    history = model.fit(x, y, epochs=5, verbose=0,
                        callbacks=[lm.callbacks.LambdaCallback(on_epoch_end=stop)])
    assert history.epoch == [0, 1]
    # the next fit starts afresh
    assert len(model.fit(x, y, epochs=1, verbose=0).history["loss"]) == 1


# ---- bad input ----------------------------------------------------------------------------------
def test_wrong_feature_count_names_the_input_and_the_shapes():
    x, y = data()
    model = classifier()
    expected = r"Input 'features' of model 'clf' .* expected shape \(None, 4\), received .*" \
               r"\(40, 5\)"
    with pytest.raises(ValueError, match=expected):
        model.fit(np.ones((40, 5), "float32"), y, verbose=0)
    with pytest.raises(ValueError, match=expected):
        model.predict(np.ones((40, 5), "float32"))
    with pytest.raises(ValueError, match=expected):
        model.evaluate(np.ones((40, 5), "float32"), y)


def test_a_model_whose_one_input_is_declared_in_a_dict_takes_a_dict_or_an_array():
    inputs = lm.Input(shape=(3,), name="only")
    model = lm.Model({"only": inputs}, lm.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(model.predict({"only": x}, verbose=0),
                                  model.predict(x, verbose=0))
    model.fit({"only": x}, np.ones((4, 2), np.float32), verbose=0)
    with pytest.raises(ValueError, match=r"no data for input\(s\) \['only'\]; received keys "
                                         r"\['other'\]"):
        model.predict({"other": x})
    with pytest.raises(ValueError, match=r"Input 'only' .* received data of shape \(4, 5\)"):
        model.predict({"only": np.ones((4, 5), np.float32)})


def test_inputs_declared_in_a_dict_take_their_data_by_key():
    """Several dict inputs: a key of the data that names no input is not fed to another one
    (pairing by sorted position would give c's data to b)."""
    a, b = lm.Input(shape=(2,), name="a"), lm.Input(shape=(2,), name="b")
    model = lm.Model({"a": a, "b": b}, lm.layers.Add()([a, b]))
    x = np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(model.predict({"b": x, "a": 2 * x}, verbose=0), 3 * x)
    with pytest.raises(ValueError, match=r"no data for input\(s\) \['b'\]; received keys "
                                         r"\['a', 'c'\]"):
        model.predict({"a": x, "c": x})


def test_one_hot_labels_with_sparse_loss_name_the_output_and_shapes():
    x, y = data()
    with pytest.raises(ValueError, match=r"Output 'output' of model 'clf'.*integer class "
                                         r"labels.*received labels of shape \(32, 2\).*"
                                         r"categorical_crossentropy"):
        classifier().fit(x, np.eye(2, dtype="float32")[y], verbose=0)


@pytest.mark.parametrize("shift", [5, -1])
def test_class_labels_out_of_range_name_the_output_and_the_classes(shift):
    x, y = data()
    with pytest.raises(ValueError, match=r"Output 'output' of model 'clf' has 2 classes, so "
                                         r"sparse_categorical_crossentropy expects labels in "
                                         r"\[0, 1\], received labels from"):
        classifier().fit(x, y + shift, verbose=0)


def test_ignore_class_labels_may_lie_outside_the_classes():
    x, y = data()
    model = classifier(metrics=())
    model.compile("sgd", lm.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                 ignore_class=-1))
    labels = np.where(np.arange(40) % 4 == 0, -1, y)
    assert np.isfinite(model.fit(x, labels, verbose=0).history["loss"][0])


@pytest.mark.parametrize("where", ["x", "y"])
def test_nan_in_data_is_rejected_with_its_position(where):
    x, y = data()
    y = y.astype("float32")
    (x if where == "x" else y)[3] = np.nan
    with pytest.raises(ValueError, match=rf"^{where} contains NaN or infinite values \(the "
                                         r"first at index \(3"):
        classifier().fit(x, y, verbose=0)


def test_empty_arrays_are_rejected():
    model = classifier()
    with pytest.raises(ValueError, match=r"at least one sample.*\(0, 4\)"):
        model.fit(np.zeros((0, 4), "float32"), np.zeros(0, "int32"), verbose=0)
    with pytest.raises(ValueError, match=r"at least one sample.*\(0, 4\)"):
        model.predict(np.zeros((0, 4), "float32"))


def test_mismatched_sample_counts_name_both_sizes():
    x, y = data()
    with pytest.raises(ValueError, match=r"x sizes: \[40\], y sizes: \[30\]"):
        classifier().fit(x, y[:30], verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight sizes: \[3\]"):
        classifier().fit(x, y, sample_weight=np.ones(3), verbose=0)


def test_fit_and_evaluate_before_compile():
    x, y = data()
    model = lm.Sequential([lm.Input((4,)), lm.layers.Dense(2)])
    with pytest.raises(RuntimeError, match=r"compile the model before training"):
        model.fit(x, y, verbose=0)
    with pytest.raises(RuntimeError, match=r"compile the model before evaluating"):
        model.evaluate(x, y)
    with pytest.raises(RuntimeError, match=r"compile the model before training"):
        model.train_on_batch(x, y)


def test_missing_targets_and_bad_arguments():
    x, y = data()
    model = classifier()
    with pytest.raises(ValueError, match="needs targets y"):
        model.fit(x, verbose=0)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
        model.fit(x, y, epochs=-1, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(TypeError, match="x must hold numbers"):
        model.predict(np.array([["a"] * 4]))
