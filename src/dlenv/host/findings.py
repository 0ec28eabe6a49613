"""A finding: one thing doctor checked, how it stands, and what to do about it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec


class Severity(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class Group(StrEnum):
    """Report sections, in display order."""

    SYSTEM = "System"
    GPU = "GPU and driver"
    TOOLKIT = "Container toolkit"
    ENGINES = "Container engines"
    RESOURCES = "Resources"
    SPEC = "Against the spec"


class Finding(msgspec.Struct, frozen=True):
    id: str  # stable, dotted: "driver.too_old"; scripts and docs refer to it
    severity: Severity
    group: Group
    message: str  # one line
    details: str = ""
    fix: str = ""  # an exact command, or the `dlenv setup --only <step>` that performs it

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": str(self.severity),
            "group": str(self.group),
            "message": self.message,
            "details": self.details,
            "fix": self.fix,
        }


def ok(id: str, group: Group, message: str, details: str = "") -> Finding:
    return Finding(id, Severity.OK, group, message, details)


def warn(id: str, group: Group, message: str, details: str = "", fix: str = "") -> Finding:
    return Finding(id, Severity.WARN, group, message, details, fix)


def fail(id: str, group: Group, message: str, details: str = "", fix: str = "") -> Finding:
    return Finding(id, Severity.FAIL, group, message, details, fix)


def exit_code(findings: list[Finding]) -> int:
    return 1 if any(f.severity is Severity.FAIL for f in findings) else 0
