"""The host facts the resolver uses (GPUs with compute capability, driver), read for `up`,
`build` and `render`. Two quick nvidia-smi calls through the one `HostReader`, parsed as
`dlenv doctor` parses them; doctor does the full inspection."""

from __future__ import annotations

import platform

from dlenv.host.probe import parse_smi, pci_gpus
from dlenv.host.reader import HostReader
from dlenv.knowledge import Knowledge
from dlenv.process import Runner
from dlenv.resolve import GpuFact, HostFacts

# A first nvidia-smi call on a host with many GPUs can take seconds while it wakes them.
SMI_TIMEOUT_S = 15.0


def read_host_facts(runner: Runner, knowledge: Knowledge) -> HostFacts | None:
    """GPUs and driver of this host, asked through `runner`; see `host_facts`."""
    return host_facts(HostReader(runner=runner), knowledge)


def host_facts(reader: HostReader, knowledge: Knowledge) -> HostFacts | None:
    """GPUs and driver from nvidia-smi; None when there is no working driver to ask.

    None means "plan without a host": the resolver then picks its host-independent defaults,
    and `dlenv doctor` is where a missing or broken driver gets explained.
    """
    table = reader.run("nvidia-smi", timeout=SMI_TIMEOUT_S)
    if table is None or table.returncode != 0:
        return None
    report = parse_smi(table, reader.run("nvidia-smi", "-L", timeout=SMI_TIMEOUT_S))
    gpus = []
    for gpu in report.gpus:
        model = knowledge.gpu_by_name(gpu.name)
        gpus.append(GpuFact(gpu.name, model.compute_capability if model else None, gpu.uuid))
    return HostFacts(gpus=tuple(gpus), driver=report.driver_version, arch=platform.machine())


def has_nvidia_gpu(reader: HostReader) -> bool:
    """Whether the PCI bus holds an NVIDIA display device, as `dlenv doctor` looks for one
    (finding `gpu.none`): a driver problem is a different finding from no GPU at all."""
    return bool(pci_gpus(reader))
