"""Writing files so that a crash or a bad input never leaves a half-written one behind."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str | bytes, *, mode: int | None = None) -> None:
    """Write `text` (UTF-8) or bytes to a temporary file beside `path`, then rename it over
    `path`.

    `mode` is set before any byte is written, so a secret is never readable by others, not even
    for a moment.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode() if isinstance(text, str) else text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def link_atomic(path: Path, target: str) -> None:
    """Make `path` a symbolic link to `target` beside it, then rename it over `path`: there is
    never a moment without one. `target` is not followed (it names a path in an image)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    try:
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class UnsafeFile(Exception):
    """A private file or directory that others could read, replace or redirect."""


def _check_private(info: os.stat_result, path: Path, *, kind: str) -> None:
    # The owner must be this process's user: a file someone else owns, they can rewrite.
    if info.st_uid != os.geteuid():
        raise UnsafeFile(f"{path} is owned by UID {info.st_uid}, not by you ({os.geteuid()})")
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise UnsafeFile(f"{path} is a {kind} with mode {stat.S_IMODE(info.st_mode):04o}")


def read_private(path: Path) -> str | None:
    """The text of a secret only this user may read; None when the file does not exist.

    Opened with O_NOFOLLOW, so a symlink planted in its place is refused rather than followed
    (to a file of someone else's choosing), and checked on the open descriptor (fstat), so the
    file checked is the file read. O_NONBLOCK keeps a FIFO in its place from hanging the open.
    Raises UnsafeFile for a symlink, a non-regular file, another owner or group/other bits.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(f"{path} is a symbolic link") from None
        raise
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{path} is not a regular file")
        _check_private(info, path, kind="file")
        return handle.read()


def ensure_private_directory(path: Path, *, follow: bool = False) -> None:
    """Make `path` 0700 (its parent must exist), or check an existing one: a directory owned by
    this user, not a symlink (unless `follow`: a location the user chose), with group and other
    bits removed. Raises UnsafeFile for anything else."""
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.stat() if follow else path.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFile(f"{path} is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFile(f"{path} is not a directory")
    if info.st_uid != os.geteuid():
        _check_private(info, path, kind="directory")  # raises: another user's directory
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)  # ours, only too open (umask, an older dlenv): close it
