"""NVIDIA driver facts from nvidia-smi (table and -L), /proc/driver/nvidia/version, lspci, sysfs.

Formats follow real outputs in tests/fixtures/captured/ (sources in its README).
"""

from __future__ import annotations

import re
from enum import StrEnum

import msgspec

# PCI vendor ID of NVIDIA Corporation (PCI ID repository, https://pci-ids.ucw.cz/read/PC/10de).
NVIDIA_VENDOR = "10de"
# PCI base class 03 = display controller: 0300 VGA, 0302 3D controller (datacenter GPUs). Source:
# the PCI ID repository's class list, https://pci-ids.ucw.cz/read/PD/03.
_DISPLAY_CLASSES = ("0300", "0302")


class SmiGpu(msgspec.Struct, frozen=True):
    index: int
    name: str
    memory_total_mib: int | None = None
    mig_mode: str | None = None  # "Enabled", "Disabled", None when the GPU has no MIG
    uuid: str | None = None
    mig_devices: tuple[str, ...] = ()  # "MIG 1g.10gb" profiles, from `nvidia-smi -L`
    # The table's Memory-Usage (used part) and GPU-Util columns; utilisation is None where the
    # table says "N/A" (MIG mode), both None where the table was not read.
    memory_used_mib: int | None = None
    utilization_pct: int | None = None


class SmiReport(msgspec.Struct, frozen=True):
    driver_version: str | None
    cuda_version: str | None  # the newest CUDA this driver supports
    gpus: tuple[SmiGpu, ...]


class SmiFailure(StrEnum):
    NO_DEVICES = "no_devices"
    NO_DRIVER = "no_driver"  # the kernel module is not loaded
    VERSION_MISMATCH = "version_mismatch"  # user-space libs newer than the loaded module
    NVML_UNKNOWN = "nvml_unknown"
    OTHER = "other"


_FAILURES = (
    ("No devices were found", SmiFailure.NO_DEVICES),
    ("couldn't communicate with the NVIDIA driver", SmiFailure.NO_DRIVER),
    ("Driver/library version mismatch", SmiFailure.VERSION_MISMATCH),
    ("Failed to initialize NVML: Unknown Error", SmiFailure.NVML_UNKNOWN),
)


def classify_smi_failure(output: str) -> SmiFailure:
    for needle, failure in _FAILURES:
        if needle.lower() in output.lower():
            return failure
    return SmiFailure.OTHER


_DRIVER = re.compile(r"Driver Version:\s*([0-9][0-9.]*)")
_CUDA = re.compile(r"CUDA Version:\s*([0-9][0-9.]*)")
_GPU_ROW = re.compile(r"^\|\s+(\d+)\s+(.+?)\s+(?:On|Off)\s*\|")
_MEMORY = re.compile(r"(\d+)MiB\s*/\s*(\d+)MiB")
# The second line of a GPU block ends with "|  GPU-Util  Compute M. |": "|      0%      Default |".
_UTILIZATION = re.compile(r"\|\s*(\d{1,3})%\s+\S+\s*\|\s*$")


def parse_smi_table(text: str) -> SmiReport:
    """Parse the default `nvidia-smi` table: driver, CUDA version, and one entry per GPU."""
    driver = _DRIVER.search(text)
    cuda = _CUDA.search(text)
    gpus: list[SmiGpu] = []
    block: list[str] = []
    in_gpus = False
    for line in text.splitlines():
        if line.startswith("|====") and not gpus and not in_gpus:
            in_gpus = True
            continue
        if not in_gpus:
            continue
        if line.startswith("+"):
            if block:
                gpus.append(_gpu_from_block(block))
                block = []
            continue
        if not line.startswith("|"):
            break  # end of the GPU section (the processes or MIG section follows)
        block.append(line)
    if block:
        gpus.append(_gpu_from_block(block))
    return SmiReport(
        driver_version=driver[1] if driver else None,
        cuda_version=cuda[1] if cuda else None,
        gpus=tuple(g for g in gpus if g.index >= 0),
    )


def _gpu_from_block(block: list[str]) -> SmiGpu:
    head = _GPU_ROW.match(block[0])
    if not head:
        return SmiGpu(-1, "")
    memory = _MEMORY.search(block[1]) if len(block) > 1 else None
    utilization = _UTILIZATION.search(block[1]) if len(block) > 1 else None
    mig = None
    if len(block) > 2:
        last_cell = block[2].rstrip(" |").split("|")[-1].strip()
        mig = last_cell if last_cell in {"Enabled", "Disabled"} else None
    return SmiGpu(
        index=int(head[1]),
        name=head[2].strip(),
        memory_total_mib=int(memory[2]) if memory else None,
        mig_mode=mig,
        memory_used_mib=int(memory[1]) if memory else None,
        utilization_pct=int(utilization[1]) if utilization else None,
    )


