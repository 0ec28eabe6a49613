"""Multi-platform builds: which platforms this host can build, and why not when it cannot.

A foreign-architecture RUN step needs the kernel's binfmt_misc to hand that architecture's
binaries to an emulator (qemu-user-static registers `qemu-aarch64` and friends). See the kernel's
Documentation/admin-guide/binfmt-misc.rst and Podman's `podman build --platform` manual page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dlenv.errors import UsageError

# OCI platform -> (`uname -m` of a native host, binfmt_misc handler names that emulate it).
# Platform names: OCI image index (github.com/opencontainers/image-spec, image-index.md); handler
# names: QEMU's scripts/qemu-binfmt-conf.sh (github.com/qemu/qemu) registers `qemu-<cpu>`.
KNOWN_PLATFORMS = {
    "linux/amd64": ("x86_64", ("qemu-x86_64",)),
    "linux/arm64": ("aarch64", ("qemu-aarch64",)),
}
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")


@dataclass(frozen=True)
class PlatformPlan:
    platforms: tuple[str, ...]
    emulated: tuple[str, ...]  # built through qemu (slow: typically several times native time)


def parse_platforms(text: str) -> tuple[str, ...]:
    platforms = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    unknown = [p for p in platforms if p not in KNOWN_PLATFORMS]
    if not platforms or unknown:
        raise UsageError(
            f"--platform {text!r}: unknown platform {', '.join(unknown) or '(none given)'}",
            hint=f"Use a comma-separated list of: {', '.join(KNOWN_PLATFORMS)}.",
        )
    return platforms


def enabled_handlers(binfmt_dir: Path = BINFMT_DIR) -> set[str]:
    """Names of the enabled binfmt_misc handlers (each file's first line says "enabled")."""
    handlers: set[str] = set()
    try:
        entries = list(binfmt_dir.iterdir())
    except OSError:
        return handlers
    for entry in entries:
        if entry.name in {"register", "status"}:
            continue
        try:
            first = entry.read_text(encoding="utf-8").splitlines()[:1]
        except OSError:
            continue
        if first == ["enabled"]:
            handlers.add(entry.name)
    return handlers


def plan_platforms(
    platforms: Iterable[str], host_machine: str, handlers: set[str]
) -> PlatformPlan:
    """Which platforms are native, which emulated; a clear error for those this host cannot run."""
    wanted = tuple(platforms)
    emulated, missing = [], []
    for platform in wanted:
        native, emulators = KNOWN_PLATFORMS[platform]
        if native == host_machine:
            continue
        if handlers.intersection(emulators):
            emulated.append(platform)
        else:
            missing.append(platform)
    if missing:
        raise UsageError(
            f"this {host_machine} host cannot build {', '.join(missing)}: no binfmt_misc handler "
            f"emulates {'it' if len(missing) == 1 else 'them'}",
            hint="Install QEMU user emulation (Debian/Ubuntu: `apt install qemu-user-static "
            "binfmt-support`; Fedora: `dnf install qemu-user-static`), check "
            f"{BINFMT_DIR} lists qemu-aarch64 / qemu-x86_64, or build each platform on a native "
            "host and push them separately.",
        )
    return PlatformPlan(wanted, tuple(emulated))
