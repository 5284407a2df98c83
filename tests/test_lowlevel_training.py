"""examples/iris_lowlevel.py trains to high accuracy, quickly."""
import importlib.util
import time
from pathlib import Path

import pytest

import lamina.datasets  # noqa: F401  (lm.datasets / lm.optimizers for the example)
import lamina.optimizers  # noqa: F401

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "iris_lowlevel.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("iris_lowlevel", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [0, 1])
def test_reaches_high_accuracy_in_a_few_seconds(example, seed):
    start = time.perf_counter()
    result = example.train(epochs=60, seed=seed)
    elapsed = time.perf_counter() - start
    assert result["train_accuracy"] >= 0.95
    assert result["test_accuracy"] >= 0.85
    assert result["loss"] < 0.15
    assert result["steps"] == 60 * 8          # 120 training samples in batches of 16
    assert elapsed < 10.0


def test_same_seed_same_result(example):
    first, second = example.train(epochs=3, seed=5), example.train(epochs=3, seed=5)
    first.pop("seconds")
    second.pop("seconds")
    assert first == second
