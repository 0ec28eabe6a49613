"""`docker info --format '{{json .}}'` and `podman info --format json` -> typed engine facts."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

# What the Docker CLI says when the daemon's socket refuses this user (it is not in group docker),
# in the three wordings of real captures (tests/fixtures/captured/docker-errors, sources in its
# README): "Got permission denied while trying to connect to the Docker daemon socket at unix://…"
# (Docker 19.03, docker/for-linux#1020), the same without "Got" (later releases,
# tomsik68/docker-xampp#63), and "permission denied while trying to connect to the docker API at
# unix://…" (Docker 29.2.1, chrisjbawden/cockpit-dockermanager#37). Group 1 is the socket.
SOCKET_DENIED = re.compile(
    r"permission denied while trying to connect to the docker (?:daemon socket|api) at "
    r"(\S+?):?(?:\s|$)",
    re.IGNORECASE,
)


class DockerInfo(msgspec.Struct, frozen=True):
    reachable: bool
    server_version: str | None = None
    runtimes: tuple[str, ...] = ()
    cgroup_driver: str | None = None
    cgroup_version: str | None = None
    rootless: bool = False
    root_dir: str | None = None
    cdi_spec_dirs: tuple[str, ...] = ()  # non-empty when the daemon has CDI enabled (Docker 25+)
    error: str | None = None

    @property
    def has_nvidia_runtime(self) -> bool:
        return "nvidia" in self.runtimes

    @property
    def socket_denied(self) -> str | None:
        """The daemon socket that refused this user (permission denied), if that is the error."""
        match = SOCKET_DENIED.search(self.error or "")
        return match[1] if match else None


def _loads(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else {}
    # ValueError covers JSONDecodeError and an integer too long to convert; RecursionError, JSON
    # nested too deeply. Either way the engine gave no answer dlenv can use.
    except (ValueError, RecursionError):
        return {}
    return _mapping(data)


# Engine JSON is read by shape: a field of another type reads as absent, never as a crash.
def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def parse_docker_info(stdout: str, stderr: str = "") -> DockerInfo:
    """A daemon that cannot be reached still yields JSON (client half) plus an error on stderr."""
    data = _loads(stdout)
    server = _string(data.get("ServerVersion"))
    errors = _strings(data.get("ServerErrors"))
    if not server:
        message = "\n".join([*errors, stderr.strip()]).strip() or "no answer from the Docker daemon"
        return DockerInfo(reachable=False, error=message)
    security = _strings(data.get("SecurityOptions"))
    cgroup_version = data.get("CgroupVersion")
    return DockerInfo(
        reachable=True,
        server_version=server,
        runtimes=tuple(sorted(_mapping(data.get("Runtimes")))),
        cgroup_driver=_string(data.get("CgroupDriver")),
        cgroup_version=(
            str(cgroup_version)
            if isinstance(cgroup_version, int) and not isinstance(cgroup_version, bool)
            else _string(cgroup_version)
        ),
        rootless=any(s == "name=rootless" for s in security),
        root_dir=_string(data.get("DockerRootDir")),
        cdi_spec_dirs=tuple(_strings(data.get("CDISpecDirs"))),
    )


class PodmanInfo(msgspec.Struct, frozen=True):
    version: str | None
    rootless: bool
    cgroup_version: str | None
    oci_runtime: str | None
    graph_root: str | None
    selinux_enabled: bool


def parse_podman_info(stdout: str) -> PodmanInfo | None:
    data = _loads(stdout)
    host = data.get("host")
    if not isinstance(host, dict):
        return None
    security = _mapping(host.get("security"))
    return PodmanInfo(
        version=_string(_mapping(data.get("version")).get("Version")),
        rootless=security.get("rootless") is True,
        cgroup_version=_string(host.get("cgroupVersion")),
        oci_runtime=_string(_mapping(host.get("ociRuntime")).get("name")),
        graph_root=_string(_mapping(data.get("store")).get("graphRoot")),
        selinux_enabled=security.get("selinuxEnabled") is True,
    )
