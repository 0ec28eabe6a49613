"""`podman info` answered from memory: only while podman, its configuration, PATH, the user and
the boot are unchanged; never a failure, a remote podman or another command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dlenv.engine.info_memo import PODMAN_INFO, PodmanInfoMemo, RememberingRunner
from dlenv.process import Command
from tests.support.fakes import FakeRunner

# Captured with `podman info --format json` on the CI machine (Debian 12, podman 4.3.1, root).
CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "podman-info"
INFO = (CAPTURED / "rootful-debian12-ci.json").read_text()


class Host:
    """A PATH with a podman on it, a config home, and a runner that counts `podman info` calls."""

    def __init__(self, tmp_path: Path, code: int = 0, **extra: str) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        podman = self.bin / "podman"
        podman.write_text("#!/bin/sh\n")
        podman.chmod(0o755)
        self.config = tmp_path / "config"
        (self.config / "containers").mkdir(parents=True)
        self.environ = {
            "PATH": str(self.bin),
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(self.config),
            **extra,
        }
        self.inner = FakeRunner(
            responses={PODMAN_INFO: (code, INFO if code == 0 else "", "")},
            programs={"podman": str(podman)},
        )
        self.cache = tmp_path / "cache"

    def runner(self) -> RememberingRunner:
        """A new process's runner: the memo lives in the cache directory, not in the object."""
        return RememberingRunner(self.inner, PodmanInfoMemo(self.cache, self.environ, 1000))

    def ask(self) -> str:
        return self.runner().run(Command(PODMAN_INFO)).stdout

    @property
    def asked(self) -> int:
        return self.inner.calls.count(PODMAN_INFO)


def test_a_second_command_is_answered_from_memory(tmp_path: Path) -> None:
    host = Host(tmp_path)
    assert host.ask() == INFO
    assert host.ask() == INFO
    assert host.asked == 1
    (memo,) = host.cache.iterdir()
    assert memo.name == "podman-info-1000.json"


@pytest.mark.parametrize(
    "change",
    [
        "edit the user's containers.conf",
        "install a program (a new OCI runtime) on PATH",
        "replace podman",
        "set CONTAINERS_STORAGE_CONF",
    ],
)
def test_any_change_podman_reads_asks_again(tmp_path: Path, change: str) -> None:
    host = Host(tmp_path)
    host.ask()
    if change == "edit the user's containers.conf":
        (host.config / "containers" / "containers.conf").write_text('[engine]\nruntime = "crun"\n')
    elif change == "install a program (a new OCI runtime) on PATH":
        (host.bin / "crun").write_text("")
    elif change == "replace podman":
        (host.bin / "podman").write_text("#!/bin/sh\n# 5.0\n")
    else:
        host.environ["CONTAINERS_STORAGE_CONF"] = str(tmp_path / "storage.conf")
    host.ask()
    assert host.asked == 2


def test_a_file_edited_in_place_within_the_same_second_is_seen(tmp_path: Path) -> None:
    host = Host(tmp_path)
    conf = host.config / "containers" / "storage.conf"
    conf.write_text('[storage]\ndriver = "overlay"\n')
    host.ask()
    before = conf.stat()
    conf.write_text('[storage]\ndriver = "vfs"    \n')  # one more byte
    os.utime(conf, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    host.ask()
    assert host.asked == 2


def test_a_failed_answer_is_not_remembered(tmp_path: Path) -> None:
    host = Host(tmp_path, code=125)
    host.ask()
    host.ask()
    assert host.asked == 2
    assert not host.cache.exists()


def test_a_remote_podman_is_always_asked(tmp_path: Path) -> None:
    host = Host(tmp_path, CONTAINER_HOST="ssh://dev@box/run/podman/podman.sock")
    host.ask()
    host.ask()
    assert host.asked == 2


def test_other_commands_pass_through(tmp_path: Path) -> None:
    host = Host(tmp_path)
    host.inner.responses = {**host.inner.responses, ("podman", "version"): (0, "4.3.1", "")}
    runner = host.runner()
    assert runner.run(Command(("podman", "version"))).stdout == "4.3.1"
    assert runner.run(Command(("podman", "version"))).stdout == "4.3.1"
    assert host.inner.calls.count(("podman", "version")) == 2


@pytest.mark.parametrize("damage", ["", "{", '{"key": 1}', '["stdout"]', "\0\0\0"])
def test_a_damaged_memo_is_ignored_and_replaced(tmp_path: Path, damage: str) -> None:
    host = Host(tmp_path)
    host.ask()
    (memo,) = host.cache.iterdir()
    memo.write_text(damage)
    assert host.ask() == INFO
    assert host.asked == 2
    assert host.ask() == INFO
    assert host.asked == 2


def test_an_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    host = Host(tmp_path)
    host.cache.write_text("a file where the directory should be")
    assert host.ask() == INFO
    assert host.ask() == INFO
    assert host.asked == 2
