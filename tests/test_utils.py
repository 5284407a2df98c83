"""lm.utils: to_categorical, normalize, set_random_seed and plot_model."""
import os
import random
import stat
import sys

import numpy as np
import pytest

import lamina as lm

# The module (lm.utils.plot_model is the function of the same name).
plot_module = sys.modules["lamina.utils.plot_model"]


# ---- to_categorical ---------------------------------------------------------------------------
def test_to_categorical_basic_and_shapes():
    out = lm.utils.to_categorical([0, 2, 1], num_classes=4)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[0, 2, 1]])
    assert lm.utils.to_categorical(np.array([[1], [0]])).shape == (2, 2)   # (n, 1) squeezed
    assert lm.utils.to_categorical(np.zeros((2, 3), int), 5).shape == (2, 3, 5)
    assert lm.utils.to_categorical(3, num_classes=4).tolist() == [0, 0, 0, 1]
    assert lm.utils.to_categorical(np.array([1.0, 2.0])).shape == (2, 3)    # integral floats
    assert lm.utils.to_categorical([], num_classes=3).shape == (0, 3)


def test_to_categorical_tensor_in_tensor_out():
    out = lm.utils.to_categorical(lm.tensor([1, 0]), num_classes=2)
    assert isinstance(out, lm.Tensor) and out.dtype == lm.float32
    np.testing.assert_array_equal(out.numpy(), [[0, 1], [1, 0]])


@pytest.mark.parametrize("x, num_classes, message", [
    ([0, 3], 3, "label 3 is out of range for num_classes=3"),
    ([-1, 0], None, ">= 0"),
    ([0.5, 1.0], None, "non-integer"),
    ([np.nan], None, "non-integer"),
    (["a", "b"], None, "dtype <U1"),
    ([True, False], None, "dtype bool"),
    ([], None, "empty labels"),
    ([0, 1], 0, "positive integer"),
    ([0, 1], 2.0, "positive integer"),
])
def test_to_categorical_errors(x, num_classes, message):
    with pytest.raises(ValueError, match=message):
        lm.utils.to_categorical(x, num_classes)


# ---- normalize --------------------------------------------------------------------------------
def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    out = lm.utils.normalize(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(lm.utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0, 0]])
    assert lm.utils.normalize(np.array([[3, 4]])).dtype == np.float32
    with pytest.raises(ValueError, match="axis 2"):
        lm.utils.normalize(x, axis=2)
    with pytest.raises(ValueError, match="order"):
        lm.utils.normalize(x, order=0)
    with pytest.raises(ValueError, match="scalar"):
        lm.utils.normalize(1.0)


