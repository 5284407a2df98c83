"""Callbacks: Keras 3 behaviour of each built-in callback, argument checks, and the
TensorBoard event files (read back by a small independent reader, and by TensorBoard itself
when it is installed)."""
import csv
import glob
import json
import os
import struct
import warnings
import zlib

import numpy as np
import pytest

import lamina as lm
from lamina.callbacks import CallbackList
from lamina.utils import tensorboard as tb


# ---- helpers ------------------------------------------------------------------------------------
def make_model(lr=0.05, metrics=("accuracy",), optimizer=None):
    model = lm.Sequential([lm.Input((4,)), lm.layers.Dense(6, activation="relu"),
                           lm.layers.Dense(3)])
    model.compile(optimizer=optimizer or lm.optimizers.SGD(lr),
                  loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=list(metrics))
    return model


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int32") + (x[:, 1] > 1).astype("int32")


class FakeModel:
    """Stands in for a model where a test drives the hooks with chosen log values."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.metrics = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.asarray(w) for w in weights]


def drive(callback, values, key="val_loss", model=None):
    """Runs on_train_begin, then on_epoch_end with ``{key: value}`` per epoch (stopping as
    fit would); returns the number of epochs run."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin({})
    for epoch, value in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            return epoch + 1
    return len(values)


