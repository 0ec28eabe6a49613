"""Everything one environment needs, gathered once: spec, resolution, engine, state, context.

Commands call `open_project` and then act; the decisions below are pure functions of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from dlenv.context import AppContext
from dlenv.engine.argv import PROXY_VARIABLES
from dlenv.engine.base import BaseDigest, BuildRequest, Mount, RunConfig
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.detect import EngineChoice, open_engine
from dlenv.engine.gpu import gpu_flags, run_defaults
from dlenv.engine.relay_urls import python_download_base, url_hosts
from dlenv.environment.box import Box, open_box
from dlenv.environment.host_paths import resolve_workspace
from dlenv.environment.index_config import python_download_url
from dlenv.environment.locking import lock_following_spec
from dlenv.environment.names import CACHES, EnvNames, shared_cache_volume
from dlenv.environment.options import EnvOptions
from dlenv.environment.resolution import load_effective_spec, resolve_here
from dlenv.environment.secrets import CONTAINER_DIR as SECRETS_DIR
from dlenv.environment.secrets import MOUNTED_DIR as SECRETS_MOUNT
from dlenv.environment.secrets import path_variables
from dlenv.errors import DlenvError, UsageError
from dlenv.host.facts import has_nvidia_gpu
from dlenv.host.reader import HostReader
from dlenv.labels import EnvLabels, base_digest_labels, cache_labels
from dlenv.lock import Lock
from dlenv.lock.locate import lock_for_build, lock_path
from dlenv.render.context import (
    JUPYTER_CONTAINER_PORT,
    SSH_CONTAINER_PORT,
    BuildContext,
    RenderInput,
    render_context,
)
from dlenv.resolve import ResolvedEnv
from dlenv.resolve.indexes import is_loopback_url
from dlenv.spec import Spec
from dlenv.spec.model import duration_seconds
from dlenv.state import EnvState

# Container paths the rendered image expects (see render/templates).
HOSTKEYS_DIR = "/etc/dlenv/hostkeys"
AUTHORIZED_KEYS = "/etc/dlenv/authorized_keys"
TOKEN_FILE = "/etc/dlenv/secrets/jupyter_token"
SECRETS_TMPFS = "/run/dlenv"
TMPFS_OPTIONS = "rw,nosuid,nodev,noexec,size=1m,mode=0700"


@dataclass(frozen=True)
class CacheVolume:
    name: str
    target: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Placement:
    """Where one `up` puts the environment on a shared host: host ports, and the GPUs after
    "auto:N" is resolved (dlenv.environment.placement decides it)."""

    ssh_port: int
    jupyter_port: int
    gpus: str | tuple[str, ...]  # "all", or device names


@dataclass(frozen=True)
class Project:
    spec: Spec
    source: str
    resolved: ResolvedEnv
    engine: CliEngine
    engine_choice: EngineChoice
    state: EnvState
    ctx: AppContext
    ca_bundle: Path | None
    context: BuildContext
    lock: Lock | None = None  # dlenv.lock beside the spec: the build installs its exact pins
    box: Box | None = None  # the machine the engine runs on, when it is not this one

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def names(self) -> EnvNames:
        return EnvNames(self.name)

    @property
    def base_pinned(self) -> bool:
        """The Containerfile pins FROM to the lock's base digest (and labels it)."""
        return self.lock is not None and self.lock.base is not None

    @property
    def image_tag(self) -> str:
        return self.names.image_tag(self.context.digest)

    def index_urls(self) -> tuple[str, ...]:
        """Every index the build reads from, where it reads it (mirrors applied)."""
        env = self.resolved
        urls = [url for layer in env.layers for _, url in env.index_options(layer)]
        if env.indexes is not None:
            urls.append(env.indexes.default)
            if self.lock is not None:
                urls += [env.indexes.locate(u) for u in self.lock.extra_index_urls]
        return tuple(dict.fromkeys(urls))

    def build_request(
        self, *, no_cache: bool = False, base: BaseDigest | None = None
    ) -> BuildRequest:
        """`base`: the base image's digest as the engine reports it before an unpinned build,
        labelled on the command line (a pinned build renders the lock's into its LABEL)."""
        proxies = {k: v for k, v in sorted(self.ctx.environ.items()) if k in PROXY_VARIABLES}
        urls = self.index_urls()
        return BuildRequest(
            context=self.state.context_dir,
            tag=self.image_tag,
            # No context-digest label: the tag carries the digest already, and a label from
            # the command line is one more build step, an image commit (0.4 s of every build
            # here; bench/RESULTS.md). The container's labels record it for `up`.
            labels=base_digest_labels(base.digest, base.kind) if base else {},
            ca_bundle=self.ca_bundle,
            build_args=proxies,
            no_cache=no_cache,
            index_hosts=url_hosts(u for u in urls if u.startswith("https://")),
            # An index on the host's loopback (a local mirror) is reachable only from the host's
            # network namespace.
            network="host" if any(is_loopback_url(u) for u in urls) else None,
        )

    def cache_volumes(self) -> tuple[CacheVolume, ...]:
        """The cache volumes run.caches asks for: the user's shared ones, this environment's
        own (removed with it), or none."""
        scope = self.spec.run.caches
        if scope == "off":
            return ()
        uid = self.ctx.identity.uid
        return tuple(
            CacheVolume(
                shared_cache_volume(cache.kind, uid)
                if scope == "shared"
                else self.names.cache_volume(cache.kind),
                cache.target,
                cache_labels(
                    cache.kind,
                    owner_uid=uid if scope == "shared" else None,
                    env_name=self.name if scope == "environment" else None,
                ),
            )
            for cache in CACHES
        )

    def runtime_env(self) -> dict[str, str]:
        """The container's environment: no secret in it, `inspect` shows every value."""
        spec = self.spec
        env = dict(self.resolved.runtime_env)
        if spec.run.caches != "off":
            env |= {cache.variable: cache.target for cache in CACHES}
            # An image from the legacy builder sets UV_NO_CACHE=1 for its build steps; in the
            # running environment the cache volume serves (uv reads "0" as false: checked
            # with uv 0.9.0).
            env["UV_NO_CACHE"] = "0"
        env |= path_variables(spec.secrets)
        idle = duration_seconds(spec.run.idle_stop)
        if idle is not None:
            env["DLENV_IDLE_STOP"] = str(idle)
        if spec.dotfiles.repo:
            env["DLENV_DOTFILES_REPO"] = spec.dotfiles.repo
            if spec.dotfiles.install:
                env["DLENV_DOTFILES_INSTALL"] = spec.dotfiles.install
        return env

    def secret_sources(self) -> tuple[str, str]:
        """The authorized keys and the token where the engine's machine has them (mounted from
        there): the state directory here, or its copy on the box (`Box.push_state`)."""
        if self.box is None:
            return str(self.state.authorized_keys_file), str(self.state.token_file)
        directory = self.box.state_dir(self.name)
        return (
            f"{directory}/{self.state.authorized_keys_file.name}",
            f"{directory}/{self.state.token_file.name}",
        )

    def default_placement(self) -> Placement:
        gpus = self.spec.run.gpu_ids
        return Placement(
            self.spec.ssh.port,
            self.spec.jupyter.port,
            gpus if isinstance(gpus, str) else tuple(gpus),
        )

    @property
    def workspace_target(self) -> str:
        """Where the workspace is mounted in the container (the image's WORKDIR)."""
        return f"/home/{self.spec.image.user}/workspace"

    def run_config(self, placement: Placement | None = None) -> RunConfig:
        spec, names = self.spec, self.names
        place = placement or self.default_placement()
        identity = self.ctx.identity
        if self.box is not None and spec.run.workspace != "volume":
            raise UsageError(
                f"run.workspace {spec.run.workspace!r}: a directory workspace is a directory of "
                "this machine, and the environment runs on the box "
                f"{self.box.address}",
                hint="Use --workspace volume for an environment on a box (copy files in with "
                "scp or rsync over `dlenv ssh-config`'s host), or run it here.",
            )
        if self.box is not None and spec.secrets:
            raise UsageError(
                f"[secrets]: runtime secrets are files of this machine, and the environment "
                f"runs on the box {self.box.address}",
                hint="Run `dlenv up` on the box itself for an environment with [secrets] "
                "(copying secrets to a box is not supported yet).",
            )
        # A host directory is checked here too: `/`, the home directory and system directories
        # are refused whether the file or a flag names them.
        directory = resolve_workspace(spec.run.workspace, self.ctx.cwd, self.ctx.home)
        workspace_source = names.workspace_volume if directory is None else str(directory)
        if spec.profile == "gpu":
            reader = (
                self.box.reader
                if self.box is not None
                else HostReader(root=self.ctx.host_root, runner=self.ctx.runner)
            )
            _require_an_nvidia_gpu(reader)
        keys_source, token_source = self.secret_sources()
        host = self.engine.host()
        defaults = run_defaults(host, ipc=spec.run.ipc, shm_size=spec.run.shm_size)
        labels = EnvLabels(
            name=self.name,
            user=spec.image.user,
            bind=spec.run.bind,
            ssh_port=place.ssh_port,
            jupyter_port=place.jupyter_port,
            context_digest=self.context.digest,
            ports=dict(spec.ports),
            idle_stop=None if spec.run.idle_stop == "off" else spec.run.idle_stop,
            secrets=tuple(sorted(spec.secrets)),
            caches=None if spec.run.caches == "off" else spec.run.caches,
            dotfiles=spec.dotfiles.repo or None,
            # Leased GPUs are labelled in every profile: the lease holds them either way.
            gpus=place.gpus if isinstance(place.gpus, tuple) else (),
            owner_uid=identity.uid,
            owner=identity.user,
        )
        secrets = (
            (Mount(str(self.state.secrets_dir), SECRETS_MOUNT, read_only=True),)
            if spec.secrets
            else ()
        )
        return RunConfig(
            name=names.container,
            image=self.image_tag,
            bind=spec.run.bind,
            # Extra ports ([ports]) are the same number on both sides.
            ports={place.ssh_port: SSH_CONTAINER_PORT, place.jupyter_port: JUPYTER_CONTAINER_PORT}
            | {port: port for port in spec.ports.values()},
            mounts=(
                Mount(workspace_source, self.workspace_target),
                Mount(names.hostkeys_volume, HOSTKEYS_DIR),
                Mount(keys_source, AUTHORIZED_KEYS, read_only=True),
                Mount(token_source, TOKEN_FILE, read_only=True),
                *secrets,
                *(Mount(volume.name, volume.target) for volume in self.cache_volumes()),
            ),
            labels=labels.encode(),
            tmpfs=(f"{SECRETS_TMPFS}:{TMPFS_OPTIONS}",)
            + ((f"{SECRETS_DIR}:{TMPFS_OPTIONS}",) if spec.secrets else ()),
            shm_size=defaults.shm_size,
            env=self.runtime_env(),
            # The GPU profile never falls back to the CPU: no GPU path is an error with a fix.
            gpu_flags=gpu_flags(host, place.gpus) if spec.profile == "gpu" else (),
            extra_flags=defaults.flags,
        )


