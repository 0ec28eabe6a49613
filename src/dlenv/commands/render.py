"""`dlenv render`: write the build context (Containerfile, entrypoint, sshd and Jupyter config)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlenv.commands.options import (
    BaseImageOption,
    CaBundleOption,
    EngineOption,
    NameOption,
    ProfileOption,
    PythonOption,
    SpecOption,
)
from dlenv.console import info, out
from dlenv.process import SubprocessRunner
from dlenv.project import EnvOptions, open_project
from dlenv.render.size_class import size_class


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)


def render_command(
    spec: SpecOption = None,
    name: NameOption = None,
    profile: ProfileOption = None,
    base_image: BaseImageOption = None,
    python: PythonOption = None,
    engine: EngineOption = None,
    ca_bundle: CaBundleOption = None,
    out_dir: Path = typer.Option(
        Path("dlenv-build"), "--out", help="Directory to write into.", file_okay=False
    ),
) -> None:
    """Write the build context to a directory (byte-stable: same spec, same files)."""
    options = EnvOptions(
        spec_path=spec,
        name=name,
        profile=profile,
        base_image=base_image,
        python=python,
        engine=engine,
        ca_bundle=ca_bundle,
    )
    project = open_project(options, SubprocessRunner())
    project.context.write(out_dir)
    for file_name in sorted(project.context.files):
        out.print(str(out_dir / file_name))
    info(f"image tag when built: {project.image_tag} (engine: {project.engine.name})")
    expected = size_class(project.resolved)
    info(f"expected image size: {expected.label} ({expected.reason})")
