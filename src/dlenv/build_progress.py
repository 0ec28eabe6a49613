"""Build output a person can follow: the current step of N, elapsed time, the latest output.

Every line also goes to the environment's build log, whose path is shown on failure.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import TextIO

from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from dlenv.console import err
from dlenv.engine.base import BuildStep
from dlenv.engine.cli_engine import parse_build_step


def format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class BuildProgress:
    """A context manager whose `on_line` is handed to the engine's build."""

    def __init__(self, log_path: Path, *, tail_lines: int = 6):
        self.log_path = log_path
        self.started = time.monotonic()
        self.step: BuildStep | None = None
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self._log: TextIO | None = None
        self._live: Live | None = None

    def __enter__(self) -> BuildProgress:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w", encoding="utf-8")
        if err.is_terminal:
            self._live = Live(self._render(), console=err, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
        if self._log is not None:
            self._log.close()

    @property
    def elapsed(self) -> str:
        return format_elapsed(time.monotonic() - self.started)

    def on_line(self, line: str) -> None:
        if self._log is not None:
            self._log.write(line + "\n")
        step = parse_build_step(line)
        if step is not None:
            self.step = step
            if self._live is None:  # not a terminal: one plain line per step
                err.print(
                    f"[{step.number}/{step.total}] {escape(step.instruction[:100])} "
                    f"[dim]({self.elapsed})[/dim]"
                )
        elif line.strip():
            self.tail.append(line)
        if self._live is not None:
            self._live.update(self._render())

    def _render(self) -> Group:
        if self.step is None:
            header = Text(f"building… {self.elapsed}", style="bold")
        else:
            header = Text.assemble(
                (f"step {self.step.number}/{self.step.total} ", "bold cyan"),
                (self.step.instruction[:90], ""),
                (f"  {self.elapsed}", "dim"),
            )
        lines = [Text("  " + line[:120], style="dim") for line in self.tail]
        return Group(header, *lines)
