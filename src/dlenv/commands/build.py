"""`dlenv build`: render the build context and build the image."""

from __future__ import annotations

import os

import typer

from dlenv.build_progress import BuildProgress
from dlenv.commands.options import (
    BaseImageOption,
    CaBundleOption,
    EngineOption,
    NameOption,
    ProfileOption,
    PythonOption,
    SpecOption,
)
from dlenv.console import info, out, success, warn
from dlenv.engine.platforms import enabled_handlers, parse_platforms, plan_platforms
from dlenv.engine.publish import build_multiplatform, manifest_name
from dlenv.errors import DlenvError
from dlenv.process import SubprocessRunner
from dlenv.project import EnvOptions, Project, open_project


def register(app: typer.Typer) -> None:
    app.command("build")(build_command)


def build_command(
    spec: SpecOption = None,
    name: NameOption = None,
    profile: ProfileOption = None,
    base_image: BaseImageOption = None,
    python: PythonOption = None,
    engine: EngineOption = None,
    ca_bundle: CaBundleOption = None,
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild every layer."),
    platform: str | None = typer.Option(
        None,
        "--platform",
        help="Build a manifest list for these platforms, e.g. linux/amd64,linux/arm64 (podman; "
        "foreign ones need QEMU emulation).",
    ),
) -> None:
    """Build the environment's image (skipped when an identical one exists).

    --no-cache rebuilds every layer.
    """
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
    if platform is not None:
        out.print(build_platforms(project, platform, no_cache=no_cache))
        return
    if ensure_image(project, force=no_cache):
        success(f"built {project.image_tag}")
    else:
        success(f"{project.image_tag} is up to date")
    out.print(project.image_tag)


def ensure_image(project: Project, *, force: bool = False) -> bool:
    """Build the image unless one with the same context digest exists. Returns True if built."""
    for message in project.resolved.warnings:
        warn(message)
    if not force and project.engine.image_exists(project.image_tag):
        return False
    info(f"engine: {project.engine.name} ({project.engine_choice.reason})")
    if not project.engine.caps.cache_mounts:
        warn(
            f"{project.engine.name}'s legacy builder has no cache mounts: builds are slower. "
            "Install the buildx plugin to use BuildKit."
        )
    project.state.ensure_directory()
    project.context.write(project.state.context_dir)
    info(f"building {project.image_tag} from {project.resolved.base_image}")
    with BuildProgress(project.state.build_log) as progress:
        try:
            project.engine.build(project.build_request(no_cache=force), progress.on_line)
        except Exception as error:
            _explain_build_failure(project, error)
            raise
    info(f"build finished in {progress.elapsed}; log: {project.state.build_log}")
    return True


def build_platforms(project: Project, platforms_text: str, *, no_cache: bool = False) -> str:
    """Build every platform into one manifest list (dlenv.engine.publish); returns its name."""
    plan = plan_platforms(
        parse_platforms(platforms_text), os.uname().machine, enabled_handlers()
    )
    if plan.emulated:
        warn(f"{', '.join(plan.emulated)} will build under QEMU emulation: expect it to be slow")
    project.state.ensure_directory()
    project.context.write(project.state.context_dir)
    info(f"building {', '.join(plan.platforms)} into {manifest_name(project.image_tag)}")
    with BuildProgress(project.state.build_log) as progress:
        try:
            name = build_multiplatform(
                project.engine.runner,
                project.engine.name,
                project.build_request(no_cache=no_cache),
                plan.platforms,
                progress.on_line,
            )
        except Exception as error:
            _explain_build_failure(project, error)
            raise
    success(f"built the manifest list {name} in {progress.elapsed}")
    return name


def _explain_build_failure(project: Project, error: Exception) -> None:
    if not isinstance(error, DlenvError):
        return
    text = (error.details or "").lower()
    base = project.resolved.base_image
    if any(
        s in text
        for s in (
            "manifest unknown",
            "pinging container registry",
            "name unknown",
            "initializing source",
            "pull access denied",
            "no such host",
            "dial tcp",  # the legacy Docker builder: `Get "http://localhost/v2/": dial tcp ...`
        )
    ):
        error.hint = (
            f"The base image {base} could not be pulled. Check the name and your network, "
            "or pass --base-image REF with an image you have locally."
        )
    elif "certificate verify failed" in text or "invalid peer certificate" in text:
        error.hint = (
            "TLS failed inside the build: behind an intercepting proxy, pass --ca-bundle FILE."
        )
    else:
        error.hint = f"The full build log is in {project.state.build_log}."
