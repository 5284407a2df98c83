"""Plot six activation functions and their derivatives, all computed by lamina.

A node of a neural network computes ``f(w . x + b)``: a linear step, then a nonlinear
activation ``f``. This script evaluates sigmoid, ReLU, leaky ReLU, tanh, ELU and GELU with
lamina on a grid of points, takes their derivatives with ``lm.grad`` (backpropagation, not
hand-written formulas), checks those derivatives against the textbook ones, and draws each
function with its derivative into a PNG (needs matplotlib, the ``plot`` extra).

    python examples/activations.py --out activations.png

``main(out)`` returns the values, the derivatives and the largest derivative error, so tests
can call it.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

import lamina as lm

# Leaky ReLU's usual slope for negative inputs is 0.01, too flat to see in a plot; 0.1 shows
# the idea (a small gradient instead of none) at a glance.
LEAKY_ALPHA = 0.1

ACTIVATIONS = {
    "sigmoid": lm.sigmoid,
    "ReLU": lm.relu,
    f"leaky ReLU (alpha={LEAKY_ALPHA})": lambda x: lm.leaky_relu(x, alpha=LEAKY_ALPHA),
    "tanh": lm.tanh,
    "ELU": lm.elu,
    "GELU": lm.gelu,
}


def textbook_derivatives(x: np.ndarray) -> dict[str, np.ndarray]:
    """The closed-form derivatives, written in NumPy, to check lamina's gradients against."""
    sigmoid = 1.0 / (1.0 + np.exp(-x))
    erf = np.vectorize(math.erf)
    normal_cdf = 0.5 * (1.0 + erf(x / math.sqrt(2.0)))
    normal_pdf = np.exp(-0.5 * x ** 2) / math.sqrt(2.0 * math.pi)
    return {
        "sigmoid": sigmoid * (1.0 - sigmoid),
        "ReLU": (x > 0).astype(np.float64),
        f"leaky ReLU (alpha={LEAKY_ALPHA})": np.where(x > 0, 1.0, LEAKY_ALPHA),
        "tanh": 1.0 - np.tanh(x) ** 2,
        "ELU": np.where(x > 0, 1.0, np.exp(x)),
        "GELU": normal_cdf + x * normal_pdf,
    }


def main(out: str | Path | None = "activations.png", points: int = 200) -> dict:
    """Computes every activation and its derivative on ``[-5, 5]`` and plots them.

    An even number of ``points`` keeps x = 0 off the grid: ReLU-like functions have no
    derivative there, and libraries differ in the value they pick.

    Returns:
        ``{"x", "values", "derivatives", "max_derivative_error", "plot"}``; ``plot`` is the
        PNG written, or None (no ``out``, or no matplotlib).
    """
    x = lm.linspace(-5.0, 5.0, points)
    values, derivatives = {}, {}
    for name, fn in ACTIVATIONS.items():
        values[name] = fn(x).numpy()
        # f acts elementwise, so the gradient of sum(f(x)) holds f'(x_i) at each x_i.
        derivatives[name] = lm.grad(lambda t, fn=fn: lm.sum(fn(t)))(x).numpy()

    expected = textbook_derivatives(x.numpy().astype(np.float64))
    max_error = max(float(np.max(np.abs(derivatives[name] - expected[name])))
                    for name in ACTIVATIONS)
    plot = plot_activations(x.numpy(), values, derivatives, out) if out else None
    return {"x": x.numpy(), "values": values, "derivatives": derivatives,
            "max_derivative_error": max_error, "plot": plot}


def plot_activations(x: np.ndarray, values: dict, derivatives: dict,
                     out: str | Path) -> str | None:
    """One panel per activation: the function (solid) and its derivative (dashed)."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # write files; no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: pip install 'lamina[plot]' to draw the plot")
        return None
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True)
    for ax, name in zip(axes.flat, values):
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.axvline(0.0, color="0.6", linewidth=0.8)
        ax.plot(x, values[name], color="tab:blue", linewidth=2.2, label="f(x)")
        ax.plot(x, derivatives[name], color="tab:red", linewidth=1.8, linestyle="--",
                label="f'(x) from lm.grad")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("x")
    axes[0, 0].legend(loc="upper left")
    fig.suptitle("Activation functions and their derivatives, computed by lamina")
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return str(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="activations.png", help="the PNG to write")
    args = parser.parse_args()
    result = main(out=args.out)
    print(f"largest difference between lm.grad and the textbook derivatives: "
          f"{result['max_derivative_error']:.2e}")
    if result["plot"]:
        print(f"plot written to {result['plot']}")
