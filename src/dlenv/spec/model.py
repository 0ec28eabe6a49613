"""The typed spec. Field names are the TOML keys; every model forbids unknown keys."""

from __future__ import annotations

import ipaddress
import re
from difflib import get_close_matches
from typing import Annotated, Literal

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import BaseModel, ConfigDict, Field, field_validator

Port = Annotated[int, Field(ge=1, le=65535)]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_VERSION_XY = re.compile(r"^\d+\.\d+$")
# Debian Policy 5.6.1 "Package" (lower-case letters, digits, + - .; alphanumeric first) and
# 5.6.12 "Version": https://www.debian.org/doc/debian-policy/ch-controlfields.html
_APT_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.\-]*(=[A-Za-z0-9.+~:\-]+)?$")
# shadow-utils' portable user name pattern (see LOGIN_PATTERN in dlenv.setup.context).
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")

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

    @field_validator("cuda")
    @classmethod
    def _cuda(cls, value: str) -> str:
        if value != "auto" and not _VERSION_XY.match(value):
            raise ValueError('expected "auto" or a CUDA version "X.Y", e.g. "12.8"')
        return value

    @field_validator("user")
    @classmethod
    def _user(cls, value: str) -> str:
        if not _USER.match(value) or value == "root":
            raise ValueError('expected a lowercase Unix user name other than root, e.g. "dev"')
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$", value):
            raise ValueError('expected an IANA time zone name, e.g. "Europe/Berlin"')
        return value

    @field_validator("apt")
    @classmethod
    def _apt(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _APT_PACKAGE.match(name):
                raise ValueError(f'{name!r} is not a Debian package name (lowercase, e.g. "git")')
        return value


def _check_requirements(value: list[str]) -> list[str]:
    for requirement in value:
        # PEP 508 parsing refuses anything that is not a requirement; the renderer also quotes
        # each one, so nothing here can reach a shell as code.
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
        if value != "system" and not _VERSION_XY.match(value):
            raise ValueError('expected a Python version "X.Y" (e.g. "3.12") or "system"')
        return value

    @field_validator("uv")
    @classmethod
    def _uv(cls, value: str) -> str:
        if not re.match(r"^\d+\.\d+\.\d+$", value):
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
        if value != "auto" and not _VERSION_XY.match(value):
            raise ValueError('expected "auto" or a PyTorch version "X.Y", e.g. "2.9"')
        return value

    @field_validator("packages")
    @classmethod
    def _requirements(cls, value: list[str]) -> list[str]:
        return _check_requirements(value)


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
        if not re.match(r"^\d+[kmgKMG]?$", value):
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
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError('expected an IP address, e.g. "127.0.0.1" or "0.0.0.0"') from None
        return value


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

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                'expected lowercase letters, digits, "-", "_" or "." (at most 63), e.g. "vision"'
            )
        return value
