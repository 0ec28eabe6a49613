"""What `status` and `up` report about a running environment, derived from container labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlenv.engine.base import ContainerInfo


@dataclass(frozen=True)
class Access:
    name: str
    state: str
    image: str
    host: str
    ssh_port: int
    jupyter_port: int
    user: str
    token: str | None

    @property
    def ssh_command(self) -> str:
        return f"ssh -p {self.ssh_port} {self.user}@{self.host}"

    @property
    def jupyter_url(self) -> str:
        query = f"?token={self.token}" if self.token else ""
        return f"http://{self.host}:{self.jupyter_port}/lab{query}"

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
        }


def reachable_host(bind: str) -> str:
    """The address to connect to: a wildcard bind is reachable on loopback too."""
    return "127.0.0.1" if bind in {"0.0.0.0", "::"} else bind  # noqa: S104


def access_from_container(info: ContainerInfo, token: str | None) -> Access:
    labels = info.labels
    host = reachable_host(labels.get("dev.dlenv.bind", "127.0.0.1"))
    return Access(
        name=info.name,
        state=info.state,
        image=info.image,
        host=host,
        ssh_port=int(labels.get("dev.dlenv.ssh-port", "2222")),
        jupyter_port=int(labels.get("dev.dlenv.jupyter-port", "8888")),
        user=labels.get("dev.dlenv.user", "dev"),
        token=token,
    )
