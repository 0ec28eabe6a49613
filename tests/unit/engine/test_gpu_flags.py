"""Argv golden tests: the GPU and run flags for every captured host setup.

Each case names the captured `docker info` / `podman info` and CDI spec (sources in the fixture
READMEs) and the exact flags dlenv passes to `run`.
"""

from __future__ import annotations

import pytest

from dlenv.engine.argv import HARDENING_FLAGS, RESTART_POLICY, run_argv
from dlenv.engine.base import RunConfig
from dlenv.engine.gpu import GpuUnavailable, gpu_flags, run_defaults
from dlenv.engine.host import EngineHost
from dlenv.errors import UsageError
from tests.support.engine_captures import (
    CDI_520,
    CDI_MINIMAL,
    DOCKER_CDI,
    DOCKER_CI_NO_GPU,
    DOCKER_NVIDIA_RUNTIME,
    PODMAN_ROOTFUL,
    PODMAN_ROOTLESS,
    PODMAN_SELINUX,
    engine_host_with,
    host,
    mig_cdi_spec,
)

UUID = "GPU-955ef018-3bd9-5f27-80b3-fa20ee8d19c5"
MIG_GPU = "GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16"
MIG_UUID = "MIG-a25704ba-3a06-5299-a795-fd7cf4d13973"
ULIMITS = ("--ulimit", "memlock=-1", "--ulimit", "stack=67108864")


# Docker with the nvidia runtime (Docker 24.0.7, Ubuntu 22.04) ----------------------------------
@pytest.mark.parametrize(
    ("gpus", "expected"),
    [
        ("all", ("--gpus", "all")),
        (["0", "2"], ("--gpus", '"device=0,2"')),
        ([UUID], ("--gpus", f'"device={UUID}"')),
        (["0:1"], ("--gpus", '"device=0:1"')),  # a MIG device by GPU:MIG index
        ([MIG_UUID], ("--gpus", f'"device={MIG_UUID}"')),
    ],
)
def test_docker_nvidia_runtime(gpus: str | list[str], expected: tuple[str, ...]) -> None:
    assert gpu_flags(host("docker", DOCKER_NVIDIA_RUNTIME), gpus) == (*expected, *ULIMITS)


# Docker with CDI (Docker 29.6.1, CDISpecDirs, no nvidia runtime) -------------------------------
def test_docker_cdi_all() -> None:
    flags = gpu_flags(host("docker", DOCKER_CDI, CDI_MINIMAL), "all")
    assert flags == ("--device", "nvidia.com/gpu=all", *ULIMITS)


def test_docker_cdi_subset_by_uuid_and_index() -> None:
    flags = gpu_flags(host("docker", DOCKER_CDI, CDI_MINIMAL), ["0", UUID])
    assert flags == ("--device", "nvidia.com/gpu=0", "--device", f"nvidia.com/gpu={UUID}", *ULIMITS)


def test_docker_prefers_cdi_over_the_runtime_when_both_exist() -> None:
    both = EngineHost(
        "docker", nvidia_runtime=True, cdi_enabled=True, cdi_devices=frozenset({"all", "0"})
    )
    assert gpu_flags(both, "all")[:2] == ("--device", "nvidia.com/gpu=all")


def test_docker_cdi_enabled_but_no_nvidia_spec_falls_to_the_runtime_or_fails() -> None:
    # Docker 28+ reports CDISpecDirs even with no spec in them: that is not a GPU path.
    with pytest.raises(GpuUnavailable) as failure:
        gpu_flags(host("docker", DOCKER_CDI), "all")
    assert failure.value.finding == "docker.no_gpu_runtime"


# Docker without any GPU path (this CI machine's dockerd 20.10) ---------------------------------
def test_docker_without_runtime_or_cdi_fails_with_the_doctor_finding() -> None:
    with pytest.raises(GpuUnavailable) as failure:
        gpu_flags(host("docker", DOCKER_CI_NO_GPU), "all")
    error = failure.value
    assert error.finding == "docker.no_gpu_runtime"
    assert "dlenv doctor: docker.no_gpu_runtime" in error.message
    assert "nvidia-ctk runtime configure --runtime=docker" in (error.hint or "")
    assert "--profile cpu" in (error.hint or "")  # the CPU is a choice, never a silent fallback


# Podman with CDI -------------------------------------------------------------------------------
def test_podman_rootful_cdi() -> None:
    assert gpu_flags(host("podman", PODMAN_ROOTFUL, CDI_520), "all") == (
        "--device", "nvidia.com/gpu=all", *ULIMITS,
    )  # fmt: skip
    assert gpu_flags(host("podman", PODMAN_ROOTFUL, CDI_520), [0]) == (  # type: ignore[list-item]
        "--device", "nvidia.com/gpu=0", *ULIMITS,
    )  # fmt: skip


