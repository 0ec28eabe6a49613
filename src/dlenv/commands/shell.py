"""`dlenv shell`: a login shell in the environment, as its user."""

from __future__ import annotations

import sys

import typer

from dlenv.commands.options import EngineOption, NameOption, SpecOption
from dlenv.commands.target import find_target, require_running
from dlenv.process import Command, SubprocessRunner
from dlenv.project import EnvOptions


def register(app: typer.Typer) -> None:
    app.command("shell")(shell_command)


def shell_command(
    spec: SpecOption = None,
    name: NameOption = None,
    engine: EngineOption = None,
) -> int:
    """Open a login shell in the running environment (the venv is on PATH)."""
    runner = SubprocessRunner()
    target = find_target(EnvOptions(spec_path=spec, name=name, engine=engine), runner)
    container = require_running(target)
    user = container.labels.get("dev.dlenv.user", "dev")
    argv = target.engine.exec_argv(
        target.name, ("bash", "-l"), user=user, stdin=True, tty=sys.stdin.isatty()
    )
    return runner.interactive(Command(argv))
