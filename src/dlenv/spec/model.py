"""The typed spec. Field names are the TOML keys; every model forbids unknown keys."""

from __future__ import annotations

import ipaddress
import re
from difflib import get_close_matches
from typing import Annotated, Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dlenv.labels import NAME_PATTERN, USER_PATTERN
from dlenv.remote.address import ADDRESS as BOX_ADDRESS
from dlenv.remote.address import FORM as BOX_FORM

# strict: TOML's `true` is a boolean, not port 1.
Port = Annotated[int, Field(ge=1, le=65535, strict=True)]

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
    """For `dlenv spec --schema`: the JSON Schema `pattern` of what a validator here accepts
    with `regex.fullmatch`, or one of `words`. JSON Schema patterns search (ECMA-262), hence the
    anchors; the patterns used with it are plain character classes, read alike by both."""
    options = [*(re.escape(word) for word in words), regex.pattern]
    return {"pattern": "^(?:" + "|".join(options) + ")$"}

GPUS_SCHEMA = {
    "anyOf": [
        {"const": "all"},
        {"type": "array", "minItems": 1, "items": {"type": ["integer", "string"]}},
    ],
    "default": "all",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageSpec(_Strict):
    base: str = "auto"
    cuda: str = Field("auto", json_schema_extra=_schema_pattern(_VERSION_XY, "auto"))
    flavor: Literal["devel", "runtime", "slim"] = "devel"
    timezone: str = Field("Etc/UTC", json_schema_extra=_schema_pattern(_TIMEZONE))
    user: str = Field("dev", json_schema_extra=_schema_pattern(_USER))
    apt: list[str] = Field(
        ["git", "curl", "less", "vim-tiny"],
        json_schema_extra={"items": {"type": "string", **_schema_pattern(_APT_PACKAGE)}},
    )
    # The shared build cache: "" for none, else "host[:port]/path" (dlenv.environment.cache).
    registry: str = ""
    # false: plain HTTP or an unverified certificate (podman --tls-verify=false).
    registry_tls: bool = True

    @field_validator("registry")
    @classmethod
    def _registry(cls, value: str) -> str:
        if value and (
            not REGISTRY_REPOSITORY.fullmatch(value) or len(value) > NAME_TOTAL_LENGTH_MAX
        ):
            raise ValueError(
                'expected "" or a registry repository "host[:port]/path" without scheme, tag '
                'or digest, e.g. "registry.example.com/team/cache" or "127.0.0.1:5000/dlenv"'
            )
        return value

    @field_validator("base")
    @classmethod
    def _base(cls, value: str) -> str:
        if value != "auto" and not is_image_reference(value):
            raise ValueError(
                'expected "auto" or an image reference NAME[:TAG][@sha256:DIGEST], '
                'e.g. "ubuntu:24.04" or "nvcr.io/nvidia/pytorch:25.01-py3"'
            )
        return value

    @field_validator("cuda")
    @classmethod
    def _cuda(cls, value: str) -> str:
        if value != "auto" and not _VERSION_XY.fullmatch(value):
            raise ValueError('expected "auto" or a CUDA version "X.Y", e.g. "12.8"')
        return value

    @field_validator("user")
    @classmethod
    def _user(cls, value: str) -> str:
        if not _USER.fullmatch(value) or value == "root":
            raise ValueError('expected a lowercase Unix user name other than root, e.g. "dev"')
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if not _TIMEZONE.fullmatch(value):
            raise ValueError('expected an IANA time zone name, e.g. "Europe/Berlin"')
        return value

    @field_validator("apt")
    @classmethod
    def _apt(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _APT_PACKAGE.fullmatch(name):
                raise ValueError(f'{name!r} is not a Debian package name (lowercase, e.g. "git")')
        return value


def _check_requirements(value: list[str]) -> list[str]:
    for requirement in value:
        # PEP 508 parsing refuses anything that is not a requirement; the renderer also quotes
        # each one, so nothing here can reach a shell as code. packaging accepts surrounding
        # whitespace, newlines included, and a newline would end the Containerfile's RUN line.
        if not requirement.isprintable():
            raise ValueError(f"{requirement!r} holds a line break or another control character")
        try:
            Requirement(requirement)
        except InvalidRequirement as exc:
            raise ValueError(
                f'{requirement!r} is not a Python requirement (e.g. "numpy>=2"): {exc}'
            ) from None
    return value


class PythonSpec(_Strict):
    version: str = Field("3.12", json_schema_extra=_schema_pattern(_VERSION_XY, "system"))
    uv: str = Field("0.13.9", json_schema_extra=_schema_pattern(_VERSION_XYZ))
    packages: list[str] = [
        "jupyterlab",
        "numpy",
        "scipy",
        "pandas",
        "matplotlib",
        "seaborn",
        "scikit-learn",
        "scikit-image",
        "tqdm",
    ]
    groups: list[str] = Field(
        [], json_schema_extra={"items": {"type": "string", "enum": list(OPTIONAL_GROUPS)}}
    )
    extra: list[str] = []

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value != "system" and not _VERSION_XY.fullmatch(value):
            raise ValueError('expected a Python version "X.Y" (e.g. "3.12") or "system"')
        return value

    @field_validator("uv")
    @classmethod
    def _uv(cls, value: str) -> str:
        if not _VERSION_XYZ.fullmatch(value):
            raise ValueError('expected an exact uv version "X.Y.Z", e.g. "0.13.9"')
        return value

    @field_validator("packages", "extra")
    @classmethod
    def _requirements(cls, value: list[str]) -> list[str]:
        return _check_requirements(value)

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        for group in value:
            if group not in OPTIONAL_GROUPS:
                close = get_close_matches(group, OPTIONAL_GROUPS, n=1)
                suggestion = f'; did you mean "{close[0]}"?' if close else ""
                raise ValueError(
                    f"unknown group {group!r}{suggestion} (known: {', '.join(OPTIONAL_GROUPS)})"
                )
        return value


class TorchSpec(_Strict):
    enabled: bool = True
    version: str = Field("auto", json_schema_extra=_schema_pattern(_VERSION_XY, "auto"))
    packages: list[str] = ["torch", "torchvision", "torchaudio"]

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value != "auto" and not _VERSION_XY.fullmatch(value):
            raise ValueError('expected "auto" or a PyTorch version "X.Y", e.g. "2.9"')
        return value

    @field_validator("packages")
    @classmethod
    def _requirements(cls, value: list[str]) -> list[str]:
        return _check_requirements(value)

    @model_validator(mode="after")
    def _not_empty(self) -> TorchSpec:
        if self.enabled and not self.packages:  # `uv pip install` with nothing to install
            raise PydanticCustomError(
                "keyed",
                'expected at least one package, e.g. ["torch"]; to leave PyTorch out, '
                "set torch.enabled = false",
                {"key": "torch.packages"},
            )
        return self


class SshSpec(_Strict):
    port: Port = 2222
    authorized_keys: list[str] = []


class JupyterSpec(_Strict):
    port: Port = 8888
    # JupyterLab extensions: Python packages installed into the environment's venv, where
    # JupyterLab finds their prebuilt parts.
    extensions: list[str] = []

    @field_validator("extensions")
    @classmethod
    def _requirements(cls, value: list[str]) -> list[str]:
        return _check_requirements(value)


class RunSpec(_Strict):
    bind: str = "127.0.0.1"
    workspace: str = "volume"
    shm_size: str = Field("8g", json_schema_extra=_schema_pattern(_SIZE))
    ipc: Literal["private", "host"] = "private"  # "host": share the host's IPC and /dev/shm
    # The validator below also takes integers (`[0, 2]`); the schema says so for editors.
    gpus: Annotated[str | list[str], WithJsonSchema(GPUS_SCHEMA)] = "all"
    # Stop the container after this long with no SSH session and no Jupyter activity.
    idle_stop: str = Field(
        "off", json_schema_extra={"pattern": "^(?:off|[1-9][0-9]{0,6}[smhd])$"}  # _DURATION
    )
    # Cache volumes (uv, pip, Hugging Face, torch hub): "shared" by all your environments,
    # per "environment", or "off".
    caches: Literal["shared", "environment", "off"] = "shared"

    @field_validator("idle_stop")
    @classmethod
    def _idle_stop(cls, value: str) -> str:
        if value != "off" and duration_seconds(value) is None:
            raise ValueError(
                'expected "off" or a duration: a whole number and s, m, h or d, e.g. "2h"'
            )
        return value

    @field_validator("shm_size")
    @classmethod
    def _shm(cls, value: str) -> str:
        if not _SIZE.fullmatch(value):
            raise ValueError('expected a size such as "8g" or "512m"')
        return value

    @field_validator("gpus", mode="before")
    @classmethod
    def _gpus(cls, value: object) -> object:
        # One clear message instead of one per union branch.
        if value == "all" or (isinstance(value, str) and AUTO_GPUS.fullmatch(value)):
            return value
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, int | str) and not isinstance(v, bool) for v in value)
        ):
            return [str(v) for v in value]
        raise ValueError(
            'expected "all", "auto:N" (N idle GPUs, leased host-wide) or a non-empty list of '
            "GPU indices or UUIDs, e.g. [0, 2]"
        )

    @field_validator("bind")
    @classmethod
    def _bind(cls, value: str) -> str:
        try:
            # ipaddress takes any text after "%" as an IPv6 scope id, newlines included.
            ipaddress.ip_address("%" if "%" in value else value)
        except ValueError:
            raise ValueError('expected an IP address, e.g. "127.0.0.1" or "0.0.0.0"') from None
        return value

    @field_validator("workspace")
    @classmethod
    def _workspace(cls, value: str) -> str:
        problem = _workspace_problem(value)
        if problem:
            raise ValueError(f'{problem}: expected "volume" or a host directory, e.g. "~/work"')
        return value


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


