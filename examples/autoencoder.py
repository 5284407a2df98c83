"""Compress 8x8 digit images to 8 numbers with a dense autoencoder, and compare with PCA.

An autoencoder is trained to output its own input through a narrow middle layer (the code),
so it must learn a compact representation: no labels are used. PCA is the best *linear*
code of the same width; the network's nonlinear layers should reconstruct the test images
with less error. PCA is computed here with NumPy's SVD, in a few lines.

With ``--out`` the script also draws test digits next to both reconstructions (needs
matplotlib, the ``plot`` extra).

    python examples/autoencoder.py --code-size 8 --epochs 50 --out autoencoder.png

``main(code_size, epochs, seed)`` returns both test errors, so tests can call it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import lamina as lm


def load_flat_digits() -> tuple[np.ndarray, np.ndarray]:
    """Training and test digits as rows of 64 pixels scaled to [0, 1]."""
    (x_train, _), (x_test, _) = lm.datasets.digits.load_data()
    return ((x_train / 16.0).reshape(-1, 64).astype(np.float32),
            (x_test / 16.0).reshape(-1, 64).astype(np.float32))


def pca_reconstruct(x_train: np.ndarray, x: np.ndarray, width: int) -> np.ndarray:
    """Projects ``x`` onto the top ``width`` principal axes of ``x_train`` and back."""
    mean = x_train.mean(axis=0)
    # The rows of vt are the principal axes, ordered by how much variance each explains.
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    axes = vt[:width].T                      # (64, width)
    return (x - mean) @ axes @ axes.T + mean


def build_autoencoder(code_size: int) -> lm.Sequential:
    """64 -> 128 -> code_size -> 128 -> 64, with a sigmoid output for pixels in [0, 1]."""
    return lm.Sequential([
        lm.Input(shape=(64,)),
        lm.layers.Dense(128, activation="relu"),
        lm.layers.Dense(code_size, name="code"),  # linear, like PCA's coordinates
        lm.layers.Dense(128, activation="relu"),
        lm.layers.Dense(64, activation="sigmoid"),
    ], name="autoencoder")


def main(code_size: int = 8, epochs: int = 50, seed: int = 0, verbose: int = 0,
         out: str | Path | None = None) -> dict:
    """Trains the autoencoder and compares its test error with PCA's.

    Returns:
        ``{"autoencoder_mse", "pca_mse", "history", "plot"}``: mean squared errors per pixel
        on the test digits, the training history, and the PNG written (or None).
    """
    lm.utils.set_random_seed(seed)
    x_train, x_test = load_flat_digits()

    model = build_autoencoder(code_size)
    model.compile(optimizer=lm.optimizers.Adam(learning_rate=0.002), loss="mse")
    # The input is also the target: the network learns to copy through the bottleneck.
    history = model.fit(x_train, x_train, batch_size=32, epochs=epochs,
                        validation_data=(x_test, x_test), verbose=verbose)
    autoencoded = model.predict(x_test)
    pca = pca_reconstruct(x_train, x_test, code_size)
    result = {"autoencoder_mse": _mse(autoencoded, x_test), "pca_mse": _mse(pca, x_test),
              "history": history.history, "plot": None}
    if out:
        result["plot"] = plot_reconstructions(x_test, autoencoded, pca, code_size, out)
    return result


def _mse(reconstructed: np.ndarray, x: np.ndarray) -> float:
    return float(np.mean((reconstructed - x) ** 2))


def plot_reconstructions(x: np.ndarray, autoencoded: np.ndarray, pca: np.ndarray,
                         code_size: int, out: str | Path, count: int = 10) -> str | None:
    """Three rows of ``count`` digits: the originals, the autoencoder's, PCA's."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # write files; no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: pip install 'lamina[plot]' to draw the plot")
        return None
    rows = (("test digit", x), ("autoencoder", autoencoded), ("PCA", pca))
    fig, axes = plt.subplots(3, count, figsize=(count * 1.1, 3.8))
    for row, (label, images) in enumerate(rows):
        for col in range(count):
            ax = axes[row, col]
            ax.imshow(images[col].reshape(8, 8), cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label)
    fig.suptitle(f"Test digits rebuilt from {code_size} numbers each "
                 f"(mean squared error: autoencoder {_mse(autoencoded, x):.4f}, "
                 f"PCA {_mse(pca, x):.4f})")
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return str(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="PNG of reconstructed digits")
    args = parser.parse_args()
    result = main(code_size=args.code_size, epochs=args.epochs, seed=args.seed, verbose=2,
                  out=args.out)
    print(f"test reconstruction error (mean squared, per pixel) with {args.code_size} numbers "
          f"per image: autoencoder {result['autoencoder_mse']:.4f}, "
          f"PCA {result['pca_mse']:.4f}")
    if result["plot"]:
        print(f"plot written to {result['plot']}")