class Recorder(lm.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch", epoch, dict(logs)))


# ---- CallbackList and the lazy batch logs -------------------------------------------------------
def test_hooks_always_receive_a_dict():
    seen = []
    cb = lm.callbacks.LambdaCallback(on_train_begin=lambda logs: seen.append(logs))
    CallbackList([cb], None, {}).call("on_train_begin")
    assert seen == [{}]


def test_batch_logs_are_computed_only_for_callbacks_that_want_them():
    calls = []

    def logs():
        calls.append(1)
        return {"loss": 1.0}

    quiet = CallbackList([lm.callbacks.History()], None, {})
    quiet.batch("on_train_batch_end", 0, logs)
    assert calls == []
    rec = Recorder()
    CallbackList([rec], None, {}).batch("on_train_batch_end", 0, logs)
    assert calls == [1] and rec.calls == [("batch", 0, {"loss": 1.0})]


def test_callbacks_must_be_callback_instances():
    with pytest.raises(TypeError, match="Callback instances"):
        CallbackList([lambda: None], None, {})


# ---- EarlyStopping ------------------------------------------------------------------------------
def test_early_stopping_waits_patience_epochs_after_the_best():
    stop = lm.callbacks.EarlyStopping(patience=2)
    assert drive(stop, [1.0, 0.9, 0.95, 0.96, 0.97, 0.98]) == 4
    assert stop.stopped_epoch == 3 and stop.best == 0.9


def test_early_stopping_min_delta_and_max_mode():
    stop = lm.callbacks.EarlyStopping(min_delta=0.1, patience=2)
    assert drive(stop, [1.0, 0.95, 0.92, 0.5]) == 3  # 0.05 steps are no improvement
    acc = lm.callbacks.EarlyStopping(monitor="val_accuracy", patience=1)  # auto -> max
    assert drive(acc, [0.5, 0.6, 0.55, 0.7], key="val_accuracy") == 3
    forced = lm.callbacks.EarlyStopping(monitor="score_like", mode="min", patience=0)
    assert drive(forced, [3.0, 2.0, 2.5], key="score_like") == 3


def test_early_stopping_baseline_and_start_from_epoch():
    # The first epoch sets the best but, missing the baseline, does not restart the wait.
    values = [0.9, 0.95, 0.92, 0.93, 0.94]
    assert drive(lm.callbacks.EarlyStopping(patience=2, baseline=0.5), values) == 2
    assert drive(lm.callbacks.EarlyStopping(patience=2), values) == 3
    warm = lm.callbacks.EarlyStopping(patience=0, start_from_epoch=3)
    assert drive(warm, [1.0, 2.0, 3.0, 4.0, 5.0]) == 5  # epochs 0-2 are not watched


def test_early_stopping_restores_the_best_weights():
    model = FakeModel()
    stop = lm.callbacks.EarlyStopping(patience=1, restore_best_weights=True)
    drive(stop, [1.0, 0.5, 0.8, 0.9], model=model)
    stop.on_train_end({})
    assert stop.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_early_stopping_in_fit_with_restore_best_weights():
    x, y = data()
    model = make_model(lr=0.0)  # a constant loss: no epoch improves on the first
    snapshots = []
    record = lm.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
    stop = lm.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=10, shuffle=False, verbose=0, callbacks=[record, stop])
    assert len(history.history["loss"]) == 3
    for a, b in zip(model.get_weights(), snapshots[0]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_verbose_messages(capsys):
    stop = lm.callbacks.EarlyStopping(patience=0, verbose=1, restore_best_weights=True)
    drive(stop, [1.0, 2.0])
    stop.on_train_end({})
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 1." in out


@pytest.mark.parametrize("kwargs, match", [
    ({"mode": "maximum"}, "`mode` must be one of 'auto', 'min', 'max'"),
    ({"patience": -1}, "`patience` must be an integer >= 0, received patience=-1"),
    ({"patience": 1.5}, "`patience` must be an integer"),
    ({"start_from_epoch": -2}, "start_from_epoch"),
    ({"min_delta": "big"}, "`min_delta` must be a finite number"),
    ({"baseline": float("nan")}, "`baseline` must be a finite number"),
    ({"monitor": ""}, "`monitor` must be the name"),
])
def test_early_stopping_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lm.callbacks.EarlyStopping(**kwargs)


def test_a_missing_monitor_warns_and_training_goes_on():
    x, y = data()
    stop = lm.callbacks.EarlyStopping(monitor="val_loss", patience=0)  # no validation data
    with pytest.warns(UserWarning, match="`val_loss`, which is not available. Available "
                                         "metrics are: loss, accuracy"):
        history = make_model().fit(x, y, epochs=3, verbose=0, callbacks=[stop])
    assert len(history.history["loss"]) == 3


def test_auto_mode_that_cannot_tell_the_direction_raises():
    stop = lm.callbacks.EarlyStopping(monitor="val_mystery")
    with pytest.raises(ValueError, match="Pass mode='max'"):
        drive(stop, [1.0], key="val_mystery")


def test_auto_mode_follows_a_metric_direction_attribute():
    model = FakeModel()
    metric = lm.metrics.Mean("mystery")
    metric._direction = "up"
    model.metrics = [metric]
    stop = lm.callbacks.EarlyStopping(monitor="val_mystery", patience=0)
    assert drive(stop, [1.0, 2.0, 3.0, 2.0], key="val_mystery", model=model) == 4


# ---- ModelCheckpoint ----------------------------------------------------------------------------
class SaveRecorder(FakeModel):
    def __init__(self):
        super().__init__()
        self.saved = []

    def save(self, path, overwrite=True):
        self.saved.append(("model", path))

    def save_weights(self, path, overwrite=True):
        self.saved.append(("weights", path))


def test_checkpoint_formats_the_path_from_epoch_and_logs(tmp_path):
    model = SaveRecorder()
    ckpt = lm.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.lamina"))
    drive(ckpt, [0.5, 0.25], model=model)
    assert model.saved == [("model", str(tmp_path / "m-01-0.50.lamina")),
                           ("model", str(tmp_path / "m-02-0.25.lamina"))]


def test_checkpoint_save_best_only_and_initial_threshold(tmp_path, capsys):
    model = SaveRecorder()
    ckpt = lm.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.weights.safetensors"),
                                        save_best_only=True, verbose=1,
                                        initial_value_threshold=0.9)
    drive(ckpt, [1.0, 0.8, 0.85, 0.7], model=model)
    assert [p for _, p in model.saved] == [str(tmp_path / "e2.weights.safetensors"),
                                           str(tmp_path / "e4.weights.safetensors")]
    assert {kind for kind, _ in model.saved} == {"weights"}
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss did not improve from 0.90000" in out
    assert "Epoch 2: val_loss improved from 0.90000 to 0.80000, saving model to" in out


def test_checkpoint_max_mode_for_accuracy(tmp_path):
    model = SaveRecorder()
    ckpt = lm.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.lamina"),
                                        monitor="val_accuracy", save_best_only=True)
    drive(ckpt, [0.5, 0.7, 0.6, 0.9], key="val_accuracy", model=model)
    assert [os.path.basename(p) for _, p in model.saved] == ["e1.lamina", "e2.lamina",
                                                             "e4.lamina"]


def test_checkpoint_saves_anyway_when_the_monitor_is_missing(tmp_path):
    model = SaveRecorder()
    ckpt = lm.callbacks.ModelCheckpoint(str(tmp_path / "m.lamina"), save_best_only=True)
    with pytest.warns(UserWarning, match="Saving the model anyway"):
        drive(ckpt, [0.5], key="loss", model=model)
    assert len(model.saved) == 1


