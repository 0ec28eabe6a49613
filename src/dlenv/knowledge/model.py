"""Knowledge: every compatibility table, loaded once, with the queries the rest of dlenv asks."""

from __future__ import annotations

import msgspec

from dlenv.knowledge.cuda import CudaTable, DriverFloor
from dlenv.knowledge.drivers import DriverSupportTable
from dlenv.knowledge.gpus import GpuModel, GpuTable
from dlenv.knowledge.images import ImageTable
from dlenv.knowledge.packages import PackageTable
from dlenv.knowledge.versions import parse_driver
from dlenv.knowledge.wheels import TorchTable


class ForwardCompat(msgspec.Struct, frozen=True):
    """Crossing a CUDA major on an older driver: data-center GPUs only, with cuda-compat-X-Y."""

    package: str  # "cuda-compat-{major}-{minor}"
    source: str = ""


class Knowledge(msgspec.Struct, frozen=True):
    gpus: GpuTable
    cuda: CudaTable
    torch: TorchTable
    images: ImageTable
    packages: PackageTable
    forward_compat: ForwardCompat
    drivers: DriverSupportTable = msgspec.field(default_factory=DriverSupportTable)

    def gpu_by_name(self, name: str) -> GpuModel | None:
        return self.gpus.by_name(name)

    def gpu_by_pci_id(self, pci_id: str) -> GpuModel | None:
        return self.gpus.by_pci_id(pci_id)

    def gpu_close_matches(self, name: str) -> list[str]:
        return self.gpus.close_matches(name)

    def gpu_first_driver(self, model: GpuModel | None, architecture: str = "") -> str | None:
        """The first driver release that supports this GPU (None: no floor known)."""
        pci_ids = model.pci_ids if model else ()
        return self.drivers.first_driver(pci_ids, model.architecture if model else architecture)

    def cuda_driver_floor(self, cuda: str) -> DriverFloor | None:
        return self.cuda.driver_floor(cuda)

    def max_cuda_for_driver(self, driver: str) -> str | None:
        """Newest CUDA X.Y the driver fully supports; raises UsageError on a malformed version."""
        return self.cuda.max_cuda_for_driver(parse_driver(driver))

    def cuda_supports_cc(self, cuda: str, cc: str) -> bool:
        return self.cuda.supports_cc(cuda, cc)
