"""An environment's life: build its image when the content changed, start it, wait for it.

Commands decide what to ask for and print the result; this module does the asking, reporting
progress through `dlenv.console` and explaining every failure with its fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from dlenv.build_progress import BuildProgress
from dlenv.console import info, success, warn
from dlenv.engine.base import ContainerInfo, RunConfig
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.failures import (
    daemon_gone_hint,
    no_space_hint,
    shows_daemon_down,
    shows_no_space,
)
from dlenv.engine.platforms import enabled_handlers, parse_platforms, plan_platforms
from dlenv.engine.publish import build_multiplatform, manifest_name
from dlenv.environment.access import Access, access_from_container, reachable_host
from dlenv.environment.cache import pull_from_cache, push_to_cache
from dlenv.environment.gpu_choice import auto_count, release_env
from dlenv.environment.host_paths import spec_key_files
from dlenv.environment.placement import place
from dlenv.environment.project import Placement, Project
from dlenv.environment.secrets import read_secret_values
from dlenv.errors import DlenvError
from dlenv.labels import is_managed, owner_labels
from dlenv.ports import check_ports_free, is_loopback
from dlenv.readiness import Endpoints, wait_for_container
from dlenv.ssh_keys import public_keys_or_new


def ensure_image(project: Project, *, force: bool = False, present: bool | None = None) -> bool:
    """Build the image unless one with the same context digest exists, here or in the registry
    cache (`image.registry`, which then gets what was built). Returns True if built.
    `present`: whether the engine has the image, when the caller has asked it already."""
    for message in project.resolved.warnings:
        warn(message)
    if present is None:
        present = not force and project.engine.image_exists(project.image_tag)
    if not force and present:
        return False
    if not force and pull_from_cache(project):
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
            # Unpinned, the digest is the engine's answer now (pulling a missing base first, as
            # the build would), so that every image says which base it was built on.
            base = (
                None
                if project.base_pinned
                else project.engine.base_digest(project.resolved.base_image)
            )
            request = project.build_request(no_cache=force, base=base)
            project.engine.build(request, progress.on_line)
        except DlenvError as error:
            explain_build_failure(project, error)
            raise
    info(f"build finished in {progress.elapsed}; log: {project.state.build_log}")
    push_to_cache(project)
    return True


def build_platforms(project: Project, platforms_text: str, *, no_cache: bool = False) -> str:
    """Build every platform into one manifest list (dlenv.engine.publish); returns its name."""
    plan = plan_platforms(parse_platforms(platforms_text), os.uname().machine, enabled_handlers())
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
        except DlenvError as error:
            explain_build_failure(project, error)
            raise
    success(f"built the manifest list {name} in {progress.elapsed}")
    return name


# Output of a pull that failed, per builder (podman/buildah, BuildKit, the legacy builder).
_PULL_FAILED = (
    "manifest unknown",
    "pinging container registry",
    "name unknown",
    "initializing source",
    "pull access denied",
    "no such host",
    "dial tcp",  # the legacy Docker builder: `Get "http://localhost/v2/": dial tcp ...`
)
# uv names the URL it could not fetch: "Failed to fetch: `URL`", "error sending request for url
# (URL)"; pip: "Could not fetch URL URL:".
_FETCH_FAILED = re.compile(
    r"(?:Failed to fetch: `|request for url \(|Could not fetch URL )(?P<url>https?://[^`)\s:]+"
    r"(?::\d+)?[^`)\s]*)"
)


def explain_build_failure(project: Project, error: DlenvError) -> None:
    """Give a failed build the message and hint that name its cause."""
    text = error.details or ""
    lowered = text.lower()
    base = project.resolved.base_image
    program = project.engine.name
    unreachable = [m["url"] for m in _FETCH_FAILED.finditer(text)]
    if shows_no_space(text):
        error.message = "the image build ran out of disk space"
        error.hint = f"{no_space_hint(program)} The full build log is in {project.state.build_log}."
    elif shows_daemon_down(text) or not project.engine.responds():
        # The client's last words vary ("unexpected EOF", a reset connection): ask the daemon.
        error.message = f"the {program.capitalize()} daemon went away during the build"
        error.hint = daemon_gone_hint(program)
    elif unreachable:
        index = next(
            (u for u in project.index_urls() if unreachable[0].startswith(u.rstrip("/"))),
            unreachable[0],
        )
        error.hint = (
            f"The package index {index} could not be reached from the build, and dlenv never "
            "falls back to another index. Check that it is up and reachable, or configure a "
            f"mirror of it. The full build log is in {project.state.build_log}."
        )
    elif any(s in lowered for s in _PULL_FAILED):
        error.hint = (
            f"The base image {base} could not be pulled. Check the name and your network, "
            "or pass --base-image REF with an image you have locally."
        )
    elif "certificate verify failed" in lowered or "invalid peer certificate" in lowered:
        error.hint = (
            "TLS failed inside the build: behind an intercepting proxy, pass --ca-bundle FILE."
        )
    else:
        error.hint = f"The full build log is in {project.state.build_log}."


def authorized_key_files(project: Project, key_files: list[Path]) -> list[Path]:
    """The keys that may log in: those named on the command line, else the spec's, else the
    user's own, or on a first run a pair made for dlenv."""
    home = project.ctx.home
    return (
        key_files
        or spec_key_files(project.spec, project.ctx.cwd, home)
        or public_keys_or_new(home or Path.home(), project.ctx.runner)
    )


