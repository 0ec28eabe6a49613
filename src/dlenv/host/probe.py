"""Probes: ask a `HostReader` for files and command outputs, parse them into an `Inventory`.

Read-only and fast: file reads first, then the slow commands (`podman info` takes ~0.3 s) at
once in threads, then the few reads that depend on their answers (image storage disk space).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import msgspec

from dlenv.engine.info_memo import DOCKER_INFO, PODMAN_INFO
from dlenv.host.inventory import EngineProbe, Inventory
from dlenv.host.os_release import OS_RELEASE_PATHS, OsRelease, parse_os_release
from dlenv.host.parse.engines import parse_docker_info, parse_podman_info
from dlenv.host.parse.kernel import SECURE_BOOT_PATH, parse_secure_boot, parse_selinux_enforce
from dlenv.host.parse.nvidia import (
    DriverModule,
    PciDevice,
    SmiReport,
    classify_smi_failure,
    merge_smi,
    parse_driver_version_file,
    parse_lspci_nn,
    parse_proc_modules,
    parse_smi_list,
    parse_smi_table,
    pci_from_sysfs,
)
from dlenv.host.parse.toolkit import (
    CDI_DIRS,
    CdiSpec,
    ToolkitConfig,
    parse_cdi_spec,
    parse_ctk_version,
    parse_toolkit_config,
)
from dlenv.host.reader import HostReader
from dlenv.host.snapshot import CommandRecord

# One directory per PCI function, each with `vendor`, `device` and `class` files
# (https://docs.kernel.org/PCI/sysfs-pci.html; Documentation/ABI/testing/sysfs-bus-pci).
PCI_DEVICES = "/sys/bus/pci/devices"
# The toolkit reads /etc/ + "nvidia-container-runtime/config.toml" (`configDir`, `configFilePath`
# in github.com/NVIDIA/nvidia-container-toolkit, internal/config/config.go).
TOOLKIT_CONFIG = "/etc/nvidia-container-runtime/config.toml"
# The legacy OCI hook conflicts with CDI under Podman (seed-system.md, Stage 5). Hook directories:
# oci-hooks(5) (github.com/containers/common, pkg/hooks/docs/oci-hooks.5.md): the default
# /usr/share/containers/oci/hooks.d, and /etc/containers/oci/hooks.d, which masks it.
OCI_HOOK_PATHS = (
    "/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json",
    "/etc/containers/oci/hooks.d/oci-nvidia-hook.json",
)
# Default image stores: Docker's data-root ("Daemon data directory",
# https://docs.docker.com/engine/daemon/#daemon-data-directory) and containers/storage's rootful
# graphroot (containers-storage.conf(5), github.com/containers/storage,
# docs/containers-storage.conf.5.md).
DEFAULT_STORAGE = {"docker": "/var/lib/docker", "podman": "/var/lib/containers/storage"}

_COMMANDS: dict[str, tuple[str, ...]] = {
    "arch": ("uname", "-m"),
    "user": ("id", "-un"),
    "groups": ("id", "-nG"),
    "smi": ("nvidia-smi",),
    "smi_list": ("nvidia-smi", "-L"),
    "ctk": ("nvidia-ctk", "--version"),
    "docker": DOCKER_INFO,
    "podman": PODMAN_INFO,  # answered from memory while nothing it reads changed
}


def collect(reader: HostReader) -> Inventory:
    with ThreadPoolExecutor(max_workers=len(_COMMANDS)) as pool:
        futures = {key: pool.submit(reader.run, *argv) for key, argv in _COMMANDS.items()}
        files = _read_files(reader)  # overlaps with the commands
        out = {key: future.result() for key, future in futures.items()}

    smi, smi_list = out["smi"], out["smi_list"]
    smi_report = smi_failure = None
    smi_output = ""
    if smi is not None:
        smi_output = (smi.stdout + smi.stderr).strip()
        if smi.returncode == 0:
            smi_report = parse_smi(smi, smi_list)
        else:
            smi_failure = classify_smi_failure(smi_output)

    engines = (_docker(reader, out["docker"]), _podman(reader, out["podman"]))
    module_signer = None
    if files.secure_boot and "nvidia" not in files.modules:
        signer = reader.run("modinfo", "-F", "signer", "nvidia")
        if signer is not None and signer.returncode == 0:
            module_signer = signer.stdout.strip()
    return Inventory(
        os=files.os,
        arch=first_line(out["arch"]),
        # "osrelease, ostype & version" (https://docs.kernel.org/admin-guide/sysctl/kernel.html)
        kernel=(reader.read_text("/proc/sys/kernel/osrelease") or "").strip() or None,
        pci_gpus=pci_gpus(reader),
        smi_installed=smi is not None,
        smi=smi_report,
        smi_failure=smi_failure,
        smi_output=smi_output,
        driver_module=files.driver_module,
        modules=files.modules,
        secure_boot=files.secure_boot,
        module_signer=module_signer,
        selinux=files.selinux,
        ctk_version=parse_ctk_version(out["ctk"].stdout) if out["ctk"] else None,
        toolkit_config=files.toolkit_config,
        cdi_specs=cdi_specs(reader),
        oci_hooks=tuple(p for p in OCI_HOOK_PATHS if reader.read_bytes(p) is not None),
        engines=engines,
        user=first_line(out["user"]),
        groups=tuple(out["groups"].stdout.split() if out["groups"] else []),
        shm=reader.disk("/dev/shm"),  # noqa: S108 (reads its size; writes nothing)
        # systemd mounts cgroup v2 at /sys/fs/cgroup/unified only in hybrid mode
        # ("Control Group APIs and Delegation", https://systemd.io/CGROUP_DELEGATION/).
        cgroup_hybrid=reader.listdir("/sys/fs/cgroup/unified") is not None,
    )


class _FileFacts(msgspec.Struct, frozen=True):
    os: OsRelease | None
    driver_module: DriverModule | None
    modules: frozenset[str]
    secure_boot: bool | None
    selinux: str
    toolkit_config: ToolkitConfig | None


def _read_files(reader: HostReader) -> _FileFacts:
    # Written by the NVIDIA kernel module (github.com/NVIDIA/open-gpu-kernel-modules,
    # kernel-open/nvidia/nv-procfs.c: the "version" file under "driver/nvidia").
    version = reader.read_text("/proc/driver/nvidia/version")
    # One line per loaded module, its name first (proc_modules(5),
    # https://man7.org/linux/man-pages/man5/proc_modules.5.html).
    modules = reader.read_text("/proc/modules")
    config = reader.read_text(TOOLKIT_CONFIG)
    return _FileFacts(
        os=read_os(reader),
        driver_module=parse_driver_version_file(version) if version else None,
        modules=parse_proc_modules(modules) if modules else frozenset(),
        secure_boot=secure_boot(reader),
        # selinuxfs's enforce node (SELinux Notebook, "SELinux Filesystem",
        # github.com/SELinuxProject/selinux-notebook, src/lsm_selinux.md).
        selinux=parse_selinux_enforce(reader.read_text("/sys/fs/selinux/enforce")),
        toolkit_config=parse_toolkit_config(config) if config else None,
    )


def read_os(reader: HostReader) -> OsRelease | None:
    """os-release(5): /etc/os-release, else /usr/lib/os-release; None when neither exists."""
    for relative in OS_RELEASE_PATHS:
        text = reader.read_text("/" + relative)
        if text is not None:
            return parse_os_release(text)
    return None


def secure_boot(reader: HostReader) -> bool | None:
    """From the SecureBoot EFI variable; None on a BIOS host or where efivarfs is not mounted."""
    return parse_secure_boot(reader.read_bytes(SECURE_BOOT_PATH))


def parse_smi(smi: CommandRecord, smi_list: CommandRecord | None) -> SmiReport:
    """A working `nvidia-smi` table merged with `nvidia-smi -L` (names, UUIDs, MIG) if it ran."""
    listing = smi_list.stdout if smi_list is not None and smi_list.returncode == 0 else ""
    return merge_smi(parse_smi_table(smi.stdout), parse_smi_list(listing))


def first_line(record: CommandRecord | None) -> str | None:
    if record is None or record.returncode != 0 or not record.stdout.strip():
        return None
    return record.stdout.strip().splitlines()[0]


def pci_gpus(reader: HostReader) -> tuple[PciDevice, ...]:
    """NVIDIA display devices from sysfs; `lspci -nn` only where sysfs cannot be listed."""
    slots = reader.listdir(PCI_DEVICES)
    if slots is None:
        lspci = reader.run("lspci", "-nn")
        if lspci is None or lspci.returncode != 0:
            return ()
        return tuple(d for d in parse_lspci_nn(lspci.stdout) if d.is_nvidia_gpu)
    found = []
    for slot in slots:
        vendor = reader.read_text(f"{PCI_DEVICES}/{slot}/vendor")
        # 10de: NVIDIA Corporation in the PCI ID repository (https://pci-ids.ucw.cz/read/PC/10de).
        if vendor is None or vendor.strip().lower() != "0x10de":
            continue
        device = reader.read_text(f"{PCI_DEVICES}/{slot}/device") or ""
        klass = reader.read_text(f"{PCI_DEVICES}/{slot}/class") or ""
        pci = pci_from_sysfs(slot, vendor, device, klass)
        if pci.is_nvidia_gpu:
            found.append(pci)
    return tuple(found)


def cdi_specs(reader: HostReader) -> tuple[CdiSpec, ...]:
    """Every CDI spec in the CDI directories, parsed; an unreadable one carries its error."""
    specs = []
    for directory in CDI_DIRS:
        for name in reader.listdir(directory) or []:
            if name.endswith((".yaml", ".yml", ".json")):
                path = f"{directory}/{name}"
                text = reader.read_text(path)
                if text is None:  # listed but unreadable: a problem the engine would hit too
                    specs.append(CdiSpec(path, None, (), (), error="cannot be read"))
                else:
                    specs.append(parse_cdi_spec(path, text))
    return tuple(specs)


def _docker(reader: HostReader, record: CommandRecord | None) -> EngineProbe:
    if record is None:
        return EngineProbe("docker", installed=False)
    info = parse_docker_info(record.stdout, record.stderr)
    storage = info.root_dir or DEFAULT_STORAGE["docker"]
    return EngineProbe(
        "docker",
        installed=True,
        docker=info,
        output=record.stderr.strip(),
        ok=info.reachable,
        disk=reader.disk(storage) if info.reachable else None,
        storage=storage if info.reachable else None,
    )


def _podman(reader: HostReader, record: CommandRecord | None) -> EngineProbe:
    if record is None:
        return EngineProbe("podman", installed=False)
    info = parse_podman_info(record.stdout) if record.returncode == 0 else None
    storage = (info.graph_root if info else None) or DEFAULT_STORAGE["podman"]
    return EngineProbe(
        "podman",
        installed=True,
        podman=info,
        output=(record.stderr if info else record.stderr + record.stdout).strip(),
        ok=info is not None,
        disk=reader.disk(storage) if info else None,
        storage=storage if info else None,
    )
