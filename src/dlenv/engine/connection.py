"""Where the engine runs: here, or on a box reached over the engine's own SSH transport.

dlenv runs no agent of its own on the box. Docker's CLI takes an `ssh://` DOCKER_HOST and runs
`ssh ... docker system dial-stdio` on the box ("Protect the Docker daemon socket", "Use SSH to
protect the Docker daemon socket": https://docs.docker.com/engine/security/protect-access/);
Podman's takes `--url ssh://[user@]host[:port]/SOCKET` to the box's Podman API socket
(podman(1), --url; podman-system-connection(1)). Either way the build context is rendered here
and streamed to the box's builder by the engine's CLI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dlenv.errors import DlenvError
from dlenv.process import Command, Runner
from dlenv.remote.address import BoxAddress
from dlenv.ssh_keys import KEY_NAME

# OpenSSH's default identities, in the order ssh tries them (ssh(1), -i), and the pair `dlenv up`
# makes when there is none (dlenv.ssh_keys). Podman's SSH client is Go's, which reads no
# ssh_config: without an agent it needs the key named.
DEFAULT_IDENTITIES = ("id_rsa", "id_ecdsa", "id_ed25519", KEY_NAME)

# The service's socket as Podman reports it (`podman info`, Host.RemoteSocket), as `podman system
# connection add` asks the remote machine for it.
_SOCKET_QUERY = ("podman", "info", "--format", "{{json .Host.RemoteSocket}}")


@dataclass(frozen=True)
class EngineConnection:
    """Added to every engine command: global options after the program, and environment."""

    global_args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    box: BoxAddress | None = None

    @property
    def remote(self) -> bool:
        return self.box is not None

    def apply(self, command: Command) -> Command:
        program, *rest = command.argv
        return Command(
            (program, *self.global_args, *rest), {**command.env, **self.env}, command.stdin
        )


LOCAL = EngineConnection()


def docker_connection(box: BoxAddress) -> EngineConnection:
    return EngineConnection(env={"DOCKER_HOST": box.ssh_url()}, box=box)


def podman_connection(box: BoxAddress, socket: str, identity: Path | None) -> EngineConnection:
    key = ("--identity", str(identity)) if identity is not None else ()
    return EngineConnection(global_args=("--url", box.ssh_url(socket), *key), box=box)


def podman_identity(environ: Mapping[str, str], home: Path | None) -> Path | None:
    """The key Podman should use: none when an agent holds the keys (Podman asks SSH_AUTH_SOCK),
    else the first of OpenSSH's default identities that exists."""
    if environ.get("SSH_AUTH_SOCK") or home is None:
        return None
    return next(
        (home / ".ssh" / n for n in DEFAULT_IDENTITIES if (home / ".ssh" / n).is_file()), None
    )


def podman_socket(box_runner: Runner, box: BoxAddress) -> str:
    """The Podman API socket on the box; an error that says how to start it when it is absent."""
    result = box_runner.run(Command(_SOCKET_QUERY), timeout=30)
    try:
        found = json.loads(result.stdout) if result.ok else None
    except ValueError:
        found = None
    path = found.get("path") if isinstance(found, dict) else None
    if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() for c in path):
        raise DlenvError(
            f"podman on {box} did not say where its API socket is",
            details=(result.stderr or result.stdout).strip() or None,
        )
    if not (isinstance(found, dict) and found.get("exists")):
        raise DlenvError(
            f"the Podman API service is not running on {box} (no socket at {path})",
            hint="On the box, start it: `sudo systemctl enable --now podman.socket` (rootful) "
            "or `systemctl --user enable --now podman.socket` (rootless); without systemd, "
            f"`podman system service --time=0 unix://{path} &`.",
        )
    return path