def test_podman_selinux_disables_labels_and_rootless_keeps_user_limits() -> None:
    flags = gpu_flags(host("podman", PODMAN_SELINUX, CDI_520), "all")
    # Rootless: no ulimits above the user's hard limits (the engine would refuse to start).
    assert flags == ("--device", "nvidia.com/gpu=all", "--security-opt=label=disable")


def test_podman_rootless_without_selinux() -> None:
    flags = gpu_flags(host("podman", PODMAN_ROOTLESS, CDI_MINIMAL), [UUID])
    assert flags == ("--device", f"nvidia.com/gpu={UUID}")


def test_podman_without_a_cdi_spec_fails_with_the_doctor_finding() -> None:
    with pytest.raises(GpuUnavailable) as failure:
        gpu_flags(host("podman", PODMAN_ROOTFUL), "all")
    assert failure.value.finding == "cdi.missing"
    assert "nvidia-ctk cdi generate" in failure.value.fix


def test_podman_subset_missing_from_the_spec_names_what_it_has() -> None:
    with pytest.raises(GpuUnavailable) as failure:
        gpu_flags(host("podman", PODMAN_ROOTFUL, CDI_520), ["0", "2"])
    assert failure.value.finding == "cdi.devices"
    assert "no device 2" in failure.value.message and "it has: 0, all" in failure.value.message


def test_broken_cdi_spec_is_the_cdi_invalid_finding() -> None:
    broken = EngineHost("podman", cdi_enabled=True, cdi_problem="/etc/cdi/nvidia.yaml: bad")
    with pytest.raises(GpuUnavailable) as failure:
        gpu_flags(broken, "all")
    assert failure.value.finding == "cdi.invalid"


# MIG ---------------------------------------------------------------------------------------
def test_podman_mig_devices_by_index_and_uuid() -> None:
    mig_host = engine_host_with("podman", PODMAN_ROOTFUL, mig_cdi_spec())
    assert gpu_flags(mig_host, ["0:1", MIG_UUID]) == (
        "--device", "nvidia.com/gpu=0:1", "--device", f"nvidia.com/gpu={MIG_UUID}", *ULIMITS,
    )  # fmt: skip
    with pytest.raises(GpuUnavailable, match="no device 0:7"):
        gpu_flags(mig_host, ["0:7"])  # the capture has MIG devices 0..6


# Bad selections and the older call --------------------------------------------------------
@pytest.mark.parametrize("bad", [["first"], ["0;rm -rf /"], ["gpu0"]])
def test_bad_device_names_are_bad_input(bad: list[str]) -> None:
    with pytest.raises(UsageError, match=r"run\.gpus"):
        gpu_flags(host("podman", PODMAN_ROOTFUL, CDI_520), bad)



# Run defaults --------------------------------------------------------------------------------
def test_run_defaults_private_shm_and_host_ipc() -> None:
    rootful = host("podman", PODMAN_ROOTFUL)
    assert run_defaults(rootful, ipc="private", shm_size="8g") == run_defaults(
        host("docker", DOCKER_CI_NO_GPU), ipc="private", shm_size="8g"
    )
    private = run_defaults(rootful, ipc="private", shm_size="16g")
    assert (private.shm_size, private.flags) == ("16g", ())
    shared = run_defaults(rootful, ipc="host", shm_size="16g")
    assert (shared.shm_size, shared.flags) == (None, ("--ipc=host",))


def test_rootless_podman_keeps_the_invokers_uid_and_starts_as_root() -> None:
    defaults = run_defaults(host("podman", PODMAN_ROOTLESS), ipc="private", shm_size="8g")
    assert defaults.flags == ("--userns=keep-id", "--user=0:0")


def test_full_run_argv_for_rootless_selinux_podman() -> None:
    facts = host("podman", PODMAN_SELINUX, CDI_520)
    defaults = run_defaults(facts, ipc="host", shm_size="8g")
    config = RunConfig(
        name="vision", image="localhost/dlenv/vision:0123456789ab", bind="127.0.0.1",
        ports={2222: 22}, mounts=(), labels={}, shm_size=defaults.shm_size,
        gpu_flags=gpu_flags(facts, ["0"]), extra_flags=defaults.flags,
    )  # fmt: skip
    assert run_argv("podman", config) == (
        "podman", "run", "--detach", "--name", "vision", "--hostname", "vision",
        "--publish", "127.0.0.1:2222:22",
        RESTART_POLICY,
        *HARDENING_FLAGS,
        "--device", "nvidia.com/gpu=0", "--security-opt=label=disable",
        "--ipc=host", "--userns=keep-id", "--user=0:0",
        "localhost/dlenv/vision:0123456789ab",
    )  # fmt: skip
