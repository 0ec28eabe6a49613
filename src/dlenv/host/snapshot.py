"""Everything the probes read, as data: files, directory listings, programs, command outputs.

A snapshot is what `dlenv doctor --collect` writes (a tarball) and what `--from` replays. The
bundle layout is `manifest.json` plus `root/<path>` for each file read, so a bundle directory is
also a readable host tree (tests/fixtures/hosts/* are bundles written by hand from real captures).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import msgspec

from dlenv.errors import UsageError

BUNDLE_VERSION = 1
# A bundle holds small host files (each read is capped at 2 MB) and command outputs: a few MB.
# The caps only stop a hostile tarball from filling the disk or memory while it is unpacked.
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_BUNDLE_MEMBERS = 10_000
MANIFEST = "manifest.json"
ROOT_DIR = "root"


class CommandRecord(msgspec.Struct, frozen=True):
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


class DiskUsage(msgspec.Struct, frozen=True):
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


def extract_bundle(
    bundle: Path,
    into: Path,
    *,
    max_bytes: int | None = None,
    max_members: int | None = None,
) -> Path:
    """Unpack a bundle tarball into a new directory inside `into` and return that directory.

    Refuses members that would land outside it, anything but files and directories, more than
    `max_members` entries, and more than `max_bytes` of tar stream (defaults: the MAX_BUNDLE_*
    caps, read when called). The bytes are counted as they are decompressed, headers included,
    since a member's declared size (or a gzip bomb's) proves nothing. On any refusal nothing is
    left in `into`.
    """
    max_bytes = MAX_BUNDLE_BYTES if max_bytes is None else max_bytes
    max_members = MAX_BUNDLE_MEMBERS if max_members is None else max_members
    into.mkdir(parents=True, exist_ok=True)
    # A fresh directory, so a refusal can remove exactly what this call wrote.
    target = Path(tempfile.mkdtemp(prefix="bundle-", dir=into))
    try:
        with bundle.open("rb") as raw, _decompressed(raw) as stream:
            counted = _CappedReader(stream, max_bytes, bundle)
            with tarfile.open(fileobj=counted, mode="r|") as tar:
                for count, member in enumerate(tar, start=1):
                    if count > max_members:
                        raise _refused(bundle, f"more than {max_members} entries")
                    name = PurePosixPath(member.name)
                    if (
                        name.is_absolute()
                        or ".." in name.parts
                        or not (member.isfile() or member.isdir())
                        # a sparse member's extracted size is not the bytes it streams
                        or member.issparse()
                    ):
                        raise UsageError(
                            f"{bundle}: unsafe entry {member.name!r} in support bundle"
                        )
                    tar.extract(member, target, filter="data")
    except UsageError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    # Corrupt compressed data raises zlib.error / LZMAError / EOFError, not TarError; an embedded
    # NUL in a pax path name raises ValueError.
    except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise _refused(bundle, str(exc) or type(exc).__name__) from exc
    return target


def _refused(bundle: Path, why: str) -> UsageError:
    return UsageError(
        f"{bundle} is not a dlenv support bundle: {why}",
        hint="Pass a file written by `dlenv doctor --collect FILE`, or its unpacked directory.",
    )


def _decompressed(raw: BinaryIO) -> BinaryIO | io.BufferedIOBase:
    """The tar stream inside `raw`: gzip (what `--collect` writes), bzip2, xz, or plain tar."""
    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw, mode="rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw, mode="rb")
    return raw


class _CappedReader:
    """Reads a decompressed stream for tarfile, refusing it once more than `limit` bytes came."""

    def __init__(self, stream: BinaryIO | io.BufferedIOBase, limit: int, bundle: Path) -> None:
        self._stream = stream
        self._left = limit
        self._bundle = bundle

    def read(self, size: int = -1) -> bytes:
        # Never ask for more than one byte past the cap, so a huge read cannot fill memory first.
        want = self._left + 1 if size < 0 else min(size, self._left + 1)
        data = self._stream.read(want)
        self._left -= len(data)
        if self._left < 0:
            raise _refused(self._bundle, "it unpacks to more than the support bundle limit")
        return data

    # The rest of what tarfile.open's fileobj declares; a read-only stream never needs them.
    def write(self, b: bytes, /) -> object:
        raise io.UnsupportedOperation("write")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")

    def seek(self, pos: int, /) -> object:
        raise io.UnsupportedOperation("seek")

    def close(self) -> object:
        return None