def open_project(
    options: EnvOptions,
    ctx: AppContext,
    loaded: tuple[Spec, str] | None = None,
    *,
    will_run: bool = False,
    relock: bool = False,
) -> Project:
    """`loaded`: the effective spec and its source, when the caller has read them already;
    `will_run`: the caller starts a container, so the engine's facts are read meanwhile;
    `relock`: the caller builds, and a stale dlenv.lock is re-locked first (`build` and `up`
    without --locked) rather than refused."""
    spec, source = loaded or load_effective_spec(options, ctx)
    # The engine first: with none installed, that is the first thing to fix, and resolving
    # (nvidia-smi, uv) would only delay the message.
    box = open_box(spec.host, ctx)
    engine, choice = open_engine(
        options.engine, spec.engine, ctx.runner, box.link() if box else None
    )
    if will_run:
        engine.start_reading_host()  # `podman info` runs while the spec is resolved
    # The GPUs and driver are the box's; the package indexes are this machine's configuration.
    resolved = resolve_here(spec, ctx, host_runner=box.runner if box else None)
    ca_bundle = _check_ca_bundle(options.ca_bundle, ctx.cwd)
    path = lock_path(source, ctx.cwd)
    if relock:
        lock = lock_following_spec(path, resolved, engine, ctx.runner, ca_bundle=ca_bundle)
    else:
        lock = lock_for_build(path, resolved)
    given = RenderInput(
        env=resolved,
        caps=engine.caps,
        uid=ctx.identity.container_ids[0],
        gid=ctx.identity.container_ids[1],
        with_ca_bundle=ca_bundle is not None,
        source=source,
        lock=lock,
    )
    if given.relay and spec.python.version != "system":
        downloads = python_download_url(ctx.runner, spec.python.version)
        given = replace(
            given, python_downloads=python_download_base(downloads) if downloads else None
        )
    return Project(
        spec=spec,
        source=source,
        resolved=resolved,
        engine=engine,
        engine_choice=choice,
        state=EnvState.for_env(ctx.state_root, spec.name),
        ctx=ctx,
        ca_bundle=ca_bundle,
        context=render_context(given),
        lock=lock,
        box=box,
    )