def test_checkpoint_missing_format_field_names_it(tmp_path):
    ckpt = lm.callbacks.ModelCheckpoint(str(tmp_path / "m-{val_acc:.2f}.lamina"))
    with pytest.raises(KeyError, match="field 'val_acc' is not in the logs"):
        drive(ckpt, [0.5], model=SaveRecorder())


def test_checkpoint_every_n_batches_in_fit(tmp_path, monkeypatch):
    x, y = data(40)
    model = make_model()
    saved = []
    monkeypatch.setattr(model, "save_weights", lambda p, overwrite=True: saved.append(p))
    ckpt = lm.callbacks.ModelCheckpoint(
        str(tmp_path / "e{epoch}-b{batch}-{loss:.1f}.safetensors"), save_freq=3)
    model.fit(x, y, batch_size=10, epochs=2, verbose=0, callbacks=[ckpt])  # 8 batches
    assert [os.path.basename(p)[:5] for p in saved] == ["e1-b3", "e2-b2"]


@pytest.mark.parametrize("kwargs, match", [
    ({"filepath": "m.h5"}, "must end in '.lamina'"),
    ({"filepath": "m.lamina", "save_weights_only": True}, "must end in '.weights.safetensors'"),
    ({"filepath": "m.lamina", "save_freq": "batch"}, "`save_freq` must be an integer >= 1"),
    ({"filepath": "m.lamina", "save_freq": 0}, "`save_freq` must be an integer >= 1"),
    ({"filepath": "m.lamina", "mode": "up"}, "`mode` must be one of"),
])
def test_checkpoint_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lm.callbacks.ModelCheckpoint(**kwargs)


def test_checkpoint_filepath_that_is_a_directory(tmp_path):
    model = SaveRecorder()
    (tmp_path / "d.lamina").mkdir()
    ckpt = lm.callbacks.ModelCheckpoint(str(tmp_path / "d.lamina"))
    with pytest.raises(IsADirectoryError, match="existing directory"):
        drive(ckpt, [1.0], model=model)


def test_checkpoint_writes_real_files_that_load_back(tmp_path):
    x, y = data()
    model = make_model()
    path = str(tmp_path / "ckpt" / "best.lamina")
    weights = str(tmp_path / "w-{epoch}.weights.safetensors")
    model.fit(x, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[
        lm.callbacks.ModelCheckpoint(path, save_best_only=True),
        lm.callbacks.ModelCheckpoint(weights, save_weights_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["ckpt", "w-1.weights.safetensors",
                                            "w-2.weights.safetensors",
                                            "w-3.weights.safetensors"]
    loaded = lm.models.load_model(path)
    fresh = make_model()
    fresh.load_weights(str(tmp_path / "w-3.weights.safetensors"))
    np.testing.assert_allclose(fresh.predict(x), model.predict(x), rtol=1e-6)
    assert loaded.predict(x).shape == (40, 3)


# ---- ReduceLROnPlateau and LearningRateScheduler ------------------------------------------------
def kernel_snapshots(model):
    """A list that a callback fills with the first kernel at every epoch end."""
    snapshots = []
    record = lm.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()[0].copy()))
    return snapshots, record


def lr_of(model):
    return float(model.optimizer.learning_rate)


def test_reduce_lr_on_plateau_patience_cooldown_and_min_lr():
    model = make_model(lr=0.1)
    reduce = lm.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2,
                                            min_lr=0.03)
    reduce.set_model(model)
    reduce.on_train_begin({})
    rates = []
    for epoch in range(7):
        logs = {"loss": 1.0}
        reduce.on_epoch_end(epoch, logs)
        rates.append((logs["learning_rate"], lr_of(model)))
    # epoch 1 reduces; epoch 2 is in cooldown; epoch 3 reduces again, clipped to min_lr
    expected_after = [0.1, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03]
    np.testing.assert_allclose([after for _, after in rates], expected_after, rtol=1e-6)
    # logs record the rate the epoch trained with, before any reduction (as Keras does)
    np.testing.assert_allclose([before for before, _ in rates],
                               [0.1] + expected_after[:-1], rtol=1e-6)


