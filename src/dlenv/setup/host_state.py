"""What the plan depends on, read through the one `HostReader` (this host, a tree, a bundle).

Everything absent reads as "unknown", so `--root DIR` can plan for a captured host tree or a
doctor support bundle exactly as for this one. Nothing here runs a program on this host unless
it plans for this host.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlenv.errors import UsageError
from dlenv.host.os_release import OS_RELEASE_PATHS, OsRelease, check_setup_values
from dlenv.host.probe import first_line, pci_gpus, read_os, secure_boot
from dlenv.host.reader import HostReader, ReplayRunner, replay_reader
from dlenv.host.snapshot import MANIFEST, extract_bundle

# The lowest device ID in the NVIDIA open kernel modules' list of supported GPUs is TU102 (0x1E02);
# every Turing and later chip sits above 0x1E00 and every Maxwell, Pascal and Volta chip below it
# (https://github.com/NVIDIA/open-gpu-kernel-modules, README "Compatible GPUs").
FIRST_TURING_DEVICE_ID = 0x1E00
# A tree does not say its architecture; x86_64 is the common case and `--arch` overrides.
DEFAULT_ARCH = "x86_64"
# The architectures a plan is made for, as `uname -m` names them: those NVIDIA builds the driver,
# toolkit and CUDA repositories for (sources.CUDA_REPO_ARCH). The arch reaches repository URLs in
# a root script, so it comes from this fixed set and nowhere else; Debian's names are accepted
# for `--arch`.
ARCHES = ("x86_64", "aarch64")
ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class HostState:
    os_release: OsRelease | None
    arch: str
    gpu_device_ids: tuple[int, ...]  # NVIDIA display controllers found on the PCI bus
    secure_boot: bool | None  # None: not an EFI host, or not captured

    @property
    def pre_turing_gpu(self) -> bool:
        """True when any NVIDIA GPU found predates Turing, so the open kernel modules won't work."""
        return any(d < FIRST_TURING_DEVICE_ID for d in self.gpu_device_ids)


def host_state(reader: HostReader, arch: str | None = None) -> HostState:
    """The host facts a plan needs; values that reach the script are checked here (exit 2)."""
    os_release = read_os(reader)
    return HostState(
        os_release=check_setup_values(os_release) if os_release else None,
        arch=check_arch(arch or first_line(reader.run("uname", "-m")) or DEFAULT_ARCH),
        gpu_device_ids=tuple(int(gpu.device, 16) for gpu in pci_gpus(reader)),
        secure_boot=secure_boot(reader),
    )


def check_arch(arch: str) -> str:
    """`arch` as one of ARCHES, or a UsageError (exit 2)."""
    name = ARCH_ALIASES.get(arch, arch)
    if name not in ARCHES:
        raise UsageError(
            f"architecture {arch!r} is not one dlenv setup plans for",
            hint=f"supported: {', '.join(ARCHES)}; pass --arch to plan for another host",
        )
    return name


def read_host_state(root: Path, arch: str | None = None) -> HostState:
    """The state of the host tree under `root` (`/`: this host)."""
    return host_state(tree_reader(root), arch)


def tree_reader(root: Path) -> HostReader:
    """`/` is this host; any other tree is read as files only: no program of this host runs."""
    if root == Path("/"):
        return HostReader()
    return HostReader(root=root, runner=ReplayRunner({}, {}), disk_usage=lambda _: None)


@contextmanager
def open_host(path: Path) -> Iterator[HostReader]:
    """A reader for `--root`: a host tree or bundle directory, or a bundle tarball.

    Tarballs are unpacked by `extract_bundle`, with its safety checks. A directory holding
    manifest.json replays as `dlenv doctor --from` does; any other tree is read as files, its
    root being wherever etc/os-release (or usr/lib/os-release) is found.
    """
    if path == Path("/"):
        yield HostReader()
        return
    if path.is_dir():
        yield _dir_reader(path)
        return
    if not path.is_file():
        raise UsageError(
            f"--root {path}: not a directory or a tar support bundle",
            hint="pass a directory holding the host's etc/os-release, or a doctor bundle (.tar.gz)",
        )
    with tempfile.TemporaryDirectory(prefix="dlenv-root-") as tmp:
        yield _dir_reader(extract_bundle(path, Path(tmp)))


def _dir_reader(directory: Path) -> HostReader:
    if (directory / MANIFEST).is_file():
        return replay_reader(directory)
    return tree_reader(_find_tree(directory))


def _find_tree(top: Path) -> Path:
    for candidate in (top, *sorted(p for p in top.iterdir() if p.is_dir())):
        if any((candidate / relative).is_file() for relative in OS_RELEASE_PATHS):
            return candidate
    return top
