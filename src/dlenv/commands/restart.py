"""`dlenv restart`: restart the container and wait until SSH and Jupyter answer again."""

from __future__ import annotations

import typer

from dlenv.commands.options import env_options
from dlenv.console import success
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import access_of, endpoints_of, find_target
from dlenv.errors import DlenvError
from dlenv.readiness import wait_for_container


def register(app: typer.Typer) -> None:
    app.command("restart")(restart_command)


@env_options("target")
def restart_command(
    options: EnvOptions,
    ctx: AppContext,
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for SSH and Jupyter."),
) -> None:
    """Restart the environment's container and wait until SSH and Jupyter answer.

    Same image, volumes and ports.
    """
    target = find_target(options, ctx)
    if target.container is None:
        raise DlenvError(f"{target.name} is not created", hint="Start it with `dlenv up`.")
    # The token file is mounted at each start: a damaged one is replaced before the restart.
    target.state.jupyter_token()
    target.engine.restart(target.name)
    endpoints = endpoints_of(target, access_of(target, target.container))

    try:
        wait_for_container(target.engine, target.name, endpoints, timeout=timeout)
    except (TimeoutError, RuntimeError) as problem:
        raise DlenvError(
            f"{target.name} did not come back after the restart: {problem}",
            details=target.engine.logs(target.name, tail=30),
            hint="See `dlenv logs`; `dlenv down && dlenv up` recreates the container.",
        ) from None
    success(f"{target.name} restarted")
