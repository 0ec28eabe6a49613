"""Free loopback ports for a test's own servers and environments: asked of the kernel (port 0),
all of one call held open together, so they differ from each other."""

from __future__ import annotations

import socket
from contextlib import ExitStack


def free_ports(count: int) -> tuple[int, ...]:
    with ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return tuple(int(probe.getsockname()[1]) for probe in probes)


def free_port() -> int:
    return free_ports(1)[0]
