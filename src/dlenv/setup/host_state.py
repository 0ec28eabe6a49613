"""What the plan depends on, read from a host tree under a root path (`/` or a snapshot).

Every reader takes the root and treats an absent file as "unknown", so `--root DIR` can plan for a
captured host (or a doctor support bundle unpacked to a directory) exactly as for this one.
"""

from __future__ import annotations

import platform
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlenv.errors import UsageError
from dlenv.host.os_release import OsRelease, read_os_release

NVIDIA_PCI_VENDOR = 0x10DE
# PCI class 0x03 = display controller (VGA 0x0300, 3D 0x0302); datacenter GPUs report 0x0302.
DISPLAY_CLASS = 0x03
# The lowest device ID in the NVIDIA open kernel modules' list of supported GPUs is TU102 (0x1E02);
# every Turing and later chip sits above 0x1E00 and every Maxwell, Pascal and Volta chip below it
# (https://github.com/NVIDIA/open-gpu-kernel-modules, README "Compatible GPUs").
FIRST_TURING_DEVICE_ID = 0x1E00
# EFI variable SecureBoot-<EFI global variable GUID>: 4 attribute bytes, then 1 = enabled.
SECURE_BOOT_VAR = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0c9ee1ea0b6"


@dataclass(frozen=True)
class HostState:
    os_release: OsRelease | None
    arch: str
    gpu_device_ids: tuple[int, ...]  # NVIDIA display controllers found under sys/bus/pci
    secure_boot: bool | None  # None: not an EFI host, or not captured

    @property
    def pre_turing_gpu(self) -> bool:
        """True when any NVIDIA GPU found predates Turing, so the open kernel modules won't work."""
        return any(d < FIRST_TURING_DEVICE_ID for d in self.gpu_device_ids)


def read_host_state(root: Path, arch: str | None = None) -> HostState:
    return HostState(
        os_release=read_os_release(root),
        arch=arch or _arch(root),
        gpu_device_ids=read_nvidia_gpus(root),
        secure_boot=read_secure_boot(root),
    )


def _arch(root: Path) -> str:
    # A snapshot does not say its architecture; x86_64 is the common case and `--arch` overrides.
    return platform.machine() if root == Path("/") else "x86_64"


def read_nvidia_gpus(root: Path) -> tuple[int, ...]:
    devices = root / "sys" / "bus" / "pci" / "devices"
    if not devices.is_dir():
        return ()
    found: list[int] = []
    for device in sorted(devices.iterdir()):
        vendor = _hex(device / "vendor")
        klass = _hex(device / "class")
        if vendor == NVIDIA_PCI_VENDOR and klass is not None and klass >> 16 == DISPLAY_CLASS:
            device_id = _hex(device / "device")
            if device_id is not None:
                found.append(device_id)
    return tuple(found)


def _hex(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip(), 16)
    except (OSError, ValueError):
        return None


def read_secure_boot(root: Path) -> bool | None:
    try:
        data = (root / SECURE_BOOT_VAR).read_bytes()
    except OSError:
        return None
    return len(data) >= 5 and data[4] == 1


@contextmanager
def snapshot_root(path: Path) -> Iterator[Path]:
    """A directory as is, or a .tar/.tar.gz support bundle unpacked to a temporary directory.

    A bundle may hold the tree at its top or under one folder; the root is wherever
    etc/os-release (or usr/lib/os-release) is found.
    """
    if path.is_dir():
        yield path
        return
    if not path.is_file() or not tarfile.is_tarfile(path):
        raise UsageError(
            f"--root {path}: not a directory or a tar support bundle",
            hint="pass a directory holding the host's etc/os-release, or a doctor bundle (.tar.gz)",
        )
    with tempfile.TemporaryDirectory(prefix="dlenv-root-") as tmp, tarfile.open(path) as bundle:
        # filter="data" refuses absolute paths, links out of the tree and device files.
        bundle.extractall(tmp, filter="data")
        yield _find_tree(Path(tmp))


def _find_tree(top: Path) -> Path:
    for candidate in (top, *sorted(p for p in top.iterdir() if p.is_dir())):
        if (candidate / "etc" / "os-release").is_file() or (
            candidate / "usr" / "lib" / "os-release"
        ).is_file():
            return candidate
    return top
