"""`dlenv ls --volumes` and `dlenv rm --caches`, in-process over real `podman volume` output
captured on the CI machine (tests/fixtures/captured/README.md, podman-volumes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.cli import run
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.unit.commands.test_in_process import podman

VOLUMES = Path(__file__).parents[2] / "fixtures" / "captured" / "podman-volumes"
NAMES = (VOLUMES / "volume-ls-ci.stdout").read_text().split()
LABELS_FORMAT = "{{json .Labels}}"


def with_volumes(*, remaining: tuple[str, ...] = ()) -> FakeRunner:
    """The captured volumes; after `volume rm`, `volume inspect NAME` finds only `remaining`."""
    runner = podman(podman_volume_ls=(0, (VOLUMES / "volume-ls-ci.stdout").read_text(), ""))
    table = dict(runner.responses)
    for name in NAMES:
        labels = (VOLUMES / f"inspect-{name}-ci.stdout").read_text()
        table[("podman", "volume", "inspect", "--format", LABELS_FORMAT, name)] = (0, labels, "")
        table[("podman", "volume", "inspect", name)] = (
            (0, "[]", "") if name in remaining else (125, "", "")
        )
    table[("podman", "volume", "rm")] = (0, "", "")
    return FakeRunner(responses=table, programs=runner.programs)


def test_ls_volumes_tells_caches_from_environment_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = make_context(tmp_path, with_volumes())
    assert run(["ls", "--volumes", "--engine", "podman", "--json"], ctx) == 0
    listed = {v["name"]: v for v in json.loads(capsys.readouterr().out)}
    assert set(listed) == set(NAMES)
    assert listed["dlenv-cache-1000-uv"] == {
        "name": "dlenv-cache-1000-uv", "engine": "podman", "cache": "uv",
        "environment": None, "shared_by_uid": 1000,
    }  # fmt: skip
    assert listed["remote-proto-workspace"]["environment"] == "remote-proto"
    assert listed["remote-proto-workspace"]["cache"] is None


def test_rm_caches_removes_only_the_users_shared_caches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = with_volumes()
    assert run(["rm", "--caches", "--yes"], make_context(tmp_path, runner, uid=1000)) == 0
    removed = {call[3] for call in runner.calls if call[:3] == ("podman", "volume", "rm")}
    assert removed == {f"dlenv-cache-1000-{k}" for k in ("huggingface", "pip", "torch", "uv")}
    assert not any(call[:2] == ("podman", "rm") for call in runner.calls)  # no container
    assert "removed dlenv-cache-1000-huggingface" in capsys.readouterr().err


def test_rm_caches_of_another_user_finds_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = with_volumes()
    assert run(["rm", "--caches", "--yes"], make_context(tmp_path, runner, uid=1001)) == 0
    assert not any(call[:3] == ("podman", "volume", "rm") for call in runner.calls)
    assert "no shared cache volumes of yours" in capsys.readouterr().err


def test_rm_caches_says_which_are_in_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = with_volumes(remaining=("dlenv-cache-1000-uv",))
    assert run(["rm", "--caches", "--yes"], make_context(tmp_path, runner, uid=1000)) == 1
    err = capsys.readouterr().err
    assert "kept dlenv-cache-1000-uv: in use by a container" in err
    assert "dlenv down" in err


def test_rm_caches_without_a_terminal_needs_yes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = with_volumes()
    assert run(["rm", "--caches"], make_context(tmp_path, runner, uid=1000)) == 2
    assert "needs a confirmation" in capsys.readouterr().err
    assert not any(call[:3] == ("podman", "volume", "rm") for call in runner.calls)


IDLE = Path(__file__).parents[2] / "fixtures" / "captured" / "podman-inspect"


def test_status_of_an_environment_stopped_for_being_idle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = podman(
        podman_container_inspect=(0, (IDLE / "idle-stopped-ci.json").read_text(), ""),
        podman_logs=(0, (IDLE / "idle-stopped-ci.logs").read_text(), ""),
    )
    ctx = make_context(tmp_path, runner)
    assert run(["status", "--name", "daily-e2e-podman", "--json"], ctx) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "exited"
    assert shown["idle_stop"] == {"setting": "20s", "last_activity": None, "stopped_idle": True}
    assert shown["secrets"] == ["DAILY_ENV_SECRET", "DAILY_FILE_SECRET"]
    assert shown["ports"]["tensorboard"]["port"] == 52859
    assert run(["status", "--name", "daily-e2e-podman"], ctx) == 0
    assert "stops after 20s idle" in capsys.readouterr().out
