"""Recognising a full disk and a vanished daemon in real engine output (captures in
tests/fixtures/captured/build-failures and engine-errors; see their README)."""

from __future__ import annotations

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.engine.failures import shows_daemon_down, shows_no_space
from dlenv.errors import EngineError
from tests.support.fakes import FakeRunner
from tests.support.fuzz import CAPTURED

NO_SPACE = (CAPTURED / "build-failures" / "podman-no-space-tmpfs.txt").read_text()
DAEMON_KILLED_BUILD = (CAPTURED / "build-failures" / "docker-legacy-daemon-killed.txt").read_text()
DAEMON_GONE = (CAPTURED / "engine-errors" / "docker-daemon-gone-inspect.txt").read_text()
SOCKET_DENIED = (CAPTURED / "docker-errors" / "socket-denied-run.txt").read_text()


def test_a_full_disk_is_recognised_in_a_real_build_log() -> None:
    assert shows_no_space(NO_SPACE)
    assert not shows_no_space(DAEMON_KILLED_BUILD)
    # pip and uv print Python's OSError form.
    assert shows_no_space("ERROR: Could not install packages due to an OSError: [Errno 28] No")


def test_a_daemon_that_is_gone_is_recognised_and_a_refused_socket_is_not() -> None:
    assert shows_daemon_down(DAEMON_GONE)
    assert not shows_daemon_down(SOCKET_DENIED)  # a permission problem has its own fix
    assert not shows_daemon_down(NO_SPACE)


def test_any_engine_call_to_a_vanished_daemon_names_it_with_the_fix() -> None:
    runner = FakeRunner(responses={("docker", "container", "inspect"): (1, "", DAEMON_GONE)})
    engine = CliEngine(EngineKind("docker", BuilderCaps()), runner)
    with pytest.raises(EngineError) as caught:
        engine.container("demo")  # an unchecked call: absent and unanswered are not the same
    assert caught.value.message.startswith("the Docker daemon is not answering")
    assert "went away" in (caught.value.hint or "")
    assert "docker info" in (caught.value.hint or "")


def test_responds_asks_the_daemon() -> None:
    gone = FakeRunner(responses={("docker", "version"): (1, "", DAEMON_GONE)})
    here = FakeRunner(responses={("docker", "version"): (0, "Server: Docker Engine\n", "")})
    assert not CliEngine(EngineKind("docker", BuilderCaps()), gone).responds()
    assert CliEngine(EngineKind("docker", BuilderCaps()), here).responds()
