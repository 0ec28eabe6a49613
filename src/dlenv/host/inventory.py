"""What the probes found: one typed record of the host, built by `probe.collect`."""

from __future__ import annotations

import msgspec

from dlenv.host.os_release import OsRelease
from dlenv.host.parse.engines import DockerInfo, PodmanInfo
from dlenv.host.parse.nvidia import DriverModule, PciDevice, SmiFailure, SmiReport
from dlenv.host.parse.toolkit import CdiSpec, ToolkitConfig
from dlenv.host.snapshot import DiskUsage


class EngineProbe(msgspec.Struct, frozen=True):
    """One engine: installed or not, its parsed info, and raw output for error recognition."""

    name: str  # "docker" or "podman"
    installed: bool
    docker: DockerInfo | None = None
    podman: PodmanInfo | None = None
    output: str = ""  # stderr (and stdout on failure) of the info command
    ok: bool = False  # the info command answered
    disk: DiskUsage | None = None
    storage: str | None = None  # where images live


class Inventory(msgspec.Struct, frozen=True):
    os: OsRelease | None = None
    arch: str | None = None
    kernel: str | None = None
    pci_gpus: tuple[PciDevice, ...] = ()
    smi_installed: bool = False
    smi: SmiReport | None = None
    smi_failure: SmiFailure | None = None
    smi_output: str = ""
    driver_module: DriverModule | None = None
    modules: frozenset[str] = frozenset()
    secure_boot: bool | None = None
    # Signer of the installed (not necessarily loaded) nvidia module: "" = unsigned, None = unknown.
    module_signer: str | None = None
    selinux: str = "disabled"
    ctk_version: str | None = None
    toolkit_config: ToolkitConfig | None = None
    cdi_specs: tuple[CdiSpec, ...] = ()
    oci_hooks: tuple[str, ...] = ()
    engines: tuple[EngineProbe, ...] = ()
    user: str | None = None
    groups: tuple[str, ...] = ()
    shm: DiskUsage | None = None
    cgroup_hybrid: bool = False
    notes: tuple[str, ...] = ()

    def engine(self, name: str) -> EngineProbe | None:
        return next((e for e in self.engines if e.name == name), None)

    @property
    def driver_version(self) -> str | None:
        if self.smi and self.smi.driver_version:
            return self.smi.driver_version
        return self.driver_module.version if self.driver_module else None
