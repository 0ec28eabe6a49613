"""Kernel-side facts: Secure Boot, SELinux, module taint and signer, sandbox errors."""

from __future__ import annotations

import re
from dataclasses import dataclass

# EFI variable SecureBoot-<EFI global GUID>: 4 bytes of attributes, then one byte, 1 = enabled.
SECURE_BOOT_VAR = "SecureBoot-8be4df61-93ca-11d2-aa0d-e98c0330c8c9"


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


@dataclass(frozen=True)
class KnownError:
    id: str
    message: str
    fix: str
    pattern: re.Pattern[str]


# Errors seen when running Podman in sandboxes (real-engines-here.md); recognised in any output.
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
