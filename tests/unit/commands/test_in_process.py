"""Commands run in-process through `dlenv.cli.run` with an AppContext and a fake runner that
replays real podman output captured on the CI machine (tests/fixtures/captured/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.cli import run
from tests.support.context import make_context
from tests.support.fakes import FakeRunner

INSPECT = Path(__file__).parents[2] / "fixtures" / "captured" / "podman-inspect"
ABSENT = (
    125,
    (INSPECT / "absent-ci.stdout").read_text(),
    (INSPECT / "absent-ci.stderr").read_text(),
)


def podman(**responses: tuple[int, str, str]) -> FakeRunner:
    table: dict[tuple[str, ...], tuple[int, str, str]] = {
        ("podman", "container", "inspect"): ABSENT,
        ("podman", "image", "inspect"): (0, "null\n", ""),
        ("podman", "volume", "ls"): (0, "", ""),
        ("podman", "images"): (0, "", ""),
        ("podman", "ps"): (0, "", ""),
    }
    table.update({tuple(k.split("_")): v for k, v in responses.items()})
    return FakeRunner(responses=table, programs={"podman": "/usr/bin/podman"})


TOKEN = "k" * 43  # the shape `secrets.token_urlsafe(32)` writes


def test_status_reads_the_running_container_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = (INSPECT / "running-demo-ci.json").read_text()
    runner = podman(podman_container_inspect=(0, running, ""))
    ctx = make_context(tmp_path, runner)
    token_dir = ctx.state_root / "envs" / "demo"
    token_dir.mkdir(parents=True)
    (token_dir / "jupyter_token").write_text(TOKEN + "\n")
    (token_dir / "jupyter_token").chmod(0o600)  # as dlenv writes it: a looser one is not used
    assert run(["status", "--name", "demo", "--json"], ctx) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "running"
    assert shown["ssh"]["command"] == "ssh -p 2222 dev@127.0.0.1"
    assert shown["jupyter"]["url"] == f"http://127.0.0.1:8888/lab?token={TOKEN}"
    assert shown["restarts"] == 0


def test_status_counts_restarts_and_reports_a_damaged_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    captured = json.loads((INSPECT / "running-demo-ci.json").read_text())
    captured[0]["RestartCount"] = 3  # what the engine reports after three restarts by policy
    runner = podman(podman_container_inspect=(0, json.dumps(captured), ""))
    ctx = make_context(tmp_path, runner)
    token_dir = ctx.state_root / "envs" / "demo"
    token_dir.mkdir(parents=True)
    (token_dir / "jupyter_token").write_bytes(b"\x00\xffhalf-writ")
    (token_dir / "jupyter_token").chmod(0o600)
    assert run(["status", "--name", "demo"], ctx) == 0
    shown = capsys.readouterr()
    assert "Restarts 3" in shown.out
    assert "token=" not in shown.out  # a damaged token is never put in a URL
    assert "jupyter_token" in shown.err
    assert "dlenv restart" in shown.err


def test_status_of_an_absent_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["status", "--name", "demo", "--json"], make_context(tmp_path, podman())) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "absent"


def test_rm_of_an_environment_that_never_existed_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Regression: `dlenv rm --name nope` answered "removed nope" with exit 0.
    runner = podman()
    assert run(["rm", "--name", "nope"], make_context(tmp_path, runner)) == 1
    assert "no environment named 'nope'" in capsys.readouterr().err
    assert not any(call[:2] == ("podman", "rm") for call in runner.calls)


def test_ls_and_status_agree_on_a_container_without_port_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One label codec: a missing port reads as unknown everywhere (ls said 0, status 2222).
    data = json.loads((INSPECT / "running-demo-ci.json").read_text())  # podman 4.3: a list
    for key in ("dev.dlenv.ssh-port", "dev.dlenv.jupyter-port"):
        del data[0]["Config"]["Labels"][key]
    runner = podman(
        podman_container_inspect=(0, json.dumps(data), ""), podman_ps=(0, "demo\n", "")
    )
    ctx = make_context(tmp_path, runner)
    assert run(["ls", "--engine", "podman", "--json"], ctx) == 0
    listed = json.loads(capsys.readouterr().out)
    assert (listed[0]["ssh_port"], listed[0]["jupyter_port"]) == (None, None)
    assert run(["status", "--name", "demo", "--json"], ctx) == 0
    assert json.loads(capsys.readouterr().out)["ssh"]["port"] is None
