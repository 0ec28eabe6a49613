"""`dlenv open`: Jupyter in a browser here, forwarded from the box when the environment runs on
one (a managed `ssh -N -L` on a free local port, until Ctrl-C)."""

from __future__ import annotations

import signal
import time
import webbrowser
from types import FrameType

import typer
from rich.markup import escape

from dlenv.commands.options import env_options
from dlenv.console import info, out
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import Target, access_of, find_target, require_running
from dlenv.errors import DlenvError
from dlenv.ports import free_local_port
from dlenv.readiness import jupyter_status
from dlenv.remote.session import BoxSession

# How long the forward may take to answer before `open` gives up.
READY_TIMEOUT_S = 30.0


def register(app: typer.Typer) -> None:
    app.command("open")(open_command)


@env_options("target")
def open_command(
    options: EnvOptions,
    ctx: AppContext,
    browser: bool = typer.Option(False, "--browser", help="Also open the URL in a browser."),
) -> None:
    """Forward Jupyter to this machine and print its URL (--browser opens it).

    For an environment on a box: a port forward over SSH on a free local port, kept until Ctrl-C.
    """
    target = find_target(options, ctx)
    access = access_of(target, require_running(target))
    if access.jupyter_port is None or not access.token:
        raise DlenvError(
            f"{target.name} does not say its Jupyter port or has no token here",
            hint="Recreate it with `dlenv down && dlenv up`.",
        )
    if target.box is None:
        _show(access.jupyter_url, browser=browser)
        return
    _forward_until_interrupted(target, access.jupyter_port, access.token, browser=browser)


def _forward_until_interrupted(target: Target, box_port: int, token: str, *, browser: bool) -> None:
    assert target.box is not None
    # A connection of its own that lives as long as this command ("ControlPersist yes"), ended
    # with `ssh -O exit` on Ctrl-C or SIGTERM.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    session = BoxSession.open(target.box.session.address, target.box.session.runner, "yes")
    try:
        port = free_local_port()
        session.forward_local(port, box_port)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while jupyter_status(base, token) != 200:
            if time.monotonic() > deadline:
                raise DlenvError(f"Jupyter did not answer through the forward to {base}")
            time.sleep(0.3)
        _show(f"{base}/lab?token={token}", browser=browser)
        info(f"forwarding 127.0.0.1:{port} to {target.box.address}; Ctrl-C ends it")
        while session.alive():
            time.sleep(1.0)
        raise DlenvError(f"the SSH connection to {target.box.address} ended")
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        session.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise KeyboardInterrupt


def _show(url: str, *, browser: bool) -> None:
    out.print(f"[bold]Jupyter[/bold]  {escape(url)}")
    if browser:
        # webbrowser: the platform's own opener (macOS `open`, xdg-open, WSL's browser).
        webbrowser.open(url)
