"""`dlenv export devcontainer|compose|kube`: the environment as files other tools run.

Each format's renderer is pure (dlenv.render.devcontainer, .compose, .kube); this module
resolves the environment, writes atomically and prints what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

import typer

from dlenv.commands.options import RUN_PANEL, AuthorizedKeysOption, env_options
from dlenv.commands.trust_prompt import confirm_trust
from dlenv.console import info, out, success, warn
from dlenv.context import AppContext
from dlenv.environment.export import export_source
from dlenv.environment.kube_export import KubeChoices, kube_input, write_kube
from dlenv.environment.lifecycle import authorize_keys
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import Project, open_project
from dlenv.environment.resolution import load_effective_spec
from dlenv.environment.trust import trust_decisions
from dlenv.errors import UsageError
from dlenv.files import write_atomic
from dlenv.render import compose as compose_format
from dlenv.render import devcontainer as devcontainer_format
from dlenv.render.context import BuildContext
from dlenv.render.export_source import ExportSource
from dlenv.render.kube import FLAVORS, KubeSecret

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
        help="Write the environment for another tool: devcontainer.json, compose, Kubernetes.",
        no_args_is_help=True,
    )
    export.command("devcontainer")(devcontainer_command)
    export.command("compose")(compose_command)
    export.command("kube")(kube_command)
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
        return {folder / devcontainer_format.FILE_NAME: text}

    _export(
        options, ctx, authorized_keys or [], image=image, force=force, yes=yes, files=files,
        context_folder=folder,
    )  # fmt: skip


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
        return {folder / compose_format.FILE_NAME: text}

    _export(
        options, ctx, authorized_keys or [], image=image, force=force, yes=yes, files=files,
        context_folder=folder / compose_format.CONTEXT_FOLDER,
    )  # fmt: skip


def _export(
    options: EnvOptions,
    ctx: AppContext,
    key_files: list[Path],
    *,
    image: bool,
    force: bool,
    yes: bool,
    files: Callable[[ExportSource, Project], Mapping[Path, str]],
    context_folder: Path,
) -> None:
    """Write the format's own files and, unless the export runs a built image, the build context
    into `context_folder`, by the same `BuildContext.write` a build uses (modes, links, folders
    0755 whatever the umask: the context's COPY gives the image what the folder holds)."""
    loaded = spec, source_name = load_effective_spec(options, ctx)
    decisions = trust_decisions(spec, options, key_flags=key_files, cwd=ctx.cwd, home=ctx.home)
    confirm_trust(decisions, source_name, yes=yes)
    project = open_project(options, ctx, loaded)
    source = export_source(project, key_files, use_image=image)
    own = files(source, project)
    context = None if source.image is not None else project.context
    _refuse_to_replace(own, context, context_folder, force=force)
    for path, text in sorted(own.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, mode=0o644)
    written = list(own)
    if context is not None:
        context.write(context_folder)
        written += [context_folder / name for name in [*context.files, *context.links]]
    for path in sorted(written):
        out.print(str(_shown(path, ctx.cwd)), markup=False, highlight=False)
    info(
        f"engine: {project.engine.name}; the Jupyter token and authorized keys stay in "
        f"{project.state.directory} (mounted read-only, never written into these files)"
    )


def _refuse_to_replace(
    own: Mapping[Path, str], context: BuildContext | None, folder: Path, *, force: bool
) -> None:
    texts = dict(own) | (
        {folder / name: text for name, text in context.files.items()} if context else {}
    )
    links = {folder / name: to for name, to in context.links.items()} if context else {}
    changed = [
        path for path, text in sorted(texts.items())
        if path.is_symlink()
        or (path.exists() and path.read_text(encoding="utf-8", errors="replace") != text)
    ] + [
        path for path, to in sorted(links.items())
        if (path.is_symlink() and str(path.readlink()) != to)
        or (path.exists() and not path.is_symlink())
    ]  # fmt: skip
    if changed and not force:
        listing = ", ".join(str(p) for p in changed)
        raise UsageError(
            f"these files exist and differ from the export: {listing}",
            hint="Pass --force to replace them, or --out DIR to write elsewhere.",
        )


def _shown(path: Path, cwd: Path) -> Path:
    return path.relative_to(cwd) if path.is_relative_to(cwd) else path


@env_options("run")
def kube_command(
    options: EnvOptions,
    ctx: AppContext,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory to write into.", file_okay=False)
    ] = Path("dlenv-kube"),
    flavor: Annotated[
        str,
        typer.Option(
            "--flavor",
            help='"kubernetes", or "podman": what `podman kube play` understands '
            "(hostPorts, CDI device names, no Service).",
        ),
    ] = "kubernetes",
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            help="REPOSITORY@sha256:... \\[default: what `dlenv push` or the registry cache "
            "recorded for this content].",
        ),
    ] = None,
    gpus: Annotated[
        int | None,
        typer.Option("--gpus", help="GPUs to ask for \\[default: run.gpus's count; 1 for all]."),
    ] = None,
    mig: Annotated[
        str | None,
        typer.Option("--mig", help="A MIG profile (mixed strategy), e.g. 1g.10gb."),
    ] = None,
    runtime_class: Annotated[
        str | None,
        typer.Option("--runtime-class", help="runtimeClassName, e.g. nvidia."),
    ] = None,
    toleration: Annotated[
        list[str] | None,
        typer.Option(
            "--toleration",
            help="KEY[=VALUE][:EFFECT], e.g. nvidia.com/gpu:NoSchedule (repeatable).",
        ),
    ] = None,
    workspace_size: Annotated[
        str, typer.Option("--workspace-size", help="The workspace PVC's size.")
    ] = "50Gi",
    storage_class: Annotated[
        str | None, typer.Option("--storage-class", help="storageClassName of both PVCs.")
    ] = None,
    authorized_keys: AuthorizedKeysOption = None,
    yes: bool = YesOption,
) -> None:
    """Write Kubernetes manifests for the environment (the Secret in a file of its own, 0600)."""
    if flavor not in FLAVORS:
        raise UsageError(f"--flavor {flavor!r}: expected one of {', '.join(FLAVORS)}")
    choices = KubeChoices(
        flavor="podman" if flavor == "podman" else "kubernetes",
        image=image,
        gpus=gpus,
        mig=mig,
        runtime_class=runtime_class,
        tolerations=tuple(toleration or ()),
        workspace_size=workspace_size,
        storage_class=storage_class,
    )
    key_files = list(authorized_keys or [])
    loaded = spec, source_name = load_effective_spec(options, ctx)
    decisions = trust_decisions(spec, options, key_flags=key_files, cwd=ctx.cwd, home=ctx.home)
    confirm_trust(decisions, source_name, yes=yes)
    project = open_project(options, ctx, loaded)
    given = kube_input(project, choices)
    if project.spec.run.workspace != "volume":
        warn(
            f"run.workspace is a host directory: on a cluster the workspace is the PVC "
            f"{project.names.workspace_volume} instead"
        )
    keys_file = authorize_keys(project, key_files)
    secret = KubeSecret(
        authorized_keys=keys_file.read_text(encoding="utf-8"),
        jupyter_token=project.state.jupyter_token(),
    )
    files = write_kube(ctx.cwd / out_dir, given, secret)
    out.print(str(files.manifests))
    success(f"wrote the manifests for {project.name} (image {given.image})")
    name, ssh, jupyter = project.name, project.spec.ssh.port, project.spec.jupyter.port
    if files.secret is None:
        info("the token and authorized keys are mounted from dlenv's state directory")
        info(f"start: podman kube play {files.manifests}")
        info(f"stop: podman kube down {files.manifests} (the volumes stay)")
    else:
        out.print(str(files.secret))
        info(f"{files.secret} holds the Jupyter token and authorized keys (mode 0600)")
        info(f"start: kubectl apply -f {files.secret} -f {files.manifests}")
        info(f"reach: kubectl port-forward service/{name} {ssh}:{ssh} {jupyter}:{jupyter}")
    info(f"then: ssh -p {ssh} {project.spec.image.user}@127.0.0.1")
    info(f"and: http://127.0.0.1:{jupyter}/lab (token: {project.state.token_file})")
