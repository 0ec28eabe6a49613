"""System, GPU and driver findings."""

from __future__ import annotations

from dlenv.host.findings import Finding, Group, fail, ok, warn
from dlenv.host.gpus import HostGpu
from dlenv.host.inventory import Inventory
from dlenv.host.parse.nvidia import ModuleFlavor, SmiFailure
from dlenv.knowledge import Knowledge
from dlenv.knowledge.drivers import branch, driver_install_fix
from dlenv.knowledge.versions import as_tuple

G = Group.GPU
# The architectures NVIDIA's CUDA network repositories carry drivers for (x86_64, and sbsa for
# aarch64 servers): https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/.
SUPPORTED_ARCHES = ("x86_64", "aarch64")
# Open kernel modules need the GSP: Turing (7.5) and newer (compat-facts.md §2, kernel flavours;
# github.com/NVIDIA/open-gpu-kernel-modules README: "Turing and later GPUs"; driver installation
# guide, kernel-modules.html).
OPEN_MODULE_MIN_CC = (7, 5)
# Blackwell boards refuse the proprietary module; the driver logs "installed in this system
# requires use of the NVIDIA open kernel modules" (seen in a public dmesg capture of 10de:2c58).
# Which architectures are open-only is knowledge data (driver_support.toml, open_only).


def system_findings(inv: Inventory) -> list[Finding]:
    found: list[Finding] = []
    name = inv.os.display_name if inv.os else "unknown Linux (no /etc/os-release)"
    where = ", ".join(
        p for p in (name, inv.arch, f"kernel {inv.kernel}" if inv.kernel else "") if p
    )
    if inv.os is None:
        found.append(
            warn(
                "system.os",
                Group.SYSTEM,
                f"cannot tell the distribution: {where}",
                "Neither /etc/os-release nor /usr/lib/os-release could be read.",
            )
        )
    else:
        found.append(ok("system.os", Group.SYSTEM, where))
    if inv.arch and inv.arch not in SUPPORTED_ARCHES:
        found.append(
            fail(
                "system.arch",
                Group.SYSTEM,
                f"architecture {inv.arch} is not supported",
                "CUDA wheels and nvidia/cuda images exist for x86_64 and aarch64 only.",
            )
        )
    if inv.selinux == "enforcing":
        found.append(
            warn(
                "system.selinux",
                Group.SYSTEM,
                "SELinux is enforcing: GPU device access is labelled",
                "Containers need `--security-opt label=disable` to open /dev/nvidia* "
                "(redhat-et/triton-dev-containers#61, NVIDIA/nvidia-docker#814); dlenv adds it.",
                fix="nothing to do for dlenv; other tools need --security-opt label=disable",
            )
        )
    return found


def gpu_findings(inv: Inventory, gpus: list[HostGpu], knowledge: Knowledge) -> list[Finding]:
    if not gpus:
        return [
            fail(
                "gpu.none",
                G,
                "no NVIDIA GPU found",
                "Looked for PCI display devices of vendor 10de in /sys/bus/pci/devices"
                + (" and asked nvidia-smi" if inv.smi_installed else "")
                + ". GPU environments need one.",
                fix='build a CPU environment instead: `dlenv init --profile cpu` (profile = '
                    '"cpu"), '
                "or run dlenv on a host with an NVIDIA GPU",
            )
        ]
    found = [ok("gpu.detected", G, f"{len(gpus)} NVIDIA GPU(s)", "\n".join(g.label for g in gpus))]
    for gpu in gpus:
        if gpu.model is None:
            close = knowledge.gpu_close_matches(gpu.name)
            found.append(
                warn(
                    "gpu.unknown_model",
                    G,
                    f"GPU {gpu.index} ({gpu.name}) is not in dlenv's GPU table",
                    "Its compute capability is unknown, so wheel and CUDA checks skip it."
                    + (f" Close names: {', '.join(close[:3])}." if close else ""),
                    fix="check `nvidia-smi --query-gpu=name,compute_cap --format=csv`",
                )
            )
    migs = [g for g in gpus if g.mig_mode == "Enabled"]
    if migs:
        found.append(
            warn(
                "gpu.mig",
                G,
                f"MIG is enabled on GPU {', '.join(str(g.index) for g in migs)}",
                "A MIG GPU is used through its MIG devices: "
                + "; ".join(
                    f"GPU {g.index}: {', '.join(g.mig_devices) or 'none created'}" for g in migs
                ),
                fix="list MIG devices with `nvidia-smi -L` and put their MIG-... UUIDs in run.gpus",
            )
        )
    return found