_LIST_GPU = re.compile(r"^GPU (\d+): (.+?) \(UUID: (GPU-[0-9a-fA-F-]+)\)")
_LIST_MIG = re.compile(r"^\s+(MIG \S+)\s+Device\s+\d+: \(UUID: (MIG-[^)]+)\)")


def parse_smi_list(text: str) -> list[SmiGpu]:
    """Parse `nvidia-smi -L`: full names and UUIDs, and the MIG devices under each GPU."""
    gpus: list[SmiGpu] = []
    for line in text.splitlines():
        gpu = _LIST_GPU.match(line)
        if gpu:
            gpus.append(SmiGpu(int(gpu[1]), gpu[2].strip(), uuid=gpu[3]))
            continue
        mig = _LIST_MIG.match(line)
        if mig and gpus:
            last = gpus[-1]
            gpus[-1] = SmiGpu(
                last.index, last.name, uuid=last.uuid, mig_devices=(*last.mig_devices, mig[1])
            )
    return gpus


def merge_smi(table: SmiReport, listing: list[SmiGpu]) -> SmiReport:
    """The table truncates long names ("NVIDIA A100 80G..."); `-L` has them whole, and UUIDs."""
    by_index = {g.index: g for g in listing}
    merged = []
    for gpu in table.gpus:
        full = by_index.get(gpu.index)
        merged.append(
            SmiGpu(
                gpu.index,
                full.name if full else gpu.name,
                gpu.memory_total_mib,
                gpu.mig_mode,
                full.uuid if full else None,
                full.mig_devices if full else (),
                gpu.memory_used_mib,
                gpu.utilization_pct,
            )
        )
    if not table.gpus:
        merged = list(listing)
    return SmiReport(table.driver_version, table.cuda_version, tuple(merged))


class ModuleFlavor(StrEnum):
    OPEN = "open"
    PROPRIETARY = "proprietary"


class DriverModule(msgspec.Struct, frozen=True):
    version: str
    flavor: ModuleFlavor


_NVRM = re.compile(
    r"NVRM version: NVIDIA UNIX (Open )?.*?Kernel Module(?: for \S+)?\s+([0-9][0-9.]+)"
)


def parse_driver_version_file(text: str) -> DriverModule | None:
    """/proc/driver/nvidia/version: "NVIDIA UNIX Open Kernel Module for x86_64  565.57.01 ..." is
    the open flavour; "NVIDIA UNIX x86_64 Kernel Module  550.135 ..." the proprietary one."""
    match = _NVRM.search(text)
    if not match:
        return None
    flavor = ModuleFlavor.OPEN if match[1] else ModuleFlavor.PROPRIETARY
    return DriverModule(match[2].rstrip("."), flavor)


class PciDevice(msgspec.Struct, frozen=True):
    slot: str  # "0000:01:00.0" or "01:00.0"
    class_code: str  # "0300"
    vendor: str  # "10de"
    device: str  # "2684"
    description: str = ""

    @property
    def is_nvidia_gpu(self) -> bool:
        return self.vendor == NVIDIA_VENDOR and self.class_code in _DISPLAY_CLASSES


_LSPCI = re.compile(
    r"^(?P<slot>\S+)\s+(?P<desc>.*?)\s*\[(?P<cls>[0-9a-f]{4})\]:\s*(?P<name>.*)"
    r"\[(?P<vendor>[0-9a-f]{4}):(?P<device>[0-9a-f]{4})\]",
    re.IGNORECASE,
)


def parse_lspci_nn(text: str) -> list[PciDevice]:
    """`lspci -nn` lines, e.g.
    `01:00.0 VGA compatible controller [0300]: NVIDIA ... [10de:2684] (rev a1)`."""
    devices = []
    for line in text.splitlines():
        match = _LSPCI.match(line.strip())
        if match:
            devices.append(
                PciDevice(
                    match["slot"],
                    match["cls"].lower(),
                    match["vendor"].lower(),
                    match["device"].lower(),
                    match["name"].strip(),
                )
            )
    return devices


def pci_from_sysfs(slot: str, vendor: str, device: str, class_code: str) -> PciDevice:
    """sysfs holds "0x10de", "0x2684", "0x030000" (class, subclass, prog-if)."""
    return PciDevice(
        slot,
        class_code.strip().lower().removeprefix("0x")[:4],
        vendor.strip().lower().removeprefix("0x"),
        device.strip().lower().removeprefix("0x"),
    )


def parse_proc_modules(text: str) -> frozenset[str]:
    """Names of loaded kernel modules, from /proc/modules (first column)."""
    return frozenset(line.split()[0] for line in text.splitlines() if line.strip())
