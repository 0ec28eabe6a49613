"""The edge: read files under a root path and run programs through one runner, recording all.

Probes never touch the filesystem or subprocess directly; they ask a `HostReader`. A live reader
reads `/` (or any root) and runs real programs; a replay reader answers from a support bundle.
Both record what was asked into a `HostSnapshot`, and both hand probes the same (redacted) text,
so a diagnosis of a live host and of its bundle are the same diagnosis.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from dlenv.errors import DlenvError
from dlenv.host.manifest import CommandEntry, bad, inside, load_manifest
from dlenv.host.snapshot import ROOT_DIR, CommandRecord, DiskUsage, HostSnapshot
from dlenv.process import Command, Result, Runner, SubprocessRunner

# Largest file a probe reads; sysfs/proc files are tiny, CDI specs are tens of kB.
MAX_FILE_BYTES = 2_000_000
COMMAND_TIMEOUT_S = 8.0

# Credentials inside URLs (docker info shows proxy URLs as configured): never into a bundle.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@\"']+:[^/\s@\"']+@")


def redact(text: str) -> str:
    return _URL_CREDENTIALS.sub(r"\g<scheme>***:***@", text)


class HostReader:
    """Reads host facts under `root` through `runner`; `snapshot` records every answer."""

    def __init__(
        self,
        root: Path = Path("/"),
        runner: Runner | None = None,
        disk_usage: Callable[[Path], DiskUsage | None] | None = None,
        listings: dict[str, list[str] | None] | None = None,
    ) -> None:
        self.root = root
        self._real_root = root.resolve()
        self.runner: Runner = runner or SubprocessRunner()
        self._disk_usage = disk_usage or _statvfs
        self._listings = listings  # replay: recorded listings win over the tree
        self.snapshot = HostSnapshot()
        self._lock = threading.Lock()

    def _host_path(self, path: str) -> Path | None:
        """`path` under the root; None (read as absent) where it would lead out of the root.

        A replayed manifest's listings name the files probes read next (a PCI slot, a CDI spec),
        and `doctor --collect` copies every file read into the new bundle: a `..` there, or a
        symlink in an unpacked bundle or captured tree, must not reach this host's own files.
        """
        relative = path.lstrip("/")
        if "\0" in relative or ".." in PurePosixPath(relative).parts:
            return None
        joined = self.root / relative
        if self._real_root == Path("/"):  # this host: everything is inside
            return joined
        try:
            real = joined.resolve()
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
            return None
        return joined if real.is_relative_to(self._real_root) else None

    # Where the answers come from: the tree under `root`. A reader of another machine
    # (dlenv.host.remote_reader) replaces these three; recording stays here.
    def _fetch_bytes(self, path: str) -> bytes | None:
        host = self._host_path(path)
        try:
            if host is None:
                raise FileNotFoundError(path)
            with host.open("rb") as handle:
                return handle.read(MAX_FILE_BYTES)
        except OSError:
            return None

    def _fetch_listing(self, path: str) -> list[str] | None:
        host = self._host_path(path)
        try:
            return None if host is None else sorted(p.name for p in host.iterdir())
        except OSError:
            return None

    def _fetch_disk(self, path: str) -> DiskUsage | None:
        # Sizes only, never contents: the plain join is enough (a replay looks the path up).
        return self._disk_usage(self.root / path.lstrip("/"))

    def read_bytes(self, path: str) -> bytes | None:
        data = self._fetch_bytes(path)
        with self._lock:
            self.snapshot.files[path] = data
        return data

    def read_text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="replace")

    def listdir(self, path: str) -> list[str] | None:
        if self._listings is not None and path in self._listings:
            names = self._listings[path]
        else:
            names = self._fetch_listing(path)
        with self._lock:
            self.snapshot.listings[path] = names
        return names

    def disk(self, path: str) -> DiskUsage | None:
        usage = self._fetch_disk(path)
        with self._lock:
            self.snapshot.disk[path] = usage
        return usage

    def which(self, program: str) -> str | None:
        found = self.runner.which(program)
        with self._lock:
            self.snapshot.programs[program] = found
        return found

    def run(self, *argv: str, timeout: float = COMMAND_TIMEOUT_S) -> CommandRecord | None:
        """Run a read-only probe command; None when the program is not installed."""
        if self.which(argv[0]) is None:
            return None
        try:
            result = self.runner.run(Command.of(*argv), timeout=timeout)
            record = CommandRecord(
                argv, result.returncode, redact(result.stdout), redact(result.stderr)
            )
        except DlenvError as error:  # timeout, or vanished between which() and run()
            record = CommandRecord(argv, 124, "", error.message)
        with self._lock:
            self.snapshot.commands[argv] = record
        return record


def _statvfs(path: Path) -> DiskUsage | None:
    try:
        stat = os.statvfs(path)
    except (OSError, ValueError):  # ValueError: a NUL in a path an engine reported
        return None
    return DiskUsage(total=stat.f_blocks * stat.f_frsize, free=stat.f_bavail * stat.f_frsize)


class ReplayRunner:
    """A runner that answers from recorded command outputs; nothing runs."""

    def __init__(
        self, programs: dict[str, str | None], commands: dict[tuple[str, ...], CommandRecord]
    ):
        self.programs = programs
        self.commands = commands

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        del check, timeout
        record = self.commands.get(command.argv)
        if record is None:
            return Result(command, 127, "", f"{command.display()}: not recorded in the bundle")
        return Result(command, record.returncode, record.stdout, record.stderr)

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        result = self.run(command)
        for line in result.stdout.splitlines():
            on_line(line)
        return result

    def interactive(self, command: Command) -> int:
        return self.run(command).returncode

    def which(self, program: str) -> str | None:
        return self.programs.get(program)


def replay_reader(bundle_dir: Path) -> HostReader:
    """A reader over an unpacked bundle (or a hand-written fixture tree in the same layout)."""
    manifest = load_manifest(bundle_dir)
    commands = {}
    for entry in manifest.commands:
        record = _command_record(bundle_dir, entry)
        commands[record.argv] = record
    root = bundle_dir / ROOT_DIR

    def recorded_disk(path: Path) -> DiskUsage | None:
        return (
            manifest.disk.get("/" + str(path.relative_to(root)).lstrip("."))
            if path.is_relative_to(root)
            else None
        )

    return HostReader(
        root=root,
        runner=ReplayRunner(manifest.programs, commands),
        disk_usage=recorded_disk,
        listings=manifest.listings,
    )


def _command_record(bundle_dir: Path, entry: CommandEntry) -> CommandRecord:
    """Fixtures may point stdout/stderr at a captured file inside the bundle instead of inlining."""
    where = f"{bundle_dir}: command {' '.join(entry.argv)!r}"

    def text(key: str) -> str:
        if key not in entry.files:
            return entry.text.get(key, "")
        relative = entry.files[key]
        path = bundle_dir / inside(relative, where)
        if not path.resolve().is_relative_to(bundle_dir.resolve()):
            raise bad(where, f"{key}_file {relative!r} leads outside the bundle")
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise bad(where, f"{key}_file {relative!r} is not in the bundle") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise bad(where, f"{key}_file {relative!r} cannot be read ({exc})") from exc

    return CommandRecord(entry.argv, entry.returncode, text("stdout"), text("stderr"))
