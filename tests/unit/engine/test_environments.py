"""`CliEngine.environments`: one `ps`, then one `container inspect` of every dlenv container,
read from both engines' real outputs (podman 4 prints one JSON array, docker one object per
line), and one inspect at a time when a container went away between the two calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.errors import EngineError
from tests.support.engine_captures import CAPTURED
from tests.support.fakes import FakeRunner

PODMAN = CAPTURED / "podman-inspect"
DOCKER = CAPTURED / "docker-inspect"
PS = ("ps", "--all", "--filter", "label=dev.dlenv.managed=true", "--format", "{{.Names}}")
INSPECT = ("container", "inspect", "--format", "{{json .}}")


def _engine(program: str, table: dict[tuple[str, ...], tuple[int, str, str]]) -> CliEngine:
    runner = FakeRunner(responses={(program, *argv): answer for argv, answer in table.items()})
    return CliEngine(EngineKind(program, BuilderCaps()), runner)


@pytest.mark.parametrize(
    ("program", "ps", "inspected"),
    [
        ("podman", PODMAN / "ps-two-environments-ci.txt", PODMAN / "two-environments-ci.json"),
        ("docker", DOCKER / "ps-two-environments-ci.txt", DOCKER / "two-environments-ci.jsonl"),
    ],
)
def test_every_environment_with_one_inspect(program: str, ps: Path, inspected: Path) -> None:
    engine = _engine(
        program,
        {PS: (0, ps.read_text(), ""), (*INSPECT, "alpha", "beta"): (0, inspected.read_text(), "")},
    )
    found = engine.environments()
    assert [(c.name, c.state, c.labels["dev.dlenv.name"]) for c in found] == [
        ("alpha", "running", "alpha"),
        ("beta", "created", "beta"),
    ]
    assert all(c.image == "localhost/dlenv-test/debian:bookworm" for c in found)
    runner = engine.runner
    assert isinstance(runner, FakeRunner)
    assert len(runner.calls) == 2  # ps, and one inspect for both


def _one_at_a_time(program: str) -> dict[tuple[str, ...], tuple[int, str, str]]:
    """Each engine's answer to `container inspect` of one name: podman's captured alone; docker
    prints a line per container, so its line for each name in the two-container capture."""
    if program == "podman":
        alpha, beta = ((PODMAN / f"{n}-ci.json").read_text() for n in ("alpha", "beta"))
        absent = (
            125,
            (PODMAN / "absent-ci.stdout").read_text(),
            (PODMAN / "absent-ci.stderr").read_text(),
        )
    else:
        alpha, beta = (DOCKER / "two-environments-ci.jsonl").read_text().splitlines()
        absent = (1, "", (DOCKER / "one-gone-ci.stderr").read_text())
    return {
        (*INSPECT, "alpha"): (0, alpha, ""),
        (*INSPECT, "beta"): (0, beta, ""),
        (*INSPECT, "gone"): absent,
    }


@pytest.mark.parametrize(
    ("program", "code", "folder"), [("podman", 125, PODMAN), ("docker", 1, DOCKER)]
)
def test_a_container_gone_between_the_calls_is_left_out(
    program: str, code: int, folder: Path
) -> None:
    # Removed elsewhere after `ps` listed it: the inspect of all fails (both engines still print
    # the others), so each is asked alone.
    gone = folder / "one-gone-ci"
    table = {
        PS: (0, "alpha\ngone\nbeta\n", ""),
        (*INSPECT, "alpha", "gone", "beta"): (
            code,
            gone.with_suffix(".stdout").read_text(),
            gone.with_suffix(".stderr").read_text(),
        ),
    }
    engine = _engine(program, table | _one_at_a_time(program))
    assert [c.name for c in engine.environments()] == ["alpha", "beta"]


def test_no_environment_asks_no_inspect() -> None:
    engine = _engine("podman", {PS: (0, "", "")})
    assert engine.environments() == []


def test_output_that_is_not_json_is_the_engines_failure() -> None:
    engine = _engine(
        "docker",
        {PS: (0, "alpha\nbeta\n", ""), (*INSPECT, "alpha", "beta"): (0, "{}\nnot json\n", "")},
    )
    with pytest.raises(EngineError, match="not JSON"):
        engine.environments()
