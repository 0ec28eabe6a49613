"""A runner answering `uv pip compile` with real captured uv output (tests/fixtures/uv-compile)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dlenv.process import Command, Result
from tests.support.locks import COMPILED

UV = "/opt/uv"


@dataclass
class FakeUv:
    """Answers `uv pip compile` by writing uv's captured output to --output-file, like uv does."""

    output: str = COMPILED.read_text()
    returncode: int = 0
    seen_inputs: dict[str, str] = field(default_factory=dict)
    seen_preferences: str | None = None
    seen_constraints: str | None = None
    commands: list[Command] = field(default_factory=list)
    # Answers for an incremental resolve (one with --constraints), when it differs.
    constrained_output: str | None = None
    constrained_returncode: int = 0

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        self.commands.append(command)
        argv = command.argv
        if argv[1:] == ("--version",):
            return Result(command, 0, "uv 0.13.9 (x86_64-unknown-linux-gnu)\n", "")
        out = Path(argv[argv.index("--output-file") + 1])
        self.seen_inputs = {Path(a).name: Path(a).read_text() for a in argv if a.endswith(".in")}
        self.seen_preferences = out.read_text() if out.exists() else None
        constrained = "--constraints" in argv
        if constrained:
            self.seen_constraints = Path(argv[argv.index("--constraints") + 1]).read_text()
        returncode = self.constrained_returncode if constrained else self.returncode
        if returncode:
            return Result(command, returncode, "", "  x No solution found when resolving\n")
        out.write_text(self.constrained_output if constrained and self.constrained_output
                       else self.output)
        return Result(command, 0, "", "")

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        raise AssertionError("not used")

    def which(self, program: str) -> str | None:
        return UV

    def interactive(self, command: Command) -> int:
        raise AssertionError("not used")
