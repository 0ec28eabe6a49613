"""Choosing idle GPUs for run.gpus = "auto:N", over real nvidia-smi captures."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dlenv import leases
from dlenv.engine.base import ContainerInfo
from dlenv.environment.gpu_choice import (
    LeaseRequest,
    acquire,
    auto_count,
    judge,
    labelled_gpus,
    pick,
    release_env,
)
from dlenv.errors import DlenvError
from dlenv.host.parse.nvidia import parse_smi_table
from dlenv.labels import EnvLabels
from dlenv.leases import Lease
from tests.support.context import make_context
from tests.support.fakes import FakeRunner

SMI = Path(__file__).parents[2] / "fixtures" / "captured" / "nvidia-smi"
H100_TEXT = (SMI / "h100-sxm-x8-565.57.01.txt").read_text()
H100 = parse_smi_table(H100_TEXT).gpus
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


def _acquire_in_a_process(root: str, env: str, queue: Any) -> None:
    runner = FakeRunner(responses={("nvidia-smi",): (0, H100_TEXT, "")},
                        programs={"nvidia-smi": "/usr/bin/nvidia-smi"})  # fmt: skip
    ctx = replace(make_context(Path(root), runner, {leases.LEASE_DIR_ENV: f"{root}/leases"}),
                  euid=os.geteuid())  # fmt: skip
    try:
        queue.put(acquire(ctx, LeaseRequest(env, "podman", 3, "tester"), []))
    except DlenvError as error:
        queue.put(error.message)


def test_concurrent_acquires_never_share_a_gpu(tmp_path: Path) -> None:
    """Real processes, real flock and O_EXCL files: the lock makes the choices disjoint."""
    (tmp_path / "leases").mkdir(mode=0o1777)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_acquire_in_a_process, args=(str(tmp_path), f"e{i}", queue))
               for i in range(2)]  # fmt: skip
    for worker in workers:
        worker.start()
    chosen = [queue.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(isinstance(c, tuple) and len(c) == 3 for c in chosen), chosen
    assert not set(chosen[0]) & set(chosen[1])
    assert len(list((tmp_path / "leases").glob("gpu-*.lease"))) == 6


def test_release_env_returns_only_that_environments_gpus(tmp_path: Path) -> None:
    (tmp_path / "leases").mkdir(mode=0o1777)
    runner = FakeRunner(responses={("nvidia-smi",): (0, H100_TEXT, "")},
                        programs={"nvidia-smi": "/usr/bin/nvidia-smi"})  # fmt: skip
    ctx = replace(make_context(tmp_path, runner, {leases.LEASE_DIR_ENV: str(tmp_path / "leases")}),
                  euid=os.geteuid())  # fmt: skip
    assert acquire(ctx, LeaseRequest("a", "podman", 1, "tester"), []) == ("0",)
    assert acquire(ctx, LeaseRequest("b", "podman", 2, "tester"), []) == ("1", "2")
    # "a" again: it keeps its GPU (its container is not running, but the lease is its own).
    assert acquire(ctx, LeaseRequest("a", "podman", 1, "tester"), []) == ("0",)
    assert release_env(ctx, "b") == ["1", "2"]
    assert sorted(p.name for p in (tmp_path / "leases").glob("gpu-*")) == ["gpu-0.lease"]


def test_a_lease_whose_up_ended_without_a_container_is_reclaimed(tmp_path: Path) -> None:
    (tmp_path / "leases").mkdir(mode=0o1777)
    dead = leases.Lease("0", os.geteuid(), "tester", "gone", "podman", "2026-12-01T05:00:00Z",
                        pid=2**22 - 1)  # fmt: skip
    assert leases.take(tmp_path / "leases", dead)
    runner = FakeRunner(responses={("nvidia-smi",): (0, H100_TEXT, "")},
                        programs={"nvidia-smi": "/usr/bin/nvidia-smi"})  # fmt: skip
    ctx = replace(make_context(tmp_path, runner, {leases.LEASE_DIR_ENV: str(tmp_path / "leases")}),
                  euid=os.geteuid())  # fmt: skip
    assert acquire(ctx, LeaseRequest("new", "podman", 1, "tester"), []) == ("0",)
