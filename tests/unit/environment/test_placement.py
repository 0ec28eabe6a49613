"""Ports on a shared host: the defaults move when taken; a chosen port stays as given."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from dlenv.commands.ls import Listed
from dlenv.engine.base import ContainerInfo
from dlenv.environment.placement import choose_port, ports_of_others
from dlenv.labels import EnvLabels


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_taken_default_moves_to_the_next_free_port(busy_port: int) -> None:
    chosen = choose_port("127.0.0.1", busy_port, default=busy_port, recorded=None, taken=set())
    assert chosen > busy_port


def test_a_port_other_environments_hold_is_skipped_even_if_free_now(busy_port: int) -> None:
    free = busy_port + 1
    chosen = choose_port("127.0.0.1", free, default=free, recorded=None, taken={free})
    assert chosen not in (busy_port, free)


def test_a_chosen_port_and_a_recorded_port_are_kept(busy_port: int) -> None:
    assert (
        choose_port("127.0.0.1", busy_port, default=2222, recorded=None, taken=set()) == busy_port
    )
    assert choose_port("127.0.0.1", 2222, default=2222, recorded=2301, taken=set()) == 2301


def test_on_a_box_only_other_environments_ports_are_avoided(busy_port: int) -> None:
    """With --host the ports are the box's: a listener on this machine says nothing about them,
    so the busy local port is kept, and only ports other environments on the box hold move it."""
    assert (
        choose_port("127.0.0.1", busy_port, default=busy_port, recorded=None, taken=set(),
                    local=False) == busy_port
    )  # fmt: skip
    assert (
        choose_port("127.0.0.1", busy_port, default=busy_port, recorded=None,
                    taken={busy_port, busy_port + 1}, local=False) == busy_port + 2
    )  # fmt: skip


def test_ports_of_other_environments_come_from_their_labels() -> None:
    other = ContainerInfo(
        "b", "exited", "i", EnvLabels("b", ssh_port=2223, jupyter_port=8889).encode()
    )
    mine = ContainerInfo("a", "running", "i", EnvLabels("a", ssh_port=2222).encode())
    assert ports_of_others([other, mine], "a") == {2223, 8889}


def test_ls_shows_owners_and_only_valid_label_values() -> None:
    labels = EnvLabels("a", owner_uid=1001, owner="alice", gpus=("0", "3")).encode()
    listed = Listed("podman", ContainerInfo("a", "running", "i", labels))
    assert listed.as_json()["gpus"] == ["0", "3"]
    assert listed.owned_by(1001) and not listed.owned_by(1002)
    hostile = {**labels, "dev.dlenv.owner": "[red]x[/red]", "dev.dlenv.owner-uid": "²"}
    shown = Listed("podman", ContainerInfo("a", "running", "i", hostile)).as_json()
    assert (shown["owner"], shown["owner_uid"]) == (None, None)
    legacy = Listed("podman", ContainerInfo("old", "running", "i", {"dev.dlenv.managed": "true"}))
    assert legacy.owned_by(1001)  # made before owner labels: listed for everyone
