"""Saving and loading: the safetensors reader/writer, .lamina archives, weights files,
resuming training exactly, damaged files, interrupted saves, and pickling models."""
import copy
import hashlib
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest

import lamina as lm
from lamina import serialization
from lamina.saving import FileFormatError, model_from_bytes, model_to_bytes
from lamina.saving import safetensors as st
from lamina.saving.weights import weight_paths


# ---- safetensors ------------------------------------------------------------------------------
def _raw(header: dict, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def test_safetensors_round_trip_every_dtype():
    tensors = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "f64": np.array([1.5, -2.25]), "f16": np.array([0.5, 2.0], np.float16),
        "i8": np.array([-3, 4], np.int8), "i32": np.array([[1], [-2]], np.int32),
        "i64": np.array(7, np.int64), "u8": np.array([0, 255], np.uint8),
        "bool": np.array([True, False, True]), "empty": np.zeros((0, 4), np.float32),
        "big_endian": np.array([1.0, 2.0], dtype=">f4"),
    }
    data = st.serialize(tensors, {"format": "lamina", "note": "x"})
    (header_len,) = struct.unpack("<Q", data[:8])
    assert (8 + header_len) % 8 == 0            # data starts aligned
    loaded, metadata = st.deserialize(data)
    assert metadata == {"format": "lamina", "note": "x"}
    assert list(loaded) == list(tensors)
    for name, value in tensors.items():
        assert loaded[name].shape == value.shape
        assert loaded[name].dtype == value.dtype.newbyteorder("=")
        np.testing.assert_array_equal(loaded[name], value)
    assert loaded["f32"].flags.writeable        # independent copies


def test_safetensors_header_is_the_documented_layout():
    data = st.serialize({"a": np.ones(2, np.float32), "b": np.zeros((1, 2), np.int64)})
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    assert header == {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                      "b": {"dtype": "I64", "shape": [1, 2], "data_offsets": [8, 24]}}
    assert len(data) == 8 + n + 24


def test_safetensors_file_round_trip(tmp_path):
    path = tmp_path / "t.safetensors"
    st.save_file({"w": np.eye(3, dtype=np.float32)}, path)
    tensors, metadata = st.load_file(path)
    np.testing.assert_array_equal(tensors["w"], np.eye(3))
    assert metadata == {}