def test_reduced_rate_reaches_the_compiled_train_step():
    x, y = data()
    model = make_model(lr=0.1)
    snapshots, record = kernel_snapshots(model)
    # min_delta so large that no epoch after the first improves: the rate drops to 0
    reduce = lm.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.0, patience=0,
                                            min_delta=100.0)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[reduce, record])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.0, 0.0])
    assert not np.array_equal(snapshots[0], snapshots[1])
    np.testing.assert_array_equal(snapshots[2], snapshots[3])
    assert model._trainer._functions["train"].experimental_get_tracing_count() == 2  # 32, 8


@pytest.mark.parametrize("kwargs, match", [
    ({"factor": 1.0}, "factor outside"),
    ({"factor": -0.5}, "factor outside"),
    ({"patience": -1}, "`patience` must be an integer >= 0"),
    ({"cooldown": -1}, "`cooldown`"),
    ({"min_lr": -1.0}, "`min_lr` must be >= 0"),
    ({"mode": "lower"}, "`mode` must be one of"),
])
def test_reduce_lr_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lm.callbacks.ReduceLROnPlateau(**kwargs)


def test_reduce_lr_defaults_to_min_for_unknown_names():
    model = make_model(lr=0.1)
    reduce = lm.callbacks.ReduceLROnPlateau(monitor="custom", patience=0)
    reduce.set_model(model)
    reduce.on_train_begin({})
    for epoch, value in enumerate([1.0, 2.0]):
        reduce.on_epoch_end(epoch, {"custom": value})
    assert lr_of(model) == pytest.approx(0.01)


def test_learning_rate_scheduler_sets_the_rate_each_epoch(capsys):
    x, y = data()
    model = make_model(lr=0.1)
    sched = lm.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[sched])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    # The rate is read back from a float32 variable, as in Keras.
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.0500000" in \
        capsys.readouterr().out


def test_learning_rate_scheduler_accepts_a_function_of_the_epoch_only():
    x, y = data()
    model = make_model(lr=0.1)
    snapshots, record = kernel_snapshots(model)
    sched = lm.callbacks.LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else 0.0)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[sched, record])
    assert lr_of(model) == 0.0
    np.testing.assert_array_equal(snapshots[1], snapshots[2])
    assert not np.array_equal(snapshots[1], make_model().get_weights()[0])


def test_learning_rate_scheduler_rejects_bad_schedules():
    with pytest.raises(TypeError, match="must be a function"):
        lm.callbacks.LearningRateScheduler(0.1)
    x, y = data()
    sched = lm.callbacks.LearningRateScheduler(lambda epoch, lr: "fast")
    with pytest.raises(ValueError, match="should be a float, received 'fast' at epoch 0"):
        make_model().fit(x, y, verbose=0, callbacks=[sched])


def test_rate_callbacks_need_a_settable_rate():
    schedule = lm.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    model = make_model(optimizer=lm.optimizers.SGD(schedule))
    sched = lm.callbacks.LearningRateScheduler(lambda epoch, lr: lr)
    x, y = data()
    with pytest.raises(TypeError, match="not settable"):
        model.fit(x, y, verbose=0, callbacks=[sched])


# ---- CSVLogger and TerminateOnNaN ---------------------------------------------------------------
def read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_a_row_per_epoch(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    history = make_model().fit(x, y, epochs=2, verbose=0, validation_split=0.25,
                               callbacks=[lm.callbacks.CSVLogger(path, separator=";")])
    rows = read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert [float(r[2]) for r in rows[1:]] == history.history["loss"]


def test_csv_logger_append_keeps_one_header_and_marks_missing_values(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    model = make_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[lm.callbacks.CSVLogger(path)])
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, validation_data=(x, y),
              validation_freq=2, callbacks=[lm.callbacks.CSVLogger(path, append=True)])
    rows = read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    assert rows[1][3:] == ["NA", "NA"] and rows[3][3:] == ["NA", "NA"]
    assert rows[4][3] != "NA"


def test_csv_logger_rejects_bad_arguments():
    with pytest.raises(ValueError, match="single character"):
        lm.callbacks.CSVLogger("log.csv", separator=", ")
    with pytest.raises(TypeError, match="string or path"):
        lm.callbacks.CSVLogger(3)


