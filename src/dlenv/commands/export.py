"""`dlenv export kube`: write the environment as manifests for another platform."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dlenv.commands.options import AuthorizedKeysOption, env_options
from dlenv.console import info, out, success, warn
from dlenv.context import AppContext
from dlenv.environment.kube_export import KubeChoices, kube_input, write_kube
from dlenv.environment.lifecycle import authorized_key_files
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project
from dlenv.errors import UsageError
from dlenv.render.kube import FLAVORS, KubeSecret


def register(app: typer.Typer) -> None:
    export = typer.Typer(
        help="Write the environment as manifests for another platform.", no_args_is_help=True
    )
    export.command("kube")(kube_command)
    app.add_typer(export, name="export")


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
    project = open_project(options, ctx)
    given = kube_input(project, choices)
    if project.spec.run.workspace != "volume":
        warn(
            f"run.workspace is a host directory: on a cluster the workspace is the PVC "
            f"{project.names.workspace_volume} instead"
        )
    keys_file = project.state.write_authorized_keys(
        authorized_key_files(project, list(authorized_keys or []))
    )
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
