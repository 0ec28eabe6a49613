"""Host port checks: say which port is busy and suggest a free one, before anything starts."""

from __future__ import annotations

import ipaddress
import socket

from dlenv.errors import DlenvError


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def port_is_free(bind: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bind, port))
        except OSError:
            return False
    return True


def free_local_port() -> int:
    """A port on 127.0.0.1 that is free now: the kernel's choice for port 0 (macOS too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def suggest_free_port(bind: str, start: int, taken: set[int]) -> int | None:
    for candidate in range(start + 1, min(start + 200, 65536)):
        if candidate not in taken and port_is_free(bind, candidate):
            return candidate
    return None


def check_ports_free(bind: str, wanted: dict[str, int]) -> None:
    """`wanted` maps an option name ("--ssh-port") or a spec key ("ports.tensorboard") to a
    port. Raises naming the busy one."""
    taken = set(wanted.values())
    for option, port in wanted.items():
        if not port_is_free(bind, port):
            free = suggest_free_port(bind, port, taken)
            if not free:
                suggestion = f"choose another {option}"
            elif option.startswith("--"):
                suggestion = f"pass {option} {free} (free now)"
            else:  # a spec key, e.g. ports.tensorboard
                suggestion = f"set {option} = {free} in dlenv.toml (free now)"
            raise DlenvError(
                f"port {port} on {bind} is already in use by another program",
                hint=f"Stop that program, or {suggestion}.",
            )
