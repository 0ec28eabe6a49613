"""`dlenv restart`: restart the container and wait until SSH and Jupyter answer again."""

from __future__ import annotations

import typer

from dlenv.commands.options import EngineOption, NameOption, SpecOption
from dlenv.commands.target import find_target
from dlenv.console import success
from dlenv.environment_info import access_from_container
from dlenv.errors import DlenvError
from dlenv.process import SubprocessRunner
from dlenv.project import EnvOptions
from dlenv.readiness import Endpoints, wait_for_container


def register(app: typer.Typer) -> None:
    app.command("restart")(restart_command)


def restart_command(
    spec: SpecOption = None,
    name: NameOption = None,
    engine: EngineOption = None,
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for SSH and Jupyter."),
) -> None:
    """Restart the environment's container and wait until SSH and Jupyter answer.

    Same image, volumes and ports.
    """
    target = find_target(EnvOptions(spec_path=spec, name=name, engine=engine), SubprocessRunner())
    if target.container is None:
        raise DlenvError(f"{target.name} is not created", hint="Start it with `dlenv up`.")
    target.engine.restart(target.name)
    access = access_from_container(target.container, target.state.read_token())
    endpoints = Endpoints(access.host, access.ssh_port, access.jupyter_port, access.token or "")

    try:
        wait_for_container(target.engine, target.name, endpoints, timeout=timeout)
    except (TimeoutError, RuntimeError) as problem:
        raise DlenvError(
            f"{target.name} did not come back after the restart: {problem}",
            details=target.engine.logs(target.name, tail=30),
            hint="See `dlenv logs`; `dlenv down && dlenv up` recreates the container.",
        ) from None
    success(f"{target.name} restarted")
