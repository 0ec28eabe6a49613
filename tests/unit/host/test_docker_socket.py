"""`docker.socket_permission`: the Docker daemon's socket refuses this user (issue 10, item 5).

The error texts are real captures (tests/fixtures/captured/docker-errors, sources in its README):
Docker 19.03 `docker info`, a later `docker run`, and Docker 29.2.1 `docker version`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.host.doctor import diagnose
from dlenv.host.findings import Finding, Severity
from dlenv.host.inventory import EngineProbe, Inventory
from dlenv.host.parse.engines import parse_docker_info
from dlenv.host.probe import collect
from dlenv.host.reader import replay_reader
from dlenv.host.rules.runtime import engine_findings
from dlenv.knowledge import load_knowledge
from dlenv.spec import load_spec

FIXTURES = Path(__file__).parents[2] / "fixtures"
ERRORS = FIXTURES / "captured" / "docker-errors"
CAPTURES = sorted(p.name for p in ERRORS.iterdir())
SOCKET = "unix:///var/run/docker.sock"


def _docker(stderr: str, stdout: str = "") -> EngineProbe:
    info = parse_docker_info(stdout, stderr)
    return EngineProbe("docker", installed=True, docker=info, output=stderr, ok=info.reachable)


def _by_id(findings: list[Finding]) -> dict[str, Finding]:
    return {f.id: f for f in findings}


def test_three_wordings_are_captured() -> None:
    assert CAPTURES == [
        "socket-denied-info-19.03.txt",
        "socket-denied-run.txt",
        "socket-denied-version-29.2.1.txt",
    ]


@pytest.mark.parametrize("capture", CAPTURES)
def test_parser_names_the_refusing_socket(capture: str) -> None:
    info = parse_docker_info("", (ERRORS / capture).read_text())
    assert not info.reachable
    assert info.socket_denied == SOCKET


def test_a_daemon_that_is_down_is_not_a_permission_problem() -> None:
    down = FIXTURES / "captured" / "docker-info"
    info = parse_docker_info(
        (down / "daemon-down-ci.json").read_text(), (down / "daemon-down-ci.stderr").read_text()
    )
    assert info.socket_denied is None
    inv = Inventory(user="ada", groups=("ada",), engines=(_docker(info.error or ""),))
    assert "docker.unreachable" in _by_id(engine_findings(inv, []))


@pytest.mark.parametrize("capture", CAPTURES)
def test_user_outside_group_docker_gets_the_group_or_rootless_fix(capture: str) -> None:
    inv = Inventory(
        user="ada",
        groups=("ada", "sudo"),
        engines=(_docker((ERRORS / capture).read_text()),),
    )
    found = _by_id(engine_findings(inv, []))
    finding = found["docker.socket_permission"]
    assert finding.severity is Severity.FAIL  # Docker is the only engine
    assert SOCKET in finding.message and "ada may not use Docker" in finding.message
    assert "permission denied" in finding.details
    assert "ada is not in group docker" in finding.details
    assert "root-equivalent" in finding.details
    assert "grants root-level privileges" in finding.details
    assert "https://docs.docker.com/engine/install/linux-postinstall/" in finding.details
    assert "`sudo usermod -aG docker $USER`" in finding.fix
    assert "log out and back in" in finding.fix and "newgrp docker" in finding.fix
    assert "`dlenv setup --engine docker --only engine`" in finding.fix
    assert "`dlenv setup --engine docker --rootless`" in finding.fix
    assert "docker.unreachable" not in found and "engine.unusable" in found


def test_only_a_warning_when_podman_answers() -> None:
    podman = EngineProbe("podman", installed=True, ok=True)
    denied = _docker((ERRORS / "socket-denied-run.txt").read_text())
    inv = Inventory(user="ada", groups=("ada",), engines=(denied, podman))
    finding = _by_id(engine_findings(inv, []))["docker.socket_permission"]
    assert finding.severity is Severity.WARN


def test_member_of_group_docker_yet_refused_points_at_the_socket() -> None:
    denied = _docker((ERRORS / "socket-denied-version-29.2.1.txt").read_text())
    inv = Inventory(user="ada", groups=("ada", "docker"), engines=(denied,))
    finding = _by_id(engine_findings(inv, []))["docker.socket_permission"]
    assert "although ada is in group docker" in finding.message
    assert "ls -l /var/run/docker.sock" in finding.fix and "DOCKER_HOST" in finding.fix


def test_host_scenario_replays_to_the_finding() -> None:
    scenario = FIXTURES / "hosts" / "docker-socket-permission-denied"
    spec, source = load_spec(None, search_dir=scenario)
    findings = _by_id(
        diagnose(collect(replay_reader(scenario)), spec, source, load_knowledge())
    )
    finding = findings["docker.socket_permission"]
    assert finding.severity is Severity.FAIL
    assert "Got permission denied while trying to connect to the Docker daemon socket" in (
        finding.details
    )
    assert "`dlenv setup --engine docker --only engine`" in finding.fix