def authorize_keys(project: Project, key_files: list[Path]) -> Path:
    """Write the keys that may log in to the state directory (mounted read-only at run time).
    Returns the file."""
    return project.state.write_authorized_keys(authorized_key_files(project, key_files))


def write_runtime_secrets(project: Project) -> None:
    """Read the spec's [secrets] on this side and write them to the state directory, which the
    container mounts read-only (dlenv.environment.secrets); stale ones are removed."""
    secrets = read_secret_values(project.spec.secrets, project.ctx.environ, project.ctx.home)
    if secrets or project.state.secrets_dir.exists():
        project.state.write_secrets(secrets)


def bring_up(project: Project, key_files: list[Path], *, timeout: float) -> Access:
    """Build if needed, then start (or keep) the container and wait until it answers.

    One at a time per environment: a second `up` waits for the first, then finds the container
    running and reports the same access."""
    with project.state.exclusive("dlenv up"):
        return _place_and_bring_up(project, key_files, timeout=timeout)


def _place_and_bring_up(project: Project, key_files: list[Path], *, timeout: float) -> Access:
    spec = project.spec
    bind = spec.run.bind
    if not is_loopback(bind):
        warn(
            f"ports bind to {bind}: anyone who can reach this host can try to log in "
            "(SSH is key-only and Jupyter needs the token)."
        )
    authorize_keys(project, key_files)  # validates the keys before anything is created
    write_runtime_secrets(project)  # a missing secret stops `up` before any build

    survey = _survey(project)
    existing = survey.existing
    if existing is not None and not is_managed(existing.labels):
        raise DlenvError(
            f"a container named {project.name!r} exists and was not made by dlenv",
            hint="Pass --name to choose another environment name.",
        )
    # Decided before any build: busy ports, no idle GPU, a missing GPU runtime or a bad option
    # fail in seconds.
    placement = place(project, existing, survey.environments)
    try:
        return _bring_up(project, survey, placement, timeout)
    except BaseException:
        if auto_count(spec.run.gpu_ids) is not None:
            _release_unless_running(project)  # a failed start keeps no GPU
        raise


@dataclass(frozen=True)
class _Survey:
    """What `up` asks the engine before it changes anything."""

    existing: ContainerInfo | None  # this environment's container
    environments: list[ContainerInfo]  # every dlenv container: the ports and GPUs they hold
    image_present: bool  # the image of this spec is built already
    missing_volumes: dict[str, dict[str, str]]  # to create, with the labels each gets


def _survey(project: Project) -> _Survey:
    """The questions are independent reads, each an engine process of 0.05-0.1 s, so they are
    asked at the same time (the `dlenv up` timeline in bench/RESULTS-up.md). The environment lock
    held by `bring_up` keeps another `up` from changing the answers meanwhile."""
    engine, names = project.engine, project.names
    tag, wanted = project.image_tag, _volumes_wanted(project)  # computed here, not in threads
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="dlenv-survey") as pool:
        environments = pool.submit(engine.environments)
        image_present = pool.submit(engine.image_exists, tag)
        missing_volumes = pool.submit(engine.missing_volumes, wanted)
        existing = engine.container(names.container)
        return _Survey(
            existing,
            environments.result(),
            image_present.result(),
            {name: wanted[name] for name in missing_volumes.result()},
        )


def _volumes_wanted(project: Project) -> dict[str, dict[str, str]]:
    """The volumes the container mounts, with the labels each gets when created."""
    labels = owner_labels(project.name)
    wanted = {project.names.hostkeys_volume: labels}
    if project.spec.run.workspace == "volume":
        wanted[project.names.workspace_volume] = labels
    wanted.update({cache.name: cache.labels for cache in project.cache_volumes()})
    return wanted


def _release_unless_running(project: Project) -> None:
    """Give back the GPUs a failed `up` leased, unless its container runs after all. The engine
    may be what failed (a daemon gone): then the lease goes, and the first error is the one
    reported, not this question's."""
    try:
        after = project.engine.container(project.names.container)
    except DlenvError:
        after = None
    if after is None or after.state != "running":
        release_env(project.ctx, project.name)