class DotfilesSpec(_Strict):
    repo: str = Field("", json_schema_extra=_schema_pattern(_GIT_URL, ""))  # "": no dotfiles
    # A script in the repository, run after the clone; "": none.
    install: str = Field("", json_schema_extra=_schema_pattern(_REPO_PATH, ""))

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if value and not _GIT_URL.fullmatch(value):
            raise ValueError(
                "expected a git URL (https://, ssh://, git://, file:/// or user@host:path) "
                'without spaces or a password, e.g. "https://github.com/you/dotfiles.git"'
            )
        netloc = value.split("/")[2] if "://" in value else ""
        if "@" in netloc and ":" in netloc.rsplit("@", 1)[0]:
            raise ValueError("holds a password: put credentials in [secrets], not in the URL")
        return value

    @field_validator("install")
    @classmethod
    def _install(cls, value: str) -> str:
        if value and (not _REPO_PATH.fullmatch(value) or ".." in value.split("/")):
            raise ValueError(
                'expected a relative path inside the repository, e.g. "install.sh"'
            )
        return value


def _check_secret(name: str, source: str) -> None:
    if not _ENV_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not an environment variable name (letters, digits, _; e.g. HF_TOKEN)"
        )
    match = _SECRET_SOURCE.fullmatch(source)
    path = match["file"] if match else None
    if match is None or (path is not None and _secret_path_problem(path)):
        raise ValueError(
            f'{name}: expected "env:VARIABLE" or "file:PATH" (absolute, or ~/ for your home), '
            f'e.g. "env:{name}" or "file:~/.{name.lower()}"; got {source!r}'
        )


