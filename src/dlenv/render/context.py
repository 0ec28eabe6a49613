"""ResolvedEnv -> build context (Containerfile, entrypoint, sshd and Jupyter configuration).

Pure and deterministic: the same inputs give byte-identical files, which both the golden tests
and the engine's layer cache depend on. Its one effect is Jinja2's bytecode cache of the compiled
templates (render/template_cache.py), which changes no output, only how long rendering takes.
"""

from __future__ import annotations

import hashlib
import shlex
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath

from jinja2 import Environment, PackageLoader, StrictUndefined

from dlenv.context import cache_root
from dlenv.engine.base import IMAGE_ID, BaseDigest
from dlenv.engine.caps import CA_SECRET_ID, CA_SECRET_PATH, BuilderCaps
from dlenv.engine.image_digest import repository
from dlenv.engine.relay_urls import relayed_url
from dlenv.files import write_atomic
from dlenv.knowledge.uv_wheels import uv_wheel_hashes
from dlenv.labels import base_digest_labels
from dlenv.lock import Lock
from dlenv.lock.install import locked_layer_views
from dlenv.render.template_cache import TemplateBytecodeCache
from dlenv.resolve import PackageLayer, ResolvedEnv

# What every image needs, whatever the spec says. Package names as in the Ubuntu and Debian
# archives (https://packages.ubuntu.com/noble/<name>, https://packages.debian.org/<name>).
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

@dataclass(frozen=True)
class RenderInput:
    env: ResolvedEnv
    caps: BuilderCaps
    uid: int
    gid: int
    with_ca_bundle: bool = False
    source: str = "the embedded default spec"
    lock: Lock | None = None  # dlenv.lock: install its exact pins instead of resolving
    # The relay path with a uv-managed Python: where uv downloads Pythons from (uv's own default,
    # as `uv python list` reports it), so the build can name it over the relay.
    python_downloads: str | None = None

    @property
    def relay(self) -> bool:
        """Without build secrets (the legacy Docker builder) a CA stays on the host: the indexes
        are named over http:// and reached through dlenv's loopback relay (dlenv.engine.relay)."""
        return self.with_ca_bundle and not self.caps.secret_mounts


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
            # Atomic: an interrupted or failed write (a full disk) leaves the old file whole.
            write_atomic(directory / name, text, mode=0o755 if name.endswith(".sh") else 0o644)


# The ports the image listens on: `Port 22` in sshd_config.j2, `c.ServerApp.port = 8888` in
# jupyter_server_config.py.j2 (the sshd and Jupyter Server defaults), `EXPOSE 22 8888`.
SSH_CONTAINER_PORT = 22
JUPYTER_CONTAINER_PORT = 8888


@dataclass(frozen=True)
class _ConfigFile:
    name: str
    target: str
    mode: str


@dataclass(frozen=True)
class _ConfigFileView:
    """A configuration file as the Containerfile installs it: with its content's sha256, which
    a bind-mounting RUN line carries so that a changed file rebuilds the step (buildah leaves
    bind-mounted content out of its cache key; see the locked layers in Containerfile.j2)."""

    name: str
    target: str
    mode: str
    sha256: str


