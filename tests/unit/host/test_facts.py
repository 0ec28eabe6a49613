"""Host facts for the resolver, from real captured nvidia-smi output (sources: fixtures README)."""

from __future__ import annotations

from pathlib import Path

from dlenv.host.facts import read_host_facts
from dlenv.knowledge import load_knowledge
from tests.support.fakes import FakeRunner

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "nvidia-smi"


def test_one_gpu_with_driver_and_compute_capability() -> None:
    runner = FakeRunner(
        responses={
            ("nvidia-smi", "-L"): (1, "", "not captured"),
            ("nvidia-smi",): (0, (CAPTURED / "rtx4070-x1-550.40.07.txt").read_text(), ""),
        },
        programs={"nvidia-smi": "/usr/bin/nvidia-smi"},
    )
    facts = read_host_facts(runner, load_knowledge())
    assert facts is not None
    assert facts.driver == "550.40.07"
    assert [(g.name, g.compute_capability) for g in facts.gpus] == [
        ("NVIDIA GeForce RTX 4070", "8.9")
    ]


def test_eight_hopper_gpus() -> None:
    runner = FakeRunner(
        responses={
            ("nvidia-smi", "-L"): (1, "", ""),
            ("nvidia-smi",): (0, (CAPTURED / "h100-sxm-x8-565.57.01.txt").read_text(), ""),
        },
        programs={"nvidia-smi": "/usr/bin/nvidia-smi"},
    )
    facts = read_host_facts(runner, load_knowledge())
    assert facts is not None
    assert facts.driver == "565.57.01"
    assert len(facts.gpus) == 8
    assert {g.compute_capability for g in facts.gpus} == {"9.0"}


def test_no_nvidia_smi_or_no_driver_means_no_facts() -> None:
    assert read_host_facts(FakeRunner(), load_knowledge()) is None
    broken = FakeRunner(
        responses={("nvidia-smi",): (9, (CAPTURED / "no-driver.txt").read_text(), "")},
        programs={"nvidia-smi": "/usr/bin/nvidia-smi"},
    )
    assert read_host_facts(broken, load_knowledge()) is None
