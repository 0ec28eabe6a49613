"""A fake Runner for unit tests: answers each argv from a table of real captured outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dlenv.process import Command, Result


@dataclass
class FakeRunner:
    """`responses` maps an argv prefix to (returncode, stdout, stderr); unknown argv fail loudly."""

    responses: Mapping[tuple[str, ...], tuple[int, str, str]] = field(default_factory=dict)
    programs: Mapping[str, str | None] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def _answer(self, command: Command) -> Result:
        self.calls.append(command.argv)
        best: tuple[str, ...] | None = None
        for prefix in self.responses:
            if command.argv[: len(prefix)] == prefix and (best is None or len(prefix) > len(best)):
                best = prefix
        if best is None:
            raise AssertionError(f"unexpected command: {command.argv}")
        code, out, err = self.responses[best]
        return Result(command, code, out, err)

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        return self._answer(command)

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        result = self._answer(command)
        for line in result.stdout.splitlines():
            on_line(line)
        return result

    def which(self, program: str) -> str | None:
        return self.programs.get(program)

    def interactive(self, command: Command) -> int:
        return self._answer(command).returncode