def test_terminate_on_nan_stops_after_the_first_bad_batch(capsys):
    x, y = data()
    model = lm.Sequential([lm.Input((4,)), lm.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=lambda yt, yp: lm.log(yp * 0.0 - 1.0))
    batches = []
    count = lm.callbacks.LambdaCallback(on_batch_end=lambda b, logs: batches.append(b))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        history = model.fit(x, y.astype("float32"), batch_size=8, epochs=3, verbose=0,
                            callbacks=[lm.callbacks.TerminateOnNaN(), count])
    assert batches == [0] and len(history.history["loss"]) == 1
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out


# ---- TensorBoard: the event-file format, checked by an independent reader -----------------------
def crc32c_bitwise(data):
    """CRC-32C bit by bit (no table): a reference independent of the writer's table."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def unmask(masked):
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def read_records(path):
    """The data of every TFRecord in ``path``, checking both CRCs of each."""
    with open(path, "rb") as f:
        raw = f.read()
    out, pos = [], 0
    while pos < len(raw):
        header = raw[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (len_crc,) = struct.unpack("<I", raw[pos + 8:pos + 12])
        assert unmask(len_crc) == crc32c_bitwise(header)
        payload = raw[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", raw[pos + 12 + length:pos + 16 + length])
        assert unmask(data_crc) == crc32c_bitwise(payload)
        out.append(payload)
        pos += 16 + length
    return out


def parse_proto(buf):
    """A protobuf message as {field number: [values]} (varints as ints, fixed64 as doubles,
    fixed32 as floats, length-delimited as bytes)."""
    fields, pos = {}, 0

    def varint():
        nonlocal pos
        shift = result = 0
        while True:
            byte = buf[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while pos < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 1:
            (value,) = struct.unpack("<d", buf[pos:pos + 8])
            pos += 8
        elif wire == 5:
            (value,) = struct.unpack("<f", buf[pos:pos + 4])
            pos += 4
        else:
            assert wire == 2, f"unexpected wire type {wire}"
            size = varint()
            value = buf[pos:pos + size]
            pos += size
        fields.setdefault(number, []).append(value)
    return fields


def read_events(folder):
    """(wall_time, step, file_version or {tag: Summary.Value fields}) for every event."""
    files = glob.glob(os.path.join(folder, "events.out.tfevents.*"))
    assert len(files) == 1, files
    events = []
    for record in read_records(files[0]):
        event = parse_proto(record)
        step = event.get(2, [0])[0]
        if 3 in event:
            events.append((event[1][0], step, event[3][0].decode()))
            continue
        values = {}
        for raw_value in parse_proto(event[5][0]).get(1, []):
            value = parse_proto(raw_value)
            values[value[1][0].decode()] = value
        events.append((event[1][0], step, values))
    return events


def scalars(folder):
    """{tag: [(step, value)]} from the simple_value summaries in ``folder``."""
    out = {}
    for _, step, values in read_events(folder)[1:]:
        for tag, value in values.items():
            if 2 in value:
                out.setdefault(tag, []).append((step, value[2][0]))
    return out


def test_crc32c_matches_the_standard_check_values():
    assert tb.crc32c(b"") == 0
    assert tb.crc32c(b"123456789") == 0xE3069283
    assert tb.crc32c(bytes(32)) == 0x8A9136AA
    rng = np.random.default_rng(0)
    for size in (1, 7, 100):
        blob = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert tb.crc32c(blob) == crc32c_bitwise(blob)
        assert unmask(tb.masked_crc32c(blob)) == tb.crc32c(blob)


def test_varints_encode_as_protobuf_does():
    assert tb._varint(0) == b"\x00"
    assert tb._varint(1) == b"\x01"
    assert tb._varint(300) == b"\xac\x02"
    assert tb._varint(-1) == b"\xff" * 9 + b"\x01"


def test_writer_file_name_version_event_and_scalars(tmp_path):
    with tb.EventFileWriter(tmp_path / "run") as writer:
        writer.add_scalar("loss", 0.5, step=3)
        writer.add_scalars({"a": 1, "b": np.float32(2.5), "skip": np.zeros(3), "s": "x"}, 4)
    (name,) = os.listdir(tmp_path / "run")
    assert name.startswith("events.out.tfevents.")
    stamp, host = name[len("events.out.tfevents."):].split(".", 1)
    assert stamp.isdigit() and host
    events = read_events(tmp_path / "run")
    assert events[0][2] == "brain.Event:2"
    assert events[1][1] == 3 and events[1][2]["loss"][2] == [0.5]
    assert scalars(tmp_path / "run") == {"loss": [(3, 0.5)], "a": [(4, 1.0)], "b": [(4, 2.5)]}
    assert all(abs(wall - events[0][0]) < 60 for wall, _, _ in events)


def test_two_writers_in_one_folder_get_two_files(tmp_path):
    first, second = tb.EventFileWriter(tmp_path), tb.EventFileWriter(tmp_path)
    assert first.path != second.path
    first.close()
    second.close()
    with pytest.raises(RuntimeError, match="closed"):
        first.add_scalar("x", 1.0, 0)


def test_histogram_and_image_summaries(tmp_path):
    values = np.arange(10, dtype=np.float32)
    with tb.EventFileWriter(tmp_path) as writer:
        writer.add_histogram("w", values, step=1, bins=5)
        writer.add_image("img", np.arange(6.0).reshape(2, 3), step=1)
    events = read_events(tmp_path)
    histo = parse_proto(events[1][2]["w"][5][0])
    assert (histo[1][0], histo[2][0], histo[3][0]) == (0.0, 9.0, 10.0)
    assert histo[4][0] == 45.0 and histo[5][0] == 285.0
    limits = np.frombuffer(histo[6][0], "<f8")
    counts = np.frombuffer(histo[7][0], "<f8")
    assert len(limits) == len(counts) == 5 and counts.sum() == 10 and limits[-1] == 9.0
    image = parse_proto(events[2][2]["img"][4][0])
    assert (image[1][0], image[2][0], image[3][0]) == (2, 3, 1)
    np.testing.assert_array_equal(png_pixels(image[4][0]), [[0, 51, 102], [153, 204, 255]])


def png_pixels(png):
    """The pixels of an 8-bit grayscale PNG without filters (what the writer makes)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pos, chunks = 8, {}
    while pos < len(png):
        (size,) = struct.unpack(">I", png[pos:pos + 4])
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + size]
        assert struct.unpack(">I", png[pos + 8 + size:pos + 12 + size])[0] == \
            zlib.crc32(kind + body)
        chunks[kind] = body
        pos += 12 + size
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 0) and b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, width + 1)
    assert not rows[:, 0].any()  # filter type 0 on every row
    return rows[:, 1:]


