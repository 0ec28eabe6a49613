"""Everything one environment needs, gathered once: spec, resolution, engine, state, build context.

Commands call `open_project` and then act; the decisions below are pure functions of its inputs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlenv.engine.argv import PROXY_VARIABLES
from dlenv.engine.base import MANAGED_LABEL, BuildRequest, Mount, RunConfig
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.detect import EngineChoice, open_engine
from dlenv.engine.gpu import gpu_flags, run_defaults
from dlenv.engine.relay import index_hosts
from dlenv.errors import UsageError
from dlenv.host.facts import read_host_facts
from dlenv.knowledge import load_knowledge
from dlenv.lock import Lock
from dlenv.lock.locate import lock_for_build, lock_path
from dlenv.process import Runner
from dlenv.render.context import BuildContext, RenderInput, render_context
from dlenv.resolve import ResolvedEnv, resolve
from dlenv.spec import Spec, apply_overrides, load_spec
from dlenv.state import EnvState

# Container paths the rendered image expects (see render/templates).
HOSTKEYS_DIR = "/etc/dlenv/hostkeys"
AUTHORIZED_KEYS = "/etc/dlenv/authorized_keys"
TOKEN_FILE = "/etc/dlenv/secrets/jupyter_token"
SECRETS_TMPFS = "/run/dlenv"

# The UID a root invoker's files get in the container: a root user inside is what we avoid.
FALLBACK_UID = 1000


@dataclass(frozen=True)
class EnvOptions:
    """What the command line can say about an environment. None means "as the spec says"."""

    spec_path: Path | None = None
    name: str | None = None
    profile: str | None = None
    base_image: str | None = None
    python: str | None = None
    engine: str | None = None
    ca_bundle: Path | None = None
    ssh_port: int | None = None
    jupyter_port: int | None = None
    bind: str | None = None
    workspace: str | None = None

    def overrides(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "profile": self.profile,
            "image.base": self.base_image,
            "python.version": self.python,
            "ssh.port": self.ssh_port,
            "jupyter.port": self.jupyter_port,
            "run.bind": self.bind,
            "run.workspace": self.workspace,
        }


@dataclass(frozen=True)
class Identity:
    uid: int
    gid: int


def invoking_identity() -> Identity:
    """The person running dlenv, also through sudo; root maps to an ordinary UID."""
    uid = int(os.environ.get("SUDO_UID", os.getuid()))
    gid = int(os.environ.get("SUDO_GID", os.getgid()))
    if uid == 0:
        return Identity(FALLBACK_UID, FALLBACK_UID)
    return Identity(uid, gid)


def load_effective_spec(options: EnvOptions) -> tuple[Spec, str]:
    spec, source = load_spec(options.spec_path, search_dir=Path.cwd())
    return apply_overrides(spec, options.overrides()), source


@dataclass(frozen=True)
class Project:
    spec: Spec
    source: str
    resolved: ResolvedEnv
    engine: CliEngine
    engine_choice: EngineChoice
    state: EnvState
    identity: Identity
    ca_bundle: Path | None
    context: BuildContext
    lock: Lock | None = None  # dlenv.lock beside the spec: the build installs its exact pins

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def image_tag(self) -> str:
        return f"localhost/dlenv/{self.name}:{self.context.digest[:12]}"

    @property
    def workspace_volume(self) -> str:
        return f"{self.name}-workspace"

    @property
    def hostkeys_volume(self) -> str:
        return f"{self.name}-sshd"

    def build_request(self, *, no_cache: bool = False) -> BuildRequest:
        proxies = {k: v for k, v in sorted(os.environ.items()) if k in PROXY_VARIABLES}
        return BuildRequest(
            context=self.state.context_dir,
            tag=self.image_tag,
            labels={"dev.dlenv.context-digest": self.context.digest},
            ca_bundle=self.ca_bundle,
            build_args=proxies,
            no_cache=no_cache,
            index_hosts=index_hosts(
                [
                    url
                    for layer in self.resolved.layers
                    for url in (layer.index_url or "", *layer.extra_index_urls)
                ],
                managed_python=self.spec.python.version != "system",
            ),
        )

    def run_config(self) -> RunConfig:
        spec = self.spec
        user_home = f"/home/{spec.image.user}"
        workspace = spec.run.workspace
        workspace_source = (
            self.workspace_volume
            if workspace == "volume"
            else str(Path(workspace).expanduser().resolve())
        )
        host = self.engine.host()
        defaults = run_defaults(host, ipc=spec.run.ipc, shm_size=spec.run.shm_size)
        labels = {
            MANAGED_LABEL: "true",
            "dev.dlenv.name": self.name,
            "dev.dlenv.user": spec.image.user,
            "dev.dlenv.bind": spec.run.bind,
            "dev.dlenv.ssh-port": str(spec.ssh.port),
            "dev.dlenv.jupyter-port": str(spec.jupyter.port),
            "dev.dlenv.context-digest": self.context.digest,
        }
        return RunConfig(
            name=self.name,
            image=self.image_tag,
            bind=spec.run.bind,
            ports={spec.ssh.port: 22, spec.jupyter.port: 8888},
            mounts=(
                Mount(workspace_source, f"{user_home}/workspace"),
                Mount(self.hostkeys_volume, HOSTKEYS_DIR),
                Mount(str(self.state.authorized_keys_file), AUTHORIZED_KEYS, read_only=True),
                Mount(str(self.state.token_file), TOKEN_FILE, read_only=True),
            ),
            labels=labels,
            tmpfs=(f"{SECRETS_TMPFS}:rw,nosuid,nodev,noexec,size=1m,mode=0700",),
            shm_size=defaults.shm_size,
            env=self.resolved.runtime_env,
            # The GPU profile never falls back to the CPU: no GPU path is an error with a fix.
            gpu_flags=gpu_flags(host, spec.run.gpus) if spec.profile == "gpu" else (),
            extra_flags=defaults.flags,
        )


def open_project(options: EnvOptions, runner: Runner) -> Project:
    spec, source = load_effective_spec(options)
    # The GPU profile resolves against this host's GPUs and driver when nvidia-smi answers, so
    # `cuda = "auto"` fits them; without a driver it plans for no particular host.
    host = read_host_facts(runner, load_knowledge()) if spec.profile == "gpu" else None
    resolved = resolve(spec, host)
    engine, choice = open_engine(options.engine, spec.engine, runner)
    # The legacy builder has no build secrets: there the CA stays on the host and a loopback
    # relay fetches packages for the build (dlenv.engine.relay).
    ca_bundle = _check_ca_bundle(options.ca_bundle)
    identity = invoking_identity()
    lock = lock_for_build(lock_path(source, Path.cwd()), resolved)
    context = render_context(
        RenderInput(
            env=resolved,
            caps=engine.caps,
            uid=identity.uid,
            gid=identity.gid,
            with_ca_bundle=ca_bundle is not None,
            source=source,
            lock=lock,
        )
    )
    return Project(
        spec=spec,
        source=source,
        resolved=resolved,
        engine=engine,
        engine_choice=choice,
        state=EnvState.for_env(spec.name),
        identity=identity,
        ca_bundle=ca_bundle,
        context=context,
        lock=lock,
    )


def _check_ca_bundle(path: Path | None) -> Path | None:
    if path is None:
        return None
    path = path.expanduser().resolve()
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
