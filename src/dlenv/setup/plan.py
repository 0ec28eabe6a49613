"""The plan model: ordered steps, each with a reason, a done-if check and its commands.

Commands and checks are bash text, not argv lists, because the plan must print as one script
(`--script`) that does exactly what `--yes` does: pipes (`curl | gpg --dearmor`), redirections and
`$(uname -r)` are part of the official install instructions and must stay readable as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Component(StrEnum):
    """What `--only` selects, in the order they run."""

    DRIVER = "driver"
    TOOLKIT = "toolkit"
    ENGINE = "engine"
    RUNTIME = "runtime"
    VERIFY = "verify"


class After(StrEnum):
    """What the user must do once a step has run before the next one can work."""

    NOTHING = "nothing"
    RELOGIN = "relogin"  # a new group membership applies to new login sessions only
    REBOOT = "reboot"  # a new kernel module, blacklist or enrolled key applies at boot


class Engine(StrEnum):
    PODMAN = "podman"
    DOCKER = "docker"


@dataclass(frozen=True)
class Step:
    """One idempotent unit of provisioning.

    `check` is a bash condition that exits 0 when the step is already done; a step without one
    (verification) always runs and changes nothing. `interactive` steps ask the user something on
    the terminal (a MOK password) and are left to the user when dlenv runs unattended.
    """

    id: str
    component: Component
    reason: str
    commands: tuple[str, ...]
    check: str | None = None
    needs_root: bool = True
    after: After = After.NOTHING
    interactive: bool = False
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "component": self.component.value,
            "reason": self.reason,
            "check": self.check,
            "commands": list(self.commands),
            "needs_root": self.needs_root,
            "after": self.after.value,
            "interactive": self.interactive,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Target:
    """Who and what the plan is for: shown in the plan header and in the script."""

    distro: str  # PRETTY_NAME
    family: str
    matched_by: str
    version: str | None
    arch: str


@dataclass(frozen=True)
class Plan:
    target: Target
    engine: Engine
    rootless: bool
    components: tuple[Component, ...]
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": {
                "distro": self.target.distro,
                "family": self.target.family,
                "matched_by": self.target.matched_by,
                "version": self.target.version,
                "arch": self.target.arch,
            },
            "engine": self.engine.value,
            "rootless": self.rootless,
            "components": [c.value for c in self.components],
            "notes": list(self.notes),
            "steps": [s.to_dict() for s in self.steps],
        }
