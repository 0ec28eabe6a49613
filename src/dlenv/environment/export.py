"""What `dlenv export` needs from an environment: its run configuration on this host, the
secrets it mounts (made now, in the state directory, as `dlenv up` makes them), and the image
or the build context it runs."""

from __future__ import annotations

from pathlib import Path

from dlenv.environment.lifecycle import authorize_keys, write_runtime_secrets
from dlenv.environment.project import Project
from dlenv.errors import DlenvError, UsageError
from dlenv.render.export_source import ExportSource


def export_source(project: Project, key_files: list[Path], *, use_image: bool) -> ExportSource:
    """`use_image`: run the image `dlenv build` made (it must exist) rather than build one."""
    if use_image and not project.engine.image_exists(project.image_tag):
        raise DlenvError(
            f"no image {project.image_tag} on {project.engine.name}",
            hint="Build it first with the same options: `dlenv build` (then export again), "
            "or leave out --image to export the build context.",
        )
    if not use_image and project.ca_bundle is not None:
        # A CA bundle is a build secret (or dlenv's relay on the legacy builder); neither the
        # Dev Containers CLI nor Compose can be handed one that stays out of the image.
        raise UsageError(
            "--ca-bundle cannot travel with an exported build context",
            hint="Build with dlenv, which keeps the CA out of the image: "
            "`dlenv build --ca-bundle FILE`, then export with --image.",
        )
    config = project.run_config()  # a missing GPU runtime fails here, before anything is written
    authorize_keys(project, key_files)
    write_runtime_secrets(project)  # the exported files mount them as `up` does
    project.state.jupyter_token()
    return ExportSource(
        config=config,
        user=project.spec.image.user,
        workspace_target=project.workspace_target,
        image=project.image_tag if use_image else None,
        gpu=project.spec.profile == "gpu",
    )