# ---- the TensorBoard callback -------------------------------------------------------------------
def test_tensorboard_writes_epoch_scalars_like_keras(tmp_path):
    x, y = data()
    model = make_model()
    history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25,
                        callbacks=[lm.callbacks.TensorBoard(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = scalars(tmp_path / "train"), scalars(tmp_path / "validation")
    for name in ("loss", "accuracy"):
        assert [s for s, _ in train[f"epoch_{name}"]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in train[f"epoch_{name}"]],
                                   history.history[name], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in val[f"epoch_{name}"]],
                                   history.history[f"val_{name}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.05] * 3)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [1, 2, 3]  # 1 step/epoch
    assert not any(tag.startswith("batch_") for tag in train)
    graph = [v for _, _, vals in read_events(tmp_path / "train")[1:] for k, v in vals.items()
             if k == "keras"][0]
    tensor = parse_proto(graph[8][0])
    config = json.loads(tensor[8][0])
    assert [layer["config"]["name"] for layer in config["config"]["layers"]] == \
        [layer.name for layer in model.layers]
    plugin = parse_proto(parse_proto(graph[9][0])[1][0])
    assert plugin[1] == [b"graph_keras_model"]


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6]),
                                                (4, [4])])
def test_tensorboard_batch_scalars(tmp_path, update_freq, steps):
    x, y = data(30)
    make_model().fit(x, y, batch_size=10, epochs=2, verbose=0,
                     callbacks=[lm.callbacks.TensorBoard(tmp_path, update_freq=update_freq,
                                                         write_graph=False)])
    train = scalars(tmp_path / "train")
    assert [s for s, _ in train["batch_loss"]] == steps
    assert "batch_accuracy" in train


def test_tensorboard_histograms_and_images(tmp_path):
    x, y = data()
    model = make_model()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[lm.callbacks.TensorBoard(
        tmp_path, histogram_freq=2, write_images=True, write_steps_per_second=True)])
    histos, images = {}, set()
    for _, step, values in read_events(tmp_path / "train")[1:]:
        for tag, value in values.items():
            if 5 in value:
                histos.setdefault(tag, []).append(step)
            if 4 in value:
                images.add(tag)
    names = [w.name.replace(":", "_") for layer in model.layers for w in layer.weights]
    assert sorted(histos) == sorted(f"{n}/histogram" for n in names)
    assert all(steps == [0, 2] for steps in histos.values())
    assert images == {f"{n}/image" for n in names}
    assert "epoch_steps_per_second" in scalars(tmp_path / "train")


