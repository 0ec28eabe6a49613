"""`dlenv rm`: remove an environment: container, host keys, images and state.

The workspace volume holds the user's work, so it is kept unless --delete-workspace is given and
confirmed (or --yes). A workspace that is a host directory is never touched.
"""

from __future__ import annotations

import shutil
import sys

import typer

from dlenv.commands.options import env_options
from dlenv.console import info, success
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target
from dlenv.errors import DlenvError, UsageError
from dlenv.labels import EnvLabels


def register(app: typer.Typer) -> None:
    app.command("rm")(rm_command)


@env_options("target")
def rm_command(
    options: EnvOptions,
    ctx: AppContext,
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
    target = find_target(options, ctx)
    engine, names = target.engine, target.names
    volumes = engine.volumes(target.name)
    images = engine.images(names.image_repository)
    has_state = target.state.directory.is_dir()
    if target.container is None and not volumes and not images and not has_state:
        known = sorted({EnvLabels.decode(c.labels, c.name).name for c in engine.environments()})
        raise DlenvError(
            f"no environment named {target.name!r} on {engine.name}",
            hint=(f"Environments here: {', '.join(known)}." if known else "There are none.")
            + " `dlenv ls` lists them on every engine.",
        )
    workspace = names.workspace_volume
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
        engine.stop(names.container)
        engine.remove_container(names.container)
    for volume in volumes:
        if volume != workspace or delete_workspace:
            engine.remove_volume(volume)
    for image in images:
        engine.remove_image(image)
    shutil.rmtree(target.state.directory, ignore_errors=True)
    if target.box is not None:
        target.box.remove_state(target.name)
    if workspace in volumes and not delete_workspace:
        info(f"kept the workspace volume {workspace} (delete it with `--delete-workspace`)")
    success(f"removed {target.name}")
