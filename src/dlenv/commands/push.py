"""`dlenv push REF`: push the environment's image (or its manifest list, if one was built)."""

from __future__ import annotations

import typer

from dlenv.commands.options import env_options
from dlenv.console import info, out, success
from dlenv.context import AppContext
from dlenv.engine.publish import manifest_name, push
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project
from dlenv.errors import DlenvError
from dlenv.process import Command


def register(app: typer.Typer) -> None:
    app.command("push")(push_command)


@env_options("build")
def push_command(
    options: EnvOptions,
    ctx: AppContext,
    reference: str = typer.Argument(
        ..., metavar="REF", help="Where to push: REGISTRY/NAME[:TAG], e.g. 127.0.0.1:5000/dl:1."
    ),
    tls_verify: bool = typer.Option(
        True,
        "--tls-verify/--no-tls-verify",
        help="Require HTTPS with a valid certificate (podman; turn off for a plain-HTTP registry).",
    ),
) -> None:
    """Push the built image (or its multi-platform manifest list) to REF; print REF@sha256:..."""
    runner = ctx.runner
    project = open_project(options, ctx)  # the CA bundle is in the build context, so the tag
    program = project.engine.name
    manifest = manifest_name(project.image_tag)
    exists = Command((program, "manifest", "exists", manifest))
    is_list = program == "podman" and runner.run(exists).ok
    source = manifest if is_list else project.image_tag
    if not is_list and not project.engine.image_exists(project.image_tag):
        raise DlenvError(
            f"{project.image_tag} has not been built from the current spec",
            hint="Run `dlenv build` (or `dlenv build --platform linux/amd64,linux/arm64`) first.",
        )
    info(f"pushing {'the manifest list ' if is_list else ''}{source} to {reference}")
    digest = push(runner, program, source, reference, manifest=is_list, tls_verify=tls_verify)
    repository = reference.rsplit(":", 1)[0] if ":" in reference.rsplit("/", 1)[-1] else reference
    success(f"pushed {reference} ({digest})")
    if not is_list:  # `dlenv export kube` names the image by this digest
        project.state.record_published(project.context.digest, f"{repository}@{digest}")
    out.print(f"{repository}@{digest}")
