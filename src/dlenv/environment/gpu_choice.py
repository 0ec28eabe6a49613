"""`run.gpus = "auto:N"`: pick N idle GPUs at `up` and lease them host-wide (dlenv.leases).

A GPU is idle when no lease holds it (another user's, or this user's for another environment),
no dlenv container on the engine says it uses it (label dev.dlenv.gpus), and nvidia-smi shows
it unused: GPU-Util at most IDLE_UTILIZATION_PCT and at most IDLE_MEMORY_MIB in use. Idle GPUs
with the least load come first; an environment's own leases are kept across `up`s.
The chosen indices then flow through the same flag code as a list in the spec (engine/gpu.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dlenv import leases
from dlenv.context import AppContext
from dlenv.engine.base import ContainerInfo
from dlenv.errors import DlenvError, UsageError
from dlenv.host.facts import SMI_TIMEOUT_S
from dlenv.host.parse.nvidia import SmiGpu, parse_smi_table
from dlenv.host.reader import HostReader
from dlenv.labels import EnvLabels
from dlenv.spec.model import AUTO_GPUS

# Idle thresholds. An idle datacenter GPU shows 1-26 MiB in use and 0% (the H100 and A100
# captures in tests/fixtures/captured/nvidia-smi); a CUDA context alone takes a few hundred MiB,
# and a desktop session more (the RTX 4070 capture: 430 MiB, 1%).
IDLE_UTILIZATION_PCT = 10
IDLE_MEMORY_MIB = 256


def auto_count(gpus: str | Sequence[str]) -> int | None:
    """N for "auto:N", None for "all" or a list."""
    match = AUTO_GPUS.fullmatch(gpus) if isinstance(gpus, str) else None
    return int(match["count"]) if match else None


@dataclass(frozen=True)
class Candidate:
    index: str
    busy: str | None  # why it cannot be taken; None when it is idle
    load: tuple[int, int] = (0, 0)  # (utilisation %, MiB in use): the least loaded first


def judge(
    gpus: Sequence[SmiGpu],
    held: Mapping[str, leases.Lease],
    in_use: Mapping[str, str],
    *,
    uid: int,
    env: str,
) -> list[Candidate]:
    """Each GPU with the reason it is busy, or none. Pure: the facts are passed in."""
    judged = []
    for gpu in sorted(gpus, key=lambda g: g.index):
        index = str(gpu.index)
        lease = held.get(index)
        mine = lease is not None and lease.valid and lease.uid == uid and lease.env == env
        used, util = gpu.memory_used_mib or 0, gpu.utilization_pct or 0
        busy = None
        if lease is not None and not mine:
            busy = f"leased by {lease.describe()} since {lease.time or '?'}"
        elif index in in_use and in_use[index] != env:
            busy = f"used by the dlenv environment {in_use[index]!r}"
        elif not mine and util > IDLE_UTILIZATION_PCT:
            busy = f"{util}% busy"
        elif not mine and used > IDLE_MEMORY_MIB:
            busy = f"{used} MiB of memory in use"
        # The environment's own GPUs first, then the least loaded.
        judged.append(Candidate(index, busy, (-1, -1) if mine else (util, used)))
    return judged


def pick(judged: Sequence[Candidate], count: int) -> tuple[str, ...]:
    idle = sorted((c for c in judged if c.busy is None), key=lambda c: (c.load, int(c.index)))
    if len(idle) < count:
        listing = "\n".join(f"  GPU {c.index}: {c.busy or 'idle'}" for c in judged)
        raise DlenvError(
            f'run.gpus = "auto:{count}": only {len(idle)} of {len(judged)} GPUs are idle',
            details=listing or "nvidia-smi lists no GPUs",
            hint="Ask for fewer (auto:N), wait for a GPU to free up (`dlenv ls --all-users` "
            "shows who holds which), or name GPUs yourself: run.gpus = [0, 2].",
        )
    return tuple(sorted((c.index for c in idle[:count]), key=int))


def labelled_gpus(containers: Sequence[ContainerInfo]) -> dict[str, str]:
    """GPU index -> the environment whose container says it uses it (running ones only)."""
    in_use: dict[str, str] = {}
    for container in containers:
        if container.state != "running":
            continue
        labels = EnvLabels.decode(container.labels, container.name)
        for index in labels.gpus:
            in_use[index] = labels.name
    return in_use


@dataclass(frozen=True)
class LeaseRequest:
    env: str
    engine: str  # "podman" or "docker"
    count: int
    user: str


def acquire(
    ctx: AppContext, request: LeaseRequest, containers: Sequence[ContainerInfo]
) -> tuple[str, ...]:
    """Choose `count` idle GPUs and lease them for `request.env`, under the directory's lock.
    `containers`: the dlenv containers the engine shows (this user's, or everyone's on a
    shared rootful engine)."""
    smi = HostReader(root=ctx.host_root, runner=ctx.runner).run("nvidia-smi", timeout=SMI_TIMEOUT_S)
    if smi is None or smi.returncode != 0:
        raise UsageError(
            f'run.gpus = "auto:{request.count}" needs nvidia-smi to see the GPUs, and it '
            "did not answer",
            hint="`dlenv doctor` explains why; or name GPUs yourself: run.gpus = [0].",
        )
    gpus = parse_smi_table(smi.stdout).gpus
    directory = leases.lease_dir(dict(ctx.environ))
    leases.prepare_dir(directory, euid=ctx.euid)
    names = {c.name for c in containers}
    with leases.locked(directory):
        held = leases.read_leases(directory)
        for device, lease in list(held.items()):
            # This user's lease whose container is gone (a failed start, a reboot): reclaimed.
            # Another user's is never touched (see dlenv.leases).
            stale = (
                lease.uid == ctx.euid
                and lease.engine == request.engine
                and lease.env not in names
                and lease.env != request.env
                and not leases.process_alive(lease.pid)  # not an `up` still on its way
            )
            if stale and leases.release(directory, device, uid=ctx.euid):
                del held[device]
        judged = judge(gpus, held, labelled_gpus(containers), uid=ctx.euid, env=request.env)
        chosen = pick(judged, request.count)
        for device in chosen:
            if device in held:
                continue  # already this environment's
            lease = leases.Lease(
                device, ctx.euid, request.user, request.env, request.engine, leases.now_text(),
                os.getpid(),
            )  # fmt: skip
            if not leases.take(directory, lease):
                raise DlenvError(f"GPU {device} was leased by someone else just now; run again")
        # GPUs this environment held before but no longer needs go back.
        for device, lease in held.items():
            if lease.uid == ctx.euid and lease.env == request.env and device not in chosen:
                leases.release(directory, device, uid=ctx.euid)
    return chosen


def release_env(ctx: AppContext, env: str) -> list[str]:
    """Give back every GPU this user leased for `env` (`down`, `rm`, a failed `up`)."""
    directory = leases.lease_dir(dict(ctx.environ))
    if not directory.is_dir():
        return []
    released = []
    with leases.locked(directory):
        for device, lease in leases.read_leases(directory).items():
            mine = lease.uid == ctx.euid and lease.env == env
            if mine and leases.release(directory, device, uid=ctx.euid):
                released.append(device)
    return released
