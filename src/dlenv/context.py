"""What a command may know of the process that runs it, gathered once in `dlenv.cli`.

Commands and the layers below them read the working directory, the environment variables, the
invoking user and the state directory from an `AppContext`, never from `os` directly. So `up`,
`build` and `status` run in-process in tests with a fake runner, a temporary state root and an
environment of the test's choosing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_state_dir

from dlenv.process import Runner, SubprocessRunner

# The UID a root invoker's files get in the container: a root user inside is what we avoid.
# 1000 is the first regular user's UID (UID_MIN in login.defs(5); FIRST_UID in Debian's
# adduser.conf(5)).
FALLBACK_UID = 1000


@dataclass(frozen=True)
class Identity:
    """The person dlenv acts for: under sudo, the one who ran sudo."""

    uid: int
    gid: int
    user: str | None = None

    @property
    def container_ids(self) -> tuple[int, int]:
        """The UID/GID the environment's user gets; root maps to an ordinary UID."""
        if self.uid == 0:
            return FALLBACK_UID, FALLBACK_UID
        return self.uid, self.gid


@dataclass(frozen=True)
class AppContext:
    cwd: Path
    environ: Mapping[str, str]
    identity: Identity
    state_root: Path
    runner: Runner = field(default_factory=SubprocessRunner)
    host_root: Path = Path("/")  # where host files are read (tests: a captured tree)

    @classmethod
    def from_process(cls, runner: Runner | None = None) -> AppContext:
        environ = dict(os.environ)
        return cls(
            cwd=Path.cwd(),
            environ=environ,
            identity=identity_from(environ, os.getuid(), os.getgid()),
            state_root=state_root_from(environ),
            runner=runner or SubprocessRunner(),
        )


def identity_from(environ: Mapping[str, str], uid: int, gid: int) -> Identity:
    """sudo sets SUDO_UID/SUDO_GID/SUDO_USER to the invoking user's (sudo(8), "ENVIRONMENT")."""
    try:
        return Identity(
            int(environ.get("SUDO_UID", uid)),
            int(environ.get("SUDO_GID", gid)),
            environ.get("SUDO_USER") or environ.get("USER"),
        )
    except ValueError:  # a malformed SUDO_UID: trust the process, not the variable
        return Identity(uid, gid, environ.get("USER"))


def state_root_from(environ: Mapping[str, str]) -> Path:
    override = environ.get("DLENV_STATE_DIR")
    return Path(override) if override else Path(user_state_dir("dlenv"))