def _bring_up(project: Project, survey: _Survey, placement: Placement, timeout: float) -> Access:
    # Leaving the pool waits for the volumes' creation, whatever happened meanwhile.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlenv-volumes") as pool:
        if survey.image_present and survey.missing_volumes:
            # No build to wait for: a first `up` makes its volumes while run_config waits for
            # the engine's facts (`podman info`, 0.3-0.5 s when not remembered), rather than
            # after them (bench/RESULTS-up.md). A run option that run_config refuses (a system
            # directory as workspace, no GPU) then leaves them made: the same volumes that the
            # corrected `up` uses.
            volumes_made = pool.submit(
                create_volumes, project.engine, survey.missing_volumes
            ).result
        else:
            # None to make, or after the build: a build that fails leaves no volumes behind.
            volumes_made = partial(create_volumes, project.engine, survey.missing_volumes)
        return _configure_and_start(project, survey, placement, timeout, volumes_made)


def _configure_and_start(
    project: Project,
    survey: _Survey,
    placement: Placement,
    timeout: float,
    volumes_made: Callable[[], None],
) -> Access:
    engine, names, bind = project.engine, project.names, project.spec.run.bind
    existing, just_started = survey.existing, None
    config = project.run_config(placement)
    ports = {"--ssh-port": placement.ssh_port, "--jupyter-port": placement.jupyter_port} | {
        f"ports.{name}": port for name, port in project.spec.ports.items()
    }
    # Same image digest, ports and options (all in the labels) and running: nothing to do.
    if (
        existing is not None
        and existing.state == "running"
        and config.labels.items() <= existing.labels.items()
    ):
        info(f"{project.name} is already running")
    else:
        # The ports are the box's when the engine runs there: its engine names a busy one.
        local = project.box is None
        if existing is None and local:
            check_ports_free(bind, ports)  # before a build that can take minutes
        ensure_image(project, present=survey.image_present)
        if existing is not None:
            info(f"replacing the stopped or outdated container {project.name} (volumes are kept)")
            engine.remove_container(names.container)
            if local:
                check_ports_free(bind, ports)
        just_started = _start(project, config, placement, timeout, volumes_made)
    started = just_started or engine.container(names.container)
    if started is None:
        raise DlenvError(f"{project.name} disappeared right after it started; see `dlenv logs`")
    return access_from_container(
        started, project.state.read_token(), via=project.box.address if project.box else None
    )


def create_volumes(engine: CliEngine, volumes: dict[str, dict[str, str]]) -> None:
    """Create the volumes at the same time: each is an engine process of about 0.1 s, and a
    first `up` makes six (host keys, workspace, four caches), one after another 0.5 s of it
    (bench/RESULTS-up.md). The first failure is raised, once every creation has ended (leaving
    the pool waits for them); with none to create, no thread starts."""
    with ThreadPoolExecutor(max(len(volumes), 1), thread_name_prefix="dlenv-volume") as pool:
        list(pool.map(engine.create_volume, volumes, volumes.values()))


def _start(
    project: Project,
    config: RunConfig,
    placement: Placement,
    timeout: float,
    volumes_made: Callable[[], None],
) -> ContainerInfo | None:
    """Once the missing volumes are made (`volumes_made` returns then, or raises), run the
    container and wait until it answers; returns it as the engine last showed it running
    (`wait_for_container`)."""
    engine, spec, names = project.engine, project.spec, project.names
    token = project.state.jupyter_token()
    volumes_made()
    if project.box is not None:
        project.box.push_state(project.state, project.name)
    ssh_port, jupyter_port = placement.ssh_port, placement.jupyter_port
    endpoints = (
        project.box.endpoints(ssh_port, jupyter_port, token)
        if project.box is not None
        else Endpoints(reachable_host(spec.run.bind), ssh_port, jupyter_port, token)
    )
    try:
        engine.run(config)
        # A container just made has restarted 0 times (no need to ask the engine first).
        started = wait_for_container(
            engine, names.container, endpoints, timeout=timeout, restarts=0
        )
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM (dlenv.cli) while starting: no half-started container stays behind.
        engine.remove_container(names.container)
        raise
    except (TimeoutError, RuntimeError) as problem:
        logs = engine.logs(names.container, tail=30)
        engine.remove_container(names.container)  # leave nothing half-started behind
        raise DlenvError(
            f"{project.name} did not become ready: {problem}",
            details=logs,
            hint="The container's last log lines are above; it has been removed "
            "(the workspace volume is kept). Fix the cause and run `dlenv up` again.",
        ) from None
    success(f"{project.name} is up")
    return started
