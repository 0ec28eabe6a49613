"""open_project: the GPU profile resolves against the host's GPUs and driver (captured output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.project import EnvOptions, open_project
from tests.fakes import FakeRunner

CAPTURED = Path(__file__).parent.parent / "fixtures" / "captured" / "nvidia-smi"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no dlenv.toml or dlenv.lock here: the embedded default
    monkeypatch.setenv("DLENV_STATE_DIR", str(tmp_path / "state"))


def runner_with(smi_file: str | None) -> FakeRunner:
    responses: dict[tuple[str, ...], tuple[int, str, str]] = {("nvidia-smi", "-L"): (1, "", "")}
    programs: dict[str, str | None] = {"podman": "/usr/bin/podman"}
    if smi_file:
        responses[("nvidia-smi",)] = (0, (CAPTURED / smi_file).read_text(), "")
        programs["nvidia-smi"] = "/usr/bin/nvidia-smi"
    return FakeRunner(responses=responses, programs=programs)


def test_gpu_profile_fits_the_host_driver() -> None:
    # Driver 550.40.07 cannot run CUDA 13 (floor 580): the default CUDA 13.0 must not be chosen.
    project = open_project(EnvOptions(), runner_with("rtx4070-x1-550.40.07.txt"))
    assert project.resolved.cuda is not None
    assert project.resolved.cuda.startswith("12.")
    assert project.resolved.labels["dev.dlenv.cuda"] == project.resolved.cuda


def test_without_a_driver_the_gpu_profile_plans_for_no_host() -> None:
    project = open_project(EnvOptions(), runner_with(None))
    assert project.resolved.cuda == "13.0"


def test_cpu_profile_never_asks_nvidia_smi() -> None:
    runner = runner_with("rtx4070-x1-550.40.07.txt")
    open_project(EnvOptions(profile="cpu"), runner)
    assert not any(call[0] == "nvidia-smi" for call in runner.calls)
