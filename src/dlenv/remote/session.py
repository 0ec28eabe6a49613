"""One multiplexed SSH connection to the box, and a `Runner` that runs programs there.

`BoxSession.open` starts an OpenSSH ControlMaster (ssh(1) -M; ssh_config(5) ControlMaster,
ControlPath, ControlPersist) whose socket lives in a private directory (mkdtemp: mode 0700, so no
other user can ride the connection). Every probe, file copy and port forward is a session on
that one connection (`ssh -S SOCKET`, `ssh -O forward`); `close` ends it with `ssh -O exit`.
Only the OpenSSH client is used, so this works from macOS and WSL as well as Linux.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from dlenv.errors import DlenvError
from dlenv.process import Command, Result, Runner
from dlenv.remote.address import BoxAddress

# Options of every connection to the box: never prompt (dlenv runs unattended; a prompt would
# hang), give up on a dead box quickly, notice a dropped one. The host key is checked against the
# user's own known_hosts (StrictHostKeyChecking's default, "ask", fails under BatchMode).
_CLIENT_OPTIONS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=15")
# The master outlives a dlenv that was killed by at most this many idle seconds.
CONTROL_PERSIST_S = 300
_ALLOCATED = re.compile(r"(?:Allocated port )?(?P<port>[0-9]{1,5})\b.*", re.DOTALL)


def explain_ssh_failure(address: BoxAddress, stderr: str) -> DlenvError:
    """The error for a box that could not be reached, with the fix its stderr points to."""
    text = stderr.strip()
    login = shlex.join(("ssh", *address.ssh_args()))
    if "Host key verification failed" in text or "REMOTE HOST IDENTIFICATION" in text:
        hint = (
            f"dlenv checks the box's host key against your known_hosts and never accepts one "
            f"for you. Connect once with `{login}`, compare the fingerprint with the box's, "
            "and answer yes."
        )
    elif "Permission denied" in text:
        hint = (
            f"Your key is not accepted by the box. Check that `{login}` logs in without a "
            "password (ssh-copy-id, or add your key to ssh-agent with ssh-add)."
        )
    else:
        hint = f"Check that `{login}` works from this machine."
    return DlenvError(f"cannot reach the box {address} over SSH", details=text or None, hint=hint)


class BoxSession:
    """A live ControlMaster connection to `address`. Use `open`, then `close` (or `with`)."""

    def __init__(self, address: BoxAddress, runner: Runner, control_dir: Path):
        self.address = address
        self.runner = runner
        self.control_dir = control_dir

    @property
    def control_path(self) -> Path:
        return self.control_dir / "master"

    @classmethod
    def open(
        cls, address: BoxAddress, runner: Runner, persist: str = str(CONTROL_PERSIST_S)
    ) -> BoxSession:
        """`persist`: ControlPersist, how long the master outlives its last session ("yes":
        until `close`, for the port forwards of `dlenv open`)."""
        # A short path: a Unix socket path has at most 104 bytes on macOS (sun_path).
        session = cls(address, runner, Path(tempfile.mkdtemp(prefix="dlenv-ssh-")))
        started = runner.run(
            Command(
                (
                    "ssh",
                    "-M",
                    "-f",
                    "-N",
                    "-S",
                    str(session.control_path),
                    "-o",
                    f"ControlPersist={persist}",
                    *_CLIENT_OPTIONS,
                    *address.ssh_args(),
                )
            ),
            timeout=60,
        )
        if not started.ok:
            shutil.rmtree(session.control_dir, ignore_errors=True)
            raise explain_ssh_failure(address, started.stderr)
        return session

    def __enter__(self) -> BoxSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ssh_argv(self, *options: str) -> tuple[str, ...]:
        """`ssh` over the master, with `options` before the destination."""
        return (
            "ssh", "-S", str(self.control_path), *_CLIENT_OPTIONS, *options,
            *self.address.ssh_args(),
        )  # fmt: skip

    def command(self, argv: tuple[str, ...], *, stdin: str | None = None) -> Command:
        """`argv` run on the box. ssh hands the remote shell one string: each word is quoted."""
        return Command((*self.ssh_argv(), shlex.join(argv)), stdin=stdin)

    def shell(self, script: str, *args: str, stdin: str | None = None) -> Result:
        """Run a fixed `sh -c` script on the box; `args` arrive as $1, $2, ... (quoted)."""
        return self.runner.run(self.command(("sh", "-c", script, "sh", *args), stdin=stdin))

    def forward_local(self, local_port: int, box_port: int) -> None:
        """127.0.0.1:local_port here reaches 127.0.0.1:box_port on the box."""
        spec = f"127.0.0.1:{local_port}:127.0.0.1:{box_port}"
        self._control("forward", "-L", spec)

    def forward_remote(self, local_port: int) -> int:
        """A port on the box's loopback that reaches 127.0.0.1:local_port here; returns it.
        Port 0 lets sshd choose, and ssh prints the port it got (ssh(1), -R)."""
        result = self._control("forward", "-R", f"127.0.0.1:0:127.0.0.1:{local_port}")
        match = _ALLOCATED.fullmatch(result.stdout.strip())
        if match is None:
            raise DlenvError(
                "the box gave no port for a remote forward", details=result.stdout or None
            )
        return int(match["port"])

    def _control(self, operation: str, *args: str) -> Result:
        result = self.runner.run(Command(self.ssh_argv("-O", operation, *args)), timeout=30)
        if not result.ok:
            raise DlenvError(
                f"ssh -O {operation} {' '.join(args)} failed on the connection to {self.address}",
                details=result.stderr.strip() or None,
            )
        return result

    def alive(self) -> bool:
        return self.runner.run(Command(self.ssh_argv("-O", "check")), timeout=30).ok

    def close(self) -> None:
        self.runner.run(Command(self.ssh_argv("-O", "exit")), timeout=30)
        shutil.rmtree(self.control_dir, ignore_errors=True)


class BoxRunner:
    """A `Runner` whose programs run on the box, over the session's one connection."""

    def __init__(self, session: BoxSession):
        self.session = session

    def _wrap(self, command: Command) -> Command:
        env = tuple(f"{k}={v}" for k, v in sorted(command.env.items()))
        argv = ("env", *env, *command.argv) if env else command.argv
        return self.session.command(argv, stdin=command.stdin)

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        result = self.session.runner.run(self._wrap(command), check=check, timeout=timeout)
        # Callers see the command they asked for, not the ssh around it.
        return Result(command, result.returncode, result.stdout, result.stderr)

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        result = self.session.runner.stream(self._wrap(command), on_line)
        return Result(command, result.returncode, result.stdout, result.stderr)

    def which(self, program: str) -> str | None:
        found = self.session.shell('command -v -- "$1"', program)
        path = found.stdout.strip()
        return path if found.ok and path.startswith("/") else None

    def interactive(self, command: Command) -> int:
        return self.session.runner.interactive(self._wrap(command))
