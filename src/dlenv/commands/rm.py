"""`dlenv rm`: remove an environment: container, host keys, images and state.

The workspace volume holds the user's work, so it is kept unless --delete-workspace is given and
confirmed (or --yes). A workspace that is a host directory is never touched.
"""

from __future__ import annotations

import shutil
import sys

import typer

from dlenv.commands.options import EngineOption, NameOption, SpecOption
from dlenv.commands.target import find_target
from dlenv.console import info, success
from dlenv.errors import UsageError
from dlenv.process import SubprocessRunner
from dlenv.project import EnvOptions


def register(app: typer.Typer) -> None:
    app.command("rm")(rm_command)


def rm_command(
    spec: SpecOption = None,
    name: NameOption = None,
    engine: EngineOption = None,
    keep_workspace: bool = typer.Option(
        True,
        "--keep-workspace/--delete-workspace",
        help="Keep the workspace volume (default), or delete it after asking.",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before deleting."),
) -> None:
    """Remove the environment; the workspace volume is kept unless --delete-workspace.

    Removes the container, the SSH host-key volume, the images and the local state.
    """
    target = find_target(EnvOptions(spec_path=spec, name=name, engine=engine), SubprocessRunner())
    workspace = f"{target.name}-workspace"
    volumes = target.engine.volumes(target.name)
    delete_workspace = not keep_workspace and workspace in volumes
    if delete_workspace and not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                f"deleting the workspace volume {workspace} needs a confirmation",
                hint="Pass --yes to delete it without asking, or leave out --delete-workspace.",
            )
        if not typer.confirm(f"Delete the workspace volume {workspace} and every file in it?"):
            delete_workspace = False
    if target.container is not None:
        target.engine.stop(target.name)
        target.engine.remove_container(target.name)
    for volume in volumes:
        if volume != workspace or delete_workspace:
            target.engine.remove_volume(volume)
    for image in target.engine.images(f"localhost/dlenv/{target.name}"):
        target.engine.remove_image(image)
    shutil.rmtree(target.state.directory, ignore_errors=True)
    if workspace in volumes and not delete_workspace:
        info(f"kept the workspace volume {workspace} (delete it with `--delete-workspace`)")
    success(f"removed {target.name}")