@pytest.mark.parametrize("data, message", [
    (b"\x01\x02", "too short"),
    (struct.pack("<Q", 100) + b"{}", "goes past the end"),
    (struct.pack("<Q", 2 ** 40) + b"{}", "exceeds"),
    (struct.pack("<Q", 0), "header length is 0"),
    (_raw({}).replace(b"{", b"["), "does not start with"),
    (struct.pack("<Q", 5) + b"{abc}", "not valid JSON"),
    (struct.pack("<Q", 4) + b"{\xff\xfe}", "UTF-8"),
    (struct.pack("<Q", 2) + b"[]", "does not start"),
    (_raw({"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "unknown dtype 'X9'"),
    (_raw({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0" * 2),
     "no NumPy equivalent"),
    (_raw({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "non-negative integers"),
    (_raw({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}, b"\0" * 4),
     "non-negative integers"),
    (_raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4),
     "begin <= end"),
    (_raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
     "needs 8 bytes"),
    (_raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),
     "truncated"),
    (_raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 6),
     "belong to no tensor"),
    (_raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),
     "gap"),
    (_raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),
     "overlaps"),
    (_raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, b"\0" * 4),
     "expected an object with keys"),
    (_raw({"a": [1, 2]}), "expected an object with keys"),
    (_raw({"__metadata__": {"k": 1}}), "__metadata__"),
    (_raw({"a": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07"),
     "other than 0 and 1"),
    (struct.pack("<Q", 24) + b'{"a":1,"a":2}' + b" " * 11, "appears twice"),
])
def test_safetensors_reader_rejects_bad_files(tmp_path, data, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(FileFormatError, match=message) as info:
        st.load_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("tensors, metadata, message", [
    ({"a": np.array(["x"])}, None, "cannot store"),
    ({"a": np.array([1 + 2j])}, None, "cannot store"),
    ({"": np.ones(1)}, None, "non-empty strings"),
    ({"__metadata__": np.ones(1)}, None, "reserved"),
    ({"a": np.ones(1)}, {"k": 1}, "strings to strings"),
])
def test_safetensors_writer_rejects_bad_input(tensors, metadata, message):
    with pytest.raises(ValueError, match=message):
        st.serialize(tensors, metadata)


# ---- models -----------------------------------------------------------------------------------
def _data(n=32, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype("float32"), rng.integers(0, k, n)


def _sequential(optimizer="adam"):
    model = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(8, activation="relu"),
                           lm.layers.Dense(3)])
    model.compile(optimizer=optimizer, loss=lm.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    return model


def _functional():
    a, b = lm.Input(shape=(4,), name="a"), lm.Input(shape=(2,), name="b")
    h = lm.layers.Concatenate()([lm.layers.Dense(5, activation="tanh")(a),
                                 lm.layers.Dense(5)(b)])
    model = lm.Model([a, b], lm.layers.Dense(1)(h))
    model.compile(optimizer="rmsprop", loss="mse")
    return model


@serialization.register("layer")
class TwoLayerNet(lm.Model):
    """A registered subclassed model (loadable by name)."""

    def __init__(self, hidden=6, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.first = lm.layers.Dense(hidden, activation="relu")
        self.second = lm.layers.Dense(2)

    def call(self, x):
        return self.second(self.first(x))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


class UnregisteredNet(TwoLayerNet):
    """Not registered: loading needs custom_objects."""


def _weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))


def test_sequential_save_load_round_trip(tmp_path):
    x, y = _data()
    model = _sequential()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.lamina")
    loaded = lm.models.load_model(str(tmp_path / "m.lamina"))
    assert type(loaded) is lm.Sequential and loaded.name == model.name
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert _weights_equal(model, loaded)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled
    assert isinstance(loaded.optimizer, lm.optimizers.Adam)
    assert int(loaded.optimizer.iterations.numpy()) == 4
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0),
                               model.evaluate(x, y, verbose=0), rtol=1e-6)


def test_archive_layout_and_metadata(tmp_path):
    model = _sequential()
    model.fit(*_data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.lamina")
    with zipfile.ZipFile(tmp_path / "m.lamina") as archive:
        names = set(archive.namelist())
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
        for name, entry in metadata["members"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"]
    assert names == {"config.json", "metadata.json", "model.weights.safetensors",
                     "optimizer.safetensors"}
    assert config["class_name"] == "Sequential"
    assert config["metadata"]["lamina_version"] == lm.__version__
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert metadata["format_version"] == 1 and "date_saved" in metadata


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop"])
def test_resuming_training_after_load_matches_uninterrupted_training(tmp_path, optimizer):
    x, y = _data(48)
    opt = {"adam": lambda: lm.optimizers.Adam(0.01),
           "sgd_momentum": lambda: lm.optimizers.SGD(0.05, momentum=0.9),
           "rmsprop": lambda: lm.optimizers.RMSprop(0.01)}[optimizer]
    lm.random.seed(7)
    straight = _sequential(opt())
    lm.random.seed(7)
    resumed = _sequential(opt())
    assert _weights_equal(straight, resumed)
    straight.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0)
    resumed.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    resumed.save(tmp_path / "ckpt.lamina")
    loaded = lm.models.load_model(tmp_path / "ckpt.lamina")
    loaded.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    assert int(loaded.optimizer.iterations.numpy()) == 15


def test_functional_multi_input_round_trip(tmp_path):
    model = _functional()
    x = [np.ones((6, 4), "float32"), np.full((6, 2), 0.5, "float32")]
    model.fit(x, np.ones((6, 1), "float32"), verbose=0)
    model.save(tmp_path / "f.lamina")
    loaded = lm.models.load_model(tmp_path / "f.lamina")
    assert [t.shape for t in loaded.inputs] == [(None, 4), (None, 2)]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(loaded.optimizer, lm.optimizers.RMSprop)


def test_subclassed_model_round_trip(tmp_path):
    model = TwoLayerNet(hidden=7)
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((5, 3), "float32")
    model.fit(x, np.zeros((5, 2), "float32"), verbose=0)
    model.save(tmp_path / "s.lamina")
    loaded = lm.models.load_model(tmp_path / "s.lamina")
    assert type(loaded) is TwoLayerNet and loaded.hidden == 7
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert _weights_equal(model, loaded)


def test_unregistered_subclass_needs_custom_objects(tmp_path):
    model = UnregisteredNet()
    x = np.ones((2, 3), "float32")
    model(x)
    model.save(tmp_path / "u.lamina")
    with pytest.raises(ValueError, match="UnregisteredNet.*custom_objects"):
        lm.models.load_model(tmp_path / "u.lamina")
    loaded = lm.models.load_model(tmp_path / "u.lamina",
                                  custom_objects={"UnregisteredNet": UnregisteredNet})
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


def test_load_without_compile_and_uncompiled_models(tmp_path):
    model = _sequential()
    model.save(tmp_path / "m.lamina")
    assert not lm.models.load_model(tmp_path / "m.lamina", compile=False).compiled
    raw = lm.Sequential([lm.Input(shape=(2,)), lm.layers.Dense(1)])
    raw.save(tmp_path / "raw.lamina")
    with zipfile.ZipFile(tmp_path / "raw.lamina") as archive:
        assert "optimizer.safetensors" not in archive.namelist()
    loaded = lm.models.load_model(tmp_path / "raw.lamina")
    assert not loaded.compiled and _weights_equal(raw, loaded)


def test_save_argument_errors(tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match=r"\.lamina"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(TypeError, match="file path"):
        model.save(123)
    model.save(tmp_path / "m.lamina")
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(tmp_path / "m.lamina", overwrite=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save(tmp_path / "missing" / "m.lamina")
    with pytest.raises(FileNotFoundError, match="No model file"):
        lm.models.load_model(tmp_path / "nothing.lamina")


# ---- weights files ----------------------------------------------------------------------------
def test_save_and_load_weights_into_a_fresh_model(tmp_path):
    model = _sequential()
    model.fit(*_data(), epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.safetensors")
    other = _sequential()       # same architecture, other layer names (dense_2...)
    assert [layer.name for layer in other.layers] != [layer.name for layer in model.layers]
    assert not _weights_equal(model, other)
    other.load_weights(tmp_path / "w.safetensors")
    assert _weights_equal(model, other)
    tensors, metadata = st.load_file(tmp_path / "w.safetensors")
    assert list(tensors) == ["layers/dense/vars/0", "layers/dense/vars/1",
                             "layers/dense_1/vars/0", "layers/dense_1/vars/1"]
    assert metadata["format"] == "lamina"


def test_load_weights_from_a_lamina_file(tmp_path):
    model = _sequential()
    model.save(tmp_path / "m.lamina")
    other = _sequential()
    other.load_weights(tmp_path / "m.lamina")
    assert _weights_equal(model, other)


def test_weight_keys_follow_the_layer_tree():
    model = TwoLayerNet()
    model(np.ones((1, 3), "float32"))
    assert list(weight_paths(model)) == ["layers/dense/vars/0", "layers/dense/vars/1",
                                         "layers/dense_1/vars/0", "layers/dense_1/vars/1"]


def test_load_weights_mismatch_and_skip_mismatch(tmp_path):
    model = _sequential()
    model.save_weights(tmp_path / "w.safetensors")
    wider = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(9, activation="relu"),
                           lm.layers.Dense(3)])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"(?s)expects shape \(4, 9\).*has \(4, 8\)"):
        wider.load_weights(tmp_path / "w.safetensors")
    assert all(np.array_equal(a, b) for a, b in zip(before, wider.get_weights()))
    deeper = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(8, activation="relu"),
                            lm.layers.Dense(3), lm.layers.Dense(2)])
    with pytest.raises(ValueError, match="missing from the file"):
        deeper.load_weights(tmp_path / "w.safetensors")
    with pytest.warns(UserWarning, match="Skipping"):
        deeper.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    for a, b in zip(model.get_weights(), deeper.get_weights()[:4]):
        np.testing.assert_array_equal(a, b)


