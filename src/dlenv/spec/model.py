"""The typed spec. Field names are the TOML keys; every table forbids unknown keys.

Two layers, both run by `dlenv.spec.load.validate_spec`, the only way outside data becomes a Spec:
msgspec converts the TOML tables into these frozen structs (types, unknown keys, ranges), then
`Spec.problems()` runs the checks a type cannot say (patterns matched whole, requirements parsed,
ports distinct) and yields every problem with its key path, so one run reports them all.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from difflib import get_close_matches
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, field

from dlenv.labels import NAME_PATTERN, USER_PATTERN
from dlenv.remote.address import ADDRESS as BOX_ADDRESS
from dlenv.remote.address import FORM as BOX_FORM

# msgspec's strict conversion (spec.load) keeps TOML's `true` a boolean, not port 1.
Port = Annotated[int, Meta(ge=1, le=65535)]

# A problem a check found: the key path under its table ("apt", "ports.tensorboard") and why.
Problem = tuple[str, str]

# Every pattern here is used with `fullmatch`: `$` would also match before a trailing newline.
_NAME = NAME_PATTERN  # dlenv.labels: the label codec checks names read back the same way
_VERSION_XY = re.compile(r"[0-9]+\.[0-9]+")
_VERSION_XYZ = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
# Debian Policy 5.6.1 "Package" (lower-case letters, digits, + - .; alphanumeric first) and
# 5.6.12 "Version": https://www.debian.org/doc/debian-policy/ch-controlfields.html
_APT_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.\-]*(=[A-Za-z0-9.+~:\-]+)?")
_USER = USER_PATTERN  # dlenv.labels
_TIMEZONE = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")
_SIZE = re.compile(r"[0-9]+[kmgKMG]?")
# A duration: a whole number and a unit (seconds, minutes, hours, days), e.g. "90m" or "2h".
_DURATION = re.compile(r"(?P<count>[1-9][0-9]{0,6})(?P<unit>[smhd])")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# POSIX's portable environment-variable name (XBD 8.1, "Environment Variable Definition"): letters,
# digits and underscores, not starting with a digit.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_SECRET_SOURCE = re.compile(r"env:(?P<env>[A-Za-z_][A-Za-z0-9_]{0,63})|file:(?P<file>.+)")
# An extra port's name: what `status` prints beside it.
_PORT_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# A dotfiles repository: what `git clone` is given. https, ssh and git URLs, and file:// for a
# repository on a mounted path; user@host:path (scp-like) too. No whitespace, no control
# characters, no leading "-" (never an option), no password in the URL (it would show in
# `inspect`: runtime secrets are the place for credentials).
_GIT_URL = re.compile(
    r"(?:https://|ssh://|git://|file:///)[A-Za-z0-9._~%/:@+-]+"
    r"|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~%/+-]+"
)
_REPO_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


def duration_seconds(text: str) -> int | None:
    """Seconds in a duration such as "20s", "90m", "2h", "1d"; None for "off"."""
    match = _DURATION.fullmatch(text)
    return int(match["count"]) * _DURATION_SECONDS[match["unit"]] if match else None


# run.gpus = "auto:N": N idle GPUs chosen and leased at `up` (dlenv.environment.gpu_choice).
AUTO_GPUS = re.compile(r"auto:(?P<count>[1-9][0-9]?)")

# An image reference, as the distribution/reference grammar defines it (reference.go, the
# grammar in its package comment, and regexp.go:
# https://github.com/distribution/reference/blob/main/reference.go):
#   reference        := name [ ":" tag ] [ "@" digest ]
#   name             := [domain '/'] remote-name
#   domain           := host [':' port-number]
#   host             := domain-name | IPv4address | \[ IPv6address \]
#   domain-name      := domain-component ['.' domain-component]*
#   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
#   port-number      := /[0-9]+/
#   path-component   := alpha-numeric [separator alpha-numeric]*
#   remote-name      := path-component ['/' path-component]*
#   alpha-numeric    := /[a-z0-9]+/
#   separator        := /[_.]|__|[-]+/
#   tag              := /[\w][\w.-]{0,127}/
# Go's \w is ASCII-only, hence the explicit classes. Of the digests, dlenv takes sha256 only
# (64 lower-case hex digits, as go-digest validates it). A name is at most 255 characters
# (NameTotalLengthMax).
_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[_.]|__|-+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
IMAGE_REFERENCE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?"
)
NAME_TOTAL_LENGTH_MAX = 255


# A registry repository for the build cache: a domain (host[:port]) and a path, no scheme, tag or
# digest. The domain is required: without one, a name would silently mean Docker Hub.
REGISTRY_REPOSITORY = re.compile(
    rf"{_DOMAIN}/{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
)


def is_image_reference(text: str) -> bool:
    """True when `text` is a whole image reference (NAME[:TAG][@sha256:HEX])."""
    match = IMAGE_REFERENCE.fullmatch(text)
    return match is not None and len(match["name"]) <= NAME_TOTAL_LENGTH_MAX


OPTIONAL_GROUPS = ("cupy", "rapids", "dali", "polars", "xgboost")


def _schema_pattern(regex: re.Pattern[str], *words: str) -> dict[str, Any]:
    """For `dlenv spec --schema`: the JSON Schema `pattern` of what a check here accepts with
    `regex.fullmatch`, or one of `words`. JSON Schema patterns search (ECMA-262), hence the
    anchors; the patterns used with it are plain character classes, read alike by both."""
    options = [*(re.escape(word) for word in words), regex.pattern]
    return {"pattern": "^(?:" + "|".join(options) + ")$"}


def _matching(regex: re.Pattern[str], *words: str) -> Meta:
    """A string field's schema: what `Spec.problems` accepts, for editors (not enforced here:
    msgspec's `pattern` searches; the checks match whole)."""
    return Meta(extra_json_schema=_schema_pattern(regex, *words))


