"""The ``lamina`` command (also ``python -m lamina``).

    lamina demo iris [--epochs N] [--seed S] [--out DIR] [--quiet]
    lamina --version
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]

DEMOS = ("iris",)
DEFAULT_OUT = "lamina-demo-output"


def main(argv: list[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status.

    Bad arguments print a usage message and raise ``SystemExit(2)``, as argparse does.

    Example:
        >>> main(["demo", "iris", "--quiet", "--out", "/tmp"])  # doctest: +SKIP
        0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if Path(args.out).exists() and not Path(args.out).is_dir():
        parser.error(f"--out expects a folder for the training-curve PNG, received the file "
                     f"{args.out!r}")
    return _demo(args)


def _parser() -> argparse.ArgumentParser:
    import lamina
    parser = argparse.ArgumentParser(
        prog="lamina", description="lamina: deep learning on NumPy (CPU) and CuPy (GPU).")
    parser.add_argument("--version", action="version", version=f"lamina {lamina.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    demo = commands.add_parser("demo", help="run a demonstration",
                               description="Train a small model and show how it went.")
    demo.add_argument("name", choices=DEMOS, help="which demonstration")
    demo.add_argument("--epochs", type=_positive, default=100,
                      help="passes over the training data (default 100)")
    demo.add_argument("--seed", type=_seed, default=0,
                      help="random seed, for a repeatable run (default 0)")
    demo.add_argument("--out", default=DEFAULT_OUT,
                      help=f"folder for the training-curve PNG (default: ./{DEFAULT_OUT})")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _demo(args: argparse.Namespace) -> int:
    from .demos import iris
    print("Training a 4-16-3 network on Fisher's iris flowers "
          "(96 training, 24 validation, 30 test)...")
    result = iris.run(epochs=args.epochs, seed=args.seed, out_dir=args.out,
                      verbose=0 if args.quiet else 1)
    history = result["history"]
    print(f"test accuracy: {result['test_accuracy']:.3f}  (training accuracy "
          f"{history['accuracy'][-1]:.3f}, validation accuracy "
          f"{history['val_accuracy'][-1]:.3f}; {args.epochs} epochs in "
          f"{result['seconds']:.1f} s)")
    if result["plot"]:
        print(f"training curves: {result['plot']}")
    else:
        print("training curves: not drawn, matplotlib is missing "
              "(install it with: pip install 'lamina[plot]')")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(
            f"expected an integer in [0, 2**32), received {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
