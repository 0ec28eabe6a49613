"""open_project: the GPU profile resolves against the host's GPUs and driver (captured output)."""

from __future__ import annotations

from pathlib import Path

from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "nvidia-smi"


def runner_with(smi_file: str | None) -> FakeRunner:
    responses: dict[tuple[str, ...], tuple[int, str, str]] = {
        ("nvidia-smi", "-L"): (1, "", ""),
        **uv_answers(),
    }
    programs: dict[str, str | None] = {"podman": "/usr/bin/podman"}
    if smi_file:
        responses[("nvidia-smi",)] = (0, (CAPTURED / smi_file).read_text(), "")
        programs["nvidia-smi"] = "/usr/bin/nvidia-smi"
    return FakeRunner(responses=responses, programs=programs)


def test_gpu_profile_fits_the_host_driver(tmp_path: Path) -> None:
    # Driver 550.40.07 cannot run CUDA 13 (floor 580): the default CUDA 13.0 must not be chosen.
    runner = runner_with("rtx4070-x1-550.40.07.txt")
    project = open_project(EnvOptions(), make_context(tmp_path, runner))
    assert project.resolved.cuda is not None
    assert project.resolved.cuda.startswith("12.")
    assert project.resolved.labels["dev.dlenv.cuda"] == project.resolved.cuda


def test_without_a_driver_the_gpu_profile_plans_for_no_host(tmp_path: Path) -> None:
    project = open_project(EnvOptions(), make_context(tmp_path, runner_with(None)))
    assert project.resolved.cuda == "13.0"


def test_cpu_profile_never_asks_nvidia_smi(tmp_path: Path) -> None:
    runner = runner_with("rtx4070-x1-550.40.07.txt")
    open_project(EnvOptions(profile="cpu"), make_context(tmp_path, runner))
    assert not any(call[0] == "nvidia-smi" for call in runner.calls)
