"""`docker info --format '{{json .}}'` and `podman info --format json` -> typed engine facts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class DockerInfo:
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
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def parse_docker_info(stdout: str, stderr: str = "") -> DockerInfo:
    """A daemon that cannot be reached still yields JSON (client half) plus an error on stderr."""
    data = _loads(stdout)
    server = str(data.get("ServerVersion") or "")
    errors = [str(e) for e in data.get("ServerErrors") or []]
    if not server:
        message = "\n".join([*errors, stderr.strip()]).strip() or "no answer from the Docker daemon"
        return DockerInfo(reachable=False, error=message)
    security = [str(s) for s in data.get("SecurityOptions") or []]
    return DockerInfo(
        reachable=True,
        server_version=server,
        runtimes=tuple(sorted((data.get("Runtimes") or {}).keys())),
        cgroup_driver=data.get("CgroupDriver") or None,
        cgroup_version=str(data["CgroupVersion"]) if data.get("CgroupVersion") else None,
        rootless=any(s == "name=rootless" for s in security),
        root_dir=data.get("DockerRootDir") or None,
        cdi_spec_dirs=tuple(str(d) for d in data.get("CDISpecDirs") or []),
    )


@dataclass(frozen=True)
class PodmanInfo:
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
    security = host.get("security") or {}
    store = data.get("store") or {}
    version = data.get("version") or {}
    return PodmanInfo(
        version=version.get("Version") or None,
        rootless=bool(security.get("rootless")),
        cgroup_version=host.get("cgroupVersion") or None,
        oci_runtime=(host.get("ociRuntime") or {}).get("name") or None,
        graph_root=store.get("graphRoot") or None,
        selinux_enabled=bool(security.get("selinuxEnabled")),
    )
