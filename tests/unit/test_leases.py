"""GPU leases: exclusive creation, hostile files, and never removing another user's lease."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dlenv import leases
from dlenv.errors import DlenvError


def lease(device: str = "0", env: str = "a", uid: int | None = None) -> leases.Lease:
    return leases.Lease(device, os.geteuid() if uid is None else uid, "alice", env, "podman",
                        "2026-12-01T05:00:00Z", os.getpid())  # fmt: skip


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    path = tmp_path / "leases"
    path.mkdir()
    path.chmod(0o1777)
    return path


def test_the_first_taker_wins_and_the_lease_reads_back(directory: Path) -> None:
    assert leases.take(directory, lease("0", "a"))
    assert not leases.take(directory, lease("0", "b"))
    held = leases.read_leases(directory)
    assert held["0"].env == "a" and held["0"].valid


def test_a_symlinked_lease_holds_its_gpu_but_is_not_followed(
    directory: Path, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere"
    target.write_text(json.dumps(lease("1").as_json()))
    (directory / "gpu-1.lease").symlink_to(target)
    held = leases.read_leases(directory)
    assert not held["1"].valid
    assert not leases.take(directory, lease("1"))  # O_EXCL|O_NOFOLLOW: the link is not written


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        json.dumps({**lease().as_json(), "uid": 12345}).encode(),  # speaks for another user
        json.dumps({**lease().as_json(), "env": "a; rm -rf /"}).encode(),
        json.dumps({**lease().as_json(), "device": "7"}).encode(),  # not the file's GPU
        json.dumps({**lease().as_json(), "extra": 1}).encode(),
        json.dumps({**lease().as_json(), "pid": True}).encode(),
    ],
)
def test_malformed_lease_content_is_an_invalid_lease_of_the_files_owner(content: bytes) -> None:
    parsed = leases.parse_lease(content, "0", os.geteuid())
    assert not parsed.valid and parsed.uid == os.geteuid()


def test_a_fifo_in_place_of_a_lease_or_the_lock_does_not_hang(directory: Path) -> None:
    os.mkfifo(directory / "gpu-2.lease")
    assert not leases.read_leases(directory)["2"].valid
    os.mkfifo(directory / leases.LOCK_NAME)
    with pytest.raises(DlenvError, match="not a regular file"), leases.locked(directory):
        pass


def test_release_removes_only_the_callers_own_lease(directory: Path) -> None:
    leases.take(directory, lease("0"))
    assert not leases.release(directory, "0", uid=os.geteuid() + 1)
    assert (directory / "gpu-0.lease").exists()
    assert leases.release(directory, "0", uid=os.geteuid())
    assert not (directory / "gpu-0.lease").exists()


def test_an_unsafe_lease_directory_is_refused(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o777)  # world-writable without the sticky bit
    with pytest.raises(DlenvError, match="sticky"):
        leases.prepare_dir(loose, euid=os.geteuid())
    link = tmp_path / "link"
    link.symlink_to(loose)
    with pytest.raises(DlenvError, match="not a directory"):
        leases.prepare_dir(link, euid=os.geteuid())
    with pytest.raises(DlenvError) as raised:
        leases.prepare_dir(tmp_path / "absent", euid=1000)
    assert "install -d -m 1777" in (raised.value.hint or "")
