"""`[user@]host[:port]`: the box's address, validated so that it can only ever be an address.

It reaches ssh's argv, the engines' `ssh://` URLs and generated ssh_config lines, and may come
from a cloned repository's dlenv.toml: every part is a full match, and a host can never start
with "-" (ssh would read it as an option).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlenv.errors import UsageError

# A login name as shadow-utils' portable pattern allows (see LOGIN_PATTERN in dlenv.setup.context),
# a DNS name (RFC 1123 labels), an IPv4 address or a bracketed IPv6 address, and a port.
ADDRESS = re.compile(
    r"(?:(?P<user>[a-z_][a-z0-9_.-]{0,31})@)?"
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}"
    r"|[1-9][0-9]{0,3}))?"
)
FORM = "[user@]host[:port], e.g. gpu-box, ana@gpu-box or ana@10.0.0.5:2200"


@dataclass(frozen=True)
class BoxAddress:
    host: str  # a DNS name, an IPv4 address, or an IPv6 address without brackets
    user: str | None = None  # None: ssh's default (the ssh_config User, else the local name)
    port: int | None = None  # None: ssh's default (the ssh_config Port, else 22)

    @property
    def destination(self) -> str:
        """`user@host` for ssh's command line (the port goes to -p)."""
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def ssh_url(self, path: str = "") -> str:
        """`ssh://[user@]host[:port][path]`, as Docker's DOCKER_HOST and Podman's --url take it."""
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"ssh://{user}{self.url_host}{port}{path}"

    def ssh_args(self) -> tuple[str, ...]:
        """The destination arguments of an `ssh` command line (after every option)."""
        return (*(("-p", str(self.port)) if self.port else ()), "--", self.destination)

    def __str__(self) -> str:
        port = f":{self.port}" if self.port else ""
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.url_host}{port}"


def parse_box(text: str, origin: str = "--host") -> BoxAddress:
    match = ADDRESS.fullmatch(text)
    if match is None:
        raise UsageError(f"{origin} {text!r} is not an SSH address", hint=f"Use {FORM}.")
    port = int(match["port"]) if match["port"] else None
    return BoxAddress(match["host"].strip("[]"), match["user"], port)
