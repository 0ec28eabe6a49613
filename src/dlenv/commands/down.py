"""`dlenv down`: stop and remove the container; the workspace and host keys stay."""

from __future__ import annotations

import typer

from dlenv.commands.options import env_options
from dlenv.console import info, success
from dlenv.context import AppContext
from dlenv.environment.gpu_choice import release_env
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target


def register(app: typer.Typer) -> None:
    app.command("down")(down_command)


@env_options("target")
def down_command(
    options: EnvOptions,
    ctx: AppContext,
) -> None:
    """Stop the environment; the workspace volume and SSH host keys stay for the next `up`."""
    target = find_target(options, ctx)
    if target.container is not None:
        target.engine.stop(target.name)
        target.engine.remove_container(target.name)
    released = release_env(ctx, target.name)  # after the stop: the GPUs are free only now
    if released:
        info(f"GPUs {', '.join(released)} released")
    if target.container is None:
        info(f"{target.name} is not running; nothing to do")
        return
    success(f"{target.name} is down (workspace and host keys kept)")
