"""`CliEngine.host()` read in the background (`up` starts it before resolving the spec)."""

from __future__ import annotations

from pathlib import Path

from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from tests.support.fakes import FakeRunner

# Captured from `podman info --format json` on the CI machine (tests/fixtures/captured/README.md).
PODMAN_ROOTFUL = (
    Path(__file__).parents[2] / "fixtures" / "captured" / "podman-info" / "rootful-debian12-ci.json"
)
INFO = ("podman", "info", "--format", "json")


def engine(tmp_path: Path) -> tuple[CliEngine, FakeRunner]:
    runner = FakeRunner(responses={INFO: (0, PODMAN_ROOTFUL.read_text(), "")})
    return CliEngine(EngineKind("podman", BuilderCaps()), runner, tmp_path), runner


def test_a_background_read_gives_what_a_direct_read_gives(tmp_path: Path) -> None:
    direct, _ = engine(tmp_path)
    early, runner = engine(tmp_path)
    early.start_reading_host()
    early.start_reading_host()  # a second start reads nothing more
    assert early.host() == direct.host()
    assert early.host() is early.host()
    assert runner.calls == [INFO]  # asked once, however often started and read


def test_without_a_background_read_host_reads_once(tmp_path: Path) -> None:
    found, runner = engine(tmp_path)
    assert not found.host().rootless
    found.host()
    assert runner.calls == [INFO]
