"""ResolvedEnv -> build context (Containerfile, entrypoint, sshd and Jupyter configuration).

Pure and deterministic: the same inputs give byte-identical files, which both the golden tests
and the engine's layer cache depend on.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from dlenv.engine.relay import relay_env, relayed_url
from dlenv.lock import Lock
from dlenv.lock.install import locked_layer_views
from dlenv.resolve import PackageLayer, ResolvedEnv

# What every image needs, whatever the spec says.
BASE_APT_PACKAGES = (
    "bash",
    "ca-certificates",
    "openssh-server",
    "procps",
    "python3",  # bootstraps uv; the venv's Python when python.version = "system"
    "python3-venv",
    "tmux",
    "tzdata",
)

CA_SECRET_ID = "dlenv-ca"
_CA_PATH = f"/run/secrets/{CA_SECRET_ID}"


@dataclass(frozen=True)
class BuilderCaps:
    """What the engine's builder understands (buildah and BuildKit: all; legacy Docker: none)."""

    cache_mounts: bool = True
    secret_mounts: bool = True
    copy_chmod: bool = True
    needs_syntax_line: bool = False  # BuildKit reads `# syntax=` to pick the frontend


@dataclass(frozen=True)
class RenderInput:
    env: ResolvedEnv
    caps: BuilderCaps
    uid: int
    gid: int
    with_ca_bundle: bool = False
    source: str = "the embedded default spec"
    lock: Lock | None = None  # dlenv.lock: install its exact pins instead of resolving


@dataclass(frozen=True)
class BuildContext:
    """The rendered files, by name, plus the image tag derived from their content."""

    files: Mapping[str, str]

    @property
    def digest(self) -> str:
        sha = hashlib.sha256()
        for name in sorted(self.files):
            sha.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        return sha.hexdigest()

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in sorted(self.files.items()):
            target = directory / name
            target.write_text(text, encoding="utf-8")
            target.chmod(0o755 if name.endswith(".sh") else 0o644)


@dataclass(frozen=True)
class _ConfigFile:
    name: str
    target: str
    mode: str


_CONFIG_FILES = (
    _ConfigFile("sshd_config", "/etc/ssh/sshd_config", "0644"),
    _ConfigFile("jupyter_server_config.py", "/etc/dlenv/jupyter_server_config.py", "0644"),
    _ConfigFile("profile.sh", "/etc/profile.d/dlenv.sh", "0644"),
    _ConfigFile("entrypoint.sh", "/usr/local/bin/dlenv-entrypoint", "0755"),
)

_templates = Environment(
    loader=PackageLoader("dlenv.render", "templates"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701  (shell and config files, not HTML)
)


def render_context(given: RenderInput) -> BuildContext:
    env, caps = given.env, given.caps
    spec = env.spec
    user = spec.image.user
    ca = given.with_ca_bundle
    # Without build secrets (the legacy Docker builder) the CA stays on the host: the indexes are
    # named over http:// and reached through dlenv's loopback relay (dlenv.engine.relay).
    relay = ca and not caps.secret_mounts
    secret_mount = (
        f"--mount=type=secret,id={CA_SECRET_ID},mode=0444 \\\n    " if ca and not relay else ""
    )
    uv_cache = (
        f"--mount=type=cache,target=/var/cache/uv,uid={given.uid},gid={given.gid} \\\n    "
        if caps.cache_mounts
        else ""
    )
    apt_mounts = (
        "--mount=type=cache,target=/var/cache/apt,sharing=locked \\\n    "
        "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\\n    "
        if caps.cache_mounts
        else ""
    )
    # With a lock, each layer installs the lock's exact pins (dlenv.lock.install); without one,
    # each layer resolves its own requirements at build time.
    locked_views, lock_files = (
        locked_layer_views(given.lock, through=relayed_url if relay else str)
        if given.lock is not None
        else ([], {})
    )
    values = {
        "source": given.source,
        "caps": caps,
        "base_image": env.base_image,
        "apt_packages": sorted(set(BASE_APT_PACKAGES) | set(spec.image.apt)),
        "apt_mounts": apt_mounts,
        "uid": given.uid,
        "gid": given.gid,
        "user": user,
        "uv_version": spec.python.uv,
        "python": spec.python.version,
        "secret_mount": secret_mount,
        "uv_mounts": uv_cache + secret_mount,
        "ca_env": _ca_env(ca, relay=relay, managed_python=spec.python.version != "system"),
        "layers": [_layer_view(layer, relay=relay) for layer in env.layers],
        "layer_names": ", ".join(layer.name for layer in env.layers) or "none",
        "locked_layers": locked_views,
        "timezone": spec.image.timezone,
        "config_files": _CONFIG_FILES,
        "labels": " \\\n      ".join(
            f'{key}="{_label_value(value)}"' for key, value in sorted(env.labels.items())
        ),
    }
    files = {
        **lock_files,
        "Containerfile": _templates.get_template("Containerfile.j2").render(values),
        "sshd_config": _templates.get_template("sshd_config.j2").render(user=user),
        "jupyter_server_config.py": _templates.get_template("jupyter_server_config.py.j2").render(
            user=user
        ),
        "entrypoint.sh": _templates.get_template("entrypoint.sh.j2").render(user=user),
        "profile.sh": _templates.get_template("profile.sh.j2").render(),
    }
    return BuildContext(files)


def _ca_env(ca: bool, *, relay: bool, managed_python: bool) -> str:
    if relay:
        return relay_env(managed_python=managed_python)
    return f"SSL_CERT_FILE={_CA_PATH} PIP_CERT={_CA_PATH} " if ca else ""


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class _LayerView:
    name: str
    options: str
    requirements: str


def _layer_view(layer: PackageLayer, *, relay: bool = False) -> _LayerView:
    through = relayed_url if relay else str
    options = []
    if layer.index_url:
        options += ["--index-url", through(layer.index_url)]
    for url in layer.extra_index_urls:
        options += ["--extra-index-url", through(url)]
    option_text = (shlex.join(options) + " ") if options else ""
    return _LayerView(
        name=layer.name,
        options=option_text,
        requirements=" ".join(shlex.quote(r) for r in sorted(layer.requirements)),
    )
