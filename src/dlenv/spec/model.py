"""The typed spec. Field names are the TOML keys; every model forbids unknown keys."""

from __future__ import annotations

import ipaddress
import re
from difflib import get_close_matches
from typing import Annotated, Literal

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dlenv.labels import NAME_PATTERN, USER_PATTERN

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
_DOMAIN = (
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
)
IMAGE_REFERENCE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?"
)
NAME_TOTAL_LENGTH_MAX = 255


def is_image_reference(text: str) -> bool:
    """True when `text` is a whole image reference (NAME[:TAG][@sha256:HEX])."""
    match = IMAGE_REFERENCE.fullmatch(text)
    return match is not None and len(match["name"]) <= NAME_TOTAL_LENGTH_MAX

OPTIONAL_GROUPS = ("cupy", "rapids", "dali", "polars", "xgboost")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageSpec(_Strict):
    base: str = "auto"
    cuda: str = "auto"
    flavor: Literal["devel", "runtime", "slim"] = "devel"
    timezone: str = "Etc/UTC"
    user: str = "dev"
    apt: list[str] = ["git", "curl", "less", "vim-tiny"]

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
                f"{requirement!r} is not a Python requirement (e.g. \"numpy>=2\"): {exc}"
            ) from None
    return value


class PythonSpec(_Strict):
    version: str = "3.12"
    uv: str = "0.13.9"
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
    groups: list[str] = []
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
    version: str = "auto"
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


class RunSpec(_Strict):
    bind: str = "127.0.0.1"
    workspace: str = "volume"
    shm_size: str = "8g"
    ipc: Literal["private", "host"] = "private"  # "host": share the host's IPC and /dev/shm
    gpus: str | list[str] = "all"

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
        if value == "all":
            return value
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, int | str) and not isinstance(v, bool) for v in value)
        ):
            return [str(v) for v in value]
        raise ValueError('expected "all" or a non-empty list of GPU indices or UUIDs, e.g. [0, 2]')

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


class Spec(_Strict):
    name: str = "dlenv"
    profile: Literal["gpu", "cpu"] = "gpu"
    engine: Literal["auto", "podman", "docker"] = "auto"
    image: ImageSpec = ImageSpec()
    python: PythonSpec = PythonSpec()
    torch: TorchSpec = TorchSpec()
    ssh: SshSpec = SshSpec()
    jupyter: JupyterSpec = JupyterSpec()
    run: RunSpec = RunSpec()

    @model_validator(mode="after")
    def _distinct_ports(self) -> Spec:
        if self.ssh.port == self.jupyter.port:
            # The key path travels in the context, so the message names jupyter.port and its line.
            raise PydanticCustomError(
                "keyed",
                "{port} is also ssh.port: SSH and Jupyter need two different host ports",
                {"key": "jupyter.port", "port": self.jupyter.port},
            )
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                'expected lowercase letters, digits, "-", "_" or "." (at most 63), e.g. "vision"'
            )
        return value