@pytest.mark.parametrize("kwargs, match", [
    ({"histogram_freq": -1}, "`histogram_freq` must be an integer >= 0"),
    ({"update_freq": "step"}, "`update_freq` must be an integer >= 1"),
    ({"update_freq": 0}, "`update_freq` must be an integer >= 1"),
    ({"profile_batch": 2}, "profiling is not available"),
])
def test_tensorboard_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lm.callbacks.TensorBoard("logs", **kwargs)


def test_tensorboard_reads_the_files_when_installed(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    x, y = data()
    history = make_model().fit(x, y, epochs=2, verbose=0, validation_split=0.25,
                               callbacks=[lm.callbacks.TensorBoard(tmp_path, histogram_freq=1,
                                                                   update_freq="batch")])
    train = accumulator.EventAccumulator(str(tmp_path / "train"),
                                         size_guidance={"scalars": 0, "histograms": 0})
    train.Reload()
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_loss")],
                               history.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1]
    assert [e.step for e in train.Scalars("batch_loss")] == [1, 2]  # 1 batch per epoch
    assert len(train.Tags()["histograms"]) == 4
    val = accumulator.EventAccumulator(str(tmp_path / "validation"))
    val.Reload()
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")],
                               history.history["val_loss"], rtol=1e-6)


def graph_config(folder):
    """The model graph JSON the TensorBoard callback wrote, or None."""
    for _, _, values in read_events(folder)[1:]:
        if "keras" in values:
            return json.loads(parse_proto(values["keras"][8][0])[8][0])
    return None


def branchy_graph(folder):
    """Trains a two-branch functional model with TensorBoard; returns the graph it wrote."""
    inputs = lm.Input((4,), name="inp")
    left = lm.layers.Dense(3, name="left")(inputs)
    right = lm.layers.Dense(3, name="right")(inputs)
    out = lm.layers.Dense(2, name="out")(lm.layers.Concatenate(name="cat")([left, right]))
    model = lm.Model(inputs, out, name="branchy")
    model.compile("sgd", lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = data(8)
    model.fit(x, y % 2, verbose=0, callbacks=[lm.callbacks.TensorBoard(folder)])
    return graph_config(folder / "train")


def test_tensorboard_graph_of_a_functional_model_has_its_edges(tmp_path):
    config = branchy_graph(tmp_path)["config"]
    edges = {layer["config"]["name"]: [arg["config"]["keras_history"][0]
                                       for node in layer["inbound_nodes"]
                                       for arg in node["args"]]
             for layer in config["layers"]}
    assert edges == {"inp": [], "left": ["inp"], "right": ["inp"], "cat": ["left", "right"],
                     "out": ["cat"]}
    assert config["input_layers"] == [["inp", 0, 0]] and config["output_layers"] == [
        ["out", 0, 0]]


def test_tensorboard_draws_the_graph_when_installed(tmp_path):
    keras_util = pytest.importorskip("tensorboard.plugins.graph.keras_util")
    graph = keras_util.keras_model_to_graph_def(branchy_graph(tmp_path))
    inputs_of = {node.name: list(node.input) for node in graph.node}
    assert inputs_of["branchy/cat"] == ["branchy/left", "branchy/right"]
    assert inputs_of["branchy/left"] == ["branchy/inp"]


def test_tensorboard_writes_no_graph_for_a_subclassed_model(tmp_path):
    class Sub(lm.Model):
        def __init__(self):
            super().__init__()
            self.dense = lm.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Sub()
    model.compile("sgd", "mse")
    x, _ = data(8)
    model.fit(x, x[:, :2], verbose=0, callbacks=[lm.callbacks.TensorBoard(tmp_path)])
    assert graph_config(tmp_path / "train") is None


def test_tensorboard_in_evaluate_writes_against_the_optimizer_step(tmp_path):
    x, y = data(20)
    model = make_model()
    model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    loss = model.evaluate(x, y, callbacks=[lm.callbacks.TensorBoard(tmp_path)])[0]
    assert os.listdir(tmp_path) == ["validation"]
    values = scalars(tmp_path / "validation")["evaluation_loss_vs_iterations"]
    assert values == [(4, pytest.approx(loss, rel=1e-6))]
