"""ResolvedEnv -> build context (Containerfile, entrypoint, sshd and Jupyter configuration).

Pure and deterministic: the same inputs give byte-identical files, which both the golden tests
and the engine's layer cache depend on. Its one effect is Jinja2's bytecode cache of the compiled
templates (render/template_cache.py), which changes no output, only how long rendering takes.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from jinja2 import Environment, PackageLoader, StrictUndefined

from dlenv.context import cache_root
from dlenv.engine.base import IMAGE_ID, BaseDigest
from dlenv.engine.caps import CA_SECRET_ID, CA_SECRET_PATH, BuilderCaps
from dlenv.engine.image_digest import repository
from dlenv.engine.relay_urls import relayed_url
from dlenv.files import link_atomic, write_atomic
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


# Where the configuration files sit in the build context: under this directory, laid out as the
# image holds them, so that one `COPY rootfs/ /` installs them all (Containerfile.j2, step 4).
# A COPY of a directory takes "the entire contents of the directory ... including filesystem
# metadata" (Dockerfile reference, COPY: https://docs.docker.com/reference/dockerfile/#copy), so
# the modes and links written here are the image's: checked on 2026-12-01 with podman 4.3.1
# (buildah) and Docker 20.10.24's legacy builder (a 0755 script stays executable, a link stays
# a link; the files are root's).
ROOTFS = "rootfs"


@dataclass(frozen=True)
class BuildContext:
    """The rendered files, by path in the context, plus the image tag derived from them.

    `executables`: the paths written with mode 0755 (the rest 0644); `links`: symbolic links,
    path -> target (a path in the image, never followed here). The COPY keeps modes and links.
    """

    files: Mapping[str, str]
    executables: frozenset[str] = frozenset()
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        sha = hashlib.sha256()
        for name in sorted(self.files):
            mode = b"x" if name in self.executables else b"-"
            sha.update(name.encode() + b"\0" + mode + self.files[name].encode() + b"\0")
        for name in sorted(self.links):
            sha.update(name.encode() + b"\0l" + self.links[name].encode() + b"\0")
        return sha.hexdigest()

    def write(self, directory: Path) -> None:
        """Write every file and link; under rootfs/, which the COPY takes whole, first remove
        what this context does not hold (a file an older render wrote, a temporary file an
        interrupted write left), so that the image gets exactly these files."""
        directory.mkdir(parents=True, exist_ok=True)
        _prune(directory / ROOTFS, {directory / name for name in [*self.files, *self.links]})
        for name in sorted([*self.files, *self.links]):
            path = directory / name
            for parent in reversed(path.relative_to(directory).parents[:-1]):
                (directory / parent).mkdir(exist_ok=True)
                (directory / parent).chmod(0o755)  # the COPY gives the image these modes too
            if name in self.links:
                link_atomic(path, self.links[name])
            else:
                # Atomic: an interrupted or failed write (a full disk) leaves the old file whole.
                mode = 0o755 if name in self.executables else 0o644
                write_atomic(path, self.files[name], mode=mode)


def _prune(top: Path, keep: set[Path]) -> None:
    """Remove the files below `top` that are not in `keep`, and the directories left empty.
    Nothing is followed: a symbolic link is removed as a file."""
    if not top.is_dir() or top.is_symlink():
        return
    for entry in os.scandir(top):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            _prune(path, keep)
            if not any(path.iterdir()):
                path.rmdir()
        elif path not in keep:
            path.unlink()


# The ports the image listens on: `Port 22` in sshd_config.j2, `c.ServerApp.port = 8888` in
# jupyter_server_config.py.j2 (the sshd and Jupyter Server defaults), `EXPOSE 22 8888`.
SSH_CONTAINER_PORT = 22
JUPYTER_CONTAINER_PORT = 8888


@dataclass(frozen=True)
class _ConfigFile:
    name: str  # the template's output, as tests and `dlenv render` readers know it
    target: str  # where the image holds it
    executable: bool = False

    @property
    def context_path(self) -> str:
        return f"{ROOTFS}{self.target}"


_CONFIG_FILES = (
    _ConfigFile("sshd_config", "/etc/ssh/sshd_config"),
    _ConfigFile("jupyter_server_config.py", "/etc/dlenv/jupyter_server_config.py"),
    # JupyterLab's default settings, overridden for every user: jupyterlab_server reads
    # `default_setting_overrides.json` from the labconfig directory of each Jupyter config path,
    # /etc/jupyter among them (jupyterlab_server/settings_utils.py, _get_overrides; checked with
    # jupyterlab 4.6.6). It turns off the news feed and the update check
    # (@jupyterlab/apputils-extension:notification, schemas/.../notification.json: fetchNews
    # "false" = Never, checkForUpdates false): an environment does not phone home unasked.
    _ConfigFile(
        "jupyter_lab_overrides.json",
        "/etc/jupyter/labconfig/default_setting_overrides.json",
    ),
    _ConfigFile("profile.sh", "/etc/profile.d/dlenv.sh"),
    _ConfigFile("entrypoint.sh", "/usr/local/bin/dlenv-entrypoint", executable=True),
    _ConfigFile("jupyter_lab.py", "/usr/local/bin/dlenv-jupyter-lab", executable=True),
    _ConfigFile("idle_watch.py", "/usr/local/bin/dlenv-idle-watch", executable=True),
    _ConfigFile("dotfiles.sh", "/usr/local/bin/dlenv-dotfiles", executable=True),
)
# Each configuration file's path in the build context, by name.
CONFIG_PATHS = {file.name: file.context_path for file in _CONFIG_FILES}
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
    files = {
        **lock_files,
        "Containerfile": _templates.get_template("Containerfile.j2").render(values),
        **{f.context_path: config[f.name] for f in _CONFIG_FILES},
    }
    executables = frozenset(f.context_path for f in _CONFIG_FILES if f.executable)
    # The time zone, as Debian's tzdata configures it (/etc/localtime a link into the zoneinfo
    # database, /etc/timezone its name): glibc, Python and SSH sessions read the link; no TZ
    # variable is needed, and a new time zone rebuilds only the COPY.
    timezone = spec.image.timezone
    files[f"{ROOTFS}/etc/timezone"] = f"{timezone}\n"
    links = {f"{ROOTFS}/etc/localtime": f"/usr/share/zoneinfo/{timezone}"}
    return BuildContext(files, executables, links)


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
