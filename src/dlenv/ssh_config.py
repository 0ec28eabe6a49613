"""`dlenv ssh-config`'s text: a Host block per environment, its pinned host key, and the one
`Include` line in the user's ~/.ssh/config. Pure functions; the command does the writing.

Every value that reaches a generated line is checked with a full match first (names, users,
addresses, keys, paths), so a hostile dlenv.toml or container label cannot add a directive.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from dlenv.errors import DlenvError
from dlenv.remote.address import ADDRESS

HOST_PREFIX = "dlenv-"
# The environment name (spec.model's `name` pattern) and the user (shadow-utils' portable
# pattern, as spec.model's image.user).
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,30}")
# An OpenSSH public host key line: type and base64 blob (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT").
HOST_KEY = re.compile(r"(?P<key>ssh-ed25519 [A-Za-z0-9+/]+={0,2})(?: [^\n]*)?\n?")
# A path may go into a double-quoted ssh_config value: no quote, no control character.
_PATH = re.compile(r"/[^\"\x00-\x1f\x7f]*")
# The container's sshd listens on 22 and Jupyter on 8888 (render/templates).
CONTAINER_JUPYTER_PORT = 8888


def _begin(name: str) -> str:
    return f"# >>> dlenv {name} (written by `dlenv ssh-config`; replaced on each run)"


def _end(name: str) -> str:
    return f"# <<< dlenv {name}"


@dataclass(frozen=True)
class HostEntry:
    name: str  # the environment's
    user: str
    ssh_port: int  # on the box's (or this machine's) loopback
    jupyter_port: int | None
    jump: str | None  # the box, "[user@]host[:port]"; None: the environment runs here
    known_hosts: Path  # dlenv's own known_hosts
    identity: Path | None = None  # dlenv's own key, when the environment authorizes it

    @property
    def alias(self) -> str:
        return HOST_PREFIX + self.name

    @property
    def host_key_alias(self) -> str:
        return f"{self.alias}-hostkey"

    def check(self) -> None:
        problems = [
            what
            for what, ok in (
                (f"name {self.name!r}", _NAME.fullmatch(self.name)),
                (f"user {self.user!r}", _USER.fullmatch(self.user)),
                (f"box {self.jump!r}", self.jump is None or ADDRESS.fullmatch(self.jump)),
                (f"path {self.known_hosts}", _PATH.fullmatch(str(self.known_hosts))),
                (
                    f"path {self.identity}",
                    self.identity is None or _PATH.fullmatch(str(self.identity)),
                ),
            )
            if not ok
        ]
        if problems:
            raise DlenvError(
                f"will not write an ssh_config entry for {', '.join(problems)}",
                hint="Names, users, box addresses and paths must be plain (no spaces, quotes "
                "or control characters).",
            )


def render_block(entry: HostEntry) -> str:
    """The Host block (ssh_config(5)) for one environment, between dlenv's markers."""
    entry.check()
    lines = [
        _begin(entry.name),
        f"Host {entry.alias}",
        "  HostName 127.0.0.1",
        f"  Port {entry.ssh_port}",
        f"  User {entry.user}",
        # The container's key, pinned: no trust-on-first-use prompt, and no other key accepted.
        f"  HostKeyAlias {entry.host_key_alias}",
        f'  UserKnownHostsFile "{entry.known_hosts}"',
        "  StrictHostKeyChecking yes",
    ]
    if entry.identity is not None:
        lines.append(f'  IdentityFile "{entry.identity}"')
    if entry.jump is not None:
        # The ports are on the box's loopback: reach sshd through the box, and bring Jupyter
        # along to the same port here.
        lines.append(f"  ProxyJump {entry.jump}")
        if entry.jupyter_port is not None:
            lines.append(
                f"  LocalForward 127.0.0.1:{entry.jupyter_port} "
                f"127.0.0.1:{CONTAINER_JUPYTER_PORT}"
            )
    lines.append(_end(entry.name))
    return "\n".join(lines) + "\n"


def merge_block(config: str, name: str, block: str) -> str:
    """`config` (dlenv's own file) with `name`'s block replaced, or added at the end."""
    begin, end = _begin(name), _end(name)
    lines = config.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == begin]
    if starts:
        start = starts[0]
        stop = next(
            (i for i in range(start, len(lines)) if lines[i].rstrip("\n") == end), len(lines) - 1
        )
        return "".join(lines[:start]) + block + "".join(lines[stop + 1 :])
    separator = "\n" if config and not config.endswith("\n\n") else ""
    if config and not config.endswith("\n"):
        separator = "\n\n"
    return config + separator + block


def host_key_line(alias: str, public_key: str) -> str:
    match = HOST_KEY.fullmatch(public_key)
    if match is None:
        raise DlenvError(
            "the environment's SSH host key is not an ed25519 public key",
            details=public_key[:200] or None,
            hint="Recreate the environment (`dlenv down && dlenv up`) and run this again.",
        )
    return f"{alias} {match['key']}\n"


def merge_known_host(known_hosts: str, alias: str, line: str) -> str:
    """dlenv's known_hosts with `alias` pinned to `line`'s key (an old key for it removed)."""
    kept = [k for k in known_hosts.splitlines(keepends=True) if k.split(" ", 1)[0] != alias]
    return "".join(kept) + line


def include_line(config_path: Path) -> str:
    return f'Include "{config_path}"\n'


def with_include(user_config: str, line: str) -> str | None:
    """The user's ~/.ssh/config with `line` at the top; None when it is there already.

    At the top, because an Include after a Host line is part of that Host block (ssh_config(5),
    Include: "may appear inside a Match or Host block to perform conditional inclusion"), and
    because for each directive "the first obtained value will be used", dlenv's blocks name only
    dlenv's own hosts, so they never override the user's settings for anything else
    (https://man.openbsd.org/ssh_config). No other line is touched.
    """
    if any(existing.strip() == line.strip() for existing in user_config.splitlines()):
        return None
    header = "# Added by `dlenv ssh-config`: the environments' hosts (dlenv-NAME).\n"
    return header + line + ("\n" + user_config if user_config else "")


def unified_diff(path: Path, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=str(path),
            tofile=f"{path} (with dlenv's Include)",
        )
    )
