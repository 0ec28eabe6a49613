"""`dlenv render`: write the build context (Containerfile, entrypoint, sshd and Jupyter config)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlenv.commands.options import env_options
from dlenv.console import info, out
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project
from dlenv.render.size_class import size_class


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)


@env_options("build")
def render_command(
    options: EnvOptions,
    ctx: AppContext,
    out_dir: Path = typer.Option(
        Path("dlenv-build"), "--out", help="Directory to write into.", file_okay=False
    ),
) -> None:
    """Write the build context to a directory (byte-stable: same spec, same files)."""
    project = open_project(options, ctx)
    target = ctx.cwd / out_dir
    project.context.write(target)
    for file_name in sorted(project.context.files):
        out.print(str(out_dir / file_name))
    info(f"image tag when built: {project.image_tag} (engine: {project.engine.name})")
    expected = size_class(project.resolved)
    info(f"expected image size: {expected.label} ({expected.reason})")
