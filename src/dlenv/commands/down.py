"""`dlenv down`: stop and remove the container; the workspace and host keys stay."""

from __future__ import annotations

import typer

from dlenv.commands.options import EngineOption, NameOption, SpecOption
from dlenv.commands.target import find_target
from dlenv.console import info, success
from dlenv.process import SubprocessRunner
from dlenv.project import EnvOptions


def register(app: typer.Typer) -> None:
    app.command("down")(down_command)


def down_command(
    spec: SpecOption = None,
    name: NameOption = None,
    engine: EngineOption = None,
) -> None:
    """Stop the environment; the workspace volume and SSH host keys stay for the next `up`."""
    target = find_target(EnvOptions(spec_path=spec, name=name, engine=engine), SubprocessRunner())
    if target.container is None:
        info(f"{target.name} is not running; nothing to do")
        return
    target.engine.stop(target.name)
    target.engine.remove_container(target.name)
    success(f"{target.name} is down (workspace and host keys kept)")
