"""`dlenv logs`: the container's output (sshd and JupyterLab)."""

from __future__ import annotations

import typer

from dlenv.commands.options import EngineOption, NameOption, SpecOption
from dlenv.commands.target import find_target
from dlenv.errors import DlenvError
from dlenv.process import Command, SubprocessRunner
from dlenv.project import EnvOptions


def register(app: typer.Typer) -> None:
    app.command("logs")(logs_command)


def logs_command(
    spec: SpecOption = None,
    name: NameOption = None,
    engine: EngineOption = None,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new output."),
    tail: int | None = typer.Option(None, "--tail", help="Only the last N lines."),
) -> int:
    """Print the environment's logs (sshd and JupyterLab)."""
    runner = SubprocessRunner()
    target = find_target(EnvOptions(spec_path=spec, name=name, engine=engine), runner)
    if target.container is None:
        raise DlenvError(f"{target.name} is not created", hint="Start it with `dlenv up`.")
    return runner.interactive(
        Command(target.engine.logs_argv(target.name, follow=follow, tail=tail))
    )
