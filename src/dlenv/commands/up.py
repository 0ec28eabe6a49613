"""`dlenv up`: build if needed, run, wait until SSH and Jupyter answer, print how to connect."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dlenv.commands.build import ensure_image
from dlenv.commands.options import (
    AuthorizedKeysOption,
    BaseImageOption,
    BindOption,
    CaBundleOption,
    EngineOption,
    JsonOption,
    JupyterPortOption,
    NameOption,
    ProfileOption,
    PythonOption,
    SpecOption,
    SshPortOption,
    WorkspaceOption,
)
from dlenv.console import info, out, print_json, success, warn
from dlenv.engine.base import MANAGED_LABEL, RunConfig
from dlenv.environment_info import Access, access_from_container, reachable_host
from dlenv.errors import DlenvError
from dlenv.ports import check_ports_free, is_loopback
from dlenv.process import SubprocessRunner
from dlenv.project import EnvOptions, Project, open_project
from dlenv.readiness import Endpoints, wait_for_container
from dlenv.state import default_public_keys


def register(app: typer.Typer) -> None:
    app.command("up")(up_command)


def up_command(
    spec: SpecOption = None,
    name: NameOption = None,
    profile: ProfileOption = None,
    base_image: BaseImageOption = None,
    python: PythonOption = None,
    engine: EngineOption = None,
    ca_bundle: CaBundleOption = None,
    ssh_port: SshPortOption = None,
    jupyter_port: JupyterPortOption = None,
    bind: BindOption = None,
    workspace: WorkspaceOption = None,
    authorized_keys: AuthorizedKeysOption = None,
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for SSH and Jupyter."),
    as_json: JsonOption = False,
) -> None:
    """Build the image if needed, start the environment, wait until SSH and Jupyter answer."""
    options = EnvOptions(
        spec_path=spec,
        name=name,
        profile=profile,
        base_image=base_image,
        python=python,
        engine=engine,
        ca_bundle=ca_bundle,
        ssh_port=ssh_port,
        jupyter_port=jupyter_port,
        bind=bind,
        workspace=workspace,
    )
    project = open_project(options, SubprocessRunner())
    access = bring_up(project, authorized_keys or [], timeout=timeout)
    if as_json:
        print_json(access.as_json())
    else:
        print_access(access)


def bring_up(project: Project, key_files: list[Path], *, timeout: float) -> Access:
    spec, engine = project.spec, project.engine
    bind = spec.run.bind
    if not is_loopback(bind):
        warn(
            f"ports bind to {bind}: anyone who can reach this host can try to log in "
            "(SSH is key-only and Jupyter needs the token)."
        )
    keys = key_files or [Path(p) for p in spec.ssh.authorized_keys] or default_public_keys()
    project.state.write_authorized_keys(keys)  # validates the keys before anything is created

    # Decided before any build: a missing GPU runtime or a bad option fails in seconds.
    config = project.run_config()
    ports = {"--ssh-port": spec.ssh.port, "--jupyter-port": spec.jupyter.port}
    existing = engine.container(project.name)
    if existing is not None and existing.labels.get(MANAGED_LABEL) != "true":
        raise DlenvError(
            f"a container named {project.name!r} exists and was not made by dlenv",
            hint="Pass --name to choose another environment name.",
        )
    # Same image digest, ports and options (all in the labels) and running: nothing to do.
    if (
        existing is not None
        and existing.state == "running"
        and config.labels.items() <= existing.labels.items()
    ):
        info(f"{project.name} is already running")
    else:
        if existing is None:
            check_ports_free(bind, ports)  # before a build that can take minutes
        ensure_image(project)
        if existing is not None:
            info(f"replacing the stopped or outdated container {project.name} (volumes are kept)")
            engine.remove_container(project.name)
            check_ports_free(bind, ports)
        _start(project, config, timeout)
    started = engine.container(project.name)
    assert started is not None
    return access_from_container(started, project.state.read_token())


def _start(project: Project, config: RunConfig, timeout: float) -> None:
    engine, spec = project.engine, project.spec
    token = project.state.jupyter_token()
    labels = {MANAGED_LABEL: "true", "dev.dlenv.name": project.name}
    if not engine.volume_exists(project.hostkeys_volume):
        engine.create_volume(project.hostkeys_volume, labels)
    if spec.run.workspace == "volume" and not engine.volume_exists(project.workspace_volume):
        engine.create_volume(project.workspace_volume, labels)
    engine.run(config)
    endpoints = Endpoints(reachable_host(spec.run.bind), spec.ssh.port, spec.jupyter.port, token)

    try:
        wait_for_container(engine, project.name, endpoints, timeout=timeout)
    except (TimeoutError, RuntimeError) as problem:
        logs = engine.logs(project.name, tail=30)
        engine.remove_container(project.name)  # leave nothing half-started behind
        raise DlenvError(
            f"{project.name} did not become ready: {problem}",
            details=logs,
            hint="The container's last log lines are above; it has been removed "
            "(the workspace volume is kept). Fix the cause and run `dlenv up` again.",
        ) from None
    success(f"{project.name} is up")


def print_access(access: Access) -> None:
    out.print(f"[bold]SSH[/bold]      {escape(access.ssh_command)}")
    out.print(f"[bold]Jupyter[/bold]  {escape(access.jupyter_url)}")
