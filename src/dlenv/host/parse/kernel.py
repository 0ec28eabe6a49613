"""Kernel-side facts: Secure Boot, SELinux, module taint and signer, sandbox errors."""

from __future__ import annotations

import re

import msgspec

# efivarfs names each variable "<Name>-<VendorGuid>" and holds 4 attribute bytes, then the value
# (https://docs.kernel.org/filesystems/efivarfs.html); SecureBoot's value is one byte, 1 = enabled.
EFIVARS_DIR = "/sys/firmware/efi/efivars"
# The UEFI global variable namespace, EFI_GLOBAL_VARIABLE_GUID: UEFI specification, "Globally
# Defined Variables", and Linux include/linux/efi.h
# (https://github.com/torvalds/linux/blob/master/include/linux/efi.h:
# EFI_GUID(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c)).
EFI_GLOBAL_VARIABLE_GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
SECURE_BOOT_VAR = f"SecureBoot-{EFI_GLOBAL_VARIABLE_GUID}"
SECURE_BOOT_PATH = f"{EFIVARS_DIR}/{SECURE_BOOT_VAR}"


def parse_secure_boot(efivar: bytes | None) -> bool | None:
    """True/False from the efivar's value byte; None when not an EFI system or unreadable."""
    if efivar is None or len(efivar) < 5:
        return None
    return efivar[4] == 1


def parse_selinux_enforce(text: str | None) -> str:
    """/sys/fs/selinux/enforce: "1" enforcing, "0" permissive; absent: disabled."""
    if text is None:
        return "disabled"
    return "enforcing" if text.strip() == "1" else "permissive"


def parse_mem_size(text: str) -> int | None:
    """ "8g", "512m", "65536k", "1024" (bytes) -> bytes, as Docker/Podman read --shm-size."""
    match = re.fullmatch(r"\s*(\d+)\s*([kmgKMG]?)[bB]?\s*", text)
    if not match:
        return None
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match[2].lower()]
    return int(match[1]) * scale


class KnownError(msgspec.Struct, frozen=True):
    id: str
    message: str
    fix: str
    pattern: re.Pattern[str]


# Errors seen when running Podman in sandboxes (real-engines-here.md); recognised in any output.
# The fixes' keys: `runtime` under [engine] and `default_ulimits` under [containers] in
# containers.conf(5) (github.com/containers/common, docs/containers.conf.5.md).
KNOWN_ENGINE_ERRORS = (
    KnownError(
        "podman.crun_hybrid_cgroups",
        "crun cannot run containers on this host: cgroups in hybrid mode are not supported",
        'use runc: set `runtime = "runc"` under [engine] in containers.conf',
        re.compile(r"cgroups in hybrid mode not supported", re.IGNORECASE),
    ),
    KnownError(
        "podman.setrlimit",
        "the default container ulimits exceed what this host allows (setrlimit failed)",
        'set `default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]` under [containers] '
        "in containers.conf (at or below `ulimit -Hn` / `ulimit -Hu`)",
        re.compile(r"setrlimit `?RLIMIT_(NOFILE|NPROC)`?: Operation not permitted", re.IGNORECASE),
    ),
)


def match_known_errors(output: str) -> list[KnownError]:
    return [known for known in KNOWN_ENGINE_ERRORS if known.pattern.search(output)]