def _secret_path_problem(path: str) -> bool:
    if not path.isprintable():
        return True
    return not (path.startswith("/") or path.startswith("~/"))


class Spec(_Strict):
    name: str = Field("dlenv", json_schema_extra=_schema_pattern(_NAME))
    profile: Literal["gpu", "cpu"] = "gpu"
    engine: Literal["auto", "podman", "docker"] = "auto"
    host: str | None = None  # "[user@]host[:port]": run the engine on that box, over SSH
    image: ImageSpec = ImageSpec()
    python: PythonSpec = PythonSpec()
    torch: TorchSpec = TorchSpec()
    ssh: SshSpec = SshSpec()
    jupyter: JupyterSpec = JupyterSpec()
    run: RunSpec = RunSpec()
    # Extra named ports, published like SSH and Jupyter: host port = container port.
    ports: dict[str, Port] = Field(
        {}, json_schema_extra={"propertyNames": _schema_pattern(_PORT_NAME)}
    )
    # Runtime secrets: NAME = "env:VARIABLE" or "file:PATH", read at `up`, a file in the container.
    secrets: dict[str, str] = Field(
        {},
        json_schema_extra={
            "propertyNames": _schema_pattern(_ENV_NAME),
            # _SECRET_SOURCE, with the file path's rule (_secret_path_problem) spelled out.
            "additionalProperties": {
                "type": "string",
                "pattern": "^(?:env:[A-Za-z_][A-Za-z0-9_]{0,63}|file:(?:/|~/).+)$",
            },
        },
    )
    dotfiles: DotfilesSpec = DotfilesSpec()

    @model_validator(mode="after")
    def _distinct_ports(self) -> Spec:
        if self.ssh.port == self.jupyter.port:
            # The key path travels in the context, so the message names jupyter.port and its line.
            raise PydanticCustomError(
                "keyed",
                "{port} is also ssh.port: SSH and Jupyter need two different host ports",
                {"key": "jupyter.port", "port": self.jupyter.port},
            )
        # The container side too: 22 and 8888 are sshd's and Jupyter's inside the container.
        taken = {self.ssh.port: "ssh.port", self.jupyter.port: "jupyter.port"}
        taken |= {22: "sshd inside the container", 8888: "Jupyter inside the container"}
        for name, port in sorted(self.ports.items()):
            if port in taken:
                raise PydanticCustomError(
                    "keyed",
                    "{port} is already {other}: every port needs its own number",
                    {"key": f"ports.{name}", "port": port, "other": taken[port]},
                )
            taken[port] = f"ports.{name}"
        return self

    @field_validator("ports")
    @classmethod
    def _port_names(cls, value: dict[str, int]) -> dict[str, int]:
        for name in value:
            if not _PORT_NAME.fullmatch(name):
                raise ValueError(
                    f'{name!r} is not a port name (lowercase letters, digits, "-", "_"; '
                    'e.g. "tensorboard")'
                )
        return value

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for name, source in value.items():
            _check_secret(name, source)
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and BOX_ADDRESS.fullmatch(value) is None:
            raise ValueError(f"expected {BOX_FORM}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                'expected lowercase letters, digits, "-", "_" or "." (at most 63), e.g. "vision"'
            )
        return value