def _require_an_nvidia_gpu(reader: HostReader) -> None:
    """Say first what `dlenv doctor` says first: without an NVIDIA GPU, the engine's GPU setup
    (CDI, the nvidia runtime) is beside the point, and the CPU profile is the way forward."""
    if not has_nvidia_gpu(reader):
        raise DlenvError(
            "no NVIDIA GPU found on this host (dlenv doctor: gpu.none)",
            details="Looked for PCI display devices of vendor 10de under /sys/bus/pci/devices.",
            hint='Use the CPU profile: `dlenv up --profile cpu`, or profile = "cpu" in '
            "dlenv.toml (`dlenv init --profile cpu` writes one). On a GPU host, "
            "`dlenv doctor` explains why the GPU is not seen.",
        )


def _check_ca_bundle(path: Path | None, cwd: Path) -> Path | None:
    if path is None:
        return None
    path = (cwd / path.expanduser()).resolve()
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200000]
    except OSError as exc:
        raise UsageError(f"--ca-bundle {path}: cannot be read ({exc.strerror})") from None
    if "-----BEGIN CERTIFICATE-----" not in head:
        raise UsageError(
            f"--ca-bundle {path} holds no PEM certificate",
            hint="Pass a PEM file with one or more `-----BEGIN CERTIFICATE-----` blocks.",
        )
    return path