def test_weights_argument_errors(tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match=r"\.safetensors"):
        model.save_weights(tmp_path / "w.lamina")
    unbuilt = lm.Sequential([lm.layers.Dense(2)])
    with pytest.raises(ValueError, match="no weights"):
        unbuilt.save_weights(tmp_path / "w.safetensors")
    model.save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="no weights yet"):
        unbuilt.load_weights(tmp_path / "w.safetensors")
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "none.safetensors")


# ---- damaged and tampered files -----------------------------------------------------------------
def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_members(path, members, fix_checksums=True):
    if fix_checksums:
        meta = json.loads(members["metadata.json"])
        meta["members"] = {n: {"size": len(r), "sha256": hashlib.sha256(r).hexdigest()}
                           for n, r in members.items() if n != "metadata.json"}
        members = {**members, "metadata.json": json.dumps(meta).encode()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)


@pytest.fixture
def saved(tmp_path):
    model = _sequential()
    model.fit(*_data(), epochs=1, verbose=0)
    path = tmp_path / "m.lamina"
    model.save(path)
    return path


def test_truncated_and_non_zip_files(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="not a valid .lamina file"):
        lm.models.load_model(saved)
    saved.write_bytes(b"hello, not a zip")
    with pytest.raises(FileFormatError, match=str(saved.name)):
        lm.models.load_model(saved)


