"""`dlenv exec -- CMD`: run a command in the environment as its user."""

from __future__ import annotations

import sys

import typer

from dlenv.commands.options import EngineOption, NameOption, SpecOption
from dlenv.commands.target import find_target, require_running
from dlenv.errors import UsageError
from dlenv.process import Command, SubprocessRunner
from dlenv.project import EnvOptions


def register(app: typer.Typer) -> None:
    app.command("exec")(exec_command)


def exec_command(
    command: list[str] = typer.Argument(None, help="The command and its arguments, after `--`."),
    spec: SpecOption = None,
    name: NameOption = None,
    engine: EngineOption = None,
    root: bool = typer.Option(False, "--root", help="Run as root instead of the environment user."),
) -> int:
    """Run a command in the running environment (`dlenv exec -- python train.py`).

    Exits with the command's exit code; --root runs it as root.
    """
    if not command:
        raise UsageError("no command given", hint="Put it after `--`: dlenv exec -- nvidia-smi")
    runner = SubprocessRunner()
    target = find_target(EnvOptions(spec_path=spec, name=name, engine=engine), runner)
    container = require_running(target)
    user = "root" if root else container.labels.get("dev.dlenv.user", "dev")
    argv = target.engine.exec_argv(
        target.name, tuple(command), user=user, stdin=True, tty=sys.stdin.isatty()
    )
    return runner.interactive(Command(argv))
