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
from dlenv.engine.cli_engine import CliEngine
from dlenv.environment.gpu_choice import release_env
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target
from dlenv.errors import DlenvError, UsageError
from dlenv.labels import EnvLabels, VolumeLabels


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
    caches: bool = typer.Option(
        False,
        "--caches",
        help="Remove your shared cache volumes (uv, pip, Hugging Face, torch hub) instead; "
        "no environment is touched.",
    ),
) -> None:
    """Remove the environment; the workspace volume is kept unless --delete-workspace.

    Removes the container, the SSH host-key volume, the images and the local state.
    With --caches, removes only your shared cache volumes.
    """
    target = find_target(options, ctx)
    if caches:
        _remove_caches(target.engine, ctx.identity.uid, yes=yes)
        return
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
    release_env(ctx, target.name)
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


def _remove_caches(engine: CliEngine, uid: int, *, yes: bool) -> None:
    """The shared caches of the user `uid` (run.caches = "shared"); an environment's own caches
    go with the environment."""
    mine = sorted(
        name
        for name, labels in engine.managed_volumes().items()
        if VolumeLabels.decode(labels).owner_uid == uid
    )
    if not mine:
        info(f"no shared cache volumes of yours on {engine.name}")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                f"deleting the cache volumes {', '.join(mine)} needs a confirmation",
                hint="Pass --yes to delete them without asking.",
            )
        if not typer.confirm(f"Delete {', '.join(mine)} (models and packages download again)?"):
            return
    for name in mine:
        engine.remove_volume(name)
    kept = [name for name in mine if engine.volume_exists(name)]
    if kept:
        raise DlenvError(
            f"kept {', '.join(kept)}: in use by a container",
            hint="Stop the environments that use them (`dlenv down`), then run this again.",
        )
    success(f"removed {', '.join(mine)}")
