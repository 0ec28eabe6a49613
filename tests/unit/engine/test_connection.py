"""An engine on a box: every engine command carries the engine's own SSH transport, exactly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dlenv.engine.base import BuildRequest
from dlenv.engine.caps import LEGACY_CAPS, BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.engine.connection import (
    docker_connection,
    podman_connection,
    podman_identity,
    podman_socket,
)
from dlenv.engine.detect import BoxLink, open_engine
from dlenv.errors import BuildError, DlenvError
from dlenv.host.reader import HostReader
from dlenv.process import Command, Result
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


def test_a_legacy_build_on_a_box_reaches_the_relay_through_a_port_on_the_box(
    tmp_path: Path,
) -> None:
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")  # any real CA bundle (ca-certificates)
    if not bundle.is_file():
        pytest.skip("no system CA bundle to load")
    forwarded: list[int] = []

    def forward(port: int) -> int:
        forwarded.append(port)
        return 45678  # the port sshd allocated on the box

    streamed: list[Command] = []

    class Recording(FakeRunner):
        def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
            streamed.append(command)
            return super().stream(command, on_line)

    runner = Recording({("docker", "build"): (0, "", "")})
    engine = CliEngine(
        EngineKind("docker", LEGACY_CAPS), runner,
        connection=docker_connection(BOX), forward_to_box=forward,
    )  # fmt: skip
    engine.build(BuildRequest(tmp_path, "localhost/dlenv/vision:1", ca_bundle=bundle), print)
    (port,) = forwarded
    (command,) = streamed
    assert command.argv[command.argv.index("--network") + 1] == "host"  # the box's loopback
    assert command.env["DOCKER_HOST"] == "ssh://ana@gpu-box:2200"
    # The build's proxy is the box's forwarded port, never the relay's port here.
    assert "@127.0.0.1:45678" in command.env["http_proxy"]
    assert f":{port}" not in command.env["http_proxy"]


def test_without_a_way_to_forward_a_legacy_build_on_a_box_refuses_the_ca_bundle(
    tmp_path: Path,
) -> None:
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if not bundle.is_file():
        pytest.skip("no system CA bundle to load")
    engine = CliEngine(
        EngineKind("docker", LEGACY_CAPS), FakeRunner(), connection=docker_connection(BOX)
    )
    with pytest.raises(BuildError, match="forward the package relay"):
        engine.build(BuildRequest(tmp_path, "localhost/dlenv/vision:1", ca_bundle=bundle), print)
