"""Fails early, and clearly, when scikit-learn is missing.

The estimator modules import this before anything from scikit-learn, so using a wrapper
without the optional dependency raises an ImportError that says what to install.
"""
from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "lamina.wrappers needs scikit-learn, an optional dependency of lamina: install it "
        "with `pip install lamina[sklearn]` (or `pip install scikit-learn`).") from exc
