"""An environment on a box: the one SSH connection, and what lives on the box for it.

The container's secrets are bind-mounted from the engine's machine, so for a box the state dlenv
keeps here (the Jupyter token, the authorized keys) is copied over the SSH connection into a 0700
directory of the box user's own, never into an image, a build argument or a command line.
Readiness is checked through forwards on the same connection: the environment's ports stay
bound to the box's loopback.
"""

from __future__ import annotations

import stat
from functools import cached_property

from dlenv.context import AppContext
from dlenv.engine.connection import podman_identity
from dlenv.engine.detect import BoxLink
from dlenv.errors import DlenvError
from dlenv.host.remote_reader import BoxHostReader
from dlenv.ports import free_local_port
from dlenv.readiness import Endpoints
from dlenv.remote.address import parse_box
from dlenv.remote.session import BoxRunner, BoxSession
from dlenv.state import EnvState

# Below the box user's home, as dlenv's own state directory is below yours (XDG_STATE_HOME's
# default, https://specifications.freedesktop.org/basedir-spec/latest/).
BOX_STATE = ".local/state/dlenv/envs"

# Write stdin to "$1/$2" on the box with mode $3: the directory made 0700 (and each new level,
# under umask 077), the file written 0600, given its mode, then moved into place whole.
_WRITE = (
    'umask 077 && mkdir -p -- "$1" && chmod 0700 -- "$1" && '
    'cat > "$1/.$2.tmp" && chmod "$3" -- "$1/.$2.tmp" && mv -f -- "$1/.$2.tmp" "$1/$2"'
)


class Box:
    def __init__(self, session: BoxSession, ctx: AppContext):
        self.session = session
        self.ctx = ctx
        self.runner = BoxRunner(session)

    @property
    def address(self) -> str:
        return str(self.session.address)

    @cached_property
    def reader(self) -> BoxHostReader:
        return BoxHostReader(self.session)

    def link(self) -> BoxLink:
        return BoxLink(
            address=self.session.address,
            runner=self.runner,
            reader=self.reader,
            forward_to_box=self.session.forward_remote,
            identity=podman_identity(self.ctx.environ, self.ctx.home),
        )

    @cached_property
    def home(self) -> str:
        result = self.session.shell('printf %s "$HOME"')
        home = result.stdout
        if not result.ok or not home.startswith("/") or any(c in home for c in "\n\0"):
            raise DlenvError(f"the box {self.address} gives no usable home directory for its user")
        return home.rstrip("/")

    def state_dir(self, name: str) -> str:
        return f"{self.home}/{BOX_STATE}/{name}"

    def push_state(self, state: EnvState, name: str) -> None:
        """Copy the token and authorized keys to the box's state directory for `name`."""
        for path in (state.authorized_keys_file, state.token_file):
            # The same mode as here: the keys 0644 (sshd reads them as the user), the token 0600.
            mode = f"{stat.S_IMODE(path.stat().st_mode):04o}"
            written = self.session.shell(
                _WRITE, self.state_dir(name), path.name, mode,
                stdin=path.read_text(encoding="utf-8"),
            )  # fmt: skip
            if not written.ok:
                raise DlenvError(
                    f"could not write {path.name} to {self.state_dir(name)} on {self.address}",
                    details=written.stderr.strip() or None,
                )

    def remove_state(self, name: str) -> None:
        self.session.shell('rm -rf -- "$1"', self.state_dir(name))

    def endpoints(self, ssh_port: int, jupyter_port: int, token: str) -> Endpoints:
        """Endpoints here that reach the box's loopback ports, forwarded over the connection."""
        local_ssh, local_jupyter = free_local_port(), free_local_port()
        self.session.forward_local(local_ssh, ssh_port)
        self.session.forward_local(local_jupyter, jupyter_port)
        return Endpoints("127.0.0.1", local_ssh, local_jupyter, token)


def open_box(host: str | None, ctx: AppContext) -> Box | None:
    """The box `host` names (--host, DLENV_HOST or the spec's `host`), connected; the connection
    ends when the command does. None for an environment here."""
    if not host:
        return None
    session = BoxSession.open(parse_box(host), ctx.runner)
    ctx.closing.callback(session.close)
    return Box(session, ctx)
