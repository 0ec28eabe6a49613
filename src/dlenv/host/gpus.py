"""The host's GPUs, one record each: what nvidia-smi and the PCI bus say, and what model it is."""

from __future__ import annotations

import msgspec

from dlenv.host.inventory import Inventory
from dlenv.knowledge import GpuModel, Knowledge
from dlenv.resolve import GpuFact, HostFacts


class HostGpu(msgspec.Struct, frozen=True):
    index: int
    name: str
    pci_id: str | None  # "2684"
    model: GpuModel | None
    uuid: str | None = None
    mig_mode: str | None = None
    mig_devices: tuple[str, ...] = ()

    @property
    def compute_capability(self) -> str | None:
        return self.model.compute_capability if self.model else None

    @property
    def label(self) -> str:
        cc = f", compute capability {self.compute_capability}" if self.compute_capability else ""
        return f"GPU {self.index}: {self.name}{cc}"


def host_gpus(inventory: Inventory, knowledge: Knowledge) -> list[HostGpu]:
    """nvidia-smi's list when the driver answers (PCI order = nvidia-smi order by default);
    otherwise the PCI devices, named from the knowledge table."""
    pci_ids = [d.device for d in inventory.pci_gpus]
    if inventory.smi and inventory.smi.gpus:
        gpus = []
        for position, smi in enumerate(inventory.smi.gpus):
            pci = pci_ids[position] if position < len(pci_ids) else None
            model = (knowledge.gpu_by_pci_id(pci) if pci else None) or knowledge.gpu_by_name(
                smi.name
            )
            gpus.append(
                HostGpu(
                    smi.index,
                    smi.name,
                    pci,
                    model,
                    uuid=smi.uuid,
                    mig_mode=smi.mig_mode,
                    mig_devices=smi.mig_devices,
                )
            )
        return gpus
    result = []
    for index, device in enumerate(inventory.pci_gpus):
        model = knowledge.gpu_by_pci_id(device.device)
        name = model.name if model else device.description or f"NVIDIA device 10de:{device.device}"
        result.append(HostGpu(index, name, device.device, model))
    return result


def resolver_facts(gpus: list[HostGpu], driver: str | None, arch: str | None) -> HostFacts:
    """What the resolver knows of a host whose GPUs doctor (or init) has read."""
    return HostFacts(
        gpus=tuple(GpuFact(g.name, g.compute_capability, g.uuid) for g in gpus),
        driver=driver,
        arch=arch or "x86_64",
    )
