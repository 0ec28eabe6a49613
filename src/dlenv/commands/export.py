"""`dlenv export devcontainer|compose`: the environment as a file other tools run.

Each format's renderer is pure (dlenv.render.devcontainer, dlenv.render.compose); this module
resolves the environment, writes atomically and prints what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import typer

from dlenv.commands.options import RUN_PANEL, AuthorizedKeysOption, env_options
from dlenv.commands.trust_prompt import confirm_trust
from dlenv.console import info, out
from dlenv.context import AppContext
from dlenv.environment.export import export_source
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import Project, open_project
from dlenv.environment.resolution import load_effective_spec
from dlenv.environment.trust import trust_decisions
from dlenv.errors import UsageError
from dlenv.files import write_atomic
from dlenv.render import compose as compose_format
from dlenv.render import devcontainer as devcontainer_format
from dlenv.render.export_source import ExportSource

OutOption = typer.Option(
    Path(), "--out", help="Directory to write into \\[default: the current one].",
    file_okay=False,
)  # fmt: skip
ImageOption = typer.Option(
    False, "--image",
    help="Run the image `dlenv build` made (pass the same options) instead of writing the "
    "build context.",
)  # fmt: skip
ForceOption = typer.Option(False, "--force", help="Replace files that differ from the export.")
YesOption = typer.Option(
    False, "--yes", "-y", rich_help_panel=RUN_PANEL,
    help="Accept the spec file's SSH keys, non-loopback bind and host workspace; no prompt.",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    export = typer.Typer(
        help="Write the environment as a devcontainer.json or a compose file.",
        no_args_is_help=True,
    )
    export.command("devcontainer")(devcontainer_command)
    export.command("compose")(compose_command)
    app.add_typer(export, name="export")


@env_options("run")
def devcontainer_command(
    options: EnvOptions,
    ctx: AppContext,
    out_dir: Path = OutOption,
    image: bool = ImageOption,
    authorized_keys: AuthorizedKeysOption = None,
    force: bool = ForceOption,
    yes: bool = YesOption,
) -> None:
    """Write .devcontainer/devcontainer.json (and the build context) for the Dev Containers CLI."""
    folder = ctx.cwd / out_dir / devcontainer_format.FOLDER

    def files(source: ExportSource, project: Project) -> dict[Path, str]:
        text = devcontainer_format.devcontainer_text(source)
        return {folder / devcontainer_format.FILE_NAME: text} | _context(source, project, folder)

    _export(options, ctx, authorized_keys or [], image=image, force=force, yes=yes, files=files)


@env_options("run")
def compose_command(
    options: EnvOptions,
    ctx: AppContext,
    out_dir: Path = OutOption,
    image: bool = ImageOption,
    authorized_keys: AuthorizedKeysOption = None,
    force: bool = ForceOption,
    yes: bool = YesOption,
) -> None:
    """Write compose.yaml (and the build context) for docker-compose or podman-compose."""
    folder = ctx.cwd / out_dir

    def files(source: ExportSource, project: Project) -> dict[Path, str]:
        text = compose_format.compose_text(source, spec_source=project.source)
        context = _context(source, project, folder / compose_format.CONTEXT_FOLDER)
        return {folder / compose_format.FILE_NAME: text} | context

    _export(options, ctx, authorized_keys or [], image=image, force=force, yes=yes, files=files)


def _context(source: ExportSource, project: Project, folder: Path) -> dict[Path, str]:
    """The build context's files, unless the export runs a built image."""
    if source.image is not None:
        return {}
    return {folder / name: text for name, text in project.context.files.items()}


def _export(
    options: EnvOptions,
    ctx: AppContext,
    key_files: list[Path],
    *,
    image: bool,
    force: bool,
    yes: bool,
    files: Callable[[ExportSource, Project], Mapping[Path, str]],
) -> None:
    loaded = spec, source_name = load_effective_spec(options, ctx)
    decisions = trust_decisions(spec, options, key_flags=key_files, cwd=ctx.cwd, home=ctx.home)
    confirm_trust(decisions, source_name, yes=yes)
    project = open_project(options, ctx, loaded)
    source = export_source(project, key_files, use_image=image)
    written = files(source, project)
    _refuse_to_replace(written, force=force)
    for path, text in sorted(written.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, mode=0o755 if path.suffix == ".sh" else 0o644)
        out.print(str(_shown(path, ctx.cwd)), markup=False, highlight=False)
    info(
        f"engine: {project.engine.name}; the Jupyter token and authorized keys stay in "
        f"{project.state.directory} (mounted read-only, never written into these files)"
    )


def _refuse_to_replace(files: Mapping[Path, str], *, force: bool) -> None:
    changed = [
        path for path, text in sorted(files.items())
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") != text
    ]  # fmt: skip
    if changed and not force:
        listing = ", ".join(str(p) for p in changed)
        raise UsageError(
            f"these files exist and differ from the export: {listing}",
            hint="Pass --force to replace them, or --out DIR to write elsewhere.",
        )


def _shown(path: Path, cwd: Path) -> Path:
    return path.relative_to(cwd) if path.is_relative_to(cwd) else path
