"""An engine on a box: every engine command carries the engine's own SSH transport, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.engine.connection import (
    docker_connection,
    podman_connection,
    podman_identity,
    podman_socket,
)
from dlenv.engine.detect import BoxLink, open_engine
from dlenv.errors import DlenvError
from dlenv.host.reader import HostReader
from dlenv.remote.address import parse_box
from tests.support.fakes import FakeRunner

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "remote"
BOX = parse_box("ana@gpu-box:2200")
SOCKET = "/run/podman/podman.sock"
PODMAN_URL = ("--url", f"ssh://ana@gpu-box:2200{SOCKET}")


def test_docker_on_a_box_is_an_ssh_docker_host_on_every_command() -> None:
    runner = FakeRunner({("docker",): (0, "", "")})
    engine = CliEngine(
        EngineKind("docker", BuilderCaps()), runner, connection=docker_connection(BOX)
    )
    engine.stop("vision")
    logs = engine.logs_command("vision", follow=True, tail=None)
    shell = engine.exec_command("vision", ("bash", "-l"), user="dev", stdin=True, tty=True)
    assert runner.calls == [("docker", "stop", "--time", "10", "vision")]
    assert logs.argv == ("docker", "logs", "--follow", "vision")
    assert shell.argv == ("docker", "exec", "--interactive", "--tty", "--user", "dev", "vision",
                          "bash", "-l")  # fmt: skip
    for command in (logs, shell):
        assert command.env == {"DOCKER_HOST": "ssh://ana@gpu-box:2200"}


def test_podman_on_a_box_is_a_url_to_its_api_socket_after_the_program() -> None:
    runner = FakeRunner({("podman",): (0, "", "")})
    connection = podman_connection(BOX, SOCKET, Path("/home/ana/.ssh/id_ed25519"))
    engine = CliEngine(EngineKind("podman", BuilderCaps()), runner, connection=connection)
    engine.remove_container("vision")
    identity = ("--identity", "/home/ana/.ssh/id_ed25519")
    assert runner.calls == [("podman", *PODMAN_URL, *identity, "rm", "--force", "vision")]
    result = engine.exec("vision", ("python", "-"), user="dev", stdin="print(1)")
    assert result.command.argv[:6] == ("podman", *PODMAN_URL, *identity, "exec")
    assert result.command.stdin == "print(1)"


def test_the_socket_is_the_one_podman_reports_on_the_box() -> None:
    reported = (CAPTURED / "podman-info-remote-socket.json").read_text()
    runner = FakeRunner({("podman", "info"): (0, reported, "")})
    assert podman_socket(runner, BOX) == SOCKET
    absent = (CAPTURED / "podman-info-remote-socket-absent.json").read_text()
    with pytest.raises(DlenvError) as caught:
        podman_socket(FakeRunner({("podman", "info"): (0, absent, "")}), BOX)
    assert "podman.socket" in (caught.value.hint or "")
    with pytest.raises(DlenvError):
        podman_socket(FakeRunner({("podman", "info"): (0, '{"path": "x; rm -rf /"}', "")}), BOX)


def test_podman_is_given_a_key_only_without_an_agent(tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519").write_text("key")
    assert podman_identity({"SSH_AUTH_SOCK": "/tmp/agent"}, tmp_path) is None
    assert podman_identity({}, tmp_path) == tmp_path / ".ssh" / "id_ed25519"
    assert podman_identity({}, tmp_path / "nobody") is None


def test_the_engine_must_be_on_both_sides_and_podman_gets_its_socket() -> None:
    reported = (CAPTURED / "podman-info-remote-socket.json").read_text()
    here = FakeRunner(programs={"podman": "/usr/bin/podman", "docker": "/usr/bin/docker"})
    there = FakeRunner(
        {("podman", "info"): (0, reported, "")}, programs={"podman": "/usr/bin/podman"}
    )
    link = BoxLink(BOX, there, HostReader(runner=there), lambda port: port, None)
    engine, choice = open_engine(None, "auto", here, link)
    assert engine.name == "podman"
    assert engine.connection.global_args == PODMAN_URL
    assert choice.reason.endswith("on ana@gpu-box:2200")
    with pytest.raises(DlenvError, match="docker was asked for"):
        open_engine("docker", "auto", here, link)
