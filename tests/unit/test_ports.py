"""Port checks against real sockets on loopback."""

from __future__ import annotations

import socket

import pytest

from dlenv.errors import DlenvError
from dlenv.ports import check_ports_free, is_loopback, port_is_free


def test_busy_port_is_named_with_a_free_suggestion() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        assert not port_is_free("127.0.0.1", busy)
        with pytest.raises(DlenvError) as caught:
            check_ports_free("127.0.0.1", {"--ssh-port": busy})
    assert caught.value.message == f"port {busy} on 127.0.0.1 is already in use by another program"
    hint = caught.value.hint or ""
    assert "--ssh-port" in hint
    suggested = int(hint.split("--ssh-port ")[1].split()[0])
    assert suggested != busy
    assert port_is_free("127.0.0.1", suggested)


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.0.2.10")
