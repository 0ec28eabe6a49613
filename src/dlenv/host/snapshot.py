"""Everything the probes read, as data: files, directory listings, programs, command outputs.

A snapshot is what `dlenv doctor --collect` writes (a tarball) and what `--from` replays. The
bundle layout is `manifest.json` plus `root/<path>` for each file read, so a bundle directory is
also a readable host tree (tests/fixtures/hosts/* are bundles written by hand from real captures).
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from dlenv.errors import UsageError

BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
ROOT_DIR = "root"


@dataclass(frozen=True)
class CommandRecord:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def to_json(self) -> dict[str, Any]:
        return {
            "argv": list(self.argv),
            "returncode": self.returncode,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


@dataclass(frozen=True)
class DiskUsage:
    total: int  # bytes
    free: int  # bytes available to unprivileged users (statvfs f_bavail)


@dataclass
class HostSnapshot:
    """Mutable while probing; written once. Paths are absolute POSIX paths on the host."""

    files: dict[str, bytes | None] = field(default_factory=dict)
    listings: dict[str, list[str] | None] = field(default_factory=dict)
    programs: dict[str, str | None] = field(default_factory=dict)
    commands: dict[tuple[str, ...], CommandRecord] = field(default_factory=dict)
    disk: dict[str, DiskUsage | None] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        return {
            "version": BUNDLE_VERSION,
            "absent_files": sorted(p for p, data in self.files.items() if data is None),
            "listings": {p: self.listings[p] for p in sorted(self.listings)},
            "programs": {p: self.programs[p] for p in sorted(self.programs)},
            "commands": [self.commands[k].to_json() for k in sorted(self.commands)],
            "disk": {
                p: (None if u is None else {"total": u.total, "free": u.free})
                for p, u in sorted(self.disk.items())
            },
        }


def write_bundle(snapshot: HostSnapshot, target: Path) -> None:
    """Write `snapshot` as a gzip tarball; deterministic (sorted, no timestamps, no owners)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, MANIFEST, json.dumps(snapshot.manifest(), indent=2, sort_keys=True).encode())
        for path in sorted(snapshot.files):
            data = snapshot.files[path]
            if data is not None:
                _add(tar, f"{ROOT_DIR}/{path.lstrip('/')}", data)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(target)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def extract_bundle(bundle: Path, into: Path) -> Path:
    """Unpack a bundle tarball into `into`; refuses members that would land outside it."""
    try:
        with tarfile.open(bundle, mode="r:*") as tar:
            for member in tar.getmembers():
                name = PurePosixPath(member.name)
                if (
                    name.is_absolute()
                    or ".." in name.parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise UsageError(f"{bundle}: unsafe entry {member.name!r} in support bundle")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise UsageError(
            f"{bundle} is not a dlenv support bundle: {exc}",
            hint="Pass a file written by `dlenv doctor --collect FILE`, or its unpacked directory.",
        ) from exc
    return into