_CONFIG_FILES = (
    _ConfigFile("sshd_config", "/etc/ssh/sshd_config", "0644"),
    _ConfigFile("jupyter_server_config.py", "/etc/dlenv/jupyter_server_config.py", "0644"),
    # JupyterLab's default settings, overridden for every user: jupyterlab_server reads
    # `default_setting_overrides.json` from the labconfig directory of each Jupyter config path,
    # /etc/jupyter among them (jupyterlab_server/settings_utils.py, _get_overrides; checked with
    # jupyterlab 4.6.6). It turns off the news feed and the update check
    # (@jupyterlab/apputils-extension:notification, schemas/.../notification.json: fetchNews
    # "false" = Never, checkForUpdates false): an environment does not phone home unasked.
    _ConfigFile(
        "jupyter_lab_overrides.json",
        "/etc/jupyter/labconfig/default_setting_overrides.json",
        "0644",
    ),
    _ConfigFile("profile.sh", "/etc/profile.d/dlenv.sh", "0644"),
    _ConfigFile("entrypoint.sh", "/usr/local/bin/dlenv-entrypoint", "0755"),
    _ConfigFile("jupyter_lab.py", "/usr/local/bin/dlenv-jupyter-lab", "0755"),
    _ConfigFile("idle_watch.py", "/usr/local/bin/dlenv-idle-watch", "0755"),
    _ConfigFile("dotfiles.sh", "/usr/local/bin/dlenv-dotfiles", "0755"),
)
# The files the image's configuration step installs, in order (tests count its steps by them).
CONFIG_FILE_NAMES = tuple(file.name for file in _CONFIG_FILES)
# Packages some settings need: dotfiles are cloned with git (Debian's and Ubuntu's "git").
DOTFILES_APT_PACKAGES = ("git",)

