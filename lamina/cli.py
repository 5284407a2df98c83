"""The ``lamina`` command.

    lamina demo iris [--epochs N] [--seed S] [--out DIR]
    lamina --version
"""
from __future__ import annotations

import argparse
import sys

DEMOS = ("iris",)


def main(argv: list[str] | None = None) -> int:
    import lamina
    parser = argparse.ArgumentParser(prog="lamina", description="lamina: deep learning on "
                                     "NumPy (CPU) and CuPy (GPU).")
    parser.add_argument("--version", action="version", version=f"lamina {lamina.__version__}")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="run a demonstration")
    demo.add_argument("name", choices=DEMOS, help="which demonstration")
    demo.add_argument("--epochs", type=_positive, default=100)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", default=".", help="folder for the training-curve PNG")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return _demo(args)


def _demo(args: argparse.Namespace) -> int:
    from .demos import iris
    print("Training a 4-16-3 network on the iris flowers (120 train / 30 test)...")
    result = iris.run(epochs=args.epochs, seed=args.seed, out_dir=args.out,
                      verbose=0 if args.quiet else 1)
    print(f"test accuracy: {result['test_accuracy']:.3f}  (train accuracy "
          f"{result['train_accuracy']:.3f}, {result['seconds']:.1f} s)")
    if result["plot"]:
        print(f"training curves: {result['plot']}")
    else:
        print("training curves: not drawn (install the plot extra: pip install "
              "'lamina[plot]')")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
