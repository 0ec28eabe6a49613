"""Which driver release first supports a GPU, and the one wording of "install a newer driver".

A driver branch older than a GPU does not see the card at all, whatever CUDA it runs; the data
(driver_support.toml) gives the first release per PCI device ID and per architecture.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from dlenv.knowledge.versions import as_tuple


class GpuFirstDriver(msgspec.Struct, frozen=True):
    pci_id: str  # "2b85"
    name: str
    first_driver: str  # "570.86.16"
    source: str = ""
    as_of: str = ""


class ArchitectureDriver(msgspec.Struct, frozen=True):
    architecture: str  # "Blackwell"
    first_driver: str
    open_only: bool  # runs only with NVIDIA's open kernel modules
    source: str = ""
    as_of: str = ""


class DriverSupportTable(msgspec.Struct, frozen=True):
    gpus: tuple[GpuFirstDriver, ...] = ()
    architectures: tuple[ArchitectureDriver, ...] = ()

    def first_driver(self, pci_ids: Iterable[str], architecture: str | None) -> str | None:
        """The first driver release that supports a GPU: its own row (the earliest of its device
        IDs), else its architecture's; None when dlenv knows no floor for it."""
        ids = set(pci_ids)
        rows = [g.first_driver for g in self.gpus if g.pci_id in ids]
        if rows:
            return min(rows, key=as_tuple)
        arch = self._architecture(architecture)
        return arch.first_driver if arch else None

    def open_only(self, architecture: str | None) -> bool:
        arch = self._architecture(architecture)
        return bool(arch and arch.open_only)

    def _architecture(self, architecture: str | None) -> ArchitectureDriver | None:
        return next((a for a in self.architectures if a.architecture == architecture), None)


def branch(driver: str) -> str:
    """ "570.86.16" -> "R570", the name NVIDIA gives a driver branch."""
    return "R" + driver.split(".", maxsplit=1)[0]


def driver_install_fix(minimum: str) -> str:
    """How to get a driver at or above `minimum`: every "upgrade the driver" fix uses this."""
    return (
        f"install NVIDIA driver {branch(minimum)} or newer (>= {minimum}): "
        "`dlenv setup --only driver`, then reboot"
    )