def test_tampered_member_fails_its_checksum(saved):
    members = _members(saved)
    weights = bytearray(members["model.weights.safetensors"])
    weights[-1] ^= 0xFF
    members["model.weights.safetensors"] = bytes(weights)
    _write_members(saved, members, fix_checksums=False)
    with pytest.raises(FileFormatError, match="SHA-256 of member 'model.weights"):
        lm.models.load_model(saved)


def test_missing_and_extra_members(saved):
    members = _members(saved)
    without = {k: v for k, v in members.items() if k != "model.weights.safetensors"}
    _write_members(saved, without, fix_checksums=False)
    with pytest.raises(FileFormatError, match="missing"):
        lm.models.load_model(saved)
    _write_members(saved, {k: v for k, v in members.items() if k != "metadata.json"},
                   fix_checksums=False)
    with pytest.raises(FileFormatError, match="no metadata.json"):
        lm.models.load_model(saved)
    _write_members(saved, {**members, "payload.py": b"print('hi')"}, fix_checksums=False)
    with pytest.raises(FileFormatError, match="does not list"):
        lm.models.load_model(saved)


def test_weights_that_do_not_fit_the_architecture(saved):
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["config"]["units"] = 9
    members["config.json"] = json.dumps(config).encode()
    _write_members(saved, members)
    with pytest.raises(FileFormatError, match=r"(?s)do not fit.*expects shape \(4, 9\)"):
        lm.models.load_model(saved)


def test_wrong_weight_count_in_file(saved):
    members = _members(saved)
    tensors, _ = st.deserialize(members["model.weights.safetensors"])
    tensors.pop("layers/dense_1/vars/1")
    members["model.weights.safetensors"] = st.serialize(tensors)
    _write_members(saved, members)
    with pytest.raises(FileFormatError,
                       match="(?s)do not fit.*dense_1/vars/1.*missing from the file"):
        lm.models.load_model(saved)


def test_config_naming_an_unknown_class(saved):
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["class_name"] = "os.system"
    members["config.json"] = json.dumps(config).encode()
    _write_members(saved, members)
    with pytest.raises(ValueError, match="Unknown layer 'os.system'"):
        lm.models.load_model(saved)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update({"format_version": 99}), "not supported"),
    (lambda m: m.update({"format": "other"}), "does not describe"),
    (lambda m: m.update({"members": {"config.json": {"size": 1}}}), "'size' and 'sha256'"),
])
def test_bad_metadata(saved, edit, message):
    members = _members(saved)
    meta = json.loads(members["metadata.json"])
    edit(meta)
    members["metadata.json"] = json.dumps(meta).encode()
    _write_members(saved, members, fix_checksums=False)
    with pytest.raises(FileFormatError, match=message):
        lm.models.load_model(saved)


def test_invalid_config_json(saved):
    members = _members(saved)
    members["config.json"] = b"{not json"
    _write_members(saved, members)
    with pytest.raises(FileFormatError, match="config.json is not valid JSON"):
        lm.models.load_model(saved)


