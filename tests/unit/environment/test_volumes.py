"""A first `up` creates its volumes at the same time (dlenv.environment.lifecycle)."""

from __future__ import annotations

import threading

import pytest

from dlenv.engine.caps import BUILDAH_CAPS
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.environment.lifecycle import create_volumes
from dlenv.errors import EngineError
from dlenv.process import Command, Result
from tests.support.fakes import FakeRunner

# podman 4.3.1 on the CI machine: `podman volume create --label dev.dlenv.x=1 dlenv-capture-vol`
# printed the name and exited 0; the same again exited 125 with this message on stderr.
EXISTS = "Error: volume with name {name} already exists: volume already exists\n"

VOLUMES = {
    f"vol-{n}": {"dev.dlenv.owner": "me", "dev.dlenv.name": "env"}
    for n in ("hostkeys", "workspace", "uv", "pip", "hf", "torch")
}


class TogetherRunner:
    """Answers `volume create` only once `parties` of them are running at the same time: one
    after another, the first waits in vain and the barrier breaks."""

    def __init__(self, parties: int, existing: str | None = None) -> None:
        self.barrier = threading.Barrier(parties, timeout=10)
        self.existing = existing
        self.calls = FakeRunner().calls

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        self.calls.append(command.argv)
        self.barrier.wait()
        name = command.argv[-1]
        if name == self.existing:
            return Result(command, 125, "", EXISTS.format(name=name))
        return Result(command, 0, f"{name}\n", "")


def engine(runner: TogetherRunner) -> CliEngine:
    return CliEngine(EngineKind("podman", BUILDAH_CAPS), runner)  # type: ignore[arg-type]


def test_the_volumes_are_created_at_the_same_time_each_with_its_labels() -> None:
    runner = TogetherRunner(len(VOLUMES))
    create_volumes(engine(runner), VOLUMES)
    assert sorted(runner.calls) == sorted(
        ("podman", "volume", "create", "--label", "dev.dlenv.name=env",
         "--label", "dev.dlenv.owner=me", name)
        for name in VOLUMES
    )  # fmt: skip


def test_a_failed_creation_is_raised_after_the_others_ended() -> None:
    runner = TogetherRunner(len(VOLUMES), existing="vol-pip")
    with pytest.raises(EngineError, match="volume failed"):
        create_volumes(engine(runner), VOLUMES)
    assert len(runner.calls) == len(VOLUMES)  # none was left unasked


def test_one_volume_is_created_alone() -> None:
    runner = TogetherRunner(1)
    create_volumes(engine(runner), {"vol-hostkeys": {}})
    assert runner.calls == [("podman", "volume", "create", "vol-hostkeys")]
