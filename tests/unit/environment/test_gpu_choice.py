"""Choosing idle GPUs for run.gpus = "auto:N", over real nvidia-smi captures."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.engine.base import ContainerInfo
from dlenv.environment.gpu_choice import auto_count, judge, labelled_gpus, pick
from dlenv.errors import DlenvError
from dlenv.host.parse.nvidia import parse_smi_table
from dlenv.labels import EnvLabels
from dlenv.leases import Lease

SMI = Path(__file__).parents[2] / "fixtures" / "captured" / "nvidia-smi"
H100 = parse_smi_table((SMI / "h100-sxm-x8-565.57.01.txt").read_text()).gpus
RTX4070 = parse_smi_table((SMI / "rtx4070-x1-550.40.07.txt").read_text()).gpus
A100_MIG = parse_smi_table((SMI / "a100-80g-mig-x2-520.61.05.txt").read_text()).gpus


def bob(device: str, env: str = "bobs") -> Lease:
    return Lease(device, 1002, "bob", env, "podman", "2026-12-01T05:00:00Z")


def test_the_table_gives_memory_in_use_and_utilisation() -> None:
    assert (H100[0].memory_used_mib, H100[0].utilization_pct) == (1, 0)
    assert (RTX4070[0].memory_used_mib, RTX4070[0].utilization_pct) == (430, 1)
    assert (A100_MIG[0].memory_used_mib, A100_MIG[0].utilization_pct) == (26, None)  # "N/A"


def test_auto_count() -> None:
    assert auto_count("auto:2") == 2
    assert auto_count("all") is None
    assert auto_count(["0"]) is None


def test_leased_and_labelled_gpus_are_skipped() -> None:
    judged = judge(H100, {"0": bob("0")}, {"1": "carols"}, uid=1001, env="mine")
    assert pick(judged, 2) == ("2", "3")
    assert "leased by bob (uid 1002)" in (judged[0].busy or "")
    assert "carols" in (judged[1].busy or "")


def test_an_environment_keeps_its_own_leases() -> None:
    mine = Lease("5", 1001, "alice", "mine", "podman", "2026-12-01T05:00:00Z")
    assert pick(judge(H100, {"5": mine}, {}, uid=1001, env="mine"), 1) == ("5",)
    # The same user's lease for another environment is not this one's.
    other = Lease("0", 1001, "alice", "other", "podman", "2026-12-01T05:00:00Z")
    assert pick(judge(H100, {"0": other}, {}, uid=1001, env="mine"), 1) == ("1",)


def test_a_gpu_with_memory_in_use_is_busy_and_the_error_lists_every_gpu() -> None:
    judged = judge(RTX4070, {}, {}, uid=1001, env="mine")
    assert judged[0].busy == "430 MiB of memory in use"
    with pytest.raises(DlenvError) as raised:
        pick(judged, 1)
    assert "only 0 of 1 GPUs are idle" in raised.value.message
    assert "GPU 0: 430 MiB" in (raised.value.details or "")


def test_mig_gpus_without_utilisation_are_judged_by_memory() -> None:
    assert pick(judge(A100_MIG, {}, {}, uid=1, env="e"), 2) == ("0", "1")


def test_labels_of_stopped_or_hostile_containers_hold_nothing() -> None:
    running = ContainerInfo("x", "running", "i", EnvLabels("x", gpus=("3",)).encode())
    stopped = ContainerInfo("y", "exited", "i", EnvLabels("y", gpus=("4",)).encode())
    hostile = ContainerInfo("z", "running", "i", {"dev.dlenv.gpus": "0,$(id)"})
    assert labelled_gpus([running, stopped, hostile]) == {"3": "x"}