def test_optimizer_state_that_does_not_match(saved):
    members = _members(saved)
    state, _ = st.deserialize(members["optimizer.safetensors"])
    state["slots/layers/dense/vars/0/m"] = np.zeros((2, 2), np.float32)
    members["optimizer.safetensors"] = st.serialize(state)
    _write_members(saved, members)
    with pytest.raises(FileFormatError, match=r"slots/layers/dense/vars/0/m: expected shape"):
        lm.models.load_model(saved)


# ---- interrupted saves ------------------------------------------------------------------------
def test_interrupted_save_keeps_the_previous_file(saved, monkeypatch):
    before = saved.read_bytes()
    model = _sequential()
    real_writestr = zipfile.ZipFile.writestr
    calls = []

    def failing_writestr(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:   # after the first member has been written
            raise OSError("disk full")
        return real_writestr(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="disk full"):
        model.save(saved)
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["m.lamina"]   # no temp file
    monkeypatch.undo()
    lm.models.load_model(saved)


def test_interrupted_save_weights_keeps_the_previous_file(tmp_path, monkeypatch):
    model = _sequential()
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    before = path.read_bytes()

    from lamina.saving import files
    real = files.atomic_write

    def interrupted(path_, write):
        def partial(stream):
            stream.write(b"partial")
            raise KeyboardInterrupt
        return real(path_, partial)

    monkeypatch.setattr(files, "atomic_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _sequential().save_weights(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


# ---- pickling ---------------------------------------------------------------------------------
def test_pickle_and_deepcopy_round_trip():
    model = _sequential()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert clone is not model and _weights_equal(model, clone)
        assert int(clone.optimizer.iterations.numpy()) == 1
        np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
        clone.fit(x, y, epochs=1, verbose=0)           # the copy trains on its own
    assert int(model.optimizer.iterations.numpy()) == 1


def test_pickle_unbuilt_and_subclassed_models():
    unbuilt = lm.Sequential([lm.layers.Dense(3)])
    clone = pickle.loads(pickle.dumps(unbuilt))
    assert clone.layers[0].units == 3 and not clone.built
    net = TwoLayerNet()
    net(np.ones((2, 3), "float32"))
    assert _weights_equal(net, copy.deepcopy(net))


def test_model_bytes_argument_errors():
    with pytest.raises(TypeError, match="lm.Model"):
        model_to_bytes("model")
    with pytest.raises(TypeError, match="bytes"):
        model_from_bytes("not bytes")
    with pytest.raises(FileFormatError, match="not a valid"):
        model_from_bytes(b"garbage")


def test_round_trip_of_convolutional_and_recurrent_models(tmp_path):
    rng = np.random.default_rng(0)
    conv = lm.Sequential([lm.Input(shape=(6, 6, 2)),
                          lm.layers.Conv2D(3, 3, padding="same", activation="relu"),
                          lm.layers.BatchNormalization(), lm.layers.MaxPooling2D(),
                          lm.layers.Flatten(), lm.layers.Dense(2)])
    conv.compile(optimizer="adam", loss="mse")
    x = rng.standard_normal((4, 6, 6, 2)).astype("float32")
    conv.fit(x, np.zeros((4, 2), "float32"), verbose=0)
    tokens = lm.Input(shape=(5,), dtype="int32")
    embedded = lm.layers.Embedding(20, 4)(tokens)
    recurrent = lm.Model(tokens, lm.layers.Dense(1)(lm.layers.LSTM(3)(embedded)))
    ids = rng.integers(0, 20, (4, 5)).astype("int32")
    for model, data in ((conv, x), (recurrent, ids)):
        model.save(tmp_path / "m.lamina")
        loaded = lm.models.load_model(tmp_path / "m.lamina")
        assert _weights_equal(model, loaded)
        np.testing.assert_array_equal(loaded.predict(data, verbose=0),
                                      model.predict(data, verbose=0))


def test_restoring_an_optimizer_whose_slots_were_partly_created(tmp_path):
    # The first layer was frozen during the only step: Adam made no slots for it yet. (Run
    # eagerly: a compiled step keeps the trainable variables it was traced with.)
    x, y = _data()
    model = _sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    model.layers[0].trainable = False
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    model.layers[0].trainable = True
    model.save(tmp_path / "m.lamina")
    loaded = lm.models.load_model(tmp_path / "m.lamina")
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
