"""The verification script's JSON report, read back on the host: parsing and the one-line verdict.

The script (dlenv.verify.script) runs inside the container with nothing but Python; this side
turns what it printed into data for `dlenv verify`, or into an error that says what went wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from dlenv.errors import DlenvError


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "pass", "fail", "skip"
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    profile: str
    python: str
    checks: tuple[CheckResult, ...]
    raw: dict[str, Any]

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    def verdict(self) -> str:
        if not self.failures:
            return "all checks passed"
        return "failed: " + "; ".join(f"{c.name}: {c.detail}" for c in self.failures)


def script_text() -> str:
    """The script's source, to feed to `python -` in the container."""
    return files("dlenv.verify").joinpath("script.py").read_text(encoding="utf-8")


def parse_report(stdout: str, stderr: str = "", returncode: int = 0) -> VerifyReport:
    try:
        data = json.loads(stdout)
        checks = tuple(
            CheckResult(str(c["name"]), str(c["status"]), str(c["detail"])) for c in data["checks"]
        )
        return VerifyReport(str(data["profile"]), str(data["python"]), checks, data)
    # ValueError covers JSONDecodeError and an integer too long to convert; RecursionError, JSON
    # nested too deeply: whatever the container printed, the report did not come.
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        output = (stderr.strip() or stdout.strip())[-2000:]
        raise DlenvError(
            f"the verification script did not run (exit {returncode}): {error}",
            details=output or None,
            hint="It needs `python` on the container's PATH (the image's venv provides it); "
            "`dlenv exec -- python -V` shows whether it is there.",
        ) from None
