"""GPU and run flags per host setup: pure functions of the engine's facts and the spec's choices.

How each engine hands GPUs to a container:
- Docker with CDI (Docker 25+, `CDISpecDirs` in `docker info`) and an nvidia.com/gpu spec:
  `--device nvidia.com/gpu=0`. Preferred over the runtime: CDI survives `systemctl daemon-reload`
  under the systemd cgroup driver (NVIDIA/nvidia-container-toolkit#48).
- Docker with the nvidia runtime registered: `--gpus all` or `--gpus '"device=0,2"'` (the inner
  quotes keep the comma from splitting the CSV value; Docker's "Access an NVIDIA GPU" docs).
- Podman: CDI only (`--device nvidia.com/gpu=all`), plus `--security-opt=label=disable` where
  SELinux labels containers, as NVIDIA's CDI guide for Podman says.
Device names: an index ("0"), a GPU UUID ("GPU-..."), a MIG device by index ("0:1") or UUID
("MIG-..."), as `nvidia-ctk cdi generate` names them and NVIDIA_VISIBLE_DEVICES accepts them.

When no way exists, fail with the `dlenv doctor` finding and its fix: never run on the CPU.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dlenv.errors import DlenvError, UsageError
from dlenv.host.parse.toolkit import CDI_GENERATE

if TYPE_CHECKING:
    from dlenv.engine.host import EngineHost

# NVIDIA's recommended limits for its framework containers: unlimited locked memory (pinned host
# buffers for fast copies) and a 64 MiB stack. See the NGC "Running containers" guide
# (`--ulimit memlock=-1 --ulimit stack=67108864`; NVIDIA Deep Learning Frameworks user guide,
# https://docs.nvidia.com/deeplearning/frameworks/user-guide/index.html).
GPU_ULIMITS = ("--ulimit", "memlock=-1", "--ulimit", "stack=67108864")
_DEVICE = re.compile(r"[0-9]+|[0-9]+:[0-9]+|GPU-[0-9a-fA-F-]+|MIG-[0-9A-Za-z/-]+")  # fullmatch


class GpuUnavailable(DlenvError):
    """The engine cannot give the container a GPU. `finding` is the `dlenv doctor` finding id."""

    def __init__(self, finding: str, message: str, *, fix: str):
        super().__init__(
            f"{message} (dlenv doctor: {finding})",
            hint=f"Fix: {fix}. Or use the CPU profile on purpose: --profile cpu.",
        )
        self.finding = finding
        self.fix = fix


def gpu_devices(gpus: str | Sequence[str]) -> tuple[str, ...]:
    """The spec's `run.gpus` as device names; bad names are bad input, not a failed run."""
    if gpus == "all":
        return ("all",)
    if isinstance(gpus, str):  # "auto:N" is resolved to indices before any flag is made
        raise UsageError(f"run.gpus: {gpus!r} was not resolved to GPU indices")
    devices = tuple(str(g) for g in gpus)
    for device in devices:
        if not _DEVICE.fullmatch(device):
            raise UsageError(
                f"run.gpus: {device!r} is not a GPU index, UUID or MIG device",
                hint='Use "all", indices like [0, 2], "GPU-<uuid>", "0:1" (MIG) or "MIG-<uuid>"; '
                "`nvidia-smi -L` lists them.",
            )
    return devices


def gpu_flags(host: EngineHost, gpus: str | Sequence[str]) -> tuple[str, ...]:
    """Flags that give the container the selected GPUs on this host, or GpuUnavailable."""
    devices = gpu_devices(gpus)
    flags: list[str] = []
    if host.program == "podman" or (host.cdi_enabled and host.cdi_devices):
        _check_cdi(host, devices)
        for device in devices:
            flags += ["--device", f"nvidia.com/gpu={device}"]
        if host.program == "podman" and host.selinux:
            flags.append("--security-opt=label=disable")
    elif host.nvidia_runtime:
        flags += ["--gpus", "all" if devices == ("all",) else '"device=' + ",".join(devices) + '"']
    else:
        raise GpuUnavailable(
            "docker.no_gpu_runtime",
            "Docker has no nvidia runtime and no CDI spec for nvidia.com/gpu",
            fix="`dlenv setup --only runtime` (sudo nvidia-ctk runtime configure --runtime=docker "
            "&& sudo systemctl restart docker)",
        )
    # Rootless engines cannot raise hard limits above the user's; the engine would refuse to start.
    return (*flags, *(() if host.rootless else GPU_ULIMITS))


def _check_cdi(host: EngineHost, devices: tuple[str, ...]) -> None:
    if host.cdi_problem:
        raise GpuUnavailable(
            "cdi.invalid", f"a CDI spec cannot be read: {host.cdi_problem}", fix=CDI_GENERATE
        )
    if not host.cdi_devices:
        raise GpuUnavailable(
            "cdi.missing",
            f"no CDI spec for nvidia.com/gpu: {host.program} cannot hand the GPU to a container",
            fix=f"`dlenv setup --only runtime` (runs `{CDI_GENERATE}`)",
        )
    missing = [d for d in devices if d not in host.cdi_devices]
    if missing:
        known = ", ".join(sorted(host.cdi_devices))
        raise GpuUnavailable(
            "cdi.devices",
            f"the CDI spec names no device {', '.join(missing)} (it has: {known})",
            fix=f"regenerate it with both name strategies: {CDI_GENERATE} "
            "--device-name-strategy=index --device-name-strategy=uuid",
        )


@dataclass(frozen=True)
class RunDefaults:
    """Run flags that are not GPUs: IPC/shared memory and the user namespace."""

    shm_size: str | None
    flags: tuple[str, ...]


def run_defaults(host: EngineHost, *, ipc: str, shm_size: str) -> RunDefaults:
    """`ipc = "host"` shares the host's IPC namespace (and /dev/shm), as NVIDIA suggests for
    multi-process work; otherwise a private /dev/shm of `shm_size` (Docker's 64 MB default is
    too small for DataLoader workers)."""
    flags: list[str] = []
    if host.program == "podman" and host.rootless:
        # The image's user has the invoker's UID; keep-id maps it 1:1 so workspace files belong
        # to the invoker on the host. keep-id also makes that UID the default user; the
        # entrypoint must start as (namespaced) root to run sshd, so ask for it.
        flags += ["--userns=keep-id", "--user=0:0"]
    if ipc == "host":
        return RunDefaults(None, ("--ipc=host", *flags))
    return RunDefaults(shm_size, tuple(flags))
