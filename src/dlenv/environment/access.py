"""How to reach an environment (`up`, `status`, `ls`), read from its container's labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dlenv.engine.base import ContainerInfo
from dlenv.labels import EnvLabels


@dataclass(frozen=True)
class Access:
    name: str
    state: str
    image: str
    host: str
    ssh_port: int | None  # None: the container does not say (made by another dlenv)
    jupyter_port: int | None
    user: str
    token: str | None
    ports: Mapping[str, int] = field(default_factory=dict)  # extra named ports ([ports])
    via: str | None = None  # the box the ports are on (its loopback), when not this machine
    restarts: int = 0  # by the engine's restart policy (a service died and came back)

    @property
    def ssh_command(self) -> str:
        port = self.ssh_port if self.ssh_port is not None else "?"
        jump = f"-J {self.via} " if self.via else ""
        return f"ssh {jump}-p {port} {self.user}@{self.host}"

    @property
    def jupyter_url(self) -> str:
        query = f"?token={self.token}" if self.token else ""
        port = self.jupyter_port if self.jupyter_port is not None else "?"
        return f"http://{self.host}:{port}/lab{query}"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "image": self.image,
            "ssh": {
                "host": self.host,
                "port": self.ssh_port,
                "user": self.user,
                "command": self.ssh_command,
            },
            "jupyter": {"url": self.jupyter_url},
            "ports": {name: {"host": self.host, "port": port} for name, port in self.ports.items()},
            "box": self.via,
            "restarts": self.restarts,
        }


def reachable_host(bind: str) -> str:
    """The address to connect to: a wildcard bind is reachable on loopback too."""
    return "127.0.0.1" if bind in {"0.0.0.0", "::"} else bind  # noqa: S104


def access_from_container(
    info: ContainerInfo, token: str | None, via: str | None = None
) -> Access:
    labels = EnvLabels.decode(info.labels, info.name)
    return Access(
        name=labels.name,
        state=info.state,
        image=info.image,
        host=reachable_host(labels.bind),
        ssh_port=labels.ssh_port,
        jupyter_port=labels.jupyter_port,
        user=labels.user,
        token=token,
        ports=dict(labels.ports),
        via=via,
        restarts=info.restart_count,
    )
