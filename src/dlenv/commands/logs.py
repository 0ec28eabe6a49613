"""`dlenv logs`: the container's output (sshd and JupyterLab)."""

from __future__ import annotations

import typer

from dlenv.commands.options import env_options
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target
from dlenv.errors import DlenvError


def register(app: typer.Typer) -> None:
    app.command("logs")(logs_command)


@env_options("target")
def logs_command(
    options: EnvOptions,
    ctx: AppContext,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new output."),
    tail: int | None = typer.Option(None, "--tail", help="Only the last N lines."),
) -> int:
    """Print the environment's logs (sshd and JupyterLab)."""
    runner = ctx.runner
    target = find_target(options, ctx)
    if target.container is None:
        raise DlenvError(f"{target.name} is not created", hint="Start it with `dlenv up`.")
    return runner.interactive(target.engine.logs_command(target.name, follow=follow, tail=tail))
