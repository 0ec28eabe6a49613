"""`dlenv setup` through the CLI: modes, --root (directory and bundle), bad input."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from dlenv.cli import run

FIXTURES = Path(__file__).parents[2] / "fixtures" / "os-release"


def test_json_for_a_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["setup", "--root", str(FIXTURES / "fedora-41"), "--engine", "docker", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["target"]["family"] == "fedora"
    assert data["steps"][0]["id"] == "driver.rpmfusion"


def test_script_from_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        tar.add(FIXTURES / "rocky-9.5" / "etc", arcname="host/etc")
    assert run(["setup", "--root", str(bundle), "--only", "toolkit", "--script"]) == 0
    script = capsys.readouterr().out
    assert script.startswith("#!/usr/bin/env bash\n# dlenv setup plan for Rocky Linux 9.5")
    assert "run_step toolkit.install root" in script


def test_plan_display_for_a_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["setup", "--root", str(FIXTURES / "opensuse-leap-15.6")]) == 0
    shown = capsys.readouterr().out
    assert "driver.install [reboot after]" in shown
    assert "planned" in shown


def test_unknown_component_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["setup", "--root", str(FIXTURES / "debian-12"), "--only", "toolkt"]) == 2
    assert "did you mean 'toolkit'" in capsys.readouterr().err


def test_unsupported_distro_exit_1_no_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["setup", "--root", str(FIXTURES / "archlinux"), "--json"]) == 1
    err = capsys.readouterr().err
    assert "does not support Arch Linux yet" in err and "Traceback" not in err


def test_yes_with_root_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["setup", "--root", str(FIXTURES / "debian-12"), "--yes"]) == 2
    assert "--script" in capsys.readouterr().err


def test_rootless_podman_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["setup", "--root", str(FIXTURES / "debian-12"), "--rootless", "--json"]) == 2
    assert "Podman runs rootless already" in capsys.readouterr().err


@pytest.mark.parametrize("distro", ["ubuntu-24.04", "fedora-41"])
def test_docker_plan_adds_sudo_user_to_group_docker(
    distro: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `sudo dlenv setup --engine docker`: root runs it, SUDO_USER is the person who will use Docker.
    monkeypatch.setattr("dlenv.context.os.geteuid", lambda: 0)
    monkeypatch.setenv("SUDO_USER", "alice")
    monkeypatch.setenv("USER", "root")
    assert run(["setup", "--root", str(FIXTURES / distro), "--engine", "docker", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    group = next(s for s in data["steps"] if s["id"] == "engine.docker-group")
    assert group["commands"][-1] == "usermod -aG docker alice"
    assert group["after"] == "relogin"
    assert any("root-equivalent" in note and "alice" in note for note in data["notes"])


def test_docker_plan_as_root_skips_the_group_with_a_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("dlenv.context.os.geteuid", lambda: 0)
    monkeypatch.delenv("SUDO_USER", raising=False)
    monkeypatch.setattr("dlenv.context._passwd_name", lambda uid: "root")
    assert run(["setup", "--root", str(FIXTURES / "ubuntu-24.04"), "--engine", "docker"]) == 0
    shown = capsys.readouterr().out
    assert "engine.docker-group skipped: the invoking user is root" in shown
    assert "planned  engine.docker-group" not in shown


def test_a_bad_user_name_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["setup", "--root", str(FIXTURES / "debian-12"), "--engine", "docker", "--script"]
    assert run([*argv, "--user", "x;reboot"]) == 2
    captured = capsys.readouterr()
    assert "not one dlenv puts in a setup script" in captured.err and "reboot" not in captured.out
