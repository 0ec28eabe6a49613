"""Host-wide GPU leases: two users (or two `dlenv up`s) never get the same GPU by accident.

One directory every user can write, sticky like /tmp (mode 1777: only a file's owner, or root,
may remove it), holds one lease file per GPU, `gpu-<index>.lease`, made with O_CREAT|O_EXCL so
that exactly one creator wins. Choosing GPUs and taking their leases happens under an exclusive
flock(2) on the directory's `lock` file, so two concurrent `up`s see each other's leases.

Every lease file was written by a possibly hostile user: it is opened with O_NOFOLLOW|O_NONBLOCK,
must be a small regular file whose JSON validates field by field (full matches), and the
owner it names must be the file's owner. A lease that fails any check still holds its GPU for
the file's owner: dlenv never deletes another user's lease, stale or not (the sticky bit would
refuse it anyway); it names the file and its owner instead.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dlenv.errors import DlenvError

# Persistent rather than /run: a user's lease outlives a reboot only until that user's next
# `up` or `down` reclaims it (its container is gone), and /var/lib survives without a
# tmpfiles.d entry. DLENV_LEASE_DIR points elsewhere (tests, hosts with another policy).
DEFAULT_LEASE_DIR = Path("/var/lib/dlenv/leases")
LEASE_DIR_ENV = "DLENV_LEASE_DIR"
LOCK_NAME = "lock"
MAX_LEASE_BYTES = 4096
_FILE = re.compile(r"gpu-(?P<device>[0-9]{1,3})\.lease")
_ENV_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}\$?")
_ENGINE = re.compile(r"podman|docker")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@dataclass(frozen=True)
class Lease:
    """Who holds one GPU. `valid` is False for a file that failed validation: it still holds
    the GPU, for `uid` (the file's owner)."""

    device: str  # the GPU's index, as nvidia-smi numbers it
    uid: int
    user: str
    env: str
    engine: str
    time: str
    pid: int = 0  # the `up` that took it: while it runs, the container may not exist yet
    valid: bool = True

    def as_json(self) -> dict[str, object]:
        return {
            "device": self.device, "uid": self.uid, "user": self.user, "env": self.env,
            "engine": self.engine, "time": self.time, "pid": self.pid,
        }  # fmt: skip

    def describe(self) -> str:
        if not self.valid:
            return f"a lease file of uid {self.uid} that dlenv cannot read"
        return f"{self.user} (uid {self.uid}), environment {self.env!r} on {self.engine}"


def lease_dir(environ: dict[str, str] | None = None) -> Path:
    override = (environ or {}).get(LEASE_DIR_ENV)
    return Path(override) if override else DEFAULT_LEASE_DIR


def prepare_dir(directory: Path, *, euid: int) -> None:
    """Make sure `directory` is a sticky, world-writable directory owned by root (or by the
    caller). Root creates it; anyone else is told the one command that does."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        if euid != 0:
            raise DlenvError(
                f"the GPU lease directory {directory} does not exist",
                hint=f"Ask an administrator to create it once: `sudo install -d -m 1777 "
                f"{directory}` (or set {LEASE_DIR_ENV} to a sticky, world-writable directory).",
            ) from None
        directory.mkdir(parents=True, exist_ok=True)
        # Sticky and world-writable, like /tmp: the point of the directory (mkdir's mode is cut
        # by the umask, hence the chmod).
        directory.chmod(0o1777)
        info = os.lstat(directory)
    problem = _dir_problem(info, euid)
    if problem:
        raise DlenvError(
            f"the GPU lease directory {directory} {problem}",
            hint=f"Recreate it: `sudo rm -rf {directory} && sudo install -d -m 1777 {directory}`.",
        )


def _dir_problem(info: os.stat_result, euid: int) -> str | None:
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory (or is a symbolic link)"
    if info.st_uid not in (0, euid):
        return f"belongs to uid {info.st_uid}, not root: that user could remove anyone's lease"
    if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
        return "is world-writable without the sticky bit: anyone could remove anyone's lease"
    return None


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the directory's exclusive lock (flock works on a read-only descriptor, so the lock
    file may belong to whoever made it first)."""
    flags = os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(directory / LOCK_NAME, flags, 0o644)
    except OSError as exc:
        raise DlenvError(
            f"cannot open the lease lock {directory / LOCK_NAME}: {exc.strerror}",
            hint="It must be a regular file (not a link); an administrator can remove it.",
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO would make every reader wait
            raise DlenvError(f"the lease lock {directory / LOCK_NAME} is not a regular file")
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_leases(directory: Path) -> dict[str, Lease]:
    """Every lease in `directory` by GPU index; files that are not lease names are ignored."""
    leases: dict[str, Lease] = {}
    for entry in sorted(p.name for p in directory.iterdir()):
        match = _FILE.fullmatch(entry)
        if match is None:
            continue
        lease = _read_lease(directory / entry, str(int(match["device"])))
        if lease is not None:
            leases[lease.device] = lease
    return leases


def _read_lease(path: Path, device: str) -> Lease | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None  # removed by its owner since the listing
    except OSError:
        # A symbolic link (ELOOP) or a file we may not read: held by whoever owns the entry.
        return _unreadable(path, device)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_LEASE_BYTES:
            return Lease(device, info.st_uid, "", "", "", "", valid=False)
        text = os.read(fd, MAX_LEASE_BYTES + 1)
    finally:
        os.close(fd)
    return parse_lease(text, device, info.st_uid)


def _unreadable(path: Path, device: str) -> Lease | None:
    try:
        return Lease(device, os.lstat(path).st_uid, "", "", "", "", valid=False)
    except FileNotFoundError:
        return None


def parse_lease(data: bytes, device: str, file_uid: int) -> Lease:
    """A lease file's content, validated; anything else is an invalid lease of `file_uid`."""
    invalid = Lease(device, file_uid, "", "", "", "", valid=False)
    try:
        fields = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return invalid
    if not isinstance(fields, dict) or set(fields) != {
        "device", "uid", "user", "env", "engine", "time", "pid"
    }:  # fmt: skip
        return invalid
    texts = {k: v for k, v in fields.items() if isinstance(v, str)}
    uid, pid = fields["uid"], fields["pid"]
    if (
        not all(isinstance(n, int) and not isinstance(n, bool) for n in (uid, pid))
        or uid != file_uid  # the content may not speak for another user
        or not 0 < pid < 2**22  # PID_MAX_LIMIT, proc(5)
        or texts.get("device") != device
        or not _USER.fullmatch(texts.get("user", ""))
        or not _ENV_NAME.fullmatch(texts.get("env", ""))
        or not _ENGINE.fullmatch(texts.get("engine", ""))
        or not _TIME.fullmatch(texts.get("time", ""))
    ):
        return invalid
    return Lease(device, uid, texts["user"], texts["env"], texts["engine"], texts["time"], pid)


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists (signal 0 checks without sending; kill(2))."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's
    return True


def lease_text(lease: Lease) -> bytes:
    return (json.dumps(lease.as_json(), sort_keys=True) + "\n").encode()


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def take(directory: Path, lease: Lease) -> bool:
    """Create the lease file; False when someone else's lease is there first."""
    path = directory / f"gpu-{lease.device}.lease"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, lease_text(lease))
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def release(directory: Path, device: str, *, uid: int) -> bool:
    """Remove one lease if it is `uid`'s; another user's lease is never touched."""
    path = directory / f"gpu-{device}.lease"
    try:
        owner = os.lstat(path).st_uid
    except FileNotFoundError:
        return False
    if owner != uid:
        return False
    try:
        path.unlink()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EPERM, errno.EACCES):
            return False
        raise
    return True
