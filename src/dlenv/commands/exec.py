"""`dlenv exec -- CMD`: run a command in the environment as its user."""

from __future__ import annotations

import sys

import typer

from dlenv.commands.options import env_options
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target, require_running
from dlenv.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("exec")(exec_command)


@env_options("target")
def exec_command(
    options: EnvOptions,
    ctx: AppContext,
    command: list[str] = typer.Argument(None, help="The command and its arguments, after `--`."),
    root: bool = typer.Option(False, "--root", help="Run as root instead of the environment user."),
) -> int:
    """Run a command in the running environment (`dlenv exec -- python train.py`).

    Exits with the command's exit code; --root runs it as root.
    """
    if not command:
        raise UsageError("no command given", hint="Put it after `--`: dlenv exec -- nvidia-smi")
    runner = ctx.runner
    target = find_target(options, ctx)
    require_running(target)
    user = "root" if root else target.labels.user
    return runner.interactive(
        target.engine.exec_command(
            target.name, tuple(command), user=user, stdin=True, tty=sys.stdin.isatty()
        )
    )
