"""A Keras-style text progress bar: ``12/40 [=====>........] - 1s - loss: 0.4210``.

It redraws one line in place on a terminal (verbose=1) or prints one line per completed run
(verbose=2); verbose=0 prints nothing.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Shows progress towards ``total`` steps, with named values (losses, metrics).

    Example:
        >>> bar = ProgressBar(10)
        >>> for i in range(10):
        ...     bar.update(i + 1, loss=0.5)
        >>> bar.close()
    """

    def __init__(self, total: int | None, width: int = 30, verbose: int = 1,
                 unit: str = "step", stream: TextIO | None = None):
        self.total = total
        self.width = width
        self.verbose = verbose
        self.unit = unit
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._values: dict[str, float] = {}
        self._current = 0
        self._drawn = 0  # length of the line on screen, to blank what a shorter one leaves

    def due(self, current: int) -> bool:
        """Whether ``update(current)`` would redraw (so callers can skip computing values)."""
        if self.verbose != 1:
            return False
        return (self.total is not None and current >= self.total) or \
            time.perf_counter() - self._last_draw >= 0.05

    def update(self, current: int, **values: float) -> None:
        self._current = current
        self._values.update(values)
        if self.verbose != 1:
            return
        now = time.perf_counter()
        done = self.total is not None and current >= self.total
        if now - self._last_draw < 0.05 and not done:
            return  # redrawing faster than the eye reads only costs time
        self._last_draw = now
        self._draw(self._line(now))
        self.stream.flush()

    def close(self, **values: float) -> None:
        """Finishes the line (verbose=1) or prints the summary line (verbose=2)."""
        self._values.update(values)
        if self.verbose == 1:
            self._draw(self._line(time.perf_counter(), final=True))
            self.stream.write("\n")
        elif self.verbose == 2:
            self.stream.write(self._line(time.perf_counter(), final=True, bar=False) + "\n")
        self.stream.flush()

    def _draw(self, line: str) -> None:
        self.stream.write("\r" + line + " " * max(self._drawn - len(line), 0))
        self._drawn = len(line)

    def _line(self, now: float, final: bool = False, bar: bool = True) -> str:
        elapsed = now - self.start
        parts = []
        if self.total:
            digits = len(str(self.total))
            count = f"{self._current:>{digits}}/{self.total}"
            if bar:
                filled = int(self.width * min(self._current, self.total) / self.total)
                arrow = ">" if filled < self.width else "="
                count += " [" + "=" * max(filled - 1, 0) + (arrow if filled else "") + \
                         "." * (self.width - filled) + "]"
            parts.append(count)
        if final or not self.total or not self._current:
            parts.append(_fmt_time(elapsed))
        else:
            eta = elapsed / self._current * (self.total - self._current)
            parts.append(f"ETA: {_fmt_time(eta)}")
        parts += [f"{k}: {_fmt_value(v)}" for k, v in self._values.items()]
        return " - ".join(parts)


def _fmt_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 1:
        return f"{seconds:.0f}s"
    return f"{seconds * 1e3:.0f}ms"


def _fmt_value(v: float) -> str:
    if hasattr(v, "__len__"):  # a vector-valued metric shows its mean, as in Keras
        v = float(sum(v) / max(len(v), 1))
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"