# ---- set_random_seed --------------------------------------------------------------------------
def _train_once(seed):
    lm.utils.set_random_seed(seed)
    model = lm.Sequential([lm.Input(shape=(4,)), lm.layers.Dense(6, activation="relu"),
                           lm.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.standard_normal((20, 4)).astype("float32")   # NumPy's global stream
    y = np.random.standard_normal((20, 2)).astype("float32")
    model.fit(x, y, epochs=2, batch_size=5, shuffle=True, verbose=0)
    return model.get_weights(), random.random(), lm.random.uniform((3,)).numpy()


def test_set_random_seed_makes_runs_repeat():
    first, second, other = _train_once(3), _train_once(3), _train_once(4)
    for a, b in zip(first[0], second[0]):
        np.testing.assert_array_equal(a, b)
    assert first[1] == second[1]
    np.testing.assert_array_equal(first[2], second[2])
    assert not np.array_equal(first[0][0], other[0][0])


@pytest.mark.parametrize("seed", [1.5, "1", None, True, -1, 2 ** 32])
def test_set_random_seed_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        lm.utils.set_random_seed(seed)


# ---- plot_model -------------------------------------------------------------------------------
def _branching_model():
    inputs = lm.Input(shape=(4,), name="features")
    a = lm.layers.Dense(3, activation="relu", name="left")(inputs)
    b = lm.layers.Dense(3, name="right")(inputs)
    outputs = lm.layers.Concatenate(name="join")([a, b])
    return lm.Model(inputs, outputs, name="branching")


def test_model_to_dot_follows_the_functional_graph():
    text = lm.utils.model_to_dot(_branching_model(), show_dtype=True,
                                 show_layer_activations=True, show_trainable=True)
    assert text.startswith('digraph "branching" {')
    assert "rankdir=TB" in text and "dpi=96" in text
    labels = {line.split()[0]: line for line in text.splitlines() if "[label=" in line}
    assert len(labels) == 4
    assert 'features (InputLayer)\\ninput: (None, 4)\\noutput: (None, 4)' in labels["n0"]
    assert "left (Dense)\\nactivation: relu\\ninput: (None, 4)\\noutput: (None, 3)" in \
        labels["n1"]
    assert "join (Concatenate)" in labels["n3"]
    assert "input: [(None, 3), (None, 3)]\\noutput: (None, 6)" in labels["n3"]
    assert "dtype: float32" in labels["n3"] and "trainable: yes" in labels["n3"]
    edges = {line.strip() for line in text.splitlines() if "->" in line}
    assert edges == {"n0 -> n1;", "n0 -> n2;", "n1 -> n3;", "n2 -> n3;"}


def test_model_to_dot_sequential_chain_and_options():
    model = lm.Sequential([lm.Input(shape=(5,)), lm.layers.Dense(4), lm.layers.Dense(1)],
                          name='say "hi"')
    text = lm.utils.model_to_dot(model, show_shapes=False, show_layer_names=False,
                                 rankdir="LR")
    assert text.startswith('digraph "say \\"hi\\"" {') and "rankdir=LR" in text
    assert "input:" not in text and '"Dense"' in text
    assert [line.strip() for line in text.splitlines() if "->" in line] == \
        ["n0 -> n1;", "n1 -> n2;"]


def test_model_to_dot_subclassed_model_is_one_box():
    class Net(lm.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = lm.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.ones((3, 4), "float32"))
    text = lm.utils.model_to_dot(net)
    assert "net (Net)\\ninput: (3, 4)\\noutput: ?" in text and "->" not in text


def test_plot_model_writes_dot_text(tmp_path):
    model = _branching_model()
    returned = lm.utils.plot_model(model, to_file=tmp_path / "model.dot")
    assert (tmp_path / "model.dot").read_text() == returned
    assert returned == lm.utils.model_to_dot(model)


def test_plot_model_without_graphviz_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(plot_module, "_find_dot", lambda: None)
    with pytest.raises(RuntimeError, match="apt install graphviz.*'.dot'"):
        lm.utils.plot_model(_branching_model(), to_file=tmp_path / "model.png")
    assert not (tmp_path / "model.png").exists()


def _fake_dot(tmp_path, script):
    path = tmp_path / "dot"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a fake dot")
def test_plot_model_runs_dot_to_render(tmp_path, monkeypatch):
    # The fake `dot` records its arguments and copies the DOT text it reads to the output.
    fake = _fake_dot(tmp_path, f'echo "$@" > {tmp_path}/args\ncat > "$3"\n')
    monkeypatch.setattr(plot_module, "_find_dot", lambda: fake)
    text = lm.utils.plot_model(_branching_model(), to_file=tmp_path / "model.svg", dpi=150)
    assert (tmp_path / "args").read_text().split() == ["-Tsvg", "-o",
                                                       str(tmp_path / "model.svg")]
    assert (tmp_path / "model.svg").read_text() == text and "dpi=150" in text
    lm.utils.plot_model(_branching_model(), to_file=tmp_path / "noext")
    assert (tmp_path / "args").read_text().split()[0] == "-Tpng"


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a fake dot")
def test_plot_model_reports_graphviz_failures(tmp_path, monkeypatch):
    fake = _fake_dot(tmp_path, 'echo "syntax error in line 1" >&2\nexit 1\n')
    monkeypatch.setattr(plot_module, "_find_dot", lambda: fake)
    with pytest.raises(RuntimeError, match="syntax error in line 1"):
        lm.utils.plot_model(_branching_model(), to_file=tmp_path / "model.png")


def test_plot_model_argument_errors(tmp_path):
    model = _branching_model()
    with pytest.raises(ValueError, match="'.bmp'"):
        lm.utils.plot_model(model, to_file=tmp_path / "model.bmp")
    with pytest.raises(ValueError, match="rankdir"):
        lm.utils.plot_model(model, to_file=tmp_path / "m.dot", rankdir="XY")
    with pytest.raises(ValueError, match="dpi"):
        lm.utils.plot_model(model, to_file=tmp_path / "m.dot", dpi=0)
    with pytest.raises(TypeError, match="lm.Model"):
        lm.utils.plot_model(lm.layers.Dense(2), to_file=tmp_path / "m.dot")
    with pytest.raises(TypeError, match="file path"):
        lm.utils.plot_model(model, to_file=None)
    with pytest.raises(ValueError, match="not yet been built"):
        lm.utils.plot_model(lm.Sequential([lm.layers.Dense(2)]), to_file=tmp_path / "m.dot")


@pytest.mark.skipif(plot_module._find_dot() is None, reason="Graphviz is not installed")
def test_plot_model_renders_with_real_graphviz(tmp_path):
    lm.utils.plot_model(_branching_model(), to_file=tmp_path / "model.png")
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lm.utils.plot_model(_branching_model(), to_file=tmp_path / "model.svg")
    assert "<svg" in (tmp_path / "model.svg").read_text()
