"""`dlenv shell`: a login shell in the environment, as its user."""

from __future__ import annotations

import sys

import typer

from dlenv.commands.options import env_options
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target, require_running


def register(app: typer.Typer) -> None:
    app.command("shell")(shell_command)


@env_options("target")
def shell_command(
    options: EnvOptions,
    ctx: AppContext,
) -> int:
    """Open a login shell in the running environment (the venv is on PATH)."""
    runner = ctx.runner
    target = find_target(options, ctx)
    require_running(target)
    user = target.labels.user
    command = target.engine.exec_command(
        target.name, ("bash", "-l"), user=user, stdin=True, tty=sys.stdin.isatty()
    )
    return runner.interactive(command)
