"""The host facts the resolver uses (GPUs with compute capability, driver), read for `up`,
`build` and `render`. Two quick nvidia-smi calls; `dlenv doctor` does the full inspection."""

from __future__ import annotations

import platform

from dlenv.host.parse.nvidia import merge_smi, parse_smi_list, parse_smi_table
from dlenv.knowledge import Knowledge
from dlenv.process import Command, Runner
from dlenv.resolve import GpuFact, HostFacts

SMI_TIMEOUT_S = 15.0


def read_host_facts(runner: Runner, knowledge: Knowledge) -> HostFacts | None:
    """GPUs and driver from nvidia-smi; None when there is no working driver to ask.

    None means "plan without a host": the resolver then picks its host-independent defaults,
    and `dlenv doctor` is where a missing or broken driver gets explained.
    """
    if runner.which("nvidia-smi") is None:
        return None
    table = runner.run(Command.of("nvidia-smi"), timeout=SMI_TIMEOUT_S)
    if not table.ok:
        return None
    listing = runner.run(Command.of("nvidia-smi", "-L"), timeout=SMI_TIMEOUT_S)
    report = merge_smi(
        parse_smi_table(table.stdout), parse_smi_list(listing.stdout) if listing.ok else []
    )
    gpus = []
    for gpu in report.gpus:
        model = knowledge.gpu_by_name(gpu.name)
        gpus.append(GpuFact(gpu.name, model.compute_capability if model else None, gpu.uuid))
    return HostFacts(gpus=tuple(gpus), driver=report.driver_version, arch=platform.machine())
