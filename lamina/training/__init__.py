"""Training loops: the Trainer a compiled Model holds (fit, evaluate, predict), and data
handling."""
from .trainer import Trainer

__all__ = ["Trainer"]
