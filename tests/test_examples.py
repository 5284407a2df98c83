"""The examples in examples/ run and reach the scores their docstrings state.

Each example is imported from its file and its ``main`` called with its defaults; the two
that take more than a second (digits CNN, LSTM) run in full only with the slow tests, and
briefly in the default run. A slow test also runs every example as a script, as a reader
would.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def load(name: str):
    """Imports examples/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args: str, timeout: float = 120) -> str:
    """Runs ``python examples/<name>.py args`` in a fresh process; returns its output."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args],
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---- iris, three ways: >= 95% on the 30 test flowers (29 of 30) ------------------------------
def test_iris_graph_session_reaches_95_percent():
    result = load("iris_graph").main()
    assert result["test_accuracy"] >= 0.95
    assert result["train_accuracy"] >= 0.95
    assert result["operations"] > 20     # a real graph: forward, gradients, Adam updates


def test_iris_keras_reaches_95_percent():
    result = load("iris_keras").main()
    assert result["test_accuracy"] >= 0.95
    history = result["history"]
    assert len(history["loss"]) == 100
    assert history["loss"][-1] < history["loss"][0] / 5
    probabilities = result["probabilities"]
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_iris_sklearn_pipeline_reaches_95_percent():
    pytest.importorskip("sklearn")
    result = load("iris_sklearn").main()
    assert result["test_accuracy"] >= 0.95
    assert len(result["cv_scores"]) == 5
    assert np.mean(result["cv_scores"]) >= 0.9
    assert result["epochs"] == len(result["loss_curve"]) <= 300


def test_iris_examples_repeat_with_the_same_seed():
    example = load("iris_keras")
    first, second = example.main(epochs=3, seed=4), example.main(epochs=3, seed=4)
    assert first["history"] == second["history"]


# ---- the lecture's walkthroughs ---------------------------------------------------------------
def test_graph_session_eager_walkthrough(capsys):
    import lamina as lm
    result = load("graph_session_eager").main()
    assert result["graph_tensor"] == "<lamina.Tensor 'Add:0' shape=() dtype=int32>"
    assert result["operations"] == ["<lamina.Operation 'Add/x' type=Const>",
                                    "<lamina.Operation 'Add/y' type=Const>",
                                    "<lamina.Operation 'Add' type=Add>"]
    assert result["session_value"] == 2
    np.testing.assert_array_equal(result["fed_values"], [1.0, 3.0, 5.0])
    assert result["eager_tensor"] == "<lamina.Tensor: shape=(), dtype=int32, numpy=2>"
    assert result["eager_value"] == 2 and result["traced_value"] == 2
    assert "<lamina.Operation 'Add' type=Add>" in result["traced_operations"]
    assert lm.executing_eagerly()        # the example leaves the process in eager mode
    assert "Add:0" in capsys.readouterr().out


def test_activations_derivatives_match_the_textbook(tmp_path):
    result = load("activations").main(out=None)
    assert result["max_derivative_error"] < 1e-5
    assert set(result["values"]) == set(result["derivatives"])
    assert len(result["values"]) == 6
    x = result["x"]
    np.testing.assert_allclose(result["values"]["ReLU"], np.maximum(x, 0.0))
    assert not np.any(x == 0.0)          # the kink of ReLU-like functions is off the grid


def test_activations_plot_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "activations.png"
    result = load("activations").main(out=out, points=50)
    assert result["plot"] == str(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- longer trainings -------------------------------------------------------------------------
@pytest.mark.slow
def test_digits_cnn_reaches_97_percent():
    result = load("digits_cnn").main()
    assert result["test_accuracy"] >= 0.97


def test_digits_cnn_learns_in_two_epochs():
    result = load("digits_cnn").main(epochs=2)
    assert result["test_accuracy"] >= 0.85


def test_autoencoder_beats_pca_of_the_same_width(tmp_path):
    result = load("autoencoder").main(out=tmp_path / "reconstructions.png")
    assert result["autoencoder_mse"] < 0.75 * result["pca_mse"]
    if result["plot"] is not None:
        assert Path(result["plot"]).read_bytes()[:4] == b"\x89PNG"


def test_autoencoder_pca_baseline_is_an_orthogonal_projection():
    example = load("autoencoder")
    x_train, x_test = example.load_flat_digits()
    full = example.pca_reconstruct(x_train, x_test, 64)
    np.testing.assert_allclose(full, x_test, atol=1e-4)   # all axes: nothing is lost
    errors = [np.mean((example.pca_reconstruct(x_train, x_test, k) - x_test) ** 2)
              for k in (2, 8, 32)]
    assert errors[0] > errors[1] > errors[2]


@pytest.mark.slow
def test_lstm_beats_linear_and_last_value_baselines():
    result = load("lstm_sequence").main()
    assert result["lstm_mse"] < 0.7 * result["linear_mse"]
    assert result["lstm_mse"] < 0.3 * result["last_value_mse"]


def test_lstm_loss_falls_in_two_short_epochs():
    history = load("lstm_sequence").main(epochs=2, train_size=500)["history"]
    assert history["loss"][1] < history["loss"][0]
    assert history["val_loss"][1] < history["val_loss"][0]


def test_graph_session_eager_runs_as_a_script():
    output = run_script("graph_session_eager")
    assert "<lamina.Tensor 'Add:0' shape=() dtype=int32>" in output
    assert "sess.run(total) = 2" in output
    assert "numpy=2>" in output


@pytest.mark.slow
@pytest.mark.parametrize("name, args", [
    ("activations", ["--out", "{tmp}/activations.png"]),
    ("iris_graph", ["--epochs", "5"]),
    ("iris_keras", ["--epochs", "5"]),
    ("iris_sklearn", []),
    ("digits_cnn", ["--epochs", "1"]),
    ("autoencoder", ["--epochs", "1", "--out", "{tmp}/ae.png"]),
    ("lstm_sequence", ["--epochs", "1"]),
])
def test_every_example_runs_as_a_script(name, args, tmp_path):
    if name == "iris_sklearn":
        pytest.importorskip("sklearn")
    output = run_script(name, *(arg.format(tmp=tmp_path) for arg in args))
    assert output.strip()
