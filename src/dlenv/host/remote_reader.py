"""The host reader for the box: the same `HostReader` API, answered over one SSH connection.

Files, listings and disk sizes come from small POSIX shell scripts run on the box, commands run
there through `BoxRunner`; every one is a session on the `BoxSession`'s ControlMaster, never a
connection of its own. Recording (the snapshot behind `doctor --collect`) is the base class's,
so a diagnosis of a box and of its bundle are the same diagnosis.
"""

from __future__ import annotations

import base64
import binascii
import threading
from pathlib import Path, PurePosixPath

from dlenv.host.reader import MAX_FILE_BYTES, HostReader
from dlenv.host.snapshot import DiskUsage
from dlenv.remote.session import BoxRunner, BoxSession

# sshd allows 10 sessions per connection by default (sshd_config(5), MaxSessions); the probes
# run eight commands at once, so file reads wait for a free session rather than fail.
MAX_SESSIONS = 8

# base64 keeps binary files (efivars) intact through a text channel.
_READ = f'[ -r "$1" ] && [ ! -d "$1" ] && head -c {MAX_FILE_BYTES} -- "$1" | base64'
# NUL-separated names: a file name may hold a newline.
_LIST = '[ -d "$1" ] && find "$1" -mindepth 1 -maxdepth 1 -printf \'%f\\0\''
# POSIX df: "Filesystem 1024-blocks Used Available Capacity Mounted-on" (df(1p), -P -k).
_DF = 'df -P -k -- "$1"'


def _plain(path: str) -> bool:
    return path.startswith("/") and "\0" not in path and ".." not in PurePosixPath(path).parts


class BoxHostReader(HostReader):
    def __init__(self, session: BoxSession):
        super().__init__(root=Path("/"), runner=BoxRunner(session))
        self.session = session
        self._sessions = threading.BoundedSemaphore(MAX_SESSIONS)

    def _script(self, script: str, path: str) -> str | None:
        if not _plain(path):
            return None
        with self._sessions:
            result = self.session.shell(script, path)
        return result.stdout if result.ok else None

    def _fetch_bytes(self, path: str) -> bytes | None:
        text = self._script(_READ, path)
        try:
            return None if text is None else base64.b64decode(text)
        except (binascii.Error, ValueError):
            return None

    def _fetch_listing(self, path: str) -> list[str] | None:
        text = self._script(_LIST, path)
        return None if text is None else sorted(n for n in text.split("\0") if n)

    def _fetch_disk(self, path: str) -> DiskUsage | None:
        return parse_df(self._script(_DF, path) or "")


def parse_df(text: str) -> DiskUsage | None:
    """Total and available bytes from `df -P -k PATH` (its last line's fields 2 and 4)."""
    lines = text.strip().splitlines()
    fields = lines[-1].split() if len(lines) >= 2 else []
    if len(fields) < 6 or not (fields[1].isdigit() and fields[3].isdigit()):
        return None
    return DiskUsage(total=int(fields[1]) * 1024, free=int(fields[3]) * 1024)
