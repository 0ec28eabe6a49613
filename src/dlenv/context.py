"""What a command may know of the process that runs it, gathered once in `dlenv.cli`.

Commands and the layers below them read the working directory, the environment variables, the
invoking user and the state directory from an `AppContext`, never from `os` directly. So `up`,
`build` and `status` run in-process in tests with a fake runner, a temporary state root and an
environment of the test's choosing.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_cache_dir, user_state_dir

from dlenv.engine.info_memo import PodmanInfoMemo, RememberingRunner
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
    user: str | None = None  # their login name, when it can be told

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
    euid: int = 1000  # the process's own effective UID: 0 when dlenv itself runs as root
    # What the command opened and must close when it ends (a box's SSH connection): `dlenv.cli.run`
    # closes it, whatever the outcome.
    closing: ExitStack = field(default_factory=ExitStack, compare=False, repr=False)

    @property
    def home(self) -> Path | None:
        """The HOME this context gives (`~` in paths the spec names); None when unset."""
        home = self.environ.get("HOME")
        return Path(home) if home else None

    @classmethod
    def from_process(cls, runner: Runner | None = None) -> AppContext:
        environ = dict(os.environ)
        euid = os.geteuid()
        if runner is None:
            memo = PodmanInfoMemo(cache_root(), environ, euid)
            runner = RememberingRunner(SubprocessRunner(), memo)
        return cls(
            cwd=Path.cwd(),
            environ=environ,
            identity=identity_from(environ, euid, os.getgid()),
            state_root=state_root_from(environ),
            runner=runner,
            euid=euid,
        )


def cache_root() -> Path:
    """dlenv's cache directory (platformdirs: $XDG_CACHE_HOME/dlenv or ~/.cache/dlenv): what it
    keeps there only saves time, and is remade when missing."""
    return Path(user_cache_dir("dlenv"))


def identity_from(
    environ: Mapping[str, str],
    euid: int,
    egid: int,
    name_of: Callable[[int], str | None] | None = None,
) -> Identity:
    """Under sudo, the person who ran sudo: sudo sets SUDO_UID, SUDO_GID and SUDO_USER to theirs
    (sudo(8), "ENVIRONMENT"). Otherwise the process's own user."""
    user = invoking_user(environ, euid, name_of)
    if euid != 0 or "SUDO_UID" not in environ:
        return Identity(euid, egid, user)
    try:
        return Identity(int(environ["SUDO_UID"]), int(environ.get("SUDO_GID", egid)), user)
    except ValueError:  # a malformed SUDO_UID: trust the process, not the variable
        return Identity(euid, egid, user)


def invoking_user(
    environ: Mapping[str, str], euid: int, name_of: Callable[[int], str | None] | None = None
) -> str | None:
    """Who dlenv acts for: under sudo, SUDO_USER (the person who ran sudo, not root);
    otherwise the user running dlenv. None when neither can be told."""
    sudo_user = environ.get("SUDO_USER")
    if euid == 0 and sudo_user:
        return sudo_user
    return (name_of or _passwd_name)(euid) or environ.get("USER") or None


def _passwd_name(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def state_root_from(environ: Mapping[str, str]) -> Path:
    override = environ.get("DLENV_STATE_DIR")
    return Path(override) if override else Path(user_state_dir("dlenv"))
