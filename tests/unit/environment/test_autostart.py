"""`dlenv up --autostart`: the units written, where, and the systemctl calls (fake runner fed
with a real `podman generate systemd --new` capture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.environment.autostart import (
    HEADER,
    docker_unit,
    install_unit,
    podman_unit,
)
from dlenv.errors import DlenvError
from tests.support.fakes import FakeRunner
from tests.support.fuzz import CAPTURED

GENERATED = (
    CAPTURED / "podman-generate-systemd" / "new-reliab-crash-podman-4.3.1.service"
).read_text()


def test_the_podman_unit_is_podmans_own_with_a_stable_header() -> None:
    runner = FakeRunner(responses={("podman", "generate", "systemd"): (0, GENERATED, "")})
    unit = podman_unit(runner, "reliab-crash-podman", user_manager=False)
    assert unit.unit_name == "dlenv-reliab-crash-podman.service"
    assert unit.text == HEADER + GENERATED
    assert runner.calls == [(
        "podman", "generate", "systemd", "--new", "--name", "--no-header", "reliab-crash-podman"
    )]  # fmt: skip


def test_a_podman_that_cannot_generate_a_unit_is_a_clear_error() -> None:
    runner = FakeRunner(
        responses={("podman", "generate"): (125, "", "Error: no container with name found\n")}
    )
    with pytest.raises(DlenvError, match="could not describe demo as a systemd unit"):
        podman_unit(runner, "demo", user_manager=True)


def test_the_docker_unit_starts_the_existing_container_after_docker() -> None:
    unit = docker_unit(
        "/usr/bin/docker", "demo", "unix:///var/lib/x/docker.sock", user_manager=False
    )
    lines = unit.text.splitlines()
    assert "ExecStart=/usr/bin/docker start demo" in lines
    assert "Environment=DOCKER_HOST=unix:///var/lib/x/docker.sock" in lines
    assert "After=network-online.target docker.service" in lines
    assert "WantedBy=multi-user.target" in lines
    assert "WantedBy=default.target" in docker_unit(
        "/usr/bin/docker", "demo", None, user_manager=True
    ).text


@pytest.mark.parametrize("host", ["unix:///x\nExecStartPre=/bin/sh", "tcp://h:1 %h", 'a"b'])
def test_a_docker_host_a_unit_cannot_carry_is_refused(host: str) -> None:
    with pytest.raises(DlenvError, match="DOCKER_HOST"):
        docker_unit("/usr/bin/docker", "demo", host, user_manager=False)


def test_without_systemd_the_unit_is_only_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = docker_unit("/usr/bin/docker", "demo", None, user_manager=True)
    runner = FakeRunner()  # no systemctl call may happen
    record = install_unit(unit, tmp_path, runner, tmp_path / "home", systemd_running=False)
    assert record == tmp_path / "dlenv-demo.service"
    assert record.read_text() == unit.text
    assert not (tmp_path / "home").exists()
    assert "systemd is not running here" in capsys.readouterr().err


def test_with_systemd_a_user_unit_is_installed_and_enabled(tmp_path: Path) -> None:
    unit = docker_unit("/usr/bin/docker", "demo", None, user_manager=True)
    runner = FakeRunner(responses={("systemctl", "--user"): (0, "", "")})
    home = tmp_path / "home"
    (tmp_path / "state").mkdir()
    installed = install_unit(unit, tmp_path / "state", runner, home, systemd_running=True)
    assert installed == home / ".config/systemd/user/dlenv-demo.service"
    assert installed.read_text() == unit.text
    assert runner.calls == [
        ("systemctl", "--user", "daemon-reload"),
        ("systemctl", "--user", "enable", "dlenv-demo.service"),
    ]
    # Rewriting its own unit is fine; someone else's file is never replaced.
    install_unit(unit, tmp_path / "state", runner, home, systemd_running=True)
    installed.write_text("[Unit]\nDescription=mine\n")
    with pytest.raises(DlenvError, match="was not written by dlenv"):
        install_unit(unit, tmp_path / "state", runner, home, systemd_running=True)
    assert installed.read_text() == "[Unit]\nDescription=mine\n"
