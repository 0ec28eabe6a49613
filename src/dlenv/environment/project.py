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
from dlenv.environment.host_paths import resolve_workspace
from dlenv.environment.index_config import python_download_url
from dlenv.environment.names import EnvNames
from dlenv.environment.options import EnvOptions
from dlenv.environment.resolution import load_effective_spec, resolve_here
from dlenv.errors import DlenvError, UsageError
from dlenv.host.facts import has_nvidia_gpu
from dlenv.host.reader import HostReader
from dlenv.labels import CONTEXT_DIGEST, EnvLabels, base_digest_labels
from dlenv.lock import Lock
from dlenv.lock.locate import lock_for_build, lock_path
from dlenv.render.context import BuildContext, RenderInput, render_context
from dlenv.resolve import ResolvedEnv
from dlenv.resolve.indexes import is_loopback_url
from dlenv.spec import Spec
from dlenv.state import EnvState

# Container paths the rendered image expects (see render/templates).
HOSTKEYS_DIR = "/etc/dlenv/hostkeys"
AUTHORIZED_KEYS = "/etc/dlenv/authorized_keys"
TOKEN_FILE = "/etc/dlenv/secrets/jupyter_token"
SECRETS_TMPFS = "/run/dlenv"


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
            labels={CONTEXT_DIGEST: self.context.digest}
            | (base_digest_labels(base.digest, base.kind) if base else {}),
            ca_bundle=self.ca_bundle,
            build_args=proxies,
            no_cache=no_cache,
            index_hosts=url_hosts(u for u in urls if u.startswith("https://")),
            # An index on the host's loopback (a local mirror) is reachable only from the host's
            # network namespace.
            network="host" if any(is_loopback_url(u) for u in urls) else None,
        )

    def run_config(self) -> RunConfig:
        spec, names = self.spec, self.names
        user_home = f"/home/{spec.image.user}"
        # A host directory is checked here too: `/`, the home directory and system directories
        # are refused whether the file or a flag names them.
        directory = resolve_workspace(spec.run.workspace, self.ctx.cwd, self.ctx.home)
        workspace_source = names.workspace_volume if directory is None else str(directory)
        if spec.profile == "gpu":
            _require_an_nvidia_gpu(self.ctx)
        host = self.engine.host()
        defaults = run_defaults(host, ipc=spec.run.ipc, shm_size=spec.run.shm_size)
        labels = EnvLabels(
            name=self.name,
            user=spec.image.user,
            bind=spec.run.bind,
            ssh_port=spec.ssh.port,
            jupyter_port=spec.jupyter.port,
            context_digest=self.context.digest,
        )
        return RunConfig(
            name=names.container,
            image=self.image_tag,
            bind=spec.run.bind,
            # Container ports: `Port 22` in sshd_config.j2, `c.ServerApp.port = 8888` in
            # jupyter_server_config.py.j2 (the sshd and Jupyter Server defaults).
            ports={spec.ssh.port: 22, spec.jupyter.port: 8888},
            mounts=(
                Mount(workspace_source, f"{user_home}/workspace"),
                Mount(names.hostkeys_volume, HOSTKEYS_DIR),
                Mount(str(self.state.authorized_keys_file), AUTHORIZED_KEYS, read_only=True),
                Mount(str(self.state.token_file), TOKEN_FILE, read_only=True),
            ),
            labels=labels.encode(),
            tmpfs=(f"{SECRETS_TMPFS}:rw,nosuid,nodev,noexec,size=1m,mode=0700",),
            shm_size=defaults.shm_size,
            env=self.resolved.runtime_env,
            # The GPU profile never falls back to the CPU: no GPU path is an error with a fix.
            gpu_flags=gpu_flags(host, spec.run.gpus) if spec.profile == "gpu" else (),
            extra_flags=defaults.flags,
        )


def open_project(
    options: EnvOptions,
    ctx: AppContext,
    loaded: tuple[Spec, str] | None = None,
    *,
    will_run: bool = False,
) -> Project:
    """`loaded`: the effective spec and its source, when the caller has read them already;
    `will_run`: the caller starts a container, so the engine's facts are read meanwhile."""
    spec, source = loaded or load_effective_spec(options, ctx)
    # The engine first: with none installed, that is the first thing to fix, and resolving
    # (nvidia-smi, uv) would only delay the message.
    engine, choice = open_engine(options.engine, spec.engine, ctx.runner)
    if will_run:
        engine.start_reading_host()  # `podman info` runs while the spec is resolved
    resolved = resolve_here(spec, ctx)
    ca_bundle = _check_ca_bundle(options.ca_bundle, ctx.cwd)
    lock = lock_for_build(lock_path(source, ctx.cwd), resolved)
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
    )


def _require_an_nvidia_gpu(ctx: AppContext) -> None:
    """Say first what `dlenv doctor` says first: without an NVIDIA GPU, the engine's GPU setup
    (CDI, the nvidia runtime) is beside the point, and the CPU profile is the way forward."""
    if not has_nvidia_gpu(HostReader(root=ctx.host_root, runner=ctx.runner)):
        raise DlenvError(
            "no NVIDIA GPU found on this host (dlenv doctor: gpu.none)",
            details="Looked for PCI display devices of vendor 10de under /sys/bus/pci/devices.",
            hint="Use the CPU profile: `dlenv up --profile cpu`, or profile = \"cpu\" in "
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
