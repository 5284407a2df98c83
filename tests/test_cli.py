"""The ``lamina`` command: ``lamina demo iris`` and ``lamina --version``."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lamina
from lamina import cli
from lamina.demos import iris

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_demo_iris_prints_accuracy_and_writes_the_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert cli.main(["demo", "iris", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy >= 0.95
    assert "Epoch" not in out                         # --quiet: no progress bar
    png = tmp_path / iris.PLOT_NAME
    assert f"training curves: {png}" in out
    assert png.read_bytes()[:8] == PNG_MAGIC


def test_demo_iris_shows_a_progress_bar(tmp_path, capsys):
    assert cli.main(["demo", "iris", "--epochs", "3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Epoch 3/3" in out
    assert re.search(r"6/6 \[=+\]", out)             # 96 training flowers, batches of 16


def test_demo_iris_without_matplotlib_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # makes `import matplotlib` fail
    assert cli.main(["demo", "iris", "--quiet", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pip install 'lamina[plot]'" in out
    assert not (tmp_path / iris.PLOT_NAME).exists()


def test_demo_run_reaches_95_percent_and_repeats(tmp_path):
    results = [iris.run(seed=3, verbose=0, out_dir=tmp_path / str(i)) for i in range(2)]
    assert results[0]["test_accuracy"] >= 0.95
    assert results[0]["history"] == results[1]["history"]
    assert set(results[0]["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(results[0]["history"]["loss"]) == 100


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"lamina {lamina.__version__}"


@pytest.mark.parametrize("argv, message", [
    (["demo", "iris", "--epochs", "0"], "expected a positive integer, received '0'"),
    (["demo", "iris", "--epochs", "many"], "expected a positive integer, received 'many'"),
    (["demo", "iris", "--seed", "-1"], "expected an integer in [0, 2**32), received '-1'"),
    (["demo", "mnist"], "invalid choice: 'mnist'"),
    (["train"], "invalid choice: 'train'"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_out_must_be_a_folder(tmp_path, capsys):
    a_file = tmp_path / "taken.txt"
    a_file.write_text("not a folder")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "iris", "--out", str(a_file)])
    assert exit_info.value.code == 2
    assert "--out expects a folder" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_python_dash_m_lamina(tmp_path):
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "lamina", "--version"], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"lamina {lamina.__version__}"