def _defaults(values: tuple[str, ...]) -> Meta:
    """A list field's default, shown in the schema (msgspec leaves out factory defaults)."""
    return Meta(extra_json_schema={"default": list(values)})


_DEFAULT_APT = ("git", "curl", "less", "vim-tiny")
_DEFAULT_PACKAGES = (
    "jupyterlab",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "seaborn",
    "scikit-learn",
    "scikit-image",
    "tqdm",
)
_DEFAULT_TORCH = ("torch", "torchvision", "torchaudio")


# Each table repeats frozen and kw_only: type checkers read a struct's options per class, and
# msgspec's kw_only holds for the fields of the class that says it.
class _Table(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    def problems(self) -> Iterator[Problem]:
        """What the types cannot say; nothing by default."""
        return iter(())


class ImageSpec(_Table, frozen=True, kw_only=True):
    base: str = "auto"
    cuda: Annotated[str, _matching(_VERSION_XY, "auto")] = "auto"
    flavor: Literal["devel", "runtime", "slim"] = "devel"
    timezone: Annotated[str, _matching(_TIMEZONE)] = "Etc/UTC"
    user: Annotated[str, _matching(_USER)] = "dev"
    apt: Annotated[
        list[Annotated[str, _matching(_APT_PACKAGE)]], _defaults(_DEFAULT_APT)
    ] = field(default_factory=lambda: list(_DEFAULT_APT))
    # The shared build cache: "" for none, else "host[:port]/path" (dlenv.environment.cache).
    registry: str = ""
    # false: plain HTTP or an unverified certificate (podman --tls-verify=false).
    registry_tls: bool = True

    def problems(self) -> Iterator[Problem]:
        if self.registry and (
            not REGISTRY_REPOSITORY.fullmatch(self.registry)
            or len(self.registry) > NAME_TOTAL_LENGTH_MAX
        ):
            yield (
                "registry",
                'expected "" or a registry repository "host[:port]/path" without scheme, tag '
                'or digest, e.g. "registry.example.com/team/cache" or "127.0.0.1:5000/dlenv"',
            )
        if self.base != "auto" and not is_image_reference(self.base):
            yield (
                "base",
                'expected "auto" or an image reference NAME[:TAG][@sha256:DIGEST], '
                'e.g. "ubuntu:24.04" or "nvcr.io/nvidia/pytorch:25.01-py3"',
            )
        if self.cuda != "auto" and not _VERSION_XY.fullmatch(self.cuda):
            yield "cuda", 'expected "auto" or a CUDA version "X.Y", e.g. "12.8"'
        if not _USER.fullmatch(self.user) or self.user == "root":
            yield "user", 'expected a lowercase Unix user name other than root, e.g. "dev"'
        if not _TIMEZONE.fullmatch(self.timezone):
            yield "timezone", 'expected an IANA time zone name, e.g. "Europe/Berlin"'
        for name in self.apt:
            if not _APT_PACKAGE.fullmatch(name):
                yield "apt", f'{name!r} is not a Debian package name (lowercase, e.g. "git")'


# A project name alone, which is a whole PEP 508 requirement: the name format of the Python
# Packaging User Guide, "Names and normalization" (ASCII letters and digits, ".", "_", "-";
# a letter or digit first and last): https://packaging.python.org/specifications/name-normalization/
# Spelt without IGNORECASE, under which Python's [A-Z] also takes the Kelvin sign.
_PROJECT_NAME = re.compile(r"[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]")


def _requirement_problems(key: str, requirements: list[str]) -> Iterator[Problem]:
    for requirement in requirements:
        if _PROJECT_NAME.fullmatch(requirement):
            continue  # most are names alone; packaging's parser costs `doctor` 20 ms to import
        # PEP 508 parsing refuses anything that is not a requirement; the renderer also quotes
        # each one, so nothing here can reach a shell as code. packaging accepts surrounding
        # whitespace, newlines included, and a newline would end the Containerfile's RUN line.
        from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415

        if not requirement.isprintable():
            yield key, f"{requirement!r} holds a line break or another control character"
            continue
        try:
            Requirement(requirement)
        except InvalidRequirement as exc:
            yield key, f'{requirement!r} is not a Python requirement (e.g. "numpy>=2"): {exc}'


class PythonSpec(_Table, frozen=True, kw_only=True):
    version: Annotated[str, _matching(_VERSION_XY, "system")] = "3.12"
    uv: Annotated[str, _matching(_VERSION_XYZ)] = "0.13.9"
    packages: Annotated[list[str], _defaults(_DEFAULT_PACKAGES)] = field(
        default_factory=lambda: list(_DEFAULT_PACKAGES)
    )
    groups: list[Annotated[str, Meta(extra_json_schema={"enum": list(OPTIONAL_GROUPS)})]] = []
    extra: list[str] = []

    def problems(self) -> Iterator[Problem]:
        if self.version != "system" and not _VERSION_XY.fullmatch(self.version):
            yield "version", 'expected a Python version "X.Y" (e.g. "3.12") or "system"'
        if not _VERSION_XYZ.fullmatch(self.uv):
            yield "uv", 'expected an exact uv version "X.Y.Z", e.g. "0.13.9"'
        yield from _requirement_problems("packages", self.packages)
        yield from _requirement_problems("extra", self.extra)
        for group in self.groups:
            if group not in OPTIONAL_GROUPS:
                close = get_close_matches(group, OPTIONAL_GROUPS, n=1)
                suggestion = f'; did you mean "{close[0]}"?' if close else ""
                known = ", ".join(OPTIONAL_GROUPS)
                yield "groups", f"unknown group {group!r}{suggestion} (known: {known})"


class TorchSpec(_Table, frozen=True, kw_only=True):
    enabled: bool = True
    version: Annotated[str, _matching(_VERSION_XY, "auto")] = "auto"
    packages: Annotated[list[str], _defaults(_DEFAULT_TORCH)] = field(
        default_factory=lambda: list(_DEFAULT_TORCH)
    )

    def problems(self) -> Iterator[Problem]:
        if self.version != "auto" and not _VERSION_XY.fullmatch(self.version):
            yield "version", 'expected "auto" or a PyTorch version "X.Y", e.g. "2.9"'
        yield from _requirement_problems("packages", self.packages)
        if self.enabled and not self.packages:  # `uv pip install` with nothing to install
            yield (
                "packages",
                'expected at least one package, e.g. ["torch"]; to leave PyTorch out, '
                "set torch.enabled = false",
            )


class SshSpec(_Table, frozen=True, kw_only=True):
    port: Port = 2222
    authorized_keys: list[str] = []


class JupyterSpec(_Table, frozen=True, kw_only=True):
    port: Port = 8888
    # JupyterLab extensions: Python packages installed into the environment's venv, where
    # JupyterLab finds their prebuilt parts.
    extensions: list[str] = []

    def problems(self) -> Iterator[Problem]:
        yield from _requirement_problems("extensions", self.extensions)


class RunSpec(_Table, frozen=True, kw_only=True):
    bind: str = "127.0.0.1"
    workspace: str = "volume"
    shm_size: Annotated[str, _matching(_SIZE)] = "8g"
    ipc: Literal["private", "host"] = "private"  # "host": share the host's IPC and /dev/shm
    # "all", "auto:N", or GPU indices and UUIDs, as the file says them (indices may be TOML
    # integers); `gpu_ids` is the same as text. The schema's pattern is AUTO_GPUS spelt for
    # ECMA-262 (no named group).
    gpus: (
        Annotated[str, Meta(extra_json_schema={"pattern": "^(?:all|auto:[1-9][0-9]?)$"})]
        | Annotated[list[int | str], Meta(extra_json_schema={"minItems": 1})]
    ) = "all"
    # Stop the container after this long with no SSH session and no Jupyter activity.
    idle_stop: Annotated[
        str, Meta(extra_json_schema={"pattern": "^(?:off|[1-9][0-9]{0,6}[smhd])$"})  # _DURATION
    ] = "off"
    # Cache volumes (uv, pip, Hugging Face, torch hub): "shared" by all your environments,
    # per "environment", or "off".
    caches: Literal["shared", "environment", "off"] = "shared"

    @property
    def gpu_ids(self) -> str | list[str]:
        """`gpus` as the engine is given it: "all", "auto:N", or every index and UUID as text."""
        return self.gpus if isinstance(self.gpus, str) else [str(gpu) for gpu in self.gpus]

    def problems(self) -> Iterator[Problem]:
        if self.idle_stop != "off" and duration_seconds(self.idle_stop) is None:
            yield (
                "idle_stop",
                'expected "off" or a duration: a whole number and s, m, h or d, e.g. "2h"',
            )
        if not _SIZE.fullmatch(self.shm_size):
            yield "shm_size", 'expected a size such as "8g" or "512m"'
        gpus = self.gpus
        if not (gpus == "all" or (isinstance(gpus, str) and AUTO_GPUS.fullmatch(gpus)) or (
            isinstance(gpus, list) and gpus
        )):
            yield (
                "gpus",
                'expected "all", "auto:N" (N idle GPUs, leased host-wide) or a non-empty list '
                "of GPU indices or UUIDs, e.g. [0, 2]",
            )
        try:
            # ipaddress takes any text after "%" as an IPv6 scope id, newlines included.
            ipaddress.ip_address("%" if "%" in self.bind else self.bind)
        except ValueError:
            yield "bind", 'expected an IP address, e.g. "127.0.0.1" or "0.0.0.0"'
        problem = _workspace_problem(self.workspace)
        if problem:
            yield "workspace", f'{problem}: expected "volume" or a host directory, e.g. "~/work"'


def _workspace_problem(value: str) -> str | None:
    """Why `value` cannot be a workspace (None if it can). A host directory becomes one
    `--volume SOURCE:TARGET` argument, so the volume syntax's separators have no place in it."""
    if not value:
        return "empty"
    if any(ch in value for ch in ":,"):
        return f"{value!r} holds ':' or ',' (volume syntax)"
    if any(not ch.isprintable() for ch in value):
        return f"{value!r} holds a control character"
    if value.startswith("~") and value != "~" and not value.startswith("~/"):
        return f"{value!r}: only ~ and ~/ (your own home) are expanded"
    return None


class DotfilesSpec(_Table, frozen=True, kw_only=True):
    repo: Annotated[str, _matching(_GIT_URL, "")] = ""  # "": no dotfiles
    # A script in the repository, run after the clone; "": none.
    install: Annotated[str, _matching(_REPO_PATH, "")] = ""

    def problems(self) -> Iterator[Problem]:
        repo = self.repo
        if repo and not _GIT_URL.fullmatch(repo):
            yield (
                "repo",
                "expected a git URL (https://, ssh://, git://, file:/// or user@host:path) "
                'without spaces or a password, e.g. "https://github.com/you/dotfiles.git"',
            )
        netloc = repo.split("/")[2] if "://" in repo else ""
        if "@" in netloc and ":" in netloc.rsplit("@", 1)[0]:
            yield "repo", "holds a password: put credentials in [secrets], not in the URL"
        install = self.install
        if install and (not _REPO_PATH.fullmatch(install) or ".." in install.split("/")):
            yield "install", 'expected a relative path inside the repository, e.g. "install.sh"'


def _secret_problem(name: str, source: str) -> str | None:
    if not _ENV_NAME.fullmatch(name):
        return f"{name!r} is not an environment variable name (letters, digits, _; e.g. HF_TOKEN)"
    match = _SECRET_SOURCE.fullmatch(source)
    path = match["file"] if match else None
    if match is None or (path is not None and _secret_path_problem(path)):
        return (
            f'expected "env:VARIABLE" or "file:PATH" (absolute, or ~/ for your home), '
            f'e.g. "env:{name}" or "file:~/.{name.lower()}"; got {source!r}'
        )
    return None


def _secret_path_problem(path: str) -> bool:
    if not path.isprintable():
        return True
    return not (path.startswith("/") or path.startswith("~/"))


# _SECRET_SOURCE, with the file path's rule (_secret_path_problem) spelled out.
_SECRET_SOURCE_SCHEMA = {"pattern": "^(?:env:[A-Za-z_][A-Za-z0-9_]{0,63}|file:(?:/|~/).+)$"}

# The tables, in the order `dlenv spec` prints them.
_TABLES = ("image", "python", "torch", "ssh", "jupyter", "run", "dotfiles")


class Spec(_Table, frozen=True, kw_only=True):
    name: Annotated[str, _matching(_NAME)] = "dlenv"
    profile: Literal["gpu", "cpu"] = "gpu"
    engine: Literal["auto", "podman", "docker"] = "auto"
    host: str | None = None  # "[user@]host[:port]": run the engine on that box, over SSH
    image: ImageSpec = field(default_factory=ImageSpec)
    python: PythonSpec = field(default_factory=PythonSpec)
    torch: TorchSpec = field(default_factory=TorchSpec)
    ssh: SshSpec = field(default_factory=SshSpec)
    jupyter: JupyterSpec = field(default_factory=JupyterSpec)
    run: RunSpec = field(default_factory=RunSpec)
    # Extra named ports, published like SSH and Jupyter: host port = container port.
    ports: Annotated[
        dict[str, Port], Meta(extra_json_schema={"propertyNames": _schema_pattern(_PORT_NAME)})
    ] = {}
    # Runtime secrets: NAME = "env:VARIABLE" or "file:PATH", read at `up`, a file in the container.
    secrets: Annotated[
        dict[str, Annotated[str, Meta(extra_json_schema=_SECRET_SOURCE_SCHEMA)]],
        Meta(extra_json_schema={"propertyNames": _schema_pattern(_ENV_NAME)}),
    ] = {}
    dotfiles: DotfilesSpec = field(default_factory=DotfilesSpec)

    def problems(self) -> Iterator[Problem]:
        """Every problem in the spec, each with its whole key path ("image.apt")."""
        if not _NAME.fullmatch(self.name):
            yield (
                "name",
                'expected lowercase letters, digits, "-", "_" or "." (at most 63), '
                'e.g. "vision"',
            )
        if self.host is not None and BOX_ADDRESS.fullmatch(self.host) is None:
            yield "host", f"expected {BOX_FORM}"
        for table in _TABLES:
            for key, message in getattr(self, table).problems():
                yield f"{table}.{key}", message
        for name, source in self.secrets.items():
            problem = _secret_problem(name, source)
            if problem:
                yield f"secrets.{name}", problem
        yield from self._port_problems()

    def _port_problems(self) -> Iterator[Problem]:
        for name in self.ports:
            if not _PORT_NAME.fullmatch(name):
                yield (
                    f"ports.{name}",
                    f'{name!r} is not a port name (lowercase letters, digits, "-", "_"; '
                    'e.g. "tensorboard")',
                )
        if self.ssh.port == self.jupyter.port:
            yield (
                "jupyter.port",
                f"{self.jupyter.port} is also ssh.port: SSH and Jupyter need two different "
                "host ports",
            )
            return
        # The container side too: 22 and 8888 are sshd's and Jupyter's inside the container.
        taken = {self.ssh.port: "ssh.port", self.jupyter.port: "jupyter.port"}
        taken |= {22: "sshd inside the container", 8888: "Jupyter inside the container"}
        for name, port in sorted(self.ports.items()):
            if port in taken:
                yield (
                    f"ports.{name}",
                    f"{port} is already {taken[port]}: every port needs its own number",
                )
                return
            taken[port] = f"ports.{name}"
