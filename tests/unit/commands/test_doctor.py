"""`dlenv doctor` through the CLI, in-process: this host (no GPU), bundles, JSON, exit codes."""

import json
import os
from pathlib import Path

import pytest

from dlenv.cli import run

HOSTS = Path(__file__).parents[2] / "fixtures" / "hosts"
CI_DOCKER = Path("/var/lib/dlenv-ci-docker/docker.sock")


def test_this_host_reports_the_missing_gpu_as_a_failure(capsys: pytest.CaptureFixture[str]):
    assert run(["doctor", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    by_id = {f["id"]: f for f in report["findings"]}
    assert by_id["gpu.none"]["severity"] == "fail"
    assert "dlenv init --profile cpu" in by_id["gpu.none"]["fix"]
    assert report["ok"] is False


@pytest.mark.skipif(not CI_DOCKER.exists(), reason="the CI machine's dockerd socket is not here")
def test_this_host_reports_both_engines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{CI_DOCKER}")
    run(["doctor", "--json"])
    by_id = {f["id"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    assert (
        by_id["podman.engine"]["severity"] == "ok"
        and "Podman 4" in by_id["podman.engine"]["message"]
    )
    assert (
        by_id["docker.engine"]["severity"] == "ok"
        and "rootful" in by_id["docker.engine"]["message"]
    )


def test_terminal_report_is_grouped(capsys: pytest.CaptureFixture[str]):
    assert run(["doctor", "--from", str(HOSTS / "stale-cdi-after-driver-upgrade")]) == 1
    out = " ".join(capsys.readouterr().out.split())  # the table wraps long cells
    assert (
        out.index("GPU and driver")
        < out.index("Container toolkit")
        < out.index("Container engines")
    )
    assert "cdi.stale" in out and "fix:" in out and "nvidia-ctk cdi generate" in out


def test_exit_zero_when_nothing_fails(capsys: pytest.CaptureFixture[str]):
    assert run(["doctor", "--from", str(HOSTS / "ubuntu-rtx4070-docker-nvidia-runtime")]) == 0
    assert "Ready" in capsys.readouterr().out


def test_collect_then_replay_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bundle = tmp_path / "host.tgz"
    first = run(["doctor", "--json", "--collect", str(bundle)])
    live = json.loads(capsys.readouterr().out)
    assert bundle.is_file()
    assert run(["doctor", "--json", "--from", str(bundle)]) == first
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["findings"] == live["findings"]


def test_bad_bundle_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert run(["doctor", "--from", str(tmp_path / "missing.tgz")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert run(["doctor", "--from", str(tmp_path)]) == 2
    assert "not a dlenv support bundle" in capsys.readouterr().err


def test_doctor_uses_the_spec_in_the_current_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "dlenv.toml").write_text('[image]\ncuda = "13.0"\n')
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        run(["doctor", "--json", "--from", str(HOSTS / "pascal-gpu-with-cu128")])
    finally:
        os.chdir(cwd)
    by_id = {f["id"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "dlenv.toml" in by_id["spec.resolved"]["message"]
    assert by_id["gpu.cuda_unsupported"]["severity"] == "fail"  # CUDA 13 has no Pascal
