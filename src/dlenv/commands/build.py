"""`dlenv build`: render the build context and build the image."""

from __future__ import annotations

import typer

from dlenv.commands.options import LockedOption, env_options
from dlenv.console import out, success
from dlenv.context import AppContext
from dlenv.environment.lifecycle import build_platforms, ensure_image
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project


def register(app: typer.Typer) -> None:
    app.command("build")(build_command)


@env_options("build")
def build_command(
    options: EnvOptions,
    ctx: AppContext,
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild every layer."),
    platform: str | None = typer.Option(
        None,
        "--platform",
        help="Build a manifest list for these platforms, e.g. linux/amd64,linux/arm64 (podman; "
        "foreign ones need QEMU emulation).",
    ),
    locked: LockedOption = False,
) -> None:
    """Build the environment's image (skipped when an identical one exists).

    --no-cache rebuilds every layer. A dlenv.lock the spec has moved away from is re-locked
    first (--locked refuses it instead).
    """
    project = open_project(options, ctx, relock=not locked)
    if platform is not None:
        out.print(build_platforms(project, platform, no_cache=no_cache))
        return
    if ensure_image(project, force=no_cache):
        success(f"built {project.image_tag}")
    else:
        success(f"{project.image_tag} is up to date")
    out.print(project.image_tag)