def driver_findings(inv: Inventory, gpus: list[HostGpu], knowledge: Knowledge) -> list[Finding]:
    if not gpus:
        return []
    found: list[Finding] = []
    if "nouveau" in inv.modules:
        found.append(
            fail(
                "driver.nouveau",
                G,
                "the nouveau driver is loaded and holds the GPU",
                "The NVIDIA driver cannot bind a GPU that nouveau has claimed.",
                fix="`dlenv setup --only driver` (installs the NVIDIA driver and blacklists "
                    "nouveau), "
                "then reboot",
            )
        )
    loaded = "nvidia" in inv.modules or inv.driver_module is not None
    if inv.secure_boot and not loaded and inv.module_signer == "":
        found.append(
            fail(
                "driver.secure_boot_unsigned",
                G,
                "Secure Boot is on and the installed nvidia module is unsigned, so it cannot load",
                "`modinfo -F signer nvidia` is empty. Enrol a Machine Owner Key and sign "
                "the module "
                "(negativo17/nvidia-driver#165, "
                "gridhead/nvidia-auto-installer-for-fedora-linux#75). "
                "Do not turn Secure Boot off.",
                fix="`dlenv setup --only driver` (creates and enrols a MOK: `sudo mokutil --import "
                "<key>.der`, then choose Enroll MOK at the next boot)",
            )
        )
    smi_fix = _smi_failure(inv)
    if smi_fix:
        found.append(smi_fix)
    elif not inv.smi_installed and not loaded:
        found.append(
            fail(
                "driver.missing",
                G,
                "no NVIDIA driver: nvidia-smi is missing and no nvidia module is loaded",
                fix="`dlenv setup --only driver`, then reboot",
            )
        )
    driver = inv.driver_version
    if driver:
        found.extend(_first_driver_findings(driver, gpus, knowledge))
    if driver and not smi_fix:
        flavor = inv.driver_module.flavor if inv.driver_module else None
        cuda = knowledge.max_cuda_for_driver(driver)
        flavour_text = f" ({flavor} kernel module)" if flavor else ""
        found.append(
            ok(
                "driver.version",
                G,
                f"NVIDIA driver {driver}{flavour_text}",
                f"Runs CUDA up to {cuda} with every feature." if cuda else "",
            )
        )
        found.extend(_flavor_findings(flavor, gpus, knowledge))
    return found


def _first_driver_findings(
    driver: str, gpus: list[HostGpu], knowledge: Knowledge
) -> list[Finding]:
    """A driver branch older than a GPU does not see it: nvidia-smi finds no device."""
    found = []
    for gpu in gpus:
        pci_ids = [gpu.pci_id] if gpu.pci_id else (gpu.model.pci_ids if gpu.model else ())
        architecture = gpu.model.architecture if gpu.model else None
        first = knowledge.drivers.first_driver(pci_ids, architecture)
        if first and as_tuple(driver) < as_tuple(first):
            found.append(
                fail(
                    "driver.gpu_unsupported",
                    G,
                    f"driver {driver} ({branch(driver)}) does not support GPU {gpu.index} "
                    f"({gpu.name})",
                    f"NVIDIA's driver supports it from {first} ({branch(first)}) on; an older "
                    "branch does not see the card (nvidia-smi: No devices were found).",
                    fix=driver_install_fix(first),
                )
            )
    return found


def _smi_failure(inv: Inventory) -> Finding | None:
    failure = inv.smi_failure
    if failure is None:
        return None
    detail = inv.smi_output[-600:]
    if failure is SmiFailure.NO_DRIVER:
        return fail(
            "driver.not_loaded",
            G,
            "nvidia-smi cannot talk to the driver: module not loaded",
            detail,
            fix="`sudo modprobe nvidia`; if that fails, `dlenv setup --only driver` and reboot",
        )
    if failure is SmiFailure.VERSION_MISMATCH:
        return fail(
            "driver.version_mismatch",
            G,
            "driver libraries and the loaded kernel module differ (driver updated, no reboot)",
            detail,
            fix="reboot, so the new kernel module loads",
        )
    if failure is SmiFailure.NO_DEVICES:
        return fail(
            "driver.no_devices",
            G,
            "the driver is loaded but reports no GPU",
            detail + "\nCheck `sudo dmesg | grep NVRM`: an unsupported GPU for this module "
            "flavour, or firmware settings (Above 4G decoding / Resizable BAR).",
            fix="`sudo dmesg | grep NVRM`, then `dlenv setup --only driver`",
        )
    if failure is SmiFailure.NVML_UNKNOWN:
        return fail(
            "driver.nvml_unknown",
            G,
            "nvidia-smi fails: Failed to initialize NVML: Unknown Error",
            detail,
            fix="reboot; if it persists, `dlenv setup --only driver`",
        )
    return fail(
        "driver.smi_failed",
        G,
        "nvidia-smi failed",
        detail,
        fix="`nvidia-smi` by hand shows the full error",
    )


def _flavor_findings(
    flavor: ModuleFlavor | None, gpus: list[HostGpu], knowledge: Knowledge
) -> list[Finding]:
    found = []
    for gpu in gpus:
        cc = as_tuple(gpu.compute_capability)
        if not cc:
            continue
        if flavor is ModuleFlavor.OPEN and cc < OPEN_MODULE_MIN_CC:
            found.append(
                fail(
                    "driver.flavor",
                    G,
                    f"GPU {gpu.index} ({gpu.name}) needs the proprietary kernel module",
                    "The open kernel modules support Turing (7.5) and newer only.",
                    fix="`dlenv setup --only driver` (picks the proprietary flavour for this GPU)",
                )
            )
        architecture = gpu.model.architecture if gpu.model else None
        if flavor is ModuleFlavor.PROPRIETARY and knowledge.drivers.open_only(architecture):
            found.append(
                fail(
                    "driver.flavor",
                    G,
                    f"GPU {gpu.index} ({gpu.name}) needs the open kernel module",
                    "Blackwell GPUs run only with NVIDIA's open kernel modules.",
                    fix="`dlenv setup --only driver` (installs the open flavour)",
                )
            )
    return found