_templates = Environment(
    loader=PackageLoader("dlenv.render", "templates"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701  (shell and config files, not HTML)
)
# The compiled code depends on the options above as well as on each template's source.
_templates.bytecode_cache = TemplateBytecodeCache(
    lambda: cache_root() / "templates",
    salt=repr(
        (_templates.trim_blocks, _templates.lstrip_blocks, _templates.keep_trailing_newline)
    ),
)


def render_context(given: RenderInput) -> BuildContext:
    env, caps = given.env, given.caps
    spec = env.spec
    user = spec.image.user
    ca, relay = given.with_ca_bundle, given.relay
    through = relayed_url if relay else str
    secret_mount = (
        f"--mount=type=secret,id={CA_SECRET_ID},mode=0444 \\\n    " if ca and not relay else ""
    )
    # One uv cache per UID: a cache mount is shared by every build on the engine, and
    # `uid=`/`gid=` only set its owner when it is made, so on a shared server the next user's
    # build could not write the first user's cache. `id` names a separate cache (buildah-run(1),
    # "type=cache": "Create a separate cache directory for a particular id"; the Dockerfile
    # reference, RUN --mount=type=cache: "Optional ID to identify separate/different caches").
    uv_cache = (
        f"--mount=type=cache,id=dlenv-uv-{given.uid},target=/var/cache/uv,"
        f"uid={given.uid},gid={given.gid} \\\n    "
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
        locked_layer_views(given.lock, _locked_options(env, through))
        if given.lock is not None
        else ([], {})
    )
    base = given.lock.base if given.lock is not None else None
    labels = dict(env.labels) | (base_digest_labels(base.digest, base.kind) if base else {})
    values = {
        # The spec file's name only: where a project is checked out must not change the content
        # digest, which is the image tag the registry build cache shares between machines.
        # A name can hold any character: the header comment must stay one line.
        "source": "".join(
            ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in PurePath(given.source).name
        ),
        "caps": caps,
        "base_image": env.base_image,
        "from_image": from_image(env.base_image, base),
        "apt_packages": sorted(
            set(BASE_APT_PACKAGES)
            | set(spec.image.apt)
            | (set(DOTFILES_APT_PACKAGES) if spec.dotfiles.repo else set())
        ),
        "apt_mounts": apt_mounts,
        "uid": given.uid,
        "gid": given.gid,
        "user": user,
        "uv_version": spec.python.uv,
        "uv_hashes": uv_wheel_hashes(spec.python.uv),
        "python": spec.python.version,
        "secret_mount": secret_mount,
        "uv_mounts": uv_cache + secret_mount,
        "ca_env": _ca_env(given),
        "pip_options": _pip_options(env, through, relay=relay),
        "layers": [_layer_view(env, layer, through) for layer in env.layers],
        "layer_names": ", ".join(layer.name for layer in env.layers) or "none",
        "locked_layers": locked_views,
        "timezone": spec.image.timezone,
        "labels": " \\\n      ".join(
            f'{key}="{_label_value(value)}"' for key, value in sorted(labels.items())
        ),
    }
    config = {
        "sshd_config": _templates.get_template("sshd_config.j2").render(user=user),
        "jupyter_server_config.py": _templates.get_template("jupyter_server_config.py.j2").render(
            user=user
        ),
        "entrypoint.sh": _templates.get_template("entrypoint.sh.j2").render(user=user),
        "profile.sh": _templates.get_template("profile.sh.j2").render(),
        "jupyter_lab_overrides.json": _templates.get_template(
            "jupyter_lab_overrides.json.j2"
        ).render(),
        "idle_watch.py": _templates.get_template("idle_watch.py.j2").render(user=user),
        "jupyter_lab.py": _templates.get_template("jupyter_lab.py.j2").render(),
        "dotfiles.sh": _templates.get_template("dotfiles.sh.j2").render(user=user),
    }
    values["config_files"] = [
        _ConfigFileView(
            f.name, f.target, f.mode, hashlib.sha256(config[f.name].encode()).hexdigest()
        )
        for f in _CONFIG_FILES
    ]
    files = {
        **lock_files,
        "Containerfile": _templates.get_template("Containerfile.j2").render(values),
        **config,
    }
    return BuildContext(files)


def from_image(base_image: str, base: BaseDigest | None) -> str:
    """What FROM names: the base as the spec says, or pinned to the lock's digest.

    A manifest digest pins the base's repository (`REPO@sha256:...`, pullable anywhere); the tag
    is dropped, as the digest decides. An image ID cannot follow a repository name (the engine
    would look for a manifest of that digest), but both engines accept it alone for an image
    they hold (checked with podman 4.3.1 and Docker 28's legacy builder).
    """
    if base is None:
        return base_image
    if base.kind == IMAGE_ID:
        return base.digest
    return f"{repository(base_image)}@{base.digest}"


def _ca_env(given: RenderInput) -> str:
    """Environment for the RUN steps that download: the CA secret, or on the relay path the
    relayed location of uv's Python downloads."""
    if given.relay:
        if given.python_downloads and given.env.spec.python.version != "system":
            mirror = shlex.quote(relayed_url(given.python_downloads))
            # uv's "Environment variables" (https://docs.astral.sh/uv/reference/environment/).
            return f"UV_PYTHON_INSTALL_MIRROR={mirror} "
        return ""
    if given.with_ca_bundle:
        return f"SSL_CERT_FILE={CA_SECRET_PATH} PIP_CERT={CA_SECRET_PATH} "
    return ""


def _pip_options(env: ResolvedEnv, through: Callable[[str], str], *, relay: bool) -> str:
    """pip bootstraps uv from the default index the user configured (or uv's default)."""
    if env.indexes is None:
        return ""
    url = through(env.indexes.default)
    options = ["--index-url", url]
    if relay and url.startswith("http://"):
        options += ["--trusted-host", urllib.parse.urlsplit(url).netloc]  # pip refuses http else
    return shlex.join(options) + " "


def _locked_options(env: ResolvedEnv, through: Callable[[str], str]) -> Callable[[Lock], str]:
    """A locked install reads the default index and every index the lock was resolved from."""

    def options(lock: Lock) -> str:
        pairs = [("--default-index", env.indexes.default)] if env.indexes else []
        at = env.indexes.locate if env.indexes else str
        pairs += [("--extra-index-url", at(url)) for url in lock.extra_index_urls]
        return _option_text(pairs, through)

    return options


def _option_text(pairs: Iterable[tuple[str, str]], through: Callable[[str], str]) -> str:
    words = [word for option, url in pairs for word in (option, through(url))]
    return (shlex.join(words) + " ") if words else ""


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class _LayerView:
    name: str
    options: str
    requirements: str


def _layer_view(
    env: ResolvedEnv, layer: PackageLayer, through: Callable[[str], str]
) -> _LayerView:
    return _LayerView(
        name=layer.name,
        options=_option_text(env.index_options(layer), through),
        requirements=" ".join(shlex.quote(r) for r in sorted(layer.requirements)),
    )
